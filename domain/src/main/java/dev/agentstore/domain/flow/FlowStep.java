package dev.agentstore.domain.flow;

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
import jakarta.persistence.Version;
import org.hibernate.annotations.Immutable;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.Instant;
import java.util.Objects;

/**
 * One step (Compozy: task state) of a {@link FlowRun}, unique by (flow name, run id, step id): its parent step (or
 * none for a top-level step), name, {@link FlowStepStatus status}, input, output and error (JSON), attempt number,
 * and start and end times. A run's steps form a forest: the parent is in the same run and fixed when the step is
 * created.
 *
 * <p>The repository ({@code FlowStepRepository}) writes the table with SQL; this entity is the mapping for JPA users'
 * reads and is read-only to JPA ({@link ReadOnlyEntity}). Steps it hands out are copies built from rows.
 * {@link #version()} is the optimistic-lock version: 0 when created, plus 1 per write.
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "flow_steps")
public class FlowStep {

    /** The surrogate id, from the column's default ({@code nextval('flow_steps_seq')}); creation order. */
    @Id
    @Column(name = "id")
    private Long id;

    @Column(name = "flow_name", nullable = false, length = Check.MAX_NAME_LENGTH)
    private String flowName;

    @Column(name = "run_id", nullable = false, length = Check.MAX_NAME_LENGTH)
    private String runId;

    @Column(name = "step_id", nullable = false, length = Check.MAX_NAME_LENGTH)
    private String stepId;

    @Column(name = "parent_step_id", length = Check.MAX_NAME_LENGTH)
    private String parentStepId;

    @Column(name = "name", nullable = false, length = Check.MAX_NAME_LENGTH)
    private String name;

    @Enumerated(EnumType.STRING)
    @Column(name = "status", nullable = false, length = 16)
    private FlowStepStatus status;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "input", columnDefinition = "jsonb")
    private JsonNode input;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "output", columnDefinition = "jsonb")
    private JsonNode output;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "error", columnDefinition = "jsonb")
    private JsonNode error;

    @Column(name = "attempt", nullable = false)
    private int attempt;

    @Column(name = "started_at")
    private Instant startedAt;

    @Column(name = "ended_at")
    private Instant endedAt;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    @Column(name = "updated_at", nullable = false)
    private Instant updatedAt;

    @Version
    @Column(name = "version", nullable = false)
    private long version;

    /** For JPA. */
    protected FlowStep() {
    }

    /**
     * A step as read from a row of {@code flow_steps} (no validation beyond non-null checks). JSON values are kept,
     * not copied.
     *
     * @param id           the surrogate id
     * @param flowName     the run's flow
     * @param runId        the run's id
     * @param stepId       the step's id within the run
     * @param parentStepId the parent step's id, or {@code null}
     * @param name         the step's name
     * @param status       the status
     * @param input        the input, or {@code null}
     * @param output       the output, or {@code null}
     * @param error        the error, or {@code null}
     * @param attempt      the attempt number
     * @param startedAt    when it started, or {@code null}
     * @param endedAt      when it ended, or {@code null}
     * @param createdAt    when the row was created
     * @param updatedAt    when the row was last written
     * @param version      the optimistic-lock version
     * @return the step, not attached to any persistence context
     */
    public static FlowStep restore(long id, String flowName, String runId, String stepId, String parentStepId,
                                   String name, FlowStepStatus status, JsonNode input, JsonNode output,
                                   JsonNode error, int attempt, Instant startedAt, Instant endedAt, Instant createdAt,
                                   Instant updatedAt, long version) {
        FlowStep step = new FlowStep();
        step.id = id;
        step.flowName = Objects.requireNonNull(flowName, "flowName");
        step.runId = Objects.requireNonNull(runId, "runId");
        step.stepId = Objects.requireNonNull(stepId, "stepId");
        step.parentStepId = parentStepId;
        step.name = Objects.requireNonNull(name, "name");
        step.status = Objects.requireNonNull(status, "status");
        step.input = input;
        step.output = output;
        step.error = error;
        step.attempt = attempt;
        step.startedAt = startedAt;
        step.endedAt = endedAt;
        step.createdAt = Objects.requireNonNull(createdAt, "createdAt");
        step.updatedAt = Objects.requireNonNull(updatedAt, "updatedAt");
        step.version = version;
        return step;
    }

    /** @return the surrogate id; ids increase in creation order */
    public Long id() {
        return id;
    }

    /** @return the run's flow */
    public String flowName() {
        return flowName;
    }

    /** @return the run's id within its flow */
    public String runId() {
        return runId;
    }

    /** @return the step's id within its run */
    public String stepId() {
        return stepId;
    }

    /** @return the parent step's id in the same run, or {@code null} for a top-level step */
    public String parentStepId() {
        return parentStepId;
    }

    /** @return whether the step has no parent */
    public boolean isTopLevel() {
        return parentStepId == null;
    }

    /** @return the step's name (the step id unless one was given) */
    public String name() {
        return name;
    }

    /** @return the status */
    public FlowStepStatus status() {
        return status;
    }

    /** @return a copy of the input, or {@code null} when none was stored (a stored JSON {@code null} is a node) */
    public JsonNode input() {
        return input == null ? null : input.deepCopy();
    }

    /** @return a copy of the output, or {@code null} when none was stored */
    public JsonNode output() {
        return output == null ? null : output.deepCopy();
    }

    /** @return a copy of the error, or {@code null} when none was stored */
    public JsonNode error() {
        return error == null ? null : error.deepCopy();
    }

    /** @return the attempt number, 0 or more (1 unless one was given) */
    public int attempt() {
        return attempt;
    }

    /** @return when the step started, or {@code null} */
    public Instant startedAt() {
        return startedAt;
    }

    /** @return when the step ended, or {@code null} while it is active */
    public Instant endedAt() {
        return endedAt;
    }

    /** @return when the row was created */
    public Instant createdAt() {
        return createdAt;
    }

    /** @return when the row was last written */
    public Instant updatedAt() {
        return updatedAt;
    }

    /** @return the optimistic-lock version: 0 when created, plus 1 per write */
    public long version() {
        return version;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof FlowStep other && id != null && id.equals(other.id);
    }

    @Override
    public int hashCode() {
        return FlowStep.class.hashCode();
    }

    @Override
    public String toString() {
        return "FlowStep[" + flowName + "/" + runId + "/" + stepId + ", status=" + status + ", version=" + version
                + "]";
    }
}
