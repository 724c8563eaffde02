package dev.agentstore.domain.flow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.ReadOnlyEntity;
import dev.agentstore.domain.json.Json;
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
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;

/**
 * One run of a flow, unique by (flow name, run id): status, start,
 * completion and last-activity times, step counts, the JSON maps {@code emittedEvents} and {@code awaitingSteps},
 * a workflow {@code snapshot}, a {@code resourceId}, and {@code metadata} holding every other key an update carried
 * (kept, never dropped).
 *
 * <p>The repository ({@code FlowRunRepository}) writes the table with set-based SQL; this entity is the mapping for
 * JPA users' reads (JPQL, Criteria), read-only to JPA ({@link ReadOnlyEntity}: {@code persist} and {@code remove}
 * fail, changes to a loaded run are never written), and holds the rules every write follows. The intention-revealing
 * methods ({@link #await}, {@link #resume}, {@link #complete}, {@link #fail}, {@link #cancel}, {@link #moveTo},
 * {@link #applyPatch}) validate everything before they change anything and change only this object: the repository
 * applies them to a run it read to check a status move and to tell whether a patch changes the run, then writes
 * the change with SQL ({@code transition}, {@code update}), moving the flow's counters in the same statement. Runs it
 * hands out are copies built from rows. {@link #version()} is the optimistic-lock version: every write of the
 * repository adds 1 to it.
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "flow_runs")
public class FlowRun {

    /** Patch keys that are rejected because the store manages them: identity and optimistic-lock fields. */
    public static final Set<String> READ_ONLY_KEYS = Set.of("id", "flowName", "runId", "version", "updatedAt");

    /**
     * The surrogate id, assigned by the column's default ({@code nextval('flow_runs_seq')}) when the repository
     * inserts the row; the sequence steps by 50 (changelog 0.1), so ids increase but are not consecutive.
     */
    @Id
    @Column(name = "id")
    private Long id;

    @Column(name = "flow_name", nullable = false, length = Check.MAX_NAME_LENGTH)
    private String flowName;

    @Column(name = "run_id", nullable = false, length = Check.MAX_NAME_LENGTH)
    private String runId;

    @Enumerated(EnumType.STRING)
    @Column(name = "status", nullable = false, length = 16)
    private FlowRunStatus status;

    @Column(name = "started_at", nullable = false)
    private Instant startedAt;

    @Column(name = "completed_at")
    private Instant completedAt;

    @Column(name = "last_activity_at")
    private Instant lastActivityAt;

    @Column(name = "step_count")
    private Integer stepCount;

    @Column(name = "completed_steps", nullable = false)
    private int completedSteps;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "emitted_events", columnDefinition = "jsonb", nullable = false)
    private JsonNode emittedEvents;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "awaiting_steps", columnDefinition = "jsonb", nullable = false)
    private JsonNode awaitingSteps;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "snapshot", columnDefinition = "jsonb")
    private JsonNode snapshot;

    @Column(name = "resource_id", length = Check.MAX_NAME_LENGTH)
    private String resourceId;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "metadata", columnDefinition = "jsonb", nullable = false)
    private JsonNode metadata;

    @Version
    @Column(name = "version", nullable = false)
    private long version;

    @Column(name = "updated_at", nullable = false)
    private Instant updatedAt;

    /** For JPA. */
    protected FlowRun() {
    }

    /**
     * A new run in status {@link FlowRunStatus#RUNNING} with no completed steps and empty JSON maps, not stored. The
     * repository's {@code start} validates its parameters through this factory before it inserts the row.
     *
     * @param flowName   the flow's name, 1–255 characters, not blank
     * @param runId      the run's id within the flow, 1–255 characters, not blank
     * @param startedAt  when it started; also its last activity
     * @param stepCount  how many steps the run has, 0 or more, or {@code null} when unknown
     * @param resourceId the resource (user, thread, tenant) the run belongs to, up to 255 characters, or {@code null}
     * @return the run, not yet stored
     * @throws InvalidInputException when a parameter is invalid; the message names it
     */
    public static FlowRun start(String flowName, String runId, Instant startedAt, Integer stepCount,
                                String resourceId) {
        FlowRun run = new FlowRun();
        run.flowName = Check.name("flowName", flowName);
        run.runId = Check.name("runId", runId);
        run.startedAt = Check.instant("startedAt", Check.notNull("startedAt", startedAt));
        if (stepCount != null) {
            Check.range("stepCount", stepCount, 0, Integer.MAX_VALUE);
        }
        run.stepCount = stepCount;
        run.resourceId = Check.optionalName("resourceId", resourceId);
        run.status = FlowRunStatus.RUNNING;
        run.lastActivityAt = startedAt;
        run.emittedEvents = Json.object();
        run.awaitingSteps = Json.object();
        run.metadata = Json.object();
        run.updatedAt = startedAt;
        return run;
    }

    /**
     * A run as read from a row of {@code flow_runs} (no validation beyond non-null checks): the repository builds
     * every run it hands out with it. The JSON values are kept, not copied.
     *
     * @param id             the surrogate id
     * @param flowName       the flow's name
     * @param runId          the run's id within the flow
     * @param status         the status
     * @param startedAt      when it started
     * @param completedAt    when it reached a terminal status, or {@code null}
     * @param lastActivityAt its last activity, or {@code null}
     * @param stepCount      how many steps it has, or {@code null}
     * @param completedSteps how many steps completed
     * @param emittedEvents  the emitted events, a JSON object
     * @param awaitingSteps  the awaiting steps, a JSON object
     * @param snapshot       the workflow snapshot, or {@code null}
     * @param resourceId     the resource it belongs to, or {@code null}
     * @param metadata       the keys of updates that map to no column, a JSON object
     * @param version        the optimistic-lock version
     * @param updatedAt      when the row was last written
     * @return the run, not attached to any persistence context
     */
    public static FlowRun restore(long id, String flowName, String runId, FlowRunStatus status, Instant startedAt,
                                  Instant completedAt, Instant lastActivityAt, Integer stepCount, int completedSteps,
                                  JsonNode emittedEvents, JsonNode awaitingSteps, JsonNode snapshot,
                                  String resourceId, JsonNode metadata, long version, Instant updatedAt) {
        FlowRun run = new FlowRun();
        run.id = id;
        run.flowName = Objects.requireNonNull(flowName, "flowName");
        run.runId = Objects.requireNonNull(runId, "runId");
        run.status = Objects.requireNonNull(status, "status");
        run.startedAt = Objects.requireNonNull(startedAt, "startedAt");
        run.completedAt = completedAt;
        run.lastActivityAt = lastActivityAt;
        run.stepCount = stepCount;
        run.completedSteps = completedSteps;
        run.emittedEvents = Objects.requireNonNull(emittedEvents, "emittedEvents");
        run.awaitingSteps = Objects.requireNonNull(awaitingSteps, "awaitingSteps");
        run.snapshot = snapshot;
        run.resourceId = resourceId;
        run.metadata = Objects.requireNonNull(metadata, "metadata");
        run.version = version;
        run.updatedAt = Objects.requireNonNull(updatedAt, "updatedAt");
        return run;
    }

    /**
     * Moves an active run to {@link FlowRunStatus#AWAITING} (it waits for an event or a time).
     *
     * @param now the time of the change, recorded as last activity
     * @throws InvalidInputException when the run is terminal or already awaiting; it is then unchanged
     */
    public void await(Instant now) {
        moveTo(FlowRunStatus.AWAITING, now);
    }

    /**
     * Moves a pending, awaiting or suspended run to {@link FlowRunStatus#RUNNING}.
     *
     * @param now the time of the change, recorded as last activity
     * @throws InvalidInputException when the run is terminal or already running
     */
    public void resume(Instant now) {
        moveTo(FlowRunStatus.RUNNING, now);
    }

    /**
     * Finishes an active run successfully.
     *
     * @param now the completion time (also last activity)
     * @throws InvalidInputException when the run is already in a terminal status
     */
    public void complete(Instant now) {
        moveTo(FlowRunStatus.COMPLETED, now);
    }

    /**
     * Finishes an active run with a failure.
     *
     * @param now the completion time (also last activity)
     * @throws InvalidInputException when the run is already in a terminal status
     */
    public void fail(Instant now) {
        moveTo(FlowRunStatus.FAILED, now);
    }

    /**
     * Cancels an active run.
     *
     * @param now the completion time (also last activity)
     * @throws InvalidInputException when the run is already in a terminal status
     */
    public void cancel(Instant now) {
        moveTo(FlowRunStatus.CANCELLED, now);
    }

    /**
     * Moves the run to {@code target}: sets the status and last activity, and the completion time when
     * {@code target} is terminal. Legal moves are those of {@link FlowRunStatus#canMoveTo}: from an active status to
     * any other status.
     *
     * @param target the new status
     * @param now    the time of the change
     * @return the status before the move
     * @throws InvalidInputException when the move is illegal (the run is terminal, or already in {@code target});
     *                               the run is then unchanged
     */
    public FlowRunStatus moveTo(FlowRunStatus target, Instant now) {
        checkMove(Check.notNull("status", target));
        Check.notNull("now", now);
        FlowRunStatus before = status;
        status = target;
        lastActivityAt = now;
        if (target.isTerminal()) {
            completedAt = now;
        }
        updatedAt = now;
        return before;
    }

    /**
     * Applies a metadata patch as a JSON Merge Patch (RFC 7386), keeping every key: objects merge recursively, a
     * {@code null} member deletes, arrays and scalars replace.
     *
     * <p>Keys and what they accept:
     * <ul>
     * <li>{@code status}: a status name ({@link FlowRunStatus#parse}); a different status is a move as in
     * {@link #moveTo} (a terminal one sets {@code completedAt} unless the patch gives it); must not be {@code null}</li>
     * <li>{@code startedAt}; {@code completedAt}, {@code lastActivityAt} (these two may be {@code null}): an ISO-8601
     * instant ({@code 2024-05-01T10:00:00Z}) or epoch milliseconds</li>
     * <li>{@code completedSteps} (not {@code null}), {@code stepCount} (may be {@code null}): an integer, 0 or more</li>
     * <li>{@code emittedEvents}, {@code awaitingSteps}: an object, merged into the current one; {@code null} empties it</li>
     * <li>{@code snapshot}: merged into the current snapshot; {@code null} removes it</li>
     * <li>{@code resourceId}: a string of 1–255 characters, or {@code null}</li>
     * <li>{@link #READ_ONLY_KEYS} ({@code id}, {@code flowName}, {@code runId}, {@code version}, {@code updatedAt}):
     * rejected</li>
     * <li>any other key: merged into {@link #metadata()} ({@code null} deletes it there)</li>
     * </ul>
     * Every key is validated ({@link FlowRunPatch#parse}) before anything changes, so an invalid patch leaves the run
     * as it was.
     *
     * @param patch the patch, a JSON object
     * @param now   the time of the change ({@code updatedAt}, and last activity and completion time of a status move)
     * @return whether anything changed; {@code false} when every value equalled the current one (the run is then
     *         left exactly as it was)
     * @throws InvalidInputException when {@code patch} is not an object, or a key has a value of the wrong type, an
     *                               unknown status, an illegal status move, or is read-only; the message names the key
     */
    public boolean applyPatch(JsonNode patch, Instant now) {
        return applyPatch(FlowRunPatch.parse(patch), now);
    }

    /**
     * As {@link #applyPatch(JsonNode, Instant)}, with a patch already validated by {@link FlowRunPatch#parse}.
     *
     * @param patch the validated patch
     * @param now   the time of the change
     * @return whether anything changed
     * @throws InvalidInputException when the patch moves the status illegally; the run is then unchanged
     */
    public boolean applyPatch(FlowRunPatch patch, Instant now) {
        Check.notNull("patch", patch);
        Check.notNull("now", now);
        FlowRunStatus newStatus = patch.names("status") ? patch.status() : status;
        if (newStatus != status) {
            checkMove(newStatus);
        }
        Object[] before = state();
        if (newStatus != status) {
            moveTo(newStatus, now);
        }
        if (patch.names("completedAt")) {
            completedAt = patch.completedAt();
        }
        if (patch.names("lastActivityAt")) {
            lastActivityAt = patch.lastActivityAt();
        }
        if (patch.names("startedAt")) {
            startedAt = patch.startedAt();
        }
        if (patch.names("stepCount")) {
            stepCount = patch.stepCount();
        }
        if (patch.names("completedSteps")) {
            completedSteps = patch.completedSteps();
        }
        if (patch.names("emittedEvents")) {
            emittedEvents = mergeObject(emittedEvents, patch.emittedEvents());
        }
        if (patch.names("awaitingSteps")) {
            awaitingSteps = mergeObject(awaitingSteps, patch.awaitingSteps());
        }
        if (patch.names("snapshot")) {
            JsonNode v = patch.snapshot();
            snapshot = v.isNull() ? null : Json.mergePatch(snapshot, v);
        }
        if (patch.names("resourceId")) {
            resourceId = patch.resourceId();
        }
        ObjectNode other = patch.metadata();
        if (!other.isEmpty()) {
            metadata = Json.mergePatch(metadata, other);
        }
        if (Arrays.equals(before, state())) {
            restore(before); // equal values may be written differently, as 1.0 and 1.00: keep the run as it was
            return false;
        }
        updatedAt = now;
        return true;
    }

    /** @return the surrogate id, {@code null} before the run is stored */
    public Long id() {
        return id;
    }

    /** @return the flow's name */
    public String flowName() {
        return flowName;
    }

    /** @return the run's id within its flow */
    public String runId() {
        return runId;
    }

    /** @return the status */
    public FlowRunStatus status() {
        return status;
    }

    /** @return when the run started */
    public Instant startedAt() {
        return startedAt;
    }

    /** @return when it reached a terminal status, or {@code null} */
    public Instant completedAt() {
        return completedAt;
    }

    /** @return when it last changed status, completed a step or merged a snapshot, or {@code null} */
    public Instant lastActivityAt() {
        return lastActivityAt;
    }

    /** @return how many steps the run has, or {@code null} when unknown */
    public Integer stepCount() {
        return stepCount;
    }

    /** @return how many steps have completed, 0 or more */
    public int completedSteps() {
        return completedSteps;
    }

    /** @return a copy of the events the run emitted, a JSON object */
    public JsonNode emittedEvents() {
        return emittedEvents.deepCopy();
    }

    /** @return a copy of the steps waiting for events or times, a JSON object */
    public JsonNode awaitingSteps() {
        return awaitingSteps.deepCopy();
    }

    /** @return a copy of the workflow snapshot, or {@code null} when none was stored */
    public JsonNode snapshot() {
        return snapshot == null ? null : snapshot.deepCopy();
    }

    /** @return the resource the run belongs to, or {@code null} */
    public String resourceId() {
        return resourceId;
    }

    /** @return a copy of the keys of updates that map to no column, a JSON object */
    public JsonNode metadata() {
        return metadata.deepCopy();
    }

    /** @return the optimistic-lock version: 0 when started, plus 1 per write */
    public long version() {
        return version;
    }

    /** @return when the row was last written */
    public Instant updatedAt() {
        return updatedAt;
    }

    @Override
    public String toString() {
        return "FlowRun[" + flowName + "/" + runId + ", status=" + status + ", version=" + version + "]";
    }

    private Object[] state() {
        return new Object[] {status, startedAt, completedAt, lastActivityAt, stepCount, completedSteps, emittedEvents,
            awaitingSteps, snapshot, resourceId, metadata};
    }

    private void restore(Object[] state) {
        status = (FlowRunStatus) state[0];
        startedAt = (Instant) state[1];
        completedAt = (Instant) state[2];
        lastActivityAt = (Instant) state[3];
        stepCount = (Integer) state[4];
        completedSteps = (Integer) state[5];
        emittedEvents = (JsonNode) state[6];
        awaitingSteps = (JsonNode) state[7];
        snapshot = (JsonNode) state[8];
        resourceId = (String) state[9];
        metadata = (JsonNode) state[10];
    }

    private void checkMove(FlowRunStatus target) {
        if (!status.canMoveTo(target)) {
            throw new InvalidInputException("FlowRun " + flowName + "/" + runId + " cannot move from " + status + " to "
                    + target + (status.isTerminal() ? ": " + status + " is terminal" : ""));
        }
    }

    /** {@code emittedEvents}/{@code awaitingSteps} after a patch value: a JSON {@code null} empties them. */
    private static JsonNode mergeObject(JsonNode current, JsonNode v) {
        return v.isNull() ? Json.object() : Json.mergePatch(current, v);
    }
}
