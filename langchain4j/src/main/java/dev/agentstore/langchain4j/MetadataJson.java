package dev.agentstore.langchain4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.json.Json;
import dev.langchain4j.data.document.Metadata;

import java.math.BigDecimal;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * LangChain4j {@link Metadata} as the JSON a chunk stores, and back, keeping every value's Java type.
 *
 * <p>A chunk's {@code payload} holds the values as a JSON object (strings, UUIDs as their text, numbers as JSON
 * numbers: a {@code float} or {@code double} with the digits of {@link Float#toString}/{@link Double#toString}), so
 * filters on {@code payload.<key>} compare them as LangChain4j does. Its {@code meta} holds
 * {@code {"langchain4j":{"segment":true|false,"types":{"<key>":"INTEGER",...}}}}: whether the chunk came with a
 * {@link dev.langchain4j.data.segment.TextSegment} (its content is then the segment's text) and each value's type
 * ({@code STRING}, {@code UUID}, {@code INTEGER}, {@code LONG}, {@code FLOAT}, {@code DOUBLE}), so reading gives back
 * equal metadata. Stateless and thread-safe.
 */
final class MetadataJson {

    /** The key of the adapter's object in a chunk's {@code meta}. */
    static final String META_KEY = "langchain4j";

    private MetadataJson() {
    }

    /**
     * @param metadata the metadata
     * @return its values as a JSON object
     */
    static ObjectNode payload(Metadata metadata) {
        ObjectNode o = Json.object();
        for (Map.Entry<String, Object> e : metadata.toMap().entrySet()) {
            Object v = e.getValue();
            String key = e.getKey();
            if (v instanceof String s) {
                o.put(key, s);
            } else if (v instanceof UUID u) {
                o.put(key, u.toString());
            } else if (v instanceof Integer i) {
                o.put(key, i);
            } else if (v instanceof Long l) {
                o.put(key, l);
            } else if (v instanceof Float f) {
                o.put(key, new BigDecimal(f.toString()));
            } else if (v instanceof Double d) {
                o.put(key, new BigDecimal(d.toString()));
            } else {
                // Metadata accepts only the types above; a newer LangChain4j may add one
                throw new IllegalArgumentException("metadata key '" + key + "' has a value of type "
                        + v.getClass().getName() + ", which this store does not support");
            }
        }
        return o;
    }

    /**
     * @param metadata the metadata, or {@code null} when the chunk has no segment
     * @return the chunk's {@code meta} object
     */
    static ObjectNode meta(Metadata metadata) {
        ObjectNode adapter = Json.object();
        adapter.put("segment", metadata != null);
        ObjectNode types = adapter.putObject("types");
        if (metadata != null) {
            metadata.toMap().forEach((key, v) -> types.put(key, typeOf(v)));
        }
        ObjectNode meta = Json.object();
        meta.set(META_KEY, adapter);
        return meta;
    }

    /**
     * @param meta a chunk's {@code meta}
     * @return whether the chunk was added with a segment (chunks written by other tools: when their content is not
     *         empty)
     */
    static boolean hasSegment(JsonNode meta, String content) {
        JsonNode segment = meta.path(META_KEY).path("segment");
        return segment.isBoolean() ? segment.booleanValue() : !content.isEmpty();
    }

    /**
     * @param payload a chunk's {@code payload}
     * @param meta    its {@code meta}
     * @return the metadata, each value with its original type (values written by other tools: text as
     *         {@code String}, integral numbers as {@code Integer} or {@code Long}, other numbers as {@code Double};
     *         booleans, objects, arrays and nulls are left out, as LangChain4j's metadata cannot hold them)
     */
    static Metadata metadata(JsonNode payload, JsonNode meta) {
        JsonNode types = meta.path(META_KEY).path("types");
        Map<String, Object> values = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = payload.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Object value = value(e.getValue(), types.path(e.getKey()).asText(""));
            if (value != null) {
                values.put(e.getKey(), value);
            }
        }
        return Metadata.from(values);
    }

    private static Object value(JsonNode v, String type) {
        switch (type) {
            case "STRING":
                return v.asText();
            case "UUID":
                return UUID.fromString(v.asText());
            case "INTEGER":
                return v.decimalValue().intValueExact();
            case "LONG":
                return v.decimalValue().longValueExact();
            case "FLOAT":
                return Float.parseFloat(v.asText());
            case "DOUBLE":
                return Double.parseDouble(v.asText());
            default:
                break;
        }
        if (v.isTextual()) {
            return v.textValue();
        }
        if (v.isIntegralNumber() && v.canConvertToInt()) {
            return v.intValue();
        }
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            return v.longValue();
        }
        return v.isNumber() ? v.doubleValue() : null;
    }

    private static String typeOf(Object v) {
        if (v instanceof String) {
            return "STRING";
        }
        if (v instanceof UUID) {
            return "UUID";
        }
        if (v instanceof Integer) {
            return "INTEGER";
        }
        if (v instanceof Long) {
            return "LONG";
        }
        if (v instanceof Float) {
            return "FLOAT";
        }
        if (v instanceof Double) {
            return "DOUBLE";
        }
        throw new IllegalArgumentException("unsupported metadata value type " + v.getClass().getName());
    }
}
