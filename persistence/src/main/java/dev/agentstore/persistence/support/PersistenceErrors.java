package dev.agentstore.persistence.support;

import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.TransientDataAccessException;
import jakarta.persistence.LockTimeoutException;
import jakarta.persistence.OptimisticLockException;
import jakarta.persistence.PessimisticLockException;
import jakarta.persistence.QueryTimeoutException;
import org.hibernate.StaleStateException;
import org.hibernate.exception.JDBCConnectionException;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/**
 * The one place where JPA, Hibernate, HikariCP and PostgreSQL errors become agentstore's typed exceptions, by the
 * SQL state found in the cause chain (Hibernate's wrappers such as {@code JDBCConnectionException},
 * {@code LockTimeoutException} or {@code PessimisticLockException} decide only when there is none):
 * <ul>
 * <li>optimistic-lock failures, 40001 (serialization failure) and 40P01 (deadlock):
 *     {@link ConcurrencyConflictException};</li>
 * <li>the other transient failures, {@link TransientDataAccessException}: 08xxx (connection lost or refused),
 *     HikariCP's {@link SQLTransientConnectionException} (no connection within the pool timeout), 57P01, 57P02, 57P03
 *     (server shutting down, crashed, starting up), 53300 (too many connections), 57014 (statement timeout or
 *     cancel), 55P03 (lock timeout);</li>
 * <li>23505 (unique violation): {@link DuplicateException}; 22P02, 22P05, 22021, 22023, 22001, 22003, 23502,
 *     23514, 2201B, 22007, 22008, 54000 and 54001 (a value PostgreSQL refuses: bad text representation, U+0000 in
 *     jsonb text, bad encoding, out of range, too long, not null or check violation, invalid regular expression,
 *     a text that is no date or time, a value beyond a
 *     PostgreSQL limit such as jsonb's size or {@code max_stack_depth}): {@link InvalidInputException};</li>
 * <li>anything else: {@link AgentStoreException}.</li>
 * </ul>
 * A transient failure from {@link #translate} is retry-safe: the failed statement ran inside a transaction, which is
 * rolled back, or never reached the server. When the statement was a {@code COMMIT} or ran in autocommit mode,
 * {@link #translateOutcomeUnknown} makes a lost connection (08xxx other than 08001 and 08004, 57P01, 57P02) not
 * retry-safe: the server may have committed before the connection went.
 *
 * <p>Messages carry the caller's context, what happened, the first line of PostgreSQL's or the driver's message
 * (which, for a value PostgreSQL refuses, may quote that value), the SQL state and, for a transient failure, whether
 * retrying is safe; never the statement text, its other parameters, PostgreSQL's {@code DETAIL} lines or passwords.
 */
public final class PersistenceErrors {

    private static final String SAFE = "the transaction did not commit: retrying is safe";
    private static final String UNKNOWN = "the outcome is unknown: check before retrying";

    private PersistenceErrors() {
    }

    /**
     * Translates a failure of a statement inside a transaction, or of getting a connection.
     *
     * @param context what was being done, naming the entity and key, for example {@code update FlowRun etl/run-1}
     * @param e       the exception thrown by JPA, Hibernate, the pool or the driver
     * @return the typed exception to throw; {@code e} itself when it already is an {@link AgentStoreException}
     */
    public static AgentStoreException translate(String context, RuntimeException e) {
        if (e instanceof AgentStoreException ase) {
            return ase;
        }
        return translateThrowable(context, e);
    }

    /**
     * Translates a failure of a {@code COMMIT}, or of a statement run in autocommit mode: as {@link #translate},
     * except that a connection lost meanwhile (08xxx other than 08001 and 08004, 57P01, 57P02, or Hibernate's
     * {@code JDBCConnectionException} without a SQL state) leaves the outcome unknown, so the result is a
     * {@link TransientDataAccessException} that is not {@link TransientDataAccessException#retrySafe() retry-safe}.
     *
     * @param context what was being done; ignored when {@code e} already is a {@link TransientDataAccessException},
     *                whose operation is kept
     * @param e       the exception thrown by the commit or the statement, or the typed exception already made of it
     * @return the typed exception to throw
     */
    public static AgentStoreException translateOutcomeUnknown(String context, Throwable e) {
        AgentStoreException translated = e instanceof AgentStoreException ase ? ase : translateThrowable(context, e);
        if (!(translated instanceof TransientDataAccessException tdae) || !tdae.retrySafe()
                || tdae instanceof ConcurrencyConflictException || !connectionLostInFlight(translated)) {
            return translated;
        }
        String operation = tdae.operation() == null ? context : tdae.operation();
        return new TransientDataAccessException(operation, operation + ": connection lost while a COMMIT or an"
                + " autocommit statement was in flight" + reason(sqlCause(translated)) + "; " + UNKNOWN, false,
                translated.getCause() == null ? translated : translated.getCause());
    }

