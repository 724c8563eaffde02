package dev.agentstore.domain.memory;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.util.Locale;

/** Who wrote a {@link MemoryMessage}: the roles of chat model APIs. */
public enum MessageRole {
    /** Instructions to the model. */
    SYSTEM,
    /** The user's input. */
    USER,
    /** The model's output, including its tool calls. */
    ASSISTANT,
    /** A tool's result, answering an assistant's tool call. */
    TOOL;

    /**
     * @param name a role name in any case, for example {@code assistant}
     * @return the role
     * @throws InvalidInputException when {@code name} is {@code null} or names no role
     */
    public static MessageRole parse(String name) {
        if (name != null) {
            for (MessageRole r : values()) {
                if (r.name().equals(name.toUpperCase(Locale.ROOT))) {
                    return r;
                }
            }
        }
        throw new InvalidInputException("role must be one of system, user, assistant, tool, was " + Check.describe(name));
    }
}
