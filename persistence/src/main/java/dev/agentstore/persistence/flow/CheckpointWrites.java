package dev.agentstore.persistence.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.flow.CheckpointSource;
import dev.agentstore.domain.flow.FlowCheckpoint;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.result.ResultIterable;
import org.jdbi.v3.core.statement.Query;

import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * Records checkpoints: after each snapshot write of {@link FlowRunRepository} for a flow with a checkpoint policy
 * ({@link #after}), and the explicit ones of {@link CheckpointRepository} ({@link #record}). Each is one
 * {@code INSERT ... SELECT} from the run's row in the write's transaction, after the write, which holds the run's row
 * lock until the transaction ends: concurrent writers of one run queue on that lock, so each reads the checkpoint
 * the one before it committed as its parent (a linear chain), and a write that fails or rolls back leaves no
 * checkpoint. Built per call.
 */
final class CheckpointWrites {

    private final EntityManager em;
    private final Clock clock;

    CheckpointWrites(EntityManager em, Clock clock) {
        this.em = em;
        this.clock = clock;
    }

    /**
     * Records a checkpoint of a run just written when its flow has a policy.
     *
     * @param run    the run as the write returned it
     * @param source which write
     * @param stepId the step the write named, or {@code null}
     * @return {@code run}
     */
    FlowRun after(FlowRun run, CheckpointSource source, String stepId) {
        record(run.flowName(), run.runId(), source, false, null, stepId, "[]", "{}");
        return run;
    }

    /**
     * Records a checkpoint of a run an upsert just wrote, only when the upsert saw a policy for its flow: a flow
     * without one pays no second statement.
     *
     * @param written the upsert's run and whether its flow keeps checkpoints
     * @param source  what wrote it
     * @param stepId  the step the write named, or {@code null}
     * @return the run
     */
    FlowRun after(RunWrites.Written written, CheckpointSource source, String stepId) {
        FlowRun run = written.run();
        if (written.checkpointed()) {
            record(run.flowName(), run.runId(), source, true, null, stepId, "[]", "{}");
        }
        return run;
    }

    /**
     * Records a checkpoint of a run as its row is now.
     *
     * @param flowName  the run's flow
     * @param runId     the run's id
     * @param source    what wrote it
     * @param always    {@code false}: only when the flow has a policy
     * @param parentId  the parent, or {@code null} for the run's newest checkpoint not superseded
     * @param stepId    the step, or {@code null}
     * @param nextSteps checked JSON text of an array
     * @param metadata  checked JSON text of an object
     * @return the checkpoint; empty when none was recorded (no policy, or no such run)
     */
    Optional<FlowCheckpoint> record(String flowName, String runId, CheckpointSource source, boolean always,
                                    UUID parentId, String stepId, String nextSteps, String metadata) {
        return record(null, flowName, runId, source, always, parentId, stepId, nextSteps, metadata);
    }

    /**
     * As {@link #record(String, String, CheckpointSource, boolean, UUID, String, String, String)}, with the caller's
     * checkpoint id ({@code null}: a random one).
     */
    Optional<FlowCheckpoint> record(UUID checkpointId, String flowName, String runId, CheckpointSource source,
                                    boolean always, UUID parentId, String stepId, String nextSteps, String metadata) {
        return Sql.call(em, "record a checkpoint of FlowRun " + RunChanges.ref(flowName, runId), h -> h
                .createQuery(CheckpointSql.RECORD)
                .bindMap(Sql.parameters("checkpointId", checkpointId, "flowName", flowName, "runId", runId,
                        "source", source.name(), "always", always, "parentId", parentId, "stepId", stepId,
                        "nextSteps", nextSteps, "metadata", metadata, "now", clock.instant()))
                .map(CheckpointSql.CHECKPOINT)
                .findOne());
    }

    /**
     * Writes a {@code CheckpointRepository.put}: the run's snapshot (creating the run, counted in its flow's stats)
     * and its checkpoint, the parent the run's newest checkpoint not superseded, in one round trip ({@link
     * CheckpointSql#PUT}); returns only the columns the caller does not know: the checkpoint is built from the row's
     * ids, version and time and the caller's values (copies), not read back. Records the run's new version as
     * written in this unit of work.
     *
     * @param asynchronousCommit whether {@link CheckpointSql#PUT_ASYNCHRONOUS_COMMIT} is sent instead
     * @param checkpointId the new checkpoint's id, or {@code null} for a random one
     * @param state        the new snapshot, with {@code stateText} its checked text
     * @param nextSteps    the next steps as a JSON array, with {@code nextText} its checked text
     * @param metadata     a JSON object, with {@code metaText} its checked text
     * @return the checkpoint; empty only if the run's row was gone by the second statement (not in practice: the
     *         first holds its lock)
     */
    Optional<FlowCheckpoint> put(boolean asynchronousCommit, UUID checkpointId, String flowName, String runId,
                                 JsonNode state, String stateText, String stepId, JsonNode nextSteps, String nextText,
                                 JsonNode metadata, String metaText) {
        String ref = RunChanges.ref(flowName, runId);
        Instant now = clock.instant();
        RowMapper<FlowCheckpoint> mapper = (rs, ctx) -> FlowCheckpoint.restore(rs.getLong("id"),
                rs.getObject("checkpoint_id", UUID.class), flowName, runId, rs.getObject("parent_id", UUID.class),
                rs.getLong("run_version"), CheckpointSource.PUT, stepId, nextSteps.deepCopy(), state.deepCopy(),
                metadata.deepCopy(), false, null, null, Sql.instant(rs, "created_at"));
        Optional<FlowCheckpoint> put = Sql.call(em, "put a checkpoint of FlowRun " + ref, h -> {
            try (Query query = h.createQuery(asynchronousCommit ? CheckpointSql.PUT_ASYNCHRONOUS_COMMIT
                    : CheckpointSql.PUT)) {
                return RunStats.bind(query, flowName, null, FlowRunStatus.RUNNING, now, now)
                        .bindMap(Sql.parameters("checkpointId", checkpointId, "runId", runId, "snapshot", stateText,
                                "source", CheckpointSource.PUT.name(), "always", true, "parentId", null,
                                "stepId", stepId, "nextSteps", nextText, "metadata", metaText, "now", now))
                        .execute((executed, ctx) -> {
                            Statement statement = executed.get();
                            if (asynchronousCommit) {
                                statement.getMoreResults(); // past the setting's row
                            }
                            statement.getMoreResults(); // past the snapshot write's row count
                            ResultSet rows = statement.getResultSet();
                            return ResultIterable.of(() -> rows, mapper, ctx).findOne();
                        });
            }
        });
        put.ifPresent(c -> ReadVersions.of(em).wrote(RunChanges.ENTITY, ref, c.runVersion()));
        return put;
    }
}
