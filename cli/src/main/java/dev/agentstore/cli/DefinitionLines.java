package dev.agentstore.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.definition.DefinitionKind;
import dev.agentstore.domain.definition.DefinitionStatus;
import dev.agentstore.persistence.definition.DefinitionRepository;

import java.util.HashMap;
import java.util.Map;

/**
 * Import of {@code definition} lines written by {@code agentstore export}: one definition with its {@code versions}
 * array, oldest first. The definition is created with the first version's content, the others are added in order,
 * then the exported published version is published and an archived definition archived again. Version numbers stay
 * as exported when the exported numbers have no gaps (versions were never deleted); otherwise the versions are
 * numbered 1, 2, 3... in their order and the published pointer follows its version. A definition that already
 * exists is refused (its batch is rejected).
 */
final class DefinitionLines {

    private DefinitionLines() {
    }

    /**
     * Checks a line before anything is written.
     *
     * @param n the line
     * @throws IllegalArgumentException when a field is missing or invalid (the message names it)
     */
    static void validate(JsonNode n) {
        try {
            DefinitionKind.fromStoredName(n.path("kind").asText(""));
            DefinitionStatus.valueOf(n.path("status").asText("DRAFT"));
        } catch (AgentStoreException | IllegalArgumentException e) {
            throw new IllegalArgumentException("definition: " + e.getMessage());
        }
        if (!n.path("id").isTextual() || n.get("id").asText().isBlank()) {
            throw new IllegalArgumentException("missing or blank field 'id'");
        }
        JsonNode versions = n.path("versions");
        if (!versions.isArray() || versions.isEmpty()) {
            throw new IllegalArgumentException("field 'versions' must be a non-empty array");
        }
        for (JsonNode v : versions) {
            if (!v.path("content").isObject() || !v.path("number").isIntegralNumber()) {
                throw new IllegalArgumentException("each version needs an integer 'number' and an object 'content'");
            }
        }
    }

    /**
     * Writes a checked line in the caller's transaction.
     *
     * @param definitions the unit of work's repository
     * @param n           the line
     */
    static void restore(DefinitionRepository definitions, JsonNode n) {
        DefinitionKind kind = DefinitionKind.fromStoredName(n.get("kind").asText());
        String id = n.get("id").asText();
        Map<Integer, Integer> numbers = new HashMap<>();
        for (JsonNode v : n.get("versions")) {
            int number;
            if (numbers.isEmpty()) {
                definitions.create(kind, id, v.get("content"), object(n, "metadata"), text(n, "author"),
                        text(v, "changeMessage"));
                number = 1;
            } else {
                number = definitions.createVersion(kind, id, v.get("content"), text(v, "changeMessage"),
                        text(v, "author")).number();
            }
            numbers.put(v.get("number").asInt(), number);
        }
        if (n.path("publishedVersion").isIntegralNumber()) {
            Integer published = numbers.get(n.get("publishedVersion").asInt());
            if (published == null) {
                throw new IllegalArgumentException("publishedVersion is not among the versions");
            }
            definitions.publish(kind, id, published);
        }
        if (DefinitionStatus.ARCHIVED.name().equals(n.path("status").asText())) {
            definitions.archive(kind, id);
        }
    }

    private static String text(JsonNode n, String field) {
        return n.path(field).isTextual() ? n.get(field).asText() : null;
    }

    private static JsonNode object(JsonNode n, String field) {
        return n.path(field).isObject() ? n.get(field) : null;
    }
}
