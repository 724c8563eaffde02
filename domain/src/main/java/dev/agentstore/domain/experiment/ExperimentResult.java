package dev.agentstore.domain.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.ReadOnlyEntity;
import dev.agentstore.domain.dataset.Dataset;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.Immutable;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.Instant;
import java.util.Objects;

/**
 * The result of one dataset item in an experiment (table {@code experiment_results}), one row per experiment and
 * item: the target's output, the latency in milliseconds, the error when the item failed, the OpenTelemetry trace id
 * of the item's run, and the scores as a JSON object of scorer id → number.
 *
 * <p>Written by {@code ExperimentRepository} with SQL; read-only to JPA ({@link ReadOnlyEntity}). Two instances are
 * equal when they have the same row id.
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "experiment_results")
public class ExperimentResult {

    /** Assigned by the column's identity default when the repository inserts the row. */
    @Id
    @Column(name = "id")
    private Long id;

    @Column(name = "experiment_id", nullable = false, length = Check.MAX_NAME_LENGTH)
    private String experimentId;

    @Column(name = "item_id", nullable = false, length = Check.MAX_NAME_LENGTH)
    private String itemId;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "output", columnDefinition = "jsonb")
    private JsonNode output;

    @Column(name = "latency_ms")
    private Long latencyMs;

    @Column(name = "error", columnDefinition = "text")
    private String error;

    @Column(name = "trace_id", length = 32)
    private String traceId;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "scores", columnDefinition = "jsonb", nullable = false)
    private JsonNode scores;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    @Column(name = "updated_at", nullable = false)
    private Instant updatedAt;

    /** For JPA. */
    protected ExperimentResult() {
    }

    /**
     * A result as stored, for the repository.
     *
     * @param id           the row's id
     * @param experimentId the experiment's id
     * @param itemId       the dataset item's id
     * @param values       output, latency, error, trace id and scores, validated
     * @param createdAt    when the result was first recorded
     * @param updatedAt    when it was last recorded
     * @return the result
     * @throws dev.agentstore.domain.InvalidInputException when a value is invalid
     */
    public static ExperimentResult recorded(long id, String experimentId, String itemId, ResultValues values,
                                            Instant createdAt, Instant updatedAt) {
        ExperimentResult r = new ExperimentResult();
        r.id = id;
        r.experimentId = Dataset.requireId("experimentId", experimentId);
        r.itemId = Dataset.requireId("itemId", itemId);
        Check.notNull("values", values);
        r.output = values.output();
        r.latencyMs = values.latencyMs();
        r.error = values.error();
        r.traceId = values.traceId();
        r.scores = values.scores();
        r.createdAt = Check.notNull("createdAt", createdAt);
        r.updatedAt = Check.notNull("updatedAt", updatedAt);
        return r;
    }

    /** @return the row's id */
    public Long id() {
        return id;
    }

    /** @return the experiment's id */
    public String experimentId() {
        return experimentId;
    }

    /** @return the dataset item's id */
    public String itemId() {
        return itemId;
    }

    /** @return a copy of the target's output, or {@code null} when there is none */
    public JsonNode output() {
        return output == null ? null : output.deepCopy();
    }

    /** @return the item's latency in milliseconds, or {@code null} when not measured */
    public Long latencyMs() {
        return latencyMs;
    }

    /** @return the item's error message when it failed, else {@code null} */
    public String error() {
        return error;
    }

    /** @return whether the item succeeded (it has no error) */
    public boolean succeeded() {
        return error == null;
    }

    /** @return the OpenTelemetry trace id of the item's run (32 lowercase hex digits), or {@code null} */
    public String traceId() {
        return traceId;
    }

    /** @return a copy of the scores, a JSON object of scorer id → number */
    public ObjectNode scores() {
        return (ObjectNode) scores.deepCopy();
    }

    /** @return when the result was first recorded */
    public Instant createdAt() {
        return createdAt;
    }

    /** @return when the result was last recorded */
    public Instant updatedAt() {
        return updatedAt;
    }

    /** @return the values as a {@link ResultValues} */
    public ResultValues values() {
        return new ResultValues(output, latencyMs, error, traceId, scores);
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof ExperimentResult other && id != null && id.equals(other.id);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(id);
    }

    @Override
    public String toString() {
        return "ExperimentResult[" + experimentId + "/" + itemId + (error == null ? " succeeded" : " failed") + "]";
    }
}
