package dev.agentstore.domain;

/**
 * Thrown when an operation failed for a reason that may pass: the connection was lost or could not be had (SQL
 * states 08xxx, the pool's {@link java.sql.SQLTransientConnectionException} timeout, 53300 too many connections),
 * the server was shutting down or recovering (57P01, 57P02, 57P03), a statement or lock timeout fired (57014,
 * 55P03), or the transaction lost a race ({@link ConcurrencyConflictException}: 40001, 40P01, a {@code @Version}
 * check). The message names the operation, what happened, and whether retrying is safe; never the SQL statement, its
 * parameter values or secrets.
 *
 * <p>{@link #retrySafe()} says whether re-running the whole unit of work is safe: {@code true} when the failed
 * transaction is known not to have committed (a statement failed inside an open transaction, the server refused a
 * {@code COMMIT} with an error, nothing was sent yet); {@code false} when the connection was lost while a
 * {@code COMMIT} or an autocommit statement was in flight, so the outcome is unknown: check whether the write took
 * effect before retrying. {@code RetryPolicy.execute}, {@code AgentStore.fromTransactionWithRetry} and
 * {@code TransactionalRetry.execute} retry exactly the retry-safe ones.
 */
public class TransientDataAccessException extends AgentStoreException {

    private final String operation;
    private final boolean retrySafe;

    /**
     * @param operation what was being done, naming the entity and key, for example {@code update FlowRun etl/run-1}
     * @param message   the whole message: the operation, what happened and whether retrying is safe
     * @param retrySafe whether the failed unit of work is known not to have committed
     * @param cause     the underlying JDBC, Hibernate or pool exception, or {@code null}
     */
    public TransientDataAccessException(String operation, String message, boolean retrySafe, Throwable cause) {
        super(message, cause);
        this.operation = operation;
        this.retrySafe = retrySafe;
    }

    /** @return what was being done, for example {@code update FlowRun etl/run-1} */
    public String operation() {
        return operation;
    }

    /**
     * @return {@code true} when the unit of work is known not to have committed, so re-running it whole is safe;
     *         {@code false} when the outcome is unknown (the connection was lost during a {@code COMMIT} or an
     *         autocommit statement)
     */
    public boolean retrySafe() {
        return retrySafe;
    }
}
