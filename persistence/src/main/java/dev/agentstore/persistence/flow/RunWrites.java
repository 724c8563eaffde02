package dev.agentstore.persistence.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.domain.flow.NewFlowRun;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;

/**
 * The writes of {@link FlowRunRepository} other than its status moves and patches ({@link RunChanges}):
 * {@link #start}, {@link #completeStep}, {@link #delete}, {@link #create} with the caller's status and times, and
 * the snapshot writes, each one upsert statement ({@code INSERT ... ON CONFLICT}), so concurrent first writes to a
 * run that does not exist yet all land on one row and none is lost: {@link #replace} (the snapshot stored exactly),
 * {@link #merge} (JSON Merge Patch) and {@link #setStep} (one step's entry of {@code snapshot.context} replaced under
 * the row lock the upsert takes). A run these create counts in its flow's stats as a started run, with a second
 * statement. Built per call.
 */
final class RunWrites {

    /** Creates a run as given, or nothing when it exists; counts it in its flow's stats in the same statement. */
    private static final String CREATE = RunStats.withStats("""
            INSERT INTO flow_runs (flow_name, run_id, status, started_at, completed_at, last_activity_at, step_count,
                                   resource_id, snapshot, updated_at)
            VALUES (:flowName, :runId, :status, :startedAt, CAST(:completedAt AS timestamptz), :updatedAt,
                    CAST(:stepCount AS integer), CAST(:resourceId AS varchar), CAST(:snapshot AS jsonb), :updatedAt)
            ON CONFLICT (flow_name, run_id) DO NOTHING
            RETURNING\s""" + FlowRunSql.COLUMNS + "\n");

    /** The head of an upsert that creates a running run with {@code :snapshot}. */
    private static final String UPSERT = """
            INSERT INTO flow_runs AS r (flow_name, run_id, status, started_at, last_activity_at, snapshot, updated_at)
            VALUES (:flowName, :runId, 'RUNNING', :now, :now, %s, :now)
            ON CONFLICT (flow_name, run_id) DO UPDATE
               SET snapshot         = %s,
                   last_activity_at = EXCLUDED.last_activity_at,
                   updated_at       = EXCLUDED.updated_at,
                   version          = r.version + 1
            """;

    /** Whether the row was inserted, whether its flow keeps checkpoints (so no second statement asks), the run. */
    private static final String RETURNING = "RETURNING (xmax = 0) AS inserted, EXISTS (SELECT 1 FROM"
            + " flow_checkpoint_policies p WHERE p.flow_name = r.flow_name) AS checkpointed, " + FlowRunSql.COLUMNS
            + "\n";

    /** The snapshot replaced exactly. */
    private static final String REPLACE = UPSERT.formatted("CAST(:snapshot AS jsonb)", "EXCLUDED.snapshot")
            + RETURNING;

    /**
     * The snapshot write of a checkpoint put ({@code CheckpointSql.PUT}, whose first statement it is): {@link
     * #REPLACE}'s upsert, and, only when the upsert created the run, the counters of a started run in its flow
     * ({@link RunStats#withStatsOnInsert}, bound with {@link RunStats#bind}), as one statement without a result (the
     * put needs no copy of the run, nor of the snapshot it just sent; the checkpoint statement after it returns the
     * run's version).
     */
    static final String REPLACE_FOR_PUT = RunStats.withStatsOnInsert(UPSERT.formatted("CAST(:snapshot AS jsonb)",
            "EXCLUDED.snapshot"));

    /** The patch merged into the stored snapshot (a new run's snapshot is the patch merged into nothing). */
    static final String MERGE = UPSERT.formatted("jsonb_merge_patch(CAST(NULL AS jsonb), CAST(:snapshot AS jsonb))",
            "jsonb_merge_patch(r.snapshot, CAST(:snapshot AS jsonb))") + RETURNING;

    /**
     * One step's entry of {@code snapshot.context} replaced (the other steps kept); a run without a snapshot gets
     * {@code {"context": {step: result}}}. Writes nothing when the snapshot or its context is not a JSON object.
     */
    private static final String SET_STEP = UPSERT.formatted(
            "jsonb_build_object('context', jsonb_build_object(CAST(:stepId AS text), CAST(:snapshot AS jsonb)))",
            """
            jsonb_set(coalesce(r.snapshot, CAST('{}' AS jsonb)), '{context}',
                                         coalesce(r.snapshot -> 'context', CAST('{}' AS jsonb))
                                         || jsonb_build_object(CAST(:stepId AS text), CAST(:snapshot AS jsonb)))""")
            + """
             WHERE jsonb_typeof(coalesce(r.snapshot, CAST('{}' AS jsonb))) = 'object'
               AND jsonb_typeof(coalesce(r.snapshot -> 'context', CAST('{}' AS jsonb))) = 'object'
            """ + RETURNING;

    private final EntityManager em;
    private final Clock clock;

    RunWrites(EntityManager em, Clock clock) {
        this.em = em;
        this.clock = clock;
    }

    /** Inserts a running run, or reads it when it exists ({@code FlowRunRepository.start}). */
    FlowRun start(FlowRun valid, RunChanges changes) {
        String context = "start FlowRun " + RunChanges.ref(valid.flowName(), valid.runId());
        Instant now = clock.instant();
        return Sql.call(em, context, h -> RunStats.bind(h.createQuery(FlowRunSql.START), valid.flowName(), null,
                                FlowRunStatus.RUNNING, valid.startedAt(), now)
                        .bind("runId", valid.runId())
                        .bind("startedAt", valid.startedAt())
                        .bind("stepCount", valid.stepCount())
                        .bind("resourceId", valid.resourceId())
                        .map(FlowRunSql.RUN)
                        .findOne())
                .orElseGet(() -> changes.find(context, valid.flowName(), valid.runId()).orElseThrow(() ->
                        new NotFoundException("FlowRun", RunChanges.key(valid.flowName(), valid.runId())
                                + " (deleted while starting)")));
    }

