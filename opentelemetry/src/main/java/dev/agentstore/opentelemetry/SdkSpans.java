package dev.agentstore.opentelemetry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.KeyValue;
import io.opentelemetry.api.common.Value;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.List;

/** The SDK's {@link SpanData} as an {@link OtlpSpan}. Stateless. */
final class SdkSpans {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private SdkSpans() {
    }

    static OtlpSpan of(SpanData span) {
        SpanContext parent = span.getParentSpanContext();
        String traceState = span.getSpanContext().getTraceState().isEmpty() ? null
                : traceState(span.getSpanContext());
        ArrayNode events = NODES.arrayNode();
        for (EventData e : span.getEvents()) {
            events.addObject().put("name", e.getName()).put("timeUnixNano", Long.toUnsignedString(e.getEpochNanos()))
                    .set("attributes", attributes(e.getAttributes()));
        }
        ArrayNode links = NODES.arrayNode();
        for (LinkData l : span.getLinks()) {
            ObjectNode link = links.addObject().put("traceId", l.getSpanContext().getTraceId())
                    .put("spanId", l.getSpanContext().getSpanId());
            if (!l.getSpanContext().getTraceState().isEmpty()) {
                link.put("traceState", traceState(l.getSpanContext()));
            }
            link.set("attributes", attributes(l.getAttributes()));
        }
        InstrumentationScopeInfo scopeInfo = span.getInstrumentationScopeInfo();
        ObjectNode scope = NODES.objectNode().put("name", scopeInfo.getName());
        if (scopeInfo.getVersion() != null) {
            scope.put("version", scopeInfo.getVersion());
        }
        if (!scopeInfo.getAttributes().isEmpty()) {
            scope.set("attributes", attributes(scopeInfo.getAttributes()));
        }
        String description = span.getStatus().getDescription();
        return new OtlpSpan(span.getTraceId(), span.getSpanId(), parent.isValid() ? parent.getSpanId() : null,
                traceState, span.getName(), span.getKind().name(), span.getStartEpochNanos(),
                span.hasEnded() ? span.getEndEpochNanos() : null, span.getStatus().getStatusCode().name(),
                description == null || description.isEmpty() ? null : description, attributes(span.getAttributes()),
                events, links, attributes(span.getResource().getAttributes()), scope);
    }

    private static String traceState(SpanContext context) {
        StringBuilder w3c = new StringBuilder();
        context.getTraceState().forEach((k, v) -> w3c.append(w3c.length() == 0 ? "" : ",").append(k).append('=').append(v));
        return w3c.toString();
    }

    static ObjectNode attributes(Attributes attributes) {
        ObjectNode out = NODES.objectNode();
        attributes.forEach((key, value) -> out.set(key.getKey(), value(value)));
        return out;
    }

    /** An attribute value (String, Boolean, Long, Double, a list of those, or a {@link Value}) as JSON. */
    private static JsonNode value(Object value) {
        if (value instanceof String s) {
            return NODES.textNode(s);
        }
        if (value instanceof Boolean b) {
            return NODES.booleanNode(b);
        }
        if (value instanceof Long l) {
            return NODES.numberNode(l);
        }
        if (value instanceof Double d) {
            return Double.isFinite(d) ? NODES.numberNode(d) : NODES.textNode(d.toString()); // JSON has no NaN
        }
        if (value instanceof List<?> list) {
            ArrayNode array = NODES.arrayNode();
            list.forEach(v -> array.add(value(v)));
            return array;
        }
        if (value instanceof Value<?> v) {
            return switch (v.getType()) {
                case KEY_VALUE_LIST -> {
                    ObjectNode object = NODES.objectNode();
                    for (Object e : (List<?>) v.getValue()) {
                        KeyValue kv = (KeyValue) e;
                        object.set(kv.getKey(), value(kv.getValue()));
                    }
                    yield object;
                }
                case BYTES -> {
                    ByteBuffer bytes = ((ByteBuffer) v.getValue()).duplicate();
                    byte[] copy = new byte[bytes.remaining()];
                    bytes.get(copy);
                    yield NODES.textNode(Base64.getEncoder().encodeToString(copy));
                }
                case EMPTY -> NODES.nullNode();
                default -> value(v.getValue());
            };
        }
        return value == null ? NODES.nullNode() : NODES.textNode(String.valueOf(value));
    }
}
