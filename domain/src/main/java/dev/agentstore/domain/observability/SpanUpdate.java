package dev.agentstore.domain.observability;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * A change to a stored span, for {@code SpanRepository.update} and {@code updateAll}: every part is optional, and
 * what is {@code null} stays as it is. {@code endedAt}, {@code status}, {@code error} and {@code output} replace the
 * stored value; {@code attributes} and {@code metadata} are merged into the stored object at the top level
 * (PostgreSQL's {@code ||}: the given keys replace the stored ones of the same name, the others stay).
 *
 * <pre>{@code
 * store.spans().update(SpanUpdate.of(traceId, spanId)
 *         .ended(clock.instant(), SpanStatus.OK)
 *         .withOutput(Json.parse("output", "{\"text\":\"done\"}")));
 * }</pre>
 *
 * <p>A span's {@code started_at} is its partition key and never changes.
 *
 * @param traceId    the span's trace id, 32 lower-case hex digits
 * @param spanId     the span's id, 16 lower-case hex digits
 * @param endedAt    the new end time (microseconds), or {@code null}
 * @param status     the new status, or {@code null}
 * @param error      the new error details, or {@code null}
 * @param output     the new output, or {@code null}
 * @param attributes a JSON object merged into the attributes, or {@code null}
 * @param metadata   a JSON object merged into the metadata, or {@code null}
 */
public record SpanUpdate(String traceId, String spanId, Instant endedAt, SpanStatus status, JsonNode error,
                         JsonNode output, JsonNode attributes, JsonNode metadata) {

    /**
     * @throws InvalidInputException when an id is invalid, {@code endedAt} is outside PostgreSQL's range, or
     *                               {@code attributes} or {@code metadata} is not a JSON object
     */
    public SpanUpdate {
        TraceIds.requireTraceId("traceId", traceId);
        TraceIds.requireSpanId("spanId", spanId);
        endedAt = endedAt == null ? null : Check.instant("endedAt", endedAt).truncatedTo(ChronoUnit.MICROS);
        requireObject("attributes", attributes);
        requireObject("metadata", metadata);
    }

    /**
     * @param traceId the span's trace id
     * @param spanId  the span's id
     * @return an update that changes nothing yet
     */
    public static SpanUpdate of(String traceId, String spanId) {
        return new SpanUpdate(traceId, spanId, null, null, null, null, null, null);
    }

    /**
     * @param ended  when the span ended
     * @param result its status
     * @return this update, also ending the span with that status
     */
    public SpanUpdate ended(Instant ended, SpanStatus result) {
        return new SpanUpdate(traceId, spanId, ended, result, error, output, attributes, metadata);
    }

    /**
     * @param ended   when the span ended
     * @param details the error's details
     * @return this update, also ending the span with {@link SpanStatus#ERROR} and the error
     */
    public SpanUpdate failed(Instant ended, JsonNode details) {
        return new SpanUpdate(traceId, spanId, ended, SpanStatus.ERROR, details, output, attributes, metadata);
    }

    /**
     * @param value the output
     * @return this update, also setting the output
     */
    public SpanUpdate withOutput(JsonNode value) {
        return new SpanUpdate(traceId, spanId, endedAt, status, error, value, attributes, metadata);
    }

    /**
     * @param value a JSON object merged into the attributes
     * @return this update, also merging the attributes
     */
    public SpanUpdate withAttributes(JsonNode value) {
        return new SpanUpdate(traceId, spanId, endedAt, status, error, output, value, metadata);
    }

    /**
     * @param value a JSON object merged into the metadata
     * @return this update, also merging the metadata
     */
    public SpanUpdate withMetadata(JsonNode value) {
        return new SpanUpdate(traceId, spanId, endedAt, status, error, output, attributes, value);
    }

    private static void requireObject(String field, JsonNode value) {
        if (value != null && !value.isObject()) {
            throw new InvalidInputException(field + " must be a JSON object");
        }
    }
}
