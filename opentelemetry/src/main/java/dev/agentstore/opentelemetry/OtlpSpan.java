package dev.agentstore.opentelemetry;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One span in OpenTelemetry's data model, as both sources hand it over (the SDK's {@code SpanData}, an OTLP/JSON
 * file), before {@link SpanMapping} turns it into an agentstore span. Attribute values are already JSON (strings,
 * booleans, numbers, arrays, objects for key-value lists, base64 strings for bytes).
 *
 * @param traceId       32 lowercase hex digits, not all zero
 * @param spanId        16 lowercase hex digits, not all zero
 * @param parentSpanId  16 lowercase hex digits, or {@code null} for a root span
 * @param traceState    the W3C trace state, or {@code null} when empty
 * @param name          the span name
 * @param kind          {@code INTERNAL}, {@code SERVER}, {@code CLIENT}, {@code PRODUCER}, {@code CONSUMER}, or
 *                      {@code null} when unspecified
 * @param startNanos    start, nanoseconds since the epoch
 * @param endNanos      end, nanoseconds since the epoch, or {@code null} when the span has not ended
 * @param statusCode    {@code UNSET}, {@code OK} or {@code ERROR}
 * @param statusMessage the status description, or {@code null}
 * @param attributes    the span's attributes by name
 * @param events        {@code [{"name", "timeUnixNano", "attributes"}]}
 * @param links         {@code [{"traceId", "spanId", "traceState", "attributes"}]}
 * @param resource      the resource's attributes by name
 * @param scope         {@code {"name", "version", "attributes"}} of the instrumentation scope
 */
record OtlpSpan(String traceId, String spanId, String parentSpanId, String traceState, String name, String kind,
                long startNanos, Long endNanos, String statusCode, String statusMessage, ObjectNode attributes,
                ArrayNode events, ArrayNode links, ObjectNode resource, ObjectNode scope) {
}
