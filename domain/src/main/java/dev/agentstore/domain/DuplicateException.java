package dev.agentstore.domain;

import java.util.Collection;
import java.util.List;

/**
 * Thrown when an insert would break a uniqueness rule (PostgreSQL SQL state 23505), for example a scheduler job id
 * used twice. When the repository knows which keys already exist (a record's create or batch create), {@link #ids()}
 * lists them, so that a caller can act on them without parsing the message.
 */
public class DuplicateException extends AgentStoreException {

    private final List<String> ids;

    /**
     * @param message names the entity and the duplicated key
     * @param cause   the underlying constraint violation, or {@code null}
     */
    public DuplicateException(String message, Throwable cause) {
        this(message, cause, List.of());
    }

    /**
     * @param message names the entity and the duplicated key(s)
     * @param cause   the underlying constraint violation, or {@code null}
     * @param ids     the keys that already exist, in the order of the input; copied
     * @throws NullPointerException when {@code ids} or one of them is {@code null}
     */
    public DuplicateException(String message, Throwable cause, Collection<String> ids) {
        super(message, cause);
        this.ids = List.copyOf(ids);
    }

    /**
     * @return the keys that already exist (every one, also when the message abbreviates them), in the order of the
     *         input; empty when the repository did not determine them (a constraint violation reported by
     *         PostgreSQL); unmodifiable
     */
    public List<String> ids() {
        return ids;
    }
}
