package dev.agentstore.persistence.support;

import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import jakarta.persistence.OptimisticLockException;
import jakarta.persistence.PessimisticLockException;
import org.hibernate.StaleStateException;

import java.sql.SQLException;

/**
 * The one place where JPA, Hibernate and PostgreSQL errors become agentstore's typed exceptions:
 * optimistic-lock failures and SQL states 40001 (serialization failure) and 40P01 (deadlock) become
 * {@link ConcurrencyConflictException}; 23505 (unique violation) {@link DuplicateException}; 22P02, 22P05, 22021,
 * 22023, 22001, 22003, 23502, 23514, 2201B, 54000 and 54001 (a value PostgreSQL refuses: bad text representation,
 * U+0000 in jsonb text, bad encoding, out of range, too long, not null or check violation, invalid regular
 * expression, a value beyond a PostgreSQL limit such as jsonb's size or {@code max_stack_depth})
 * {@link InvalidInputException}. Anything else is wrapped in
 * {@link AgentStoreException}. Messages carry the caller's context and the first line of PostgreSQL's message
 * (which, for a value PostgreSQL refuses, may quote that value), never the statement's other parameters, PostgreSQL's
 * {@code DETAIL} lines or passwords.
 */
public final class PersistenceErrors {

    private PersistenceErrors() {
    }

    /**
     * @param context what was being done, naming the entity and key, for example {@code update FlowRun etl/run-1}
     * @param e       the exception thrown by JPA, Hibernate or the driver
     * @return the typed exception to throw; {@code e} itself when it already is an {@link AgentStoreException}
     */
    public static AgentStoreException translate(String context, RuntimeException e) {
        if (e instanceof AgentStoreException ase) {
            return ase;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof OptimisticLockException || t instanceof StaleStateException
                    || t instanceof PessimisticLockException) {
                return new ConcurrencyConflictException(context + ": modified concurrently", e);
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                switch (state) {
                    case "40001", "40P01" -> {
                        return new ConcurrencyConflictException(context + ": " + firstLine(sql), e);
                    }
                    case "23505" -> {
                        return new DuplicateException(context + ": already exists (" + firstLine(sql) + ")", e);
                    }
                    case "22P02", "22P05", "22021", "22023", "23514", "22001", "23502", "22003", "2201B", "54000",
                         "54001" -> {
                        return new InvalidInputException(context + ": " + firstLine(sql), e);
                    }
                    default -> {
                        return new AgentStoreException(context + ": " + firstLine(sql) + " (SQL state " + state + ")", e);
                    }
                }
            }
        }
        return new AgentStoreException(context + ": " + e.getMessage(), e);
    }

    private static String firstLine(SQLException e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
