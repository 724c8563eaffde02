package dev.agentstore.domain.observability;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.ReadOnlyEntity;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.Immutable;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * A recorded LLM usage (table {@code llm_usage}, range-partitioned by {@code created_at}): the values of a
 * {@link NewLlmUsage}, a random UUID and its time. Append-only: never updated; rows leave by
 * {@code LlmUsageRepository.prune} or when the partition maintenance drops their partition.
 *
 * <p>The repository ({@code LlmUsageRepository}) writes and reads the table with SQL; this entity is the mapping for
 * JPA users' reads (JPQL, Criteria), read-only to JPA ({@link ReadOnlyEntity}). The table's primary key is
 * {@code (id, created_at)}; the id alone identifies a record. Two instances are equal when they have the same id.
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "llm_usage")
public class LlmUsage {

    @Id
    @Column(name = "id")
    private UUID id;

    @Column(name = "flow_name")
    private String flowName;

    @Column(name = "run_id")
    private String runId;

    @Column(name = "step_id")
    private String stepId;

    @Column(name = "trace_id", length = 32)
    private String traceId;

    @Column(name = "span_id", length = 16)
    private String spanId;

    @Column(name = "agent_id")
    private String agentId;

    @Column(name = "provider", nullable = false)
    private String provider;

    @Column(name = "model", nullable = false)
    private String model;

    @Column(name = "input_tokens", nullable = false)
    private long inputTokens;

    @Column(name = "output_tokens", nullable = false)
    private long outputTokens;

    @Column(name = "total_tokens", nullable = false)
    private long totalTokens;

    @Column(name = "reasoning_tokens")
    private Long reasoningTokens;

    @Column(name = "cached_input_tokens")
    private Long cachedInputTokens;

    @Column(name = "cost", precision = 30, scale = 12)
    private BigDecimal cost;

    @Column(name = "currency", length = 3)
    private String currency;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    /** For JPA. */
    protected LlmUsage() {
    }

    /**
     * A record as stored: for the repository, which inserts and reads rows with SQL.
     *
     * @param id     the record's id
     * @param values the values, {@code createdAt} set (already validated by {@link NewLlmUsage})
     * @return the stored record
     * @throws dev.agentstore.domain.InvalidInputException when an argument or {@code values.createdAt()} is
     *                                                     {@code null}
     */
    public static LlmUsage stored(UUID id, NewLlmUsage values) {
        Check.notNull("values", values);
        LlmUsage u = new LlmUsage();
        u.id = Check.notNull("id", id);
        u.createdAt = Check.notNull("createdAt", values.createdAt());
        u.flowName = values.flowName();
        u.runId = values.runId();
        u.stepId = values.stepId();
        u.traceId = values.traceId();
        u.spanId = values.spanId();
        u.agentId = values.agentId();
        u.provider = values.provider();
        u.model = values.model();
        u.inputTokens = values.inputTokens();
        u.outputTokens = values.outputTokens();
        u.totalTokens = values.totalTokens();
        u.reasoningTokens = values.reasoningTokens();
        u.cachedInputTokens = values.cachedInputTokens();
        u.cost = values.cost();
        u.currency = values.currency();
        return u;
    }

    /** @return the record's id, a random UUID */
    public UUID id() {
        return id;
    }

    /** @return when the usage happened */
    public Instant createdAt() {
        return createdAt;
    }

    /** @return the run's flow, or {@code null} */
    public String flowName() {
        return flowName;
    }

    /** @return the run's id, or {@code null} */
    public String runId() {
        return runId;
    }

    /** @return the step's id, or {@code null} */
    public String stepId() {
        return stepId;
    }

    /** @return the trace's id, or {@code null} */
    public String traceId() {
        return traceId;
    }

    /** @return the span's id, or {@code null} */
    public String spanId() {
        return spanId;
    }

    /** @return the agent's id, or {@code null} */
    public String agentId() {
        return agentId;
    }

    /** @return the provider */
    public String provider() {
        return provider;
    }

    /** @return the model */
    public String model() {
        return model;
    }

    /** @return input tokens */
    public long inputTokens() {
        return inputTokens;
    }

    /** @return output tokens */
    public long outputTokens() {
        return outputTokens;
    }

    /** @return total tokens */
    public long totalTokens() {
        return totalTokens;
    }

    /** @return reasoning tokens, or {@code null} */
    public Long reasoningTokens() {
        return reasoningTokens;
    }

    /** @return cached input tokens, or {@code null} */
    public Long cachedInputTokens() {
        return cachedInputTokens;
    }

    /** @return the cost without trailing zeros, or {@code null} when unknown */
    public BigDecimal cost() {
        if (cost == null) {
            return null;
        }
        BigDecimal plain = cost.stripTrailingZeros(); // a JPA read has the column's scale, 12
        return plain.scale() < 0 ? plain.setScale(0) : plain;
    }

    /** @return the cost's ISO 4217 code, or {@code null} without a cost */
    public String currency() {
        return currency;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof LlmUsage other && id != null && id.equals(other.id);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(id);
    }

    @Override
    public String toString() {
        return "LlmUsage[" + id + " " + provider + "/" + model + " " + totalTokens + " tokens]";
    }
}
