package dev.agentstore.opentelemetry;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.observability.NewSpan;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads OTLP/JSON trace data ({@code ExportTraceServiceRequest}: {@code resourceSpans} → {@code scopeSpans} →
 * {@code spans}) into agentstore spans, mapped as the exporter maps them ({@link AgentStoreSpanExporter}): one
 * document, or several one after the other (JSON Lines, as the OpenTelemetry Collector's file exporter and the SDK's
 * OTLP/JSON logging exporters write them). Ids are hex (the OTLP/JSON rule, not base64), 64-bit integers are numbers or
 * decimal strings, enums are integers or their protobuf names ({@code SPAN_KIND_CLIENT}); unknown fields are ignored.
 *
 * <p>The whole input is read and checked before anything is returned: an error names the line where its document
 * starts and the field's path ({@code line 3: resourceSpans[0].scopeSpans[0].spans[2].traceId must be 32 hex digits}).
 * A span appearing twice (same trace and span id) is an error. Nothing here touches the database; the static methods
 * are thread-safe.
 */
public final class OtlpJson {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Reads one document at a time: what follows it is the next document, not an error. */
    private static final ObjectReader DOCUMENTS = Json.MAPPER.reader()
            .without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final List<String> KINDS = List.of("UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER");
    private static final List<String> STATUS_CODES = List.of("UNSET", "OK", "ERROR");

    private final List<NewSpan> spans = new ArrayList<>();
    private final Set<String> seen = new HashSet<>();
    private long line;

    private OtlpJson() {
    }

