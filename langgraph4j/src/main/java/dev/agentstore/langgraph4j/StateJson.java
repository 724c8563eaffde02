package dev.agentstore.langgraph4j;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * LangGraph4j state maps to and from JSON (stored as {@code jsonb}) with Jackson. A state value must be JSON: {@code
 * null}, a {@link String}, a {@link Boolean}, a {@link Number}, a {@link Collection} or array of JSON values, a
 * {@link Map} with {@link String} keys and JSON values, or a Jackson {@link JsonNode}. Anything else (a record, a
 * POJO, an enum, a LangChain4j message) is refused with {@link IllegalArgumentException} naming the key path, before
 * anything is written, since it would not come back as the same Java type. Values read back are {@link String},
 * {@link Boolean}, {@link Integer} / {@link Long} / {@link java.math.BigInteger} for integers, {@link Double} for
 * other numbers, {@link java.util.List} and {@link LinkedHashMap}. Thread-safe.
 */
final class StateJson {

    private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {
    };

    private final ObjectMapper mapper;

    StateJson(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /**
     * @param state a LangGraph4j state
     * @return its JSON object
     * @throws IllegalArgumentException when a value is not JSON (the message names its key path and type)
     */
    JsonNode toJson(Map<String, Object> state) {
        if (state == null) {
            throw new IllegalArgumentException("checkpoint.state must not be null");
        }
        check("state", state);
        return mapper.valueToTree(state);
    }

    /**
     * @param json a JSON object written by {@link #toJson}
     * @return the state map (insertion order of the JSON object)
     */
    Map<String, Object> toState(JsonNode json) {
        if (json == null || json.isNull()) {
            return new LinkedHashMap<>();
        }
        return mapper.convertValue(json, MAP);
    }

    private static void check(String path, Object value) {
        if (value == null || value instanceof String || value instanceof Boolean || value instanceof Number
                || value instanceof JsonNode) {
            return;
        }
        if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw new IllegalArgumentException(path + " has a key of type "
                            + (e.getKey() == null ? "null" : e.getKey().getClass().getName())
                            + ": JSON object keys must be strings");
                }
                check(path + "." + key, e.getValue());
            }
            return;
        }
        if (value instanceof Collection<?> list) {
            int i = 0;
            for (Object element : list) {
                check(path + "[" + i++ + "]", element);
            }
            return;
        }
        if (value instanceof Object[] array) {
            for (int i = 0; i < array.length; i++) {
                check(path + "[" + i + "]", array[i]);
            }
            return;
        }
        throw new IllegalArgumentException(path + " is a " + value.getClass().getName() + ", which is not JSON:"
                + " agentstore stores LangGraph4j states as jsonb, so a state value must be null, a String, a Boolean,"
                + " a Number, a List, a Map with String keys or a JsonNode (convert it in the node, for example to a"
                + " Map)");
    }
}