    /** {@code completed_steps + 1} in one statement; returns the new count. */
    int completeStep(String flowName, String runId) {
        Instant now = clock.instant();
        long[] step = Sql.call(em, "complete a step of FlowRun " + RunChanges.ref(flowName, runId), h -> h
                        .createQuery(FlowRunSql.COMPLETE_STEP)
                        .bind("flowName", flowName)
                        .bind("runId", runId)
                        .bind("now", now)
                        .map((rs, ctx) -> new long[] {rs.getInt("completed_steps"), rs.getLong("version")})
                        .findOne())
                .orElseThrow(() -> new NotFoundException("FlowRun", RunChanges.key(flowName, runId)));
        ReadVersions.of(em).wroteRelative(RunChanges.ENTITY, RunChanges.ref(flowName, runId), step[1]);
        return (int) step[0];
    }

    /** Deletes a run and moves its flow's gauges; returns whether a run was deleted. */
    boolean delete(String flowName, String runId) {
        String context = "delete FlowRun " + RunChanges.ref(flowName, runId);
        Optional<FlowRunStatus> deleted = Sql.call(em, context, h -> h.createQuery(FlowRunSql.DELETE)
                        .bind("flowName", flowName)
                        .bind("runId", runId)
                        .mapTo(String.class)
                        .findOne())
                .map(FlowRunStatus::valueOf);
        deleted.ifPresent(status -> RunStats.apply(em, context, flowName, status, null, null, clock.instant()));
        return deleted.isPresent();
    }

    FlowRun create(NewFlowRun run, RunChanges changes) {
        String context = "create FlowRun " + RunChanges.ref(run.flowName(), run.runId());
        String snapshot = run.snapshot() == null ? null : JsonWrites.print(em, "snapshot", run.snapshot());
        Instant now = clock.instant();
        Instant updatedAt = run.updatedAt() == null ? now : run.updatedAt();
        Instant startedAt = run.startedAt() == null ? now : run.startedAt();
        Instant completedAt = run.completedAt() != null || !run.status().isTerminal() ? run.completedAt() : updatedAt;
        return Sql.call(em, context, h -> RunStats.bind(h.createQuery(CREATE), run.flowName(), null, run.status(),
                                startedAt, now)
                        .bindMap(Sql.parameters("runId", run.runId(), "status", run.status().name(),
                                "startedAt", startedAt, "completedAt", completedAt, "updatedAt", updatedAt,
                                "stepCount", run.stepCount(), "resourceId", run.resourceId(), "snapshot", snapshot))
                        .map(FlowRunSql.RUN)
                        .findOne())
                .map(changes::wrote)
                .orElseThrow(() -> new DuplicateException("FlowRun " + RunChanges.key(run.flowName(), run.runId())
                        + " already exists", null));
    }

    Written replace(String flowName, String runId, JsonNode snapshot, RunChanges changes) {
        Written written = upsert("replace snapshot of", REPLACE, flowName, runId, null,
                JsonWrites.print(em, "snapshot", snapshot));
        changes.wrote(written.run());
        return written;
    }

    Written merge(String flowName, String runId, JsonNode patch) {
        return relative(upsert("merge snapshot into", MERGE, flowName, runId, null,
                JsonWrites.print(em, "snapshotPatch", patch)));
    }

    Written setStep(String flowName, String runId, String stepId, JsonNode result) {
        return relative(upsert("set step " + stepId + " of", SET_STEP, flowName, runId, stepId,
                JsonWrites.print(em, "result", result)));
    }

    private Written upsert(String what, String sql, String flowName, String runId, String stepId, String json) {
        String context = what + " FlowRun " + RunChanges.ref(flowName, runId);
        Instant now = clock.instant();
        Upserted upserted = Sql.call(em, context, h -> {
                    var query = h.createQuery(sql)
                            .bind("flowName", flowName)
                            .bind("runId", runId)
                            .bind("now", now)
                            .bind("snapshot", json);
                    if (stepId != null) {
                        query.bind("stepId", stepId);
                    }
                    return query.map((rs, ctx) -> new Upserted(rs.getBoolean("inserted"),
                                    new Written(FlowRunSql.run(rs), rs.getBoolean("checkpointed")))).findOne();
                })
                .orElseThrow(() -> new InvalidInputException("FlowRun " + RunChanges.ref(flowName, runId)
                        + ": its snapshot or snapshot.context is not a JSON object, so step " + stepId
                        + " cannot be set; nothing was written"));
        if (upserted.inserted()) {
            RunStats.apply(em, context, flowName, null, FlowRunStatus.RUNNING, now, clock.instant());
        }
        return upserted.written();
    }

    private Written relative(Written written) {
        FlowRun run = written.run();
        ReadVersions.of(em).wroteRelative(RunChanges.ENTITY, RunChanges.ref(run.flowName(), run.runId()),
                run.version());
        return written;
    }

    /**
     * A run as a snapshot write left it.
     *
     * @param run          the run after the write
     * @param checkpointed whether its flow had a checkpoint policy when the write ran
     */
    record Written(FlowRun run, boolean checkpointed) {
    }

    /** A row an upsert returned: whether it inserted the run, and what it wrote. */
    private record Upserted(boolean inserted, Written written) {
    }
}