    /**
     * Reads an OTLP/JSON file (UTF-8).
     *
     * @param file the file
     * @return its spans, in file order
     * @throws InvalidInputException when the file is not valid JSON or not valid OTLP/JSON trace data, naming the line
     *                               and field
     * @throws IOException           when the file cannot be read
     */
    public static List<NewSpan> read(Path file) throws IOException {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return read(in);
        }
    }

    /**
     * Reads OTLP/JSON text.
     *
     * @param in the text; not closed
     * @return its spans, in input order
     * @throws InvalidInputException when the text is not valid JSON or not valid OTLP/JSON trace data, naming the line
     *                               and field
     * @throws IOException           when reading fails
     */
    public static List<NewSpan> read(Reader in) throws IOException {
        OtlpJson p = new OtlpJson();
        try (JsonParser json = Json.MAPPER.createParser(in)) {
            json.disable(JsonParser.Feature.AUTO_CLOSE_SOURCE);
            JsonToken token;
            while ((token = json.nextToken()) != null) {
                p.line = json.currentTokenLocation().getLineNr();
                if (token != JsonToken.START_OBJECT) {
                    throw p.invalid("", "must be a JSON object (an OTLP/JSON ExportTraceServiceRequest)");
                }
                p.document(DOCUMENTS.readTree(json));
            }
        } catch (JsonProcessingException e) {
            throw new InvalidInputException("line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        return p.spans;
    }

    private void document(JsonNode doc) {
        ArrayNode resourceSpans = array(doc, "resourceSpans", "resourceSpans");
        for (int r = 0; r < resourceSpans.size(); r++) {
            String rPath = "resourceSpans[" + r + "]";
            JsonNode rs = object(resourceSpans.get(r), rPath);
            ObjectNode resource = attributes(rs.path("resource"), rPath + ".resource.attributes");
            ArrayNode scopeSpans = array(rs, "scopeSpans", rPath + ".scopeSpans");
            for (int s = 0; s < scopeSpans.size(); s++) {
                String sPath = rPath + ".scopeSpans[" + s + "]";
                JsonNode ss = object(scopeSpans.get(s), sPath);
                ObjectNode scope = scope(ss.path("scope"), sPath + ".scope");
                ArrayNode list = array(ss, "spans", sPath + ".spans");
                for (int i = 0; i < list.size(); i++) {
                    String path = sPath + ".spans[" + i + "]";
                    OtlpSpan span = span(object(list.get(i), path), path, resource, scope);
                    try {
                        spans.add(SpanMapping.toNewSpan(span));
                    } catch (InvalidInputException e) {
                        throw invalid(path + ":", e.getMessage());
                    }
                }
            }
        }
    }

    private OtlpSpan span(JsonNode n, String path, ObjectNode resource, ObjectNode scope) {
        String traceId = id(n, "traceId", path, 32, true);
        String spanId = id(n, "spanId", path, 16, true);
        if (!seen.add(traceId + spanId)) {
            throw invalid(path + ".spanId", "span " + spanId + " of trace " + traceId + " appears twice");
        }
        String parent = id(n, "parentSpanId", path, 16, false);
        String name = text(n, "name", path);
        if (name == null || name.isEmpty()) {
            throw invalid(path + ".name", "missing or empty");
        }
        long start = nanos(n, "startTimeUnixNano", path, true);
        long end = nanos(n, "endTimeUnixNano", path, false);
        if (end != 0 && end < start) {
            throw invalid(path + ".endTimeUnixNano", "is before startTimeUnixNano");
        }
        String kind = enumValue(n.path("kind"), path + ".kind", "SPAN_KIND_", KINDS);
        JsonNode status = n.path("status");
        String statusCode = enumValue(status.path("code"), path + ".status.code", "STATUS_CODE_", STATUS_CODES);
        String statusMessage = text(status, "message", path + ".status");
        ArrayNode events = NODES.arrayNode();
        ArrayNode eventList = optionalArray(n, "events", path + ".events");
        for (int e = 0; e < eventList.size(); e++) {
            String ePath = path + ".events[" + e + "]";
            JsonNode event = object(eventList.get(e), ePath);
            events.addObject().put("name", text(event, "name", ePath))
                    .put("timeUnixNano", Long.toString(nanos(event, "timeUnixNano", ePath, false)))
                    .set("attributes", attributes(event, ePath + ".attributes"));
        }
        ArrayNode links = NODES.arrayNode();
        ArrayNode linkList = optionalArray(n, "links", path + ".links");
        for (int l = 0; l < linkList.size(); l++) {
            String lPath = path + ".links[" + l + "]";
            JsonNode link = object(linkList.get(l), lPath);
            ObjectNode out = links.addObject().put("traceId", id(link, "traceId", lPath, 32, true))
                    .put("spanId", id(link, "spanId", lPath, 16, true));
            String linkState = text(link, "traceState", lPath);
            if (linkState != null && !linkState.isEmpty()) {
                out.put("traceState", linkState);
            }
            out.set("attributes", attributes(link, lPath + ".attributes"));
        }
        String traceState = text(n, "traceState", path);
        return new OtlpSpan(traceId, spanId, parent, traceState == null || traceState.isEmpty() ? null : traceState,
                name, "UNSPECIFIED".equals(kind) ? null : kind, start, end == 0 ? null : end,
                statusCode,
                statusMessage == null || statusMessage.isEmpty() ? null : statusMessage,
                attributes(n, path + ".attributes"), events, links, resource, scope);
    }

    private ObjectNode scope(JsonNode n, String path) {
        ObjectNode scope = NODES.objectNode();
        if (n.isMissingNode() || n.isNull()) {
            return scope;
        }
        object(n, path);
        String name = text(n, "name", path);
        String version = text(n, "version", path);
        if (name != null && !name.isEmpty()) {
            scope.put("name", name);
        }
        if (version != null && !version.isEmpty()) {
            scope.put("version", version);
        }
        ObjectNode attributes = attributes(n, path + ".attributes");
        if (!attributes.isEmpty()) {
            scope.set("attributes", attributes);
        }
        return scope;
    }

    /** The {@code attributes} list ({@code [{"key", "value": AnyValue}]}) of {@code owner}, as a JSON object. */
    private ObjectNode attributes(JsonNode owner, String path) {
        ObjectNode out = NODES.objectNode();
        if (owner.isMissingNode() || owner.isNull()) {
            return out;
        }
        ArrayNode list = optionalArray(owner, "attributes", path);
        for (int i = 0; i < list.size(); i++) {
            String aPath = path + "[" + i + "]";
            JsonNode kv = object(list.get(i), aPath);
            out.set(key(kv, aPath), anyValue(kv.path("value"), aPath + ".value"));
        }
        return out;
    }

    private String key(JsonNode kv, String path) {
        String key = text(kv, "key", path);
        if (key == null || key.isEmpty()) {
            throw invalid(path + ".key", "missing or empty");
        }
        return key;
    }

    /** An OTLP {@code AnyValue} as JSON; an empty or missing one is {@code null}. */
    private JsonNode anyValue(JsonNode v, String path) {
        if (v.isMissingNode() || v.isNull() || v.isEmpty() && v.isObject()) {
            return NODES.nullNode();
        }
        object(v, path);
        if (v.has("stringValue")) {
            return textual(v.get("stringValue"), path + ".stringValue");
        }
        if (v.has("boolValue")) {
            if (!v.get("boolValue").isBoolean()) {
                throw invalid(path + ".boolValue", "must be true or false");
            }
            return v.get("boolValue");
        }
        if (v.has("intValue")) {
            return NODES.numberNode(int64(v.get("intValue"), path + ".intValue"));
        }
        if (v.has("doubleValue")) {
            JsonNode d = v.get("doubleValue");
            if (d.isNumber()) {
                return d;
            }
            if (d.isTextual() && List.of("NaN", "Infinity", "-Infinity").contains(d.asText())) {
                return d; // protobuf's JSON names for what JSON numbers cannot hold
            }
            throw invalid(path + ".doubleValue", "must be a number");
        }
        if (v.has("bytesValue")) {
            return textual(v.get("bytesValue"), path + ".bytesValue"); // base64, kept as it came
        }
        if (v.has("arrayValue")) {
            ArrayNode out = NODES.arrayNode();
            ArrayNode values = optionalArray(object(v.get("arrayValue"), path + ".arrayValue"), "values",
                    path + ".arrayValue.values");
            for (int i = 0; i < values.size(); i++) {
                out.add(anyValue(values.get(i), path + ".arrayValue.values[" + i + "]"));
            }
            return out;
        }
        if (v.has("kvlistValue")) {
            JsonNode kvlist = object(v.get("kvlistValue"), path + ".kvlistValue");
            ObjectNode out = NODES.objectNode();
            ArrayNode values = optionalArray(kvlist, "values", path + ".kvlistValue.values");
            for (int i = 0; i < values.size(); i++) {
                String kvPath = path + ".kvlistValue.values[" + i + "]";
                JsonNode kv = object(values.get(i), kvPath);
                out.set(key(kv, kvPath), anyValue(kv.path("value"), kvPath + ".value"));
            }
            return out;
        }
        throw invalid(path, "has none of stringValue, boolValue, intValue, doubleValue, bytesValue, arrayValue,"
                + " kvlistValue");
    }

    private String id(JsonNode owner, String field, String path, int digits, boolean required) {
        String value = text(owner, field, path);
        if (value == null || value.isEmpty()) {
            if (required) {
                throw invalid(path + "." + field, "missing");
            }
            return null;
        }
        String hex = value.toLowerCase(Locale.ROOT);
        if (hex.length() != digits || !hex.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
            throw invalid(path + "." + field, "must be " + digits + " hex digits (OTLP/JSON writes ids in hex, not base64)");
        }
        if (hex.chars().allMatch(c -> c == '0')) {
            if (required) {
                throw invalid(path + "." + field, "must not be all zeros (W3C's invalid id)");
            }
            return null;
        }
        return hex;
    }

    private long nanos(JsonNode owner, String field, String path, boolean required) {
        JsonNode v = owner.path(field);
        if (v.isMissingNode() || v.isNull()) {
            if (required) {
                throw invalid(path + "." + field, "missing");
            }
            return 0;
        }
        long nanos = int64(v, path + "." + field);
        if (nanos < 0 || required && nanos == 0) {
            throw invalid(path + "." + field, "must be nanoseconds since the epoch, after 1970 and before 2262");
        }
        return nanos;
    }

    private long int64(JsonNode v, String path) {
        try {
            if (v.isIntegralNumber() && v.canConvertToLong()) {
                return v.asLong();
            }
            if (v.isTextual()) {
                return Long.parseLong(v.asText());
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw invalid(path, "must be a 64-bit integer (a number or a decimal string)");
    }

    private String enumValue(JsonNode v, String path, String prefix, List<String> names) {
        if (v.isMissingNode() || v.isNull()) {
            return names.get(0);
        }
        if (v.isIntegralNumber() && v.asInt() >= 0 && v.asInt() < names.size()) {
            return names.get(v.asInt());
        }
        if (v.isTextual() && v.asText().startsWith(prefix) && names.contains(v.asText().substring(prefix.length()))) {
            return v.asText().substring(prefix.length());
        }
        throw invalid(path, "must be 0–" + (names.size() - 1) + " or " + prefix + "…, one of " + names);
    }

    private String text(JsonNode owner, String field, String path) {
        JsonNode v = owner.path(field);
        if (v.isMissingNode() || v.isNull()) {
            return null;
        }
        return textual(v, path + "." + field).asText();
    }

    private JsonNode textual(JsonNode v, String path) {
        if (!v.isTextual()) {
            throw invalid(path, "must be a string");
        }
        return v;
    }

    private JsonNode object(JsonNode v, String path) {
        if (!v.isObject()) {
            throw invalid(path, "must be a JSON object");
        }
        return v;
    }

    private ArrayNode array(JsonNode owner, String field, String path) {
        JsonNode v = owner.path(field);
        if (!v.isArray()) {
            throw invalid(path, v.isMissingNode() ? "missing (an array is expected)" : "must be an array");
        }
        return (ArrayNode) v;
    }

    private ArrayNode optionalArray(JsonNode owner, String field, String path) {
        JsonNode v = owner.path(field);
        return v.isMissingNode() || v.isNull() ? NODES.arrayNode() : array(owner, field, path);
    }

    private InvalidInputException invalid(String path, String what) {
        return new InvalidInputException("line " + line + ": " + (path.isEmpty() ? "the document" : path) + " " + what);
    }
}