    private static AgentStoreException translateThrowable(String context, Throwable e) {
        // the SQL state decides first: Hibernate wraps a deadlock as OptimisticLockException, a lock timeout as
        // PessimisticLockException
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException pool) {
                // HikariCP: no connection within its connectionTimeout; the cause is the last connect failure, if any
                return transientFailure(context, "no connection available: " + firstLine(pool)
                        + (pool.getCause() instanceof SQLException connect ? " (" + firstLine(connect) + ")" : ""), e);
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                return bySqlState(context, sql, e);
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof OptimisticLockException || t instanceof StaleStateException) {
                return new ConcurrencyConflictException(context, context + ": modified concurrently; " + SAFE, e);
            }
            if (t instanceof LockTimeoutException || t instanceof PessimisticLockException
                    || t instanceof org.hibernate.PessimisticLockException) {
                return transientFailure(context, "lock not available", e);
            }
            if (t instanceof QueryTimeoutException || t instanceof org.hibernate.QueryTimeoutException) {
                return transientFailure(context, "statement timeout", e);
            }
            if (t instanceof JDBCConnectionException) {
                return transientFailure(context, "connection lost", e);
            }
        }
        return new AgentStoreException(context + ": " + e.getMessage(), e);
    }

    private static AgentStoreException bySqlState(String context, SQLException sql, Throwable e) {
        String state = sql.getSQLState();
        switch (state) {
            case "40001", "40P01" -> {
                return new ConcurrencyConflictException(context, context + ": "
                        + (state.equals("40001") ? "serialization failure" : "deadlock") + reason(sql) + "; " + SAFE, e);
            }
            case "23505" -> {
                return new DuplicateException(context + ": already exists (" + firstLine(sql) + ")", e);
            }
            case "22P02", "22P05", "22021", "22023", "23514", "22001", "23502", "22003", "2201B", "22007", "22008",
                 "54000", "54001" -> {
                return new InvalidInputException(context + ": " + firstLine(sql), e);
            }
            case "57P01", "57P02" -> {
                return transientFailure(context, "connection lost: server shutting down" + reason(sql), e);
            }
            case "57P03" -> {
                return transientFailure(context, "cannot connect now: server starting up or shutting down"
                        + reason(sql), e);
            }
            case "53300" -> {
                return transientFailure(context, "cannot connect now: too many connections" + reason(sql), e);
            }
            case "57014" -> {
                return transientFailure(context, "statement timeout or cancel" + reason(sql), e);
            }
            case "55P03" -> {
                return transientFailure(context, "lock timeout" + reason(sql), e);
            }
            default -> {
                if (state.startsWith("08")) {
                    return transientFailure(context, (isConnectFailure(state) ? "could not connect" : "connection lost")
                            + reason(sql), e);
                }
                return new AgentStoreException(context + ": " + firstLine(sql) + " (SQL state " + state + ")", e);
            }
        }
    }

    private static TransientDataAccessException transientFailure(String context, String what, Throwable e) {
        return new TransientDataAccessException(context, context + ": " + what + "; " + SAFE, true, e);
    }

    /** 08001 and 08004: the connection was never established, so nothing was sent. */
    private static boolean isConnectFailure(String state) {
        return state.equals("08001") || state.equals("08004");
    }

    private static boolean connectionLostInFlight(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException) {
                return false; // from the pool: nothing was sent
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                return state.equals("57P01") || state.equals("57P02")
                        || state.startsWith("08") && !isConnectFailure(state);
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof JDBCConnectionException) {
                return true;
            }
        }
        return false;
    }

    private static SQLException sqlCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                return sql;
            }
        }
        return null;
    }

    private static String reason(SQLException sql) {
        return sql == null ? "" : " (" + firstLine(sql) + ", SQL state " + sql.getSQLState() + ")";
    }

    private static String firstLine(SQLException e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
