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
import org.hibernate.annotations.Immutable;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * One checkpoint of a {@link FlowRun} (table {@code flow_checkpoints}): the run's full state (its snapshot) right
 * after one write, with the checkpoint before it ({@link #parentId()}), the step that produced it, the steps to run
 * next, metadata, and when it was written. A run's checkpoints form a chain from its first one; a fork's first
 * checkpoint has the origin run's checkpoint as parent, and a resume's has the earlier checkpoint it resumed from,
 * whose later checkpoints are then {@link #superseded()}. A checkpoint may be the release (tag) of a finished run.
 *
 * <p>The repository ({@code CheckpointRepository}) writes the table with SQL; this entity is the mapping for JPA users'
 * reads and is read-only to JPA ({@link ReadOnlyEntity}). Checkpoints it hands out are copies built from rows; two are
 * equal when they have the same {@link #checkpointId()}.
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "flow_checkpoints")
public class FlowCheckpoint {

    /** Creation order, from the column's default ({@code nextval('flow_checkpoints_seq')}). */
    @Id
    @Column(name = "id")
    private Long id;

    @Column(name = "checkpoint_id", nullable = false, unique = true)
    private UUID checkpointId;

    @Column(name = "flow_name", nullable = false, length = Check.MAX_NAME_LENGTH)
    private String flowName;

    @Column(name = "run_id", nullable = false, length = Check.MAX_NAME_LENGTH)
    private String runId;

    @Column(name = "parent_id")
    private UUID parentId;

    @Column(name = "run_version", nullable = false)
    private long runVersion;

    @Enumerated(EnumType.STRING)
    @Column(name = "source", nullable = false, length = 16)
    private CheckpointSource source;

    @Column(name = "step_id", length = Check.MAX_NAME_LENGTH)
    private String stepId;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "next_steps", columnDefinition = "jsonb", nullable = false)
    private JsonNode nextSteps;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "state", columnDefinition = "jsonb")
    private JsonNode state;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "metadata", columnDefinition = "jsonb", nullable = false)
    private JsonNode metadata;

    @Column(name = "superseded", nullable = false)
    private boolean superseded;

    @Column(name = "release_message", columnDefinition = "text")
    private String releaseMessage;

    @Column(name = "released_at")
    private Instant releasedAt;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    /** For JPA. */
    protected FlowCheckpoint() {
    }

    /**
     * A checkpoint as stored, for the repository, which reads rows with SQL.
     *
     * @param id             the creation-order id
     * @param checkpointId   the checkpoint's id
     * @param flowName       the run's flow
     * @param runId          the run's id
     * @param parentId       the checkpoint before it, or {@code null} for a run's first
     * @param runVersion     the run's version right after the write
     * @param source         what wrote it
     * @param stepId         the step that produced it, or {@code null}
     * @param nextSteps      the steps to run next, a JSON array
     * @param state          the run's snapshot, or {@code null} when the run had none
     * @param metadata       a JSON object
     * @param superseded     whether a resume from an earlier checkpoint made it history
     * @param releaseMessage the release message when the run was released at this checkpoint, else {@code null}
     * @param releasedAt     when it was released, or {@code null}
     * @param createdAt      when it was written
     * @return the checkpoint
     */
    public static FlowCheckpoint restore(long id, UUID checkpointId, String flowName, String runId, UUID parentId,
                                         long runVersion, CheckpointSource source, String stepId, JsonNode nextSteps,
                                         JsonNode state, JsonNode metadata, boolean superseded,
                                         String releaseMessage, Instant releasedAt, Instant createdAt) {
        FlowCheckpoint c = new FlowCheckpoint();
        c.id = id;
        c.checkpointId = Objects.requireNonNull(checkpointId, "checkpointId");
        c.flowName = flowName;
        c.runId = runId;
        c.parentId = parentId;
        c.runVersion = runVersion;
        c.source = source;
        c.stepId = stepId;
        c.nextSteps = nextSteps;
        c.state = state;
        c.metadata = metadata;
        c.superseded = superseded;
        c.releaseMessage = releaseMessage;
        c.releasedAt = releasedAt;
        c.createdAt = createdAt;
        return c;
    }

    /** @return the creation-order id (a later checkpoint has a higher one) */
    public Long id() {
        return id;
    }

    /** @return the checkpoint's id (LangGraph's {@code checkpoint_id}) */
    public UUID checkpointId() {
        return checkpointId;
    }

    /** @return the run's flow */
    public String flowName() {
        return flowName;
    }

    /** @return the run's id (LangGraph's {@code thread_id}) */
    public String runId() {
        return runId;
    }

    /**
     * @return the checkpoint before this one, or {@code null} for a run's first; for a {@link CheckpointSource#FORK}
     *         a checkpoint of the origin run. The parent may have been deleted by {@code prune}.
     */
    public UUID parentId() {
        return parentId;
    }

    /** @return the run's {@link FlowRun#version()} right after the write that recorded this checkpoint */
    public long runVersion() {
        return runVersion;
    }

    /** @return what wrote it */
    public CheckpointSource source() {
        return source;
    }

    /** @return the step (node) that produced it, or {@code null} when the write named none */
    public String stepId() {
        return stepId;
    }

    /** @return the steps to run next, a JSON array (empty when the write named none) */
    public JsonNode nextSteps() {
        return nextSteps == null ? null : nextSteps.deepCopy();
    }

    /** @return the run's full state (snapshot) at this checkpoint, or {@code null} when it had none */
    public JsonNode state() {
        return state == null ? null : state.deepCopy();
    }

    /** @return the checkpoint's metadata, a JSON object */
    public JsonNode metadata() {
        return metadata == null ? null : metadata.deepCopy();
    }

    /** @return whether a resume from an earlier checkpoint of its run made this one history */
    public boolean superseded() {
        return superseded;
    }

    /** @return the release message when the run was released (tagged) at this checkpoint, else {@code null} */
    public String releaseMessage() {
        return releaseMessage;
    }

    /** @return when the run was released at this checkpoint, or {@code null} */
    public Instant releasedAt() {
        return releasedAt;
    }

    /** @return when it was written */
    public Instant createdAt() {
        return createdAt;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FlowCheckpoint other && Objects.equals(checkpointId, other.checkpointId);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(checkpointId);
    }

    @Override
    public String toString() {
        return "FlowCheckpoint{" + checkpointId + " of " + flowName + "/" + runId + ", parent " + parentId + ", "
                + source + (stepId == null ? "" : " step " + stepId) + (superseded ? ", superseded" : "")
                + (releasedAt == null ? "" : ", released") + "}";
    }
}
