package dev.agentstore.domain.memory;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

/**
 * Asks a message listing to include one message, of any thread, with context around it.
 *
 * @param id       the message's id
 * @param previous how many messages of its thread before it to include, 0 to {@value #MAX_CONTEXT}
 * @param next     how many messages of its thread after it to include, 0 to {@value #MAX_CONTEXT}
 */
public record MessageInclude(String id, int previous, int next) {

    /** Most context messages on either side: 1,000. */
    public static final int MAX_CONTEXT = 1000;

    /** @throws InvalidInputException when the id is invalid or a count is out of range */
    public MessageInclude {
        MemoryText.id("include id", id);
        Check.range("previous", previous, 0, MAX_CONTEXT);
        Check.range("next", next, 0, MAX_CONTEXT);
    }

    /**
     * @param id       the message's id
     * @param previous how many messages before it
     * @param next     how many messages after it
     * @return the include
     */
    public static MessageInclude of(String id, int previous, int next) {
        return new MessageInclude(id, previous, next);
    }
}
