package dev.agentstore.domain;

/** Thrown when an insert would break a uniqueness rule (PostgreSQL SQL state 23505), for example a scheduler job id used twice. */
public class DuplicateException extends AgentStoreException {

    /**
     * @param message names the entity and the duplicated key
     * @param cause   the underlying constraint violation, or {@code null}
     */
    public DuplicateException(String message, Throwable cause) {
        super(message, cause);
    }
}
