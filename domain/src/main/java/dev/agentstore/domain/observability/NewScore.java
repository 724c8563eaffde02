package dev.agentstore.domain.observability;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;

/**
 * An evaluation score to save: which scorer gave which value (a finite number, any scale the scorer uses), why, and
 * what it scored: an entity (type and id, for example {@code AGENT}/{@code support-agent}), a run, a trace and span,
 * a resource and thread. Built with {@link #builder}; immutable, the JSON values copied in.
 *
 * <p>The step results follow Mastra's scorer pipeline: {@code preprocessStepResult} and {@code analyzeStepResult}
 * (JSON objects), and {@code prompts} (a JSON object of the prompts the steps used, for example
 * {@code {"analyze": "...", "reason": "..."}}). {@code input} and {@code output} are any JSON; {@code scorer},
 * {@code metadata}, {@code additionalContext} and {@code requestContext} are JSON objects.
 *
 * @param scorerId             the scorer's id, 1–255 characters
 * @param value                the score, a finite number
 * @param source               live or test scoring
 * @param reason               the scorer's explanation, or {@code null}
 * @param entityType           the scored entity's type, or {@code null}; needs {@code entityId}
 * @param entityId             the scored entity's id, or {@code null}
 * @param runId                the scored run's id, or {@code null}
 * @param traceId              the scored trace (32 lowercase hex characters), or {@code null}
 * @param spanId               the scored span (16 lowercase hex characters), or {@code null}; needs {@code traceId}
 * @param resourceId           the resource (user, tenant...) the scored work was for, or {@code null}
 * @param threadId             the conversation thread, or {@code null}
 * @param scorer               the scorer's description (name, type, configuration), a JSON object, or {@code null}
 * @param input                what was scored as input, any JSON, or {@code null}
 * @param output               what was scored as output, any JSON, or {@code null}
 * @param metadata             free-form metadata, a JSON object, or {@code null}
 * @param preprocessStepResult the preprocess step's result, a JSON object, or {@code null}
 * @param analyzeStepResult    the analyze step's result, a JSON object, or {@code null}
 * @param prompts              the prompts the steps used, a JSON object, or {@code null}
 * @param additionalContext    extra context given to the scorer, a JSON object, or {@code null}
 * @param requestContext       the request's context, a JSON object, or {@code null}
 */
