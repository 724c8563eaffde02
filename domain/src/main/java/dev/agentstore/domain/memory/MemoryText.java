package dev.agentstore.domain.memory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;


/** Checks shared by the memory entities: ids, free text and JSON that PostgreSQL can store. */
final class MemoryText {

    private MemoryText() {
    }

    /** An id or name: 1–255 characters, not blank, no NUL. */
    static String id(String parameter, String value) {
        return Check.name(parameter, value);
    }

    /** As {@link #id}, {@code null} accepted. */
    static String optionalId(String parameter, String value) {
        return value == null ? null : id(parameter, value);
    }

    /** Free text (may be empty), at most {@code maxLength} characters, no NUL; {@code null} passes. */
    static String optionalText(String parameter, String value, int maxLength) {
        if (value == null) {
            return null;
        }
        if (value.length() > maxLength) {
            throw new InvalidInputException(parameter + " must be at most " + maxLength + " characters, was "
                    + value.length());
        }
        return Check.noNul(parameter, value);
    }

    /** A JSON object without NUL in any string or member name; returns a copy. */
    static JsonNode object(String parameter, JsonNode value) {
        return json(parameter, Json.requireObject(parameter, value));
    }

    /** Any JSON value except Java {@code null} and JSON {@code null}, without NUL; returns a copy. */
    static JsonNode value(String parameter, JsonNode value) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            throw new InvalidInputException(parameter + " must be a JSON value, was null");
        }
        return json(parameter, value.deepCopy());
    }

    private static JsonNode json(String parameter, JsonNode value) {
        if (Json.containsNul(value)) {
            throw new InvalidInputException(parameter
                    + " must not contain the NUL character (\\u0000), which PostgreSQL's jsonb cannot store");
        }
        return value;
    }
}
