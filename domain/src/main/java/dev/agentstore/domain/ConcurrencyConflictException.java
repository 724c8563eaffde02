package dev.agentstore.domain;

/**
 * Thrown when a write lost a race: an optimistic lock check on {@code @Version} failed, or PostgreSQL reported a
 * serialization failure or deadlock (SQL states 40001, 40P01). The transaction was rolled back, so it is always
 * {@link #retrySafe() retry-safe}: retrying the whole unit of work in a new transaction is safe;
 * {@code AgentStore.fromTransactionWithRetry} does that and throws this exception only when every attempt conflicted.
 */
public class ConcurrencyConflictException extends TransientDataAccessException {

    /**
     * @param message names the entity and key (the {@link #operation()}), and how many attempts were made when
     *                retries ran out
     * @param cause   the underlying optimistic lock or SQL exception, or {@code null}
     */
    public ConcurrencyConflictException(String message, Throwable cause) {
        this(operationOf(message), message, cause);
    }

    /**
     * @param operation what was being done, for example {@code update FlowRun etl/run-1}
     * @param message   the whole message, starting with the operation
     * @param cause     the underlying optimistic lock or SQL exception, or {@code null}
     */
    public ConcurrencyConflictException(String operation, String message, Throwable cause) {
        super(operation, message, true, cause);
    }

    /** The messages of this library start with the operation and a colon. */
    private static String operationOf(String message) {
        if (message == null) {
            return null;
        }
        int colon = message.indexOf(": ");
        return colon < 0 ? message : message.substring(0, colon);
    }
}
