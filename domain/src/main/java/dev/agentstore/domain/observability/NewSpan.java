package dev.agentstore.domain.observability;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * A span to create: what {@code SpanRepository.create} and {@code createAll} take. Build one with
 * {@link #builder(String, String, String, SpanType, Instant)}:
 *
 * <pre>{@code
 * NewSpan span = NewSpan.builder(traceId, spanId, "agent.run", SpanType.AGENT_RUN, startedAt)
 *         .entity(SpanEntity.of("agent", "support", "support-agent"))
 *         .runId(runId)
 *         .attributes(Json.parse("attributes", "{\"gen_ai.request.model\":\"gpt-4o\"}"))
 *         .build();
 * }</pre>
 *
 * <p>Times are truncated to microseconds (PostgreSQL's precision). The JSON values are taken as given, not copied:
 * do not change them until the span is written. Their size limits are checked by the repository.
 *
 * @param traceId      the trace's id, 32 lower-case hex digits, not all zeros
 * @param spanId       the span's id, 16 lower-case hex digits, not all zeros
 * @param parentSpanId the parent span's id (16 hex digits, not {@code spanId}), or {@code null} for a trace's root
 * @param name         the span's name, 1–{@value #MAX_NAME_LENGTH} characters
 * @param type         what the span records
 * @param entity       what it ran for ({@link SpanEntity#NONE} when {@code null} is given)
 * @param runId        the agentstore flow run it belongs to, or {@code null}
 * @param threadId     the memory thread, or {@code null}
 * @param resourceId   the memory resource, or {@code null}
 * @param userId       the user, or {@code null}
 * @param startedAt    when it started
 * @param endedAt      when it ended (not before {@code startedAt}), or {@code null} while it runs
 * @param status       OpenTelemetry's status ({@link SpanStatus#UNSET} when {@code null} is given)
 * @param error        the error's details (any JSON), or {@code null}
 * @param input        the input (any JSON), or {@code null}
 * @param output       the output (any JSON), or {@code null}
 * @param attributes   a JSON object ({@code {}} when {@code null} is given); names follow OpenTelemetry's GenAI
 *                     conventions where they apply ({@code gen_ai.request.model}, {@code gen_ai.usage.input_tokens})
 * @param metadata     a JSON object ({@code {}} when {@code null} is given)
 */
public record NewSpan(String traceId, String spanId, String parentSpanId, String name, SpanType type,
                      SpanEntity entity, String runId, String threadId, String resourceId, String userId,
                      Instant startedAt, Instant endedAt, SpanStatus status, JsonNode error, JsonNode input,
                      JsonNode output, JsonNode attributes, JsonNode metadata) {

    /** Longest span name: 1,024 characters. */
    public static final int MAX_NAME_LENGTH = 1024;

    /**
     * @throws InvalidInputException when a value is invalid; the message names it
     */
    public NewSpan {
        TraceIds.requireTraceId("traceId", traceId);
        TraceIds.requireSpanId("spanId", spanId);
        if (parentSpanId != null) {
            TraceIds.requireSpanId("parentSpanId", parentSpanId);
            if (parentSpanId.equals(spanId)) {
                throw new InvalidInputException("parentSpanId must not be the span's own id");
            }
        }
        Check.text("name", name, MAX_NAME_LENGTH);
        Check.notNull("type", type);
        entity = entity == null ? SpanEntity.NONE : entity;
        Check.optionalName("runId", runId);
        Check.optionalName("threadId", threadId);
        Check.optionalName("resourceId", resourceId);
        Check.optionalName("userId", userId);
        startedAt = Check.instant("startedAt", Check.notNull("startedAt", startedAt)).truncatedTo(ChronoUnit.MICROS);
        if (endedAt != null) {
            endedAt = Check.instant("endedAt", endedAt).truncatedTo(ChronoUnit.MICROS);
            if (endedAt.isBefore(startedAt)) {
                throw new InvalidInputException("endedAt must not be before startedAt");
            }
        }
        status = status == null ? SpanStatus.UNSET : status;
        attributes = attributes == null ? Json.object() : object("attributes", attributes);
        metadata = metadata == null ? Json.object() : object("metadata", metadata);
    }

    /** @return whether the span is a trace's root (it has no parent) */
    public boolean isRoot() {
        return parentSpanId == null;
    }

    /**
     * @param traceId   the trace's id, 32 lower-case hex digits
     * @param spanId    the span's id, 16 lower-case hex digits
     * @param name      the span's name
     * @param type      what the span records
     * @param startedAt when it started
     * @return a builder with these values and nothing else set
     */
    public static Builder builder(String traceId, String spanId, String name, SpanType type, Instant startedAt) {
        return new Builder(traceId, spanId, name, type, startedAt);
    }

    private static JsonNode object(String field, JsonNode value) {
        if (!value.isObject()) {
            throw new InvalidInputException(field + " must be a JSON object, was "
                    + value.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
        }
        return value;
    }

    /** Builds a {@link NewSpan}; not thread-safe. Every value is checked by {@link #build()}. */
    public static final class Builder {
        private final String traceId;
        private final String spanId;
        private final String name;
        private final SpanType type;
        private final Instant startedAt;
        private String parentSpanId;
        private SpanEntity entity;
        private String runId;
        private String threadId;
        private String resourceId;
        private String userId;
        private Instant endedAt;
        private SpanStatus status;
        private JsonNode error;
        private JsonNode input;
        private JsonNode output;
        private JsonNode attributes;
        private JsonNode metadata;

        private Builder(String traceId, String spanId, String name, SpanType type, Instant startedAt) {
            this.traceId = traceId;
            this.spanId = spanId;
            this.name = name;
            this.type = type;
            this.startedAt = startedAt;
        }

        /**
         * @param parentSpanId the parent span's id, or {@code null} for a root
         * @return this builder
         */
        public Builder parentSpanId(String parentSpanId) {
            this.parentSpanId = parentSpanId;
            return this;
        }

        /**
         * @param entity what the span ran for
         * @return this builder
         */
        public Builder entity(SpanEntity entity) {
            this.entity = entity;
            return this;
        }

        /**
         * @param runId the agentstore flow run
         * @return this builder
         */
        public Builder runId(String runId) {
            this.runId = runId;
            return this;
        }

        /**
         * @param threadId the memory thread
         * @return this builder
         */
        public Builder threadId(String threadId) {
            this.threadId = threadId;
            return this;
        }

        /**
         * @param resourceId the memory resource
         * @return this builder
         */
        public Builder resourceId(String resourceId) {
            this.resourceId = resourceId;
            return this;
        }

        /**
         * @param userId the user
         * @return this builder
         */
        public Builder userId(String userId) {
            this.userId = userId;
            return this;
        }

        /**
         * @param endedAt when the span ended
         * @return this builder
         */
        public Builder endedAt(Instant endedAt) {
            this.endedAt = endedAt;
            return this;
        }

        /**
         * @param status the span's status
         * @return this builder
         */
        public Builder status(SpanStatus status) {
            this.status = status;
            return this;
        }

        /**
         * @param error the error's details
         * @return this builder
         */
        public Builder error(JsonNode error) {
            this.error = error;
            return this;
        }

        /**
         * @param input the span's input
         * @return this builder
         */
        public Builder input(JsonNode input) {
            this.input = input;
            return this;
        }

        /**
         * @param output the span's output
         * @return this builder
         */
        public Builder output(JsonNode output) {
            this.output = output;
            return this;
        }

        /**
         * @param attributes a JSON object
         * @return this builder
         */
        public Builder attributes(JsonNode attributes) {
            this.attributes = attributes;
            return this;
        }

        /**
         * @param metadata a JSON object
         * @return this builder
         */
        public Builder metadata(JsonNode metadata) {
            this.metadata = metadata;
            return this;
        }

        /**
         * @return the span
         * @throws InvalidInputException when a value is invalid (see {@link NewSpan})
         */
        public NewSpan build() {
            return new NewSpan(traceId, spanId, parentSpanId, name, type, entity, runId, threadId, resourceId, userId,
                    startedAt, endedAt, status, error, input, output, attributes, metadata);
        }
    }
}
