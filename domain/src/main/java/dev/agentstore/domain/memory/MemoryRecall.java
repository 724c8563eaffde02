package dev.agentstore.domain.memory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;

import java.util.List;

/**
 * What {@code recall} returns: the last messages of a memory, oldest first, and its newest variables.
 *
 * @param messages  up to the requested number of the memory's last messages, in sequence order; unmodifiable
 * @param variables the newest variables snapshot, an empty JSON object when none was written; a copy
 * @param revision  the newest snapshot's revision, 0 when none was written
 */
public record MemoryRecall(List<MemoryMessage> messages, JsonNode variables, long revision) {

    /** Copies. */
    public MemoryRecall {
        messages = List.copyOf(Check.noNulls("messages", messages));
        variables = Check.notNull("variables", variables).deepCopy();
    }

    /** @return a copy of the variables */
    @Override
    public JsonNode variables() {
        return variables.deepCopy();
    }
}
