package dev.agentstore.domain.memory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;

import java.util.List;
import java.util.Set;

/**
 * What {@code recall} returns: the last messages of a memory, oldest first, starting at a clean turn
 * ({@link #fromCleanTurn}), and its newest variables.
 *
 * @param messages  the memory's last messages (at most the requested number), in sequence order, starting at a clean
 *                  turn; unmodifiable
 * @param variables the newest variables snapshot, an empty JSON object when none was written; a copy
 * @param revision  the newest snapshot's revision, 0 when none was written
 */
public record MemoryRecall(List<MemoryMessage> messages, JsonNode variables, long revision) {

    /** Copies. */
    public MemoryRecall {
        messages = List.copyOf(Check.noNulls("messages", messages));
        variables = Check.notNull("variables", variables).deepCopy();
    }

    /** The part types that mark a message's content as a tool result (Anthropic, AI SDK, Draive, OpenAI). */
    private static final Set<String> TOOL_RESULT_TYPES =
            Set.of("tool_result", "tool-result", "tool_response", "function_call_output");

    /**
     * Draive's recall rule: drops the front of a recalled window up to its first clean turn, so that the context never
     * begins with a tool response or a model output whose request was cut off. Walking the window oldest first, a
     * tool response ({@link #isToolResponse}) and an {@link MessageRole#ASSISTANT} message (a model output, with or
     * without tool calls: its request lies before the window) are dropped; the first other message (a
     * {@link MessageRole#USER} or {@link MessageRole#SYSTEM} input without tool results) starts the context, and it
     * and everything after it are kept unchanged. A window without such a message recalls as empty. The window is not
     * extended backwards to make up for what was dropped.
     *
     * @param window messages in sequence order
     * @return the suffix of {@code window} that starts at its first clean turn; unmodifiable
     * @throws dev.agentstore.domain.InvalidInputException when {@code window} is {@code null} or holds {@code null}
     */
    public static List<MemoryMessage> fromCleanTurn(List<MemoryMessage> window) {
        Check.noNulls("window", window);
        for (int i = 0; i < window.size(); i++) {
            MemoryMessage m = window.get(i);
            if (m.role() != MessageRole.ASSISTANT && !isToolResponse(m)) {
                return List.copyOf(window.subList(i, window.size()));
            }
        }
        return List.of();
    }

    /**
     * Whether a message is a tool response (Draive's model input that contains tools): its role is
     * {@link MessageRole#TOOL}, or its content is, or holds directly or in a top-level {@code parts} or
     * {@code content} array, an object whose {@code type} is {@code tool_result}, {@code tool-result},
     * {@code tool_response} or {@code function_call_output}.
     *
     * @param message a message
     * @return whether it answers a tool call
     */
    public static boolean isToolResponse(MemoryMessage message) {
        if (message.role() == MessageRole.TOOL) {
            return true;
        }
        JsonNode content = message.content();
        if (isToolResult(content)) {
            return true;
        }
        JsonNode parts = content.isArray() ? content
                : content.path("parts").isArray() ? content.get("parts") : content.path("content");
        if (parts.isArray()) {
            for (JsonNode part : parts) {
                if (isToolResult(part)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean isToolResult(JsonNode node) {
        return node.isObject() && node.path("type").isTextual() && TOOL_RESULT_TYPES.contains(node.get("type").asText());
    }

    /** @return a copy of the variables */
    @Override
    public JsonNode variables() {
        return variables.deepCopy();
    }
}
