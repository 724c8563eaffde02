package dev.agentstore.domain.observability;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Currency;

/**
 * The token usage of one LLM call (or of one step's calls) to record: provider and model, input, output and total
 * tokens (total defaults to input + output), optionally reasoning and cached input tokens, the cost with its
 * currency, and what it belongs to: a flow run and step, a trace and span, an agent. Built with {@link #builder};
 * immutable.
 *
 * @param provider          the provider, for example {@code openai}; 1–255 characters
 * @param model             the model, for example {@code gpt-4o-mini}; 1–255 characters
 * @param inputTokens       input (prompt) tokens, 0 or more
 * @param outputTokens      output (completion) tokens, 0 or more
 * @param totalTokens       total tokens, 0 or more (as the provider reports it; the builder's default is input +
 *                          output)
 * @param reasoningTokens   reasoning tokens, or {@code null}
 * @param cachedInputTokens input tokens served from the provider's cache, or {@code null}
 * @param cost              the cost, 0 or more, below 10<sup>18</sup>, at most 12 decimals, or {@code null} when
 *                          unknown; kept without trailing zeros ({@code 1.50} becomes {@code 1.5}) as it reads back
 * @param currency          the cost's ISO 4217 currency code ({@code USD}), required with a cost and only then
 * @param flowName          the flow of the run, or {@code null}; required with {@code runId}
 * @param runId             the run's id, or {@code null}; required with {@code stepId}
 * @param stepId            the step's id, or {@code null}
 * @param traceId           the trace (32 lowercase hex characters), or {@code null}
 * @param spanId            the span (16 lowercase hex characters), or {@code null}; needs {@code traceId}
 * @param agentId           the agent that made the call, or {@code null}
 * @param createdAt         when the usage happened (truncated to microseconds), or {@code null} for the store's
 *                          clock at the time of recording
 */