public record NewScore(String scorerId, double value, ScoreSource source, String reason, String entityType,
                       String entityId, String runId, String traceId, String spanId, String resourceId,
                       String threadId, JsonNode scorer, JsonNode input, JsonNode output, JsonNode metadata,
                       JsonNode preprocessStepResult, JsonNode analyzeStepResult, JsonNode prompts,
                       JsonNode additionalContext, JsonNode requestContext) {

    /**
     * Validates every value and copies the JSON ones.
     *
     * @throws InvalidInputException when a value is invalid; the message names it
     */
    public NewScore {
        Check.name("scorerId", scorerId);
        if (!Double.isFinite(value)) {
            throw new InvalidInputException("value must be a finite number");
        }
        Check.notNull("source", source);
        Check.noNul("reason", reason);
        Check.optionalName("entityType", entityType);
        Check.optionalName("entityId", entityId);
        if (entityType != null && entityId == null) {
            throw new InvalidInputException("entityType needs an entityId");
        }
        Check.optionalName("runId", runId);
        TraceIds.optionalTraceId("traceId", traceId);
        TraceIds.optionalSpanId("spanId", spanId);
        if (spanId != null && traceId == null) {
            throw new InvalidInputException("spanId needs a traceId");
        }
        Check.optionalName("resourceId", resourceId);
        Check.optionalName("threadId", threadId);
        scorer = object("scorer", scorer);
        input = copy(input);
        output = copy(output);
        metadata = object("metadata", metadata);
        preprocessStepResult = object("preprocessStepResult", preprocessStepResult);
        analyzeStepResult = object("analyzeStepResult", analyzeStepResult);
        prompts = object("prompts", prompts);
        additionalContext = object("additionalContext", additionalContext);
        requestContext = object("requestContext", requestContext);
    }

    /**
     * Starts a score of {@code scorerId} with {@code value}, source {@link ScoreSource#LIVE}.
     *
     * @param scorerId the scorer's id
     * @param value    the score
     * @return a builder; {@link Builder#build()} validates
     */
    public static Builder builder(String scorerId, double value) {
        return new Builder(scorerId, value);
    }

    /** @return a builder holding this score's values */
    public Builder toBuilder() {
        Builder b = new Builder(scorerId, value).source(source).reason(reason).entity(entityType, entityId)
                .runId(runId).span(traceId, spanId).resourceId(resourceId).threadId(threadId).scorer(scorer)
                .input(input).output(output).metadata(metadata).preprocessStepResult(preprocessStepResult)
                .analyzeStepResult(analyzeStepResult).prompts(prompts).additionalContext(additionalContext);
        return b.requestContext(requestContext);
    }

    private static JsonNode object(String parameter, JsonNode value) {
        return value == null ? null : Json.requireObject(parameter, value).deepCopy();
    }

    private static JsonNode copy(JsonNode value) {
        return value == null || value.isNull() ? null : value.deepCopy();
    }

    /** Collects a score's values; not thread-safe. Every setter returns the builder. */
    public static final class Builder {
        private final String scorerId;
        private final double value;
        private ScoreSource source = ScoreSource.LIVE;
        private String reason;
        private String entityType;
        private String entityId;
        private String runId;
        private String traceId;
        private String spanId;
        private String resourceId;
        private String threadId;
        private JsonNode scorer;
        private JsonNode input;
        private JsonNode output;
        private JsonNode metadata;
        private JsonNode preprocessStepResult;
        private JsonNode analyzeStepResult;
        private JsonNode prompts;
        private JsonNode additionalContext;
        private JsonNode requestContext;

        private Builder(String scorerId, double value) {
            this.scorerId = scorerId;
            this.value = value;
        }

        /**
         * @param source live or test scoring
         * @return this builder
         */
        public Builder source(ScoreSource source) {
            this.source = source;
            return this;
        }

        /**
         * @param reason the scorer's explanation
         * @return this builder
         */
        public Builder reason(String reason) {
            this.reason = reason;
            return this;
        }

        /**
         * @param type the scored entity's type, or {@code null}
         * @param id   the scored entity's id
         * @return this builder
         */
        public Builder entity(String type, String id) {
            this.entityType = type;
            this.entityId = id;
            return this;
        }

        /**
         * @param runId the scored run's id
         * @return this builder
         */
        public Builder runId(String runId) {
            this.runId = runId;
            return this;
        }

        /**
         * @param traceId the scored trace, 32 lowercase hex characters
         * @param spanId  the scored span, 16 lowercase hex characters, or {@code null} for the whole trace
         * @return this builder
         */
        public Builder span(String traceId, String spanId) {
            this.traceId = traceId;
            this.spanId = spanId;
            return this;
        }

        /**
         * @param resourceId the resource the scored work was for
         * @return this builder
         */
        public Builder resourceId(String resourceId) {
            this.resourceId = resourceId;
            return this;
        }

        /**
         * @param threadId the conversation thread
         * @return this builder
         */
        public Builder threadId(String threadId) {
            this.threadId = threadId;
            return this;
        }

        /**
         * @param scorer the scorer's description, a JSON object
         * @return this builder
         */
        public Builder scorer(JsonNode scorer) {
            this.scorer = scorer;
            return this;
        }

        /**
         * @param input the scored input, any JSON
         * @return this builder
         */
        public Builder input(JsonNode input) {
            this.input = input;
            return this;
        }

        /**
         * @param output the scored output, any JSON
         * @return this builder
         */
        public Builder output(JsonNode output) {
            this.output = output;
            return this;
        }

        /**
         * @param metadata free-form metadata, a JSON object
         * @return this builder
         */
        public Builder metadata(JsonNode metadata) {
            this.metadata = metadata;
            return this;
        }

        /**
         * @param result the preprocess step's result, a JSON object
         * @return this builder
         */
        public Builder preprocessStepResult(JsonNode result) {
            this.preprocessStepResult = result;
            return this;
        }

        /**
         * @param result the analyze step's result, a JSON object
         * @return this builder
         */
        public Builder analyzeStepResult(JsonNode result) {
            this.analyzeStepResult = result;
            return this;
        }

        /**
         * @param prompts the prompts the steps used, a JSON object
         * @return this builder
         */
        public Builder prompts(JsonNode prompts) {
            this.prompts = prompts;
            return this;
        }

        /**
         * @param context extra context given to the scorer, a JSON object
         * @return this builder
         */
        public Builder additionalContext(JsonNode context) {
            this.additionalContext = context;
            return this;
        }

        /**
         * @param context the request's context, a JSON object
         * @return this builder
         */
        public Builder requestContext(JsonNode context) {
            this.requestContext = context;
            return this;
        }

        /**
         * @return the score
         * @throws InvalidInputException when a value is invalid (see {@link NewScore})
         */
        public NewScore build() {
            return new NewScore(scorerId, value, source, reason, entityType, entityId, runId, traceId, spanId,
                    resourceId, threadId, scorer, input, output, metadata, preprocessStepResult, analyzeStepResult,
                    prompts, additionalContext, requestContext);
        }
    }
}
