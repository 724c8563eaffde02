package dev.agentstore.domain;

/**
 * Thrown when a write lost a race: an optimistic lock check on {@code @Version} failed, or PostgreSQL reported a
 * serialization failure or deadlock (SQL states 40001, 40P01). Retrying the whole unit of work in a new
 * transaction is safe; {@code AgentStore.fromTransactionWithRetry} does that and throws this exception only when
 * every attempt conflicted.
 */
public class ConcurrencyConflictException extends AgentStoreException {

    /**
     * @param message names the entity and key, and how many attempts were made when retries ran out
     * @param cause   the underlying optimistic lock or SQL exception, or {@code null}
     */
    public ConcurrencyConflictException(String message, Throwable cause) {
        super(message, cause);
    }
}