public record NewLlmUsage(String provider, String model, long inputTokens, long outputTokens, long totalTokens,
                          Long reasoningTokens, Long cachedInputTokens, BigDecimal cost, String currency,
                          String flowName, String runId, String stepId, String traceId, String spanId, String agentId,
                          Instant createdAt) {

    /** The largest cost accepted: below 10<sup>18</sup> (the column is {@code numeric(30, 12)}). */
    public static final BigDecimal MAX_COST = new BigDecimal("1e18");

    /**
     * Validates every value.
     *
     * @throws InvalidInputException when a value is invalid; the message names it
     */
    public NewLlmUsage {
        Check.name("provider", provider);
        Check.name("model", model);
        Check.notNegative("inputTokens", inputTokens);
        Check.notNegative("outputTokens", outputTokens);
        Check.notNegative("totalTokens", totalTokens);
        if (reasoningTokens != null) {
            Check.notNegative("reasoningTokens", reasoningTokens);
        }
        if (cachedInputTokens != null) {
            Check.notNegative("cachedInputTokens", cachedInputTokens);
        }
        if (cost != null) {
            if (cost.signum() < 0 || cost.compareTo(MAX_COST) >= 0) {
                throw new InvalidInputException("cost must be at least 0 and below 1e18");
            }
            if (cost.stripTrailingZeros().scale() > 12) {
                throw new InvalidInputException("cost must have at most 12 decimals");
            }
            if (currency == null) {
                throw new InvalidInputException("currency is required with a cost");
            }
            cost = cost.stripTrailingZeros();
            if (cost.scale() < 0) {
                cost = cost.setScale(0);
            }
        } else if (currency != null) {
            throw new InvalidInputException("currency is given without a cost");
        }
        if (currency != null) {
            requireCurrency(currency);
        }
        Check.optionalName("flowName", flowName);
        Check.optionalName("runId", runId);
        Check.optionalName("stepId", stepId);
        if (runId != null && flowName == null) {
            throw new InvalidInputException("runId needs a flowName");
        }
        if (stepId != null && runId == null) {
            throw new InvalidInputException("stepId needs a runId");
        }
        TraceIds.optionalTraceId("traceId", traceId);
        TraceIds.optionalSpanId("spanId", spanId);
        if (spanId != null && traceId == null) {
            throw new InvalidInputException("spanId needs a traceId");
        }
        Check.optionalName("agentId", agentId);
        createdAt = createdAt == null ? null : Check.instant("createdAt", createdAt).truncatedTo(ChronoUnit.MICROS);
    }

    /**
     * Starts a usage record.
     *
     * @param provider     the provider
     * @param model        the model
     * @param inputTokens  input tokens
     * @param outputTokens output tokens
     * @return a builder, total tokens set to {@code inputTokens + outputTokens}; {@link Builder#build()} validates
     */
    public static Builder builder(String provider, String model, long inputTokens, long outputTokens) {
        return new Builder(provider, model, inputTokens, outputTokens);
    }

    /**
     * @param currency an ISO 4217 code
     * @return {@code currency}
     * @throws InvalidInputException when it is not three capital letters or not a currency the JDK knows
     */
    public static String requireCurrency(String currency) {
        if (currency == null || !currency.matches("[A-Z]{3}")) {
            throw new InvalidInputException("currency must be an ISO 4217 code of three capital letters");
        }
        try {
            Currency.getInstance(currency);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("currency is not an ISO 4217 code");
        }
        return currency;
    }

    /**
     * @param at the time to give a record without one
     * @return this record with {@code createdAt} set to {@code at} when it has none
     */
    public NewLlmUsage at(Instant at) {
        return createdAt != null ? this : new NewLlmUsage(provider, model, inputTokens, outputTokens, totalTokens,
                reasoningTokens, cachedInputTokens, cost, currency, flowName, runId, stepId, traceId, spanId, agentId,
                at);
    }

    /** Collects a usage record's values; not thread-safe. Every setter returns the builder. */
    public static final class Builder {
        private final String provider;
        private final String model;
        private final long inputTokens;
        private final long outputTokens;
        private long totalTokens;
        private Long reasoningTokens;
        private Long cachedInputTokens;
        private BigDecimal cost;
        private String currency;
        private String flowName;
        private String runId;
        private String stepId;
        private String traceId;
        private String spanId;
        private String agentId;
        private Instant createdAt;

        private Builder(String provider, String model, long inputTokens, long outputTokens) {
            this.provider = provider;
            this.model = model;
            this.inputTokens = inputTokens;
            this.outputTokens = outputTokens;
            this.totalTokens = inputTokens + outputTokens;
        }

        /**
         * @param totalTokens the total as the provider reports it
         * @return this builder
         */
        public Builder totalTokens(long totalTokens) {
            this.totalTokens = totalTokens;
            return this;
        }

        /**
         * @param reasoningTokens reasoning tokens, or {@code null}
         * @return this builder
         */
        public Builder reasoningTokens(Long reasoningTokens) {
            this.reasoningTokens = reasoningTokens;
            return this;
        }

        /**
         * @param cachedInputTokens cached input tokens, or {@code null}
         * @return this builder
         */
        public Builder cachedInputTokens(Long cachedInputTokens) {
            this.cachedInputTokens = cachedInputTokens;
            return this;
        }

        /**
         * @param cost     the cost, or {@code null}
         * @param currency its ISO 4217 code, or {@code null} without a cost
         * @return this builder
         */
        public Builder cost(BigDecimal cost, String currency) {
            this.cost = cost;
            this.currency = currency;
            return this;
        }

        /**
         * @param flowName the run's flow
         * @param runId    the run's id
         * @param stepId   the step's id, or {@code null}
         * @return this builder
         */
        public Builder run(String flowName, String runId, String stepId) {
            this.flowName = flowName;
            this.runId = runId;
            this.stepId = stepId;
            return this;
        }

        /**
         * @param flowName the flow, for usage not tied to one run
         * @return this builder
         */
        public Builder flowName(String flowName) {
            this.flowName = flowName;
            return this;
        }

        /**
         * @param traceId the trace, 32 lowercase hex characters
         * @param spanId  the span, 16 lowercase hex characters, or {@code null}
         * @return this builder
         */
        public Builder span(String traceId, String spanId) {
            this.traceId = traceId;
            this.spanId = spanId;
            return this;
        }

        /**
         * @param agentId the agent that made the call
         * @return this builder
         */
        public Builder agentId(String agentId) {
            this.agentId = agentId;
            return this;
        }

        /**
         * @param createdAt when the usage happened, or {@code null} for the store's clock
         * @return this builder
         */
        public Builder createdAt(Instant createdAt) {
            this.createdAt = createdAt;
            return this;
        }

        /**
         * @return the usage record
         * @throws InvalidInputException when a value is invalid (see {@link NewLlmUsage})
         */
        public NewLlmUsage build() {
            return new NewLlmUsage(provider, model, inputTokens, outputTokens, totalTokens, reasoningTokens,
                    cachedInputTokens, cost, currency, flowName, runId, stepId, traceId, spanId, agentId, createdAt);
        }
    }
}
