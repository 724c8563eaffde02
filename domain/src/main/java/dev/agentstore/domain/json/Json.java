package dev.agentstore.domain.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.agentstore.domain.InvalidInputException;

import java.util.Iterator;
import java.util.Map;

/**
 * JSON values of agentstore's JSONB columns, as Jackson {@link JsonNode} trees (value equality, every JSON value
 * including {@code 0}, {@code false}, {@code ""} and {@code null}), and JSON Merge Patch (RFC 7386).
 *
 * <p>Entities hand out defensive copies ({@link JsonNode#deepCopy()}) of their JSON fields, so a caller cannot
 * change an entity's state behind its back, and Hibernate's dirty check (which compares with
 * {@link JsonNode#equals(Object)}) issues no UPDATE for a value that did not change.
 */
public final class Json {

    /** The nesting depth {@link #MAPPER} reads and prints: 1000, Jackson's default. */
    public static final int READ_MAX_NESTING_DEPTH = 1000;

    /**
     * The mapper used to parse and print JSON values; configured once, thread-safe. Decimals are read as
     * {@link java.math.BigDecimal} ({@code DecimalNode}), so a value such as {@code 0.12345678901234567890123}
     * round-trips exactly, as {@code jsonb}'s {@code numeric} keeps it; integers stay {@code int}/{@code long}
     * nodes and become {@code BigInteger} only beyond {@code long}.
     *
     * <p>Its {@link StreamReadConstraints} accept everything up to {@link JsonLimits#CEILINGS} (strings, numbers,
     * member names, the whole document) and a nesting depth of {@value #READ_MAX_NESTING_DEPTH} (Jackson's default,
     * above the ceiling, so values written before the limits existed still read), so whatever a store wrote under any
     * configuration reads back; what is <em>written</em> is checked with the store's {@link JsonLimits}.
     */
    public static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxStringLength(JsonLimits.CEILINGS.maxStringLength())
                            .maxNumberLength(JsonLimits.CEILINGS.maxNumberLength())
                            .maxNameLength(JsonLimits.CEILINGS.maxNameLength())
                            .maxNestingDepth(READ_MAX_NESTING_DEPTH)
                            .build())
                    .streamWriteConstraints(StreamWriteConstraints.builder()
                            .maxNestingDepth(READ_MAX_NESTING_DEPTH)
                            .build())
                    .build())
            .findAndAddModules()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    private Json() {
    }

    /** @return a new empty JSON object */
    public static ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    /**
     * Parses JSON text.
     *
     * @param parameter the parameter's name, for the message
     * @param text      JSON text, any JSON value
     * @return the parsed tree; {@link NullNode} for the text {@code null}
     * @throws InvalidInputException when the text is {@code null}, empty, not valid JSON, or has anything after the
     *                               first JSON value
     */
    public static JsonNode parse(String parameter, String text) {
        if (text == null) {
            throw new InvalidInputException(parameter + " must be JSON text, was null");
        }
        try {
            JsonNode node = MAPPER.readTree(text);
            if (node.isMissingNode()) {
                throw new InvalidInputException(parameter + " is not valid JSON: it is empty");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new InvalidInputException(parameter + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Converts a Java value (maps, lists, strings, numbers, booleans, records, {@code null}) to a JSON tree.
     *
     * @param parameter the parameter's name, for the message
     * @param value     the value; {@code null} becomes {@link NullNode}
     * @return a tree that shares nothing with {@code value}
     * @throws InvalidInputException when Jackson cannot represent the value as JSON
     */
    public static JsonNode of(String parameter, Object value) {
        if (value instanceof JsonNode node) {
            return node.deepCopy();
        }
        try {
            JsonNode node = MAPPER.valueToTree(value);
            return node == null ? NullNode.instance : node;
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(parameter + " cannot be converted to JSON: " + e.getMessage(), e);
        }
    }

    /**
     * Requires a JSON object.
     *
     * @param parameter the parameter's name, for the message
     * @param value     the value to check
     * @return a copy of {@code value}
     * @throws InvalidInputException when {@code value} is {@code null} or not a JSON object
     */
    public static ObjectNode requireObject(String parameter, JsonNode value) {
        if (value == null || !value.isObject()) {
            throw new InvalidInputException(parameter + " must be a JSON object, was "
                    + (value == null ? "null" : value.getNodeType().name().toLowerCase()));
        }
        return (ObjectNode) value.deepCopy();
    }

    /**
     * Prints a JSON value compactly.
     *
     * @param value the value; {@code null} prints as {@code null}
     * @return JSON text
     */
    public static String print(JsonNode value) {
        try {
            return MAPPER.writeValueAsString(value == null ? NullNode.instance : value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JsonNode tree always prints", e);
        }
    }

    /**
     * Applies a JSON Merge Patch (RFC 7386): objects
     * merge recursively, a {@code null} member deletes that key, arrays and scalars replace, keys absent from the
     * patch are kept. The database function {@code jsonb_merge_patch(target, patch)} implements the same rules
     * for single-statement upserts.
     *
     * @param target the current value, or {@code null}; not modified
     * @param patch  the patch; when it is not an object it replaces the target
     * @return a new tree
     */
    public static JsonNode mergePatch(JsonNode target, JsonNode patch) {
        if (patch == null) {
            return target == null ? null : target.deepCopy();
        }
        if (!patch.isObject()) {
            return patch.deepCopy();
        }
        ObjectNode result = target != null && target.isObject() ? (ObjectNode) target.deepCopy() : object();
        Iterator<Map.Entry<String, JsonNode>> fields = patch.properties().iterator();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (field.getValue().isNull()) {
                result.remove(field.getKey());
            } else {
                result.set(field.getKey(), mergePatch(result.get(field.getKey()), field.getValue()));
            }
        }
        return result;
    }

    /**
     * Whether a JSON value holds the NUL character (U+0000) in a string or a member name: PostgreSQL's {@code jsonb}
     * cannot store it (SQL state 22P05), so values are checked before anything is written.
     *
     * @param node the value; {@code null} holds nothing
     * @return {@code true} when some string or member name contains U+0000
     */
    public static boolean containsNul(JsonNode node) {
        if (node == null) {
            return false;
        }
        if (node.isTextual()) {
            return node.textValue().indexOf('\0') >= 0;
        }
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                if (field.getKey().indexOf('\0') >= 0 || containsNul(field.getValue())) {
                    return true;
                }
            }
        } else if (node.isArray()) {
            for (JsonNode element : node) {
                if (containsNul(element)) {
                    return true;
                }
            }
        }
        return false;
    }
}
