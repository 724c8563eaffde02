package dev.agentstore.persistence.flow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.flow.FlowRunPatch;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.domain.json.Json;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The one way a run's columns change in {@code FlowRunRepository.update} and {@code transition}: one
 * {@code UPDATE flow_runs ... RETURNING} that computes every new value in SQL from a {@link FlowRunPatch} and a status
 * move, as {@link FlowRun#applyPatch} and {@link FlowRun#moveTo} change a run in Java. The scalar keys set their
 * columns; {@code emittedEvents}, {@code awaitingSteps}, {@code snapshot} and the keys that map to no column (into
 * {@code metadata}) merge with {@code jsonb_merge_patch}, which follows {@link Json#mergePatch} ({@code null} empties
 * {@code emittedEvents}/{@code awaitingSteps} and removes {@code snapshot}); a move sets the status, the last activity
 * and, into a terminal status, the completion time to "now", unless the patch gives those times. Every write sets
 * {@code updatedAt} and adds 1 to the version; a status move also moves the flow's counters in the same statement
 * ({@link RunStats}).
 *
 * <p>The values are read from the row being updated: the {@code UPDATE} locks it and, when a concurrent writer got
 * there first, evaluates them again on its latest version, so concurrent writers of one run queue and none is lost.
 * A condition says which row it may write: {@link #ifInStartingStatus}, {@link #ifChanged}, {@link #ifVersion}; each
 * returns the run as written, or nothing when the condition (or the run's key) matched no row. Built per call; not
 * thread-safe.
 */
final class RunUpdate {

    /** A patch that names nothing: a status move alone. */
    private static final FlowRunPatch NOTHING = FlowRunPatch.parse(Json.object());

    private final List<String> columns = new ArrayList<>();
    private final List<String> expressions = new ArrayList<>();
    private final Map<String, Object> values = new LinkedHashMap<>();
    private final FlowRunStatus from;
    private final FlowRunStatus to;

    private RunUpdate(FlowRunPatch patch, FlowRunStatus from, FlowRunStatus to) {
        this.from = from;
        this.to = to;
        if (moves()) {
            set("status", ":status", "status", to.name());
            if (!patch.names("lastActivityAt")) {
                set("last_activity_at", ":now", null, null);
            }
            if (to.isTerminal() && !patch.names("completedAt")) {
                set("completed_at", ":now", null, null);
            }
        }
        setIfNamed(patch, "startedAt", "started_at", "timestamptz", patch.startedAt());
        setIfNamed(patch, "completedAt", "completed_at", "timestamptz", patch.completedAt());
        setIfNamed(patch, "lastActivityAt", "last_activity_at", "timestamptz", patch.lastActivityAt());
        setIfNamed(patch, "stepCount", "step_count", "integer", patch.stepCount());
        setIfNamed(patch, "completedSteps", "completed_steps", "integer", patch.completedSteps());
        setIfNamed(patch, "resourceId", "resource_id", "varchar", patch.resourceId());
        if (patch.names("emittedEvents")) {
            merge("emitted_events", "emittedEvents", patch.emittedEvents(), "CAST('{}' AS jsonb)");
        }
        if (patch.names("awaitingSteps")) {
            merge("awaiting_steps", "awaitingSteps", patch.awaitingSteps(), "CAST('{}' AS jsonb)");
        }
        if (patch.names("snapshot")) {
            merge("snapshot", "snapshot", patch.snapshot(), "CAST(NULL AS jsonb)");
        }
        ObjectNode metadata = patch.metadata();
        if (!metadata.isEmpty()) {
            merge("metadata", "metadata", metadata, null);
        }
    }

    /** Sets {@code column} to the patch's {@code field}, cast to {@code sqlType}, when the patch names the field. */
    private void setIfNamed(FlowRunPatch patch, String field, String column, String sqlType, Object value) {
        if (patch.names(field)) {
            set(column, "CAST(:" + field + " AS " + sqlType + ")", field, value);
        }
    }

    /**
     * @param patch the patch's columns, without its status
     * @param from  the run's status before
     * @param to    the run's status after; a move when it differs from {@code from}
     * @return the update
     */
    static RunUpdate of(FlowRunPatch patch, FlowRunStatus from, FlowRunStatus to) {
        return new RunUpdate(patch, from, to);
    }

    /**
     * @param patch a patch without a {@code status} key
     * @return the update of the patch's columns
     */
    static RunUpdate columns(FlowRunPatch patch) {
        return new RunUpdate(patch, null, null);
    }

    /**
     * @param from the run's status before
     * @param to   the status it moves to
     * @return the update of a status move alone
     */
    static RunUpdate move(FlowRunStatus from, FlowRunStatus to) {
        return new RunUpdate(NOTHING, from, to);
    }

    /**
     * @param snapshotJson the new snapshot as checked JSON text, stored exactly (not merged)
     * @return the update that replaces the snapshot and records the last activity
     */
    static RunUpdate replacingSnapshot(String snapshotJson) {
        RunUpdate update = new RunUpdate(NOTHING, null, null);
        update.set("snapshot", "CAST(:snapshot AS jsonb)", "snapshot", snapshotJson);
        update.set("last_activity_at", ":now", null, null);
        return update;
    }

    /** @return whether the update sets no column (a patch that names nothing) */
    boolean isEmpty() {
        return columns.isEmpty();
    }

    /**
     * Runs the update of a status move only if the run is in the move's starting status ({@code AND status = :from}):
     * the one-statement move.
     *
     * @param h        the call's handle
     * @param flowName the run's flow
     * @param runId    the run's id
     * @param now      {@code updatedAt}, and the time of the move
     * @return the run as written; empty when the run is missing or in another status
     */
    Optional<FlowRun> ifInStartingStatus(Handle h, String flowName, String runId, Instant now) {
        return run(h, flowName, runId, "\n   AND status = :from", now).bind("from", from.name())
                .map(FlowRunSql.RUN).findOne();
    }

    /**
     * Runs the update only if a named column's value changes as PostgreSQL compares values
     * ({@code AND ROW(<new values>) IS DISTINCT FROM ROW(<columns>)}): the one-statement patch. Not for an
     * {@linkplain #isEmpty() empty} update.
     *
     * @param h        the call's handle
     * @param flowName the run's flow
     * @param runId    the run's id
     * @param now      {@code updatedAt}
     * @return the run as written; empty when the run is missing or nothing changes
     */
    Optional<FlowRun> ifChanged(Handle h, String flowName, String runId, Instant now) {
        return run(h, flowName, runId, "\n   AND ROW(" + String.join(", ", expressions) + ") IS DISTINCT FROM ROW("
                + String.join(", ", columns) + ")", now).map(FlowRunSql.RUN).findOne();
    }

    /**
     * Runs the update only if the run still has the version read ({@code AND version = :version}): the write after a
     * locked read.
     *
     * @param h        the call's handle
     * @param flowName the run's flow
     * @param runId    the run's id
     * @param version  the version read
     * @param now      {@code updatedAt}, and the time of a status move
     * @return the run as written; empty when the run is missing or has another version
     */
    Optional<FlowRun> ifVersion(Handle h, String flowName, String runId, long version, Instant now) {
        return run(h, flowName, runId, "\n   AND version = :version", now).bind("version", version)
                .map(FlowRunSql.RUN).findOne();
    }

    /** The statement with its values bound; built from fixed pieces per call (the named columns vary). */
    private Query run(Handle h, String flowName, String runId, String condition, Instant now) {
        StringBuilder set = new StringBuilder();
        for (int i = 0; i < columns.size(); i++) {
            set.append(columns.get(i)).append(" = ").append(expressions.get(i)).append(", ");
        }
        String update = "UPDATE flow_runs\n   SET " + set + "updated_at = :now, version = version + 1\n"
                + " WHERE flow_name = :flowName AND run_id = :runId" + condition + "\nRETURNING " + FlowRunSql.COLUMNS
                + "\n";
        Query query = h.createQuery(moves() ? RunStats.withStats(update) : update)
                .bind("flowName", flowName)
                .bind("runId", runId)
                .bind("now", now);
        values.forEach(query::bind);
        return moves() ? RunStats.bind(query, flowName, from, to, null, now) : query;
    }

    private boolean moves() {
        return to != from;
    }

    /** A column set to an expression, with the one value the expression names ({@code null} name: none). */
    private void set(String column, String expression, String name, Object value) {
        columns.add(column);
        expressions.add(expression);
        if (name != null) {
            values.put(name, value);
        }
    }

    /**
     * A JSON column merged with a patch value, as {@link Json#mergePatch}; a JSON {@code null} patch value makes the
     * column {@code whenNull} instead.
     */
    private void merge(String column, String name, JsonNode patchValue, String whenNull) {
        if (patchValue.isNull()) {
            set(column, whenNull, null, null);
        } else {
            set(column, "jsonb_merge_patch(" + column + ", CAST(:" + name + " AS jsonb))", name,
                    Json.print(patchValue));
        }
    }
}
