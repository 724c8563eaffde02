package dev.agentstore.domain;

/**
 * Root of agentstore's unchecked exceptions. Catch it to handle every failure the library reports itself;
 * the subclasses say what went wrong ({@link NotFoundException}, {@link DuplicateException},
 * {@link InvalidInputException}, {@link TransientDataAccessException} for failures that may pass, with its subclass
 * {@link ConcurrencyConflictException}). This class itself reports anything else: a bug, a schema mismatch, a
 * constraint the library does not type. Messages name the entity and key and
 * never contain passwords.
 */
public class AgentStoreException extends RuntimeException {

    /** @param message what failed, naming the entity and key */
    public AgentStoreException(String message) {
        super(message);
    }

    /**
     * @param message what failed, naming the entity and key
     * @param cause   the underlying JDBC, Hibernate or Liquibase exception
     */
    public AgentStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
