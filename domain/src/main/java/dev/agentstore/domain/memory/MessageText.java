package dev.agentstore.domain.memory;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The text of a message's content, as semantic recall embeds it. Content is any JSON value; its text is: the string
 * itself for a JSON string, otherwise every string value of a member named {@code text} or {@code content} at any
 * depth (Mastra's and the AI SDK's text parts, OpenAI's {@code content}), in document order, joined by a line feed.
 * Tool calls, tool results, files and other values add nothing. Stateless.
 */
public final class MessageText {

    private MessageText() {
    }

    /**
     * @param content a message's content
     * @return its text as described by the class; empty when it has none (such a message is not embedded)
     */
    public static String of(JsonNode content) {
        if (content == null) {
            return "";
        }
        if (content.isTextual()) {
            return content.textValue();
        }
        List<String> parts = new ArrayList<>();
        collect(content, parts);
        return String.join("\n", parts);
    }

    private static void collect(JsonNode node, List<String> parts) {
        if (node.isArray()) {
            node.forEach(n -> collect(n, parts));
        } else if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode v = e.getValue();
                if (v.isTextual() && (e.getKey().equals("text") || e.getKey().equals("content"))) {
                    if (!v.textValue().isBlank()) {
                        parts.add(v.textValue());
                    }
                } else {
                    collect(v, parts);
                }
            }
        }
    }
}
