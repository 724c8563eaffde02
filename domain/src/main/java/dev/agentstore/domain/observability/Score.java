package dev.agentstore.domain.observability;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.ReadOnlyEntity;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.Immutable;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * A saved evaluation score (table {@code scores}, range-partitioned by {@code created_at}): the values of a
 * {@link NewScore}, a random UUID and the time it was saved. Append-only: a score is never updated; rows leave by
 * {@code ScoreRepository.prune} or when the partition maintenance drops their partition.
 *
 * <p>The repository ({@code ScoreRepository}) writes and reads the table with SQL; this entity is the mapping for JPA
 * users' reads (JPQL, Criteria), read-only to JPA ({@link ReadOnlyEntity}). The table's primary key is
 * {@code (id, created_at)} (a partitioned table's keys include the partition key); the id alone identifies a score.
 * Two instances are equal when they have the same id. JSON values are copied out.
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "scores")
public class Score {

    @Id
    @Column(name = "id")
    private UUID id;

    @Column(name = "scorer_id", nullable = false)
    private String scorerId;

    @Column(name = "value", nullable = false)
    private double value;

    @Column(name = "reason", columnDefinition = "text")
    private String reason;

    @Enumerated(EnumType.STRING)
    @Column(name = "source", nullable = false, length = 8)
    private ScoreSource source;

    @Column(name = "entity_type")
    private String entityType;

    @Column(name = "entity_id")
    private String entityId;

    @Column(name = "run_id")
    private String runId;

    @Column(name = "trace_id", length = 32)
    private String traceId;

    @Column(name = "span_id", length = 16)
    private String spanId;

    @Column(name = "resource_id")
    private String resourceId;

    @Column(name = "thread_id")
    private String threadId;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "scorer", columnDefinition = "jsonb")
    private JsonNode scorer;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "input", columnDefinition = "jsonb")
    private JsonNode input;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "output", columnDefinition = "jsonb")
    private JsonNode output;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "metadata", columnDefinition = "jsonb")
    private JsonNode metadata;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "preprocess_step_result", columnDefinition = "jsonb")
    private JsonNode preprocessStepResult;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "analyze_step_result", columnDefinition = "jsonb")
    private JsonNode analyzeStepResult;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "prompts", columnDefinition = "jsonb")
    private JsonNode prompts;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "additional_context", columnDefinition = "jsonb")
    private JsonNode additionalContext;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "request_context", columnDefinition = "jsonb")
    private JsonNode requestContext;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    /** For JPA. */
    protected Score() {
    }

    /**
     * A score as stored: for the repository, which inserts and reads rows with SQL.
     *
     * @param id        the score's id
     * @param createdAt when it was saved (microseconds)
     * @param values    the score's values (already validated by {@link NewScore})
     * @return the stored score
     * @throws dev.agentstore.domain.InvalidInputException when an argument is {@code null}
     */
    public static Score stored(UUID id, Instant createdAt, NewScore values) {
        Check.notNull("values", values);
        Score s = new Score();
        s.id = Check.notNull("id", id);
        s.createdAt = Check.notNull("createdAt", createdAt);
        s.scorerId = values.scorerId();
        s.value = values.value();
        s.reason = values.reason();
        s.source = values.source();
        s.entityType = values.entityType();
        s.entityId = values.entityId();
        s.runId = values.runId();
        s.traceId = values.traceId();
        s.spanId = values.spanId();
        s.resourceId = values.resourceId();
        s.threadId = values.threadId();
        s.scorer = values.scorer();
        s.input = values.input();
        s.output = values.output();
        s.metadata = values.metadata();
        s.preprocessStepResult = values.preprocessStepResult();
        s.analyzeStepResult = values.analyzeStepResult();
        s.prompts = values.prompts();
        s.additionalContext = values.additionalContext();
        s.requestContext = values.requestContext();
        return s;
    }

    /** @return the score's values, as saved (JSON copied) */
    public NewScore values() {
        return new NewScore(scorerId, value, source, reason, entityType, entityId, runId, traceId, spanId, resourceId,
                threadId, scorer, input, output, metadata, preprocessStepResult, analyzeStepResult, prompts,
                additionalContext, requestContext);
    }

    /** @return the score's id, a random UUID */
    public UUID id() {
        return id;
    }

    /** @return when the score was saved */
    public Instant createdAt() {
        return createdAt;
    }

    /** @return the scorer's id */
    public String scorerId() {
        return scorerId;
    }

    /** @return the score, a finite number */
    public double value() {
        return value;
    }

    /** @return the scorer's explanation, or {@code null} */
    public String reason() {
        return reason;
    }

    /** @return live or test scoring */
    public ScoreSource source() {
        return source;
    }

    /** @return the scored entity's type, or {@code null} */
    public String entityType() {
        return entityType;
    }

    /** @return the scored entity's id, or {@code null} */
    public String entityId() {
        return entityId;
    }

    /** @return the scored run's id, or {@code null} */
    public String runId() {
        return runId;
    }

    /** @return the scored trace's id (32 lowercase hex characters), or {@code null} */
    public String traceId() {
        return traceId;
    }

    /** @return the scored span's id (16 lowercase hex characters), or {@code null} */
    public String spanId() {
        return spanId;
    }

    /** @return the resource the scored work was for, or {@code null} */
    public String resourceId() {
        return resourceId;
    }

    /** @return the conversation thread, or {@code null} */
    public String threadId() {
        return threadId;
    }

    /** @return a copy of the scorer's description, or {@code null} */
    public JsonNode scorer() {
        return copy(scorer);
    }

    /** @return a copy of the scored input, or {@code null} */
    public JsonNode input() {
        return copy(input);
    }

    /** @return a copy of the scored output, or {@code null} */
    public JsonNode output() {
        return copy(output);
    }

    /** @return a copy of the metadata, or {@code null} */
    public JsonNode metadata() {
        return copy(metadata);
    }

    /** @return a copy of the preprocess step's result, or {@code null} */
    public JsonNode preprocessStepResult() {
        return copy(preprocessStepResult);
    }

    /** @return a copy of the analyze step's result, or {@code null} */
    public JsonNode analyzeStepResult() {
        return copy(analyzeStepResult);
    }

    /** @return a copy of the prompts the steps used, or {@code null} */
    public JsonNode prompts() {
        return copy(prompts);
    }

    /** @return a copy of the extra context given to the scorer, or {@code null} */
    public JsonNode additionalContext() {
        return copy(additionalContext);
    }

    /** @return a copy of the request's context, or {@code null} */
    public JsonNode requestContext() {
        return copy(requestContext);
    }

    private static JsonNode copy(JsonNode node) {
        return node == null ? null : node.deepCopy();
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof Score other && id != null && id.equals(other.id);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(id);
    }

    @Override
    public String toString() {
        return "Score[" + id + " " + scorerId + "=" + value + "]";
    }
}
