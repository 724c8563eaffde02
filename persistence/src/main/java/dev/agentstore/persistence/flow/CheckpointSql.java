package dev.agentstore.persistence.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.flow.CheckpointSource;
import dev.agentstore.domain.flow.FlowCheckpoint;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.support.Sql;
import org.jdbi.v3.core.mapper.RowMapper;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The statements of {@link CheckpointRepository} and {@link CheckpointWrites}, and the one mapping of a
 * {@code flow_checkpoints} row to a {@link FlowCheckpoint} ({@link #CHECKPOINT}).
 */
final class CheckpointSql {

    /** Every column of a checkpoint, JSON as text; for {@code SELECT} and {@code RETURNING}. */
    static final String COLUMNS = """
            id, checkpoint_id, flow_name, run_id, parent_id, run_version, source, step_id,
                   CAST(next_steps AS text) AS next_steps, CAST(state AS text) AS state,
                   CAST(metadata AS text) AS metadata, superseded, release_message, released_at, created_at""";

    /**
     * Records a checkpoint of a run as its row is now (the snapshot this transaction just wrote): the parent is the
     * caller's, or else the run's newest checkpoint not superseded. Runs as its own statement after the write, whose
     * row lock it relies on: a statement started before a concurrent writer committed would not see that writer's
     * checkpoint (PostgreSQL re-reads only the locked row after the wait), so reading the parent in the write's
     * statement could give two checkpoints one parent. Inserts nothing when {@code :always} is false and the flow has
     * no policy, or the run does not exist.
     */
    static final String RECORD = insertFromRun("""
            RETURNING\s""" + COLUMNS + "\n");

    /**
     * {@code CheckpointRepository.put} as one statement text of two statements, which pgjdbc sends in one round trip
     * with one Sync: the run's snapshot upsert ({@link RunWrites#REPLACE_FOR_PUT}, no result), then {@link #RECORD},
     * always, returning only what the caller does not know (no state, step, next steps or metadata: it sent them).
     * PostgreSQL runs the statements before a Sync as one implicit transaction when no transaction is open, so in
     * autocommit mode both commit or neither does; each statement takes its own snapshot, so the second one reads
     * the parent after the first holds the run's row lock, as two separate statements did.
     */
    static final String PUT = RunWrites.REPLACE_FOR_PUT + ";\n"
            + insertFromRun("RETURNING id, checkpoint_id, parent_id, run_version, created_at\n");

    /**
     * {@link #PUT} after {@code synchronous_commit} set off for the transaction ({@code set_config(..., true)}, that
     * is {@code SET LOCAL}, as a {@code SELECT}: PostgreSQL warns about a {@code SET LOCAL} statement outside a
     * transaction block, and the implicit transaction of a Sync is not one), in the same statement text and round
     * trip.
     */
    static final String PUT_ASYNCHRONOUS_COMMIT = "SELECT set_config('synchronous_commit', 'off', true);\n" + PUT;

    private static String insertFromRun(String returning) {
        return """
            INSERT INTO flow_checkpoints (checkpoint_id, flow_name, run_id, parent_id, run_version, source, step_id,
                                          next_steps, state, metadata, created_at)
            SELECT coalesce(CAST(:checkpointId AS uuid), gen_random_uuid()), r.flow_name, r.run_id,
                   coalesce(CAST(:parentId AS uuid),
                            (SELECT c.checkpoint_id
                               FROM flow_checkpoints c
                              WHERE c.flow_name = r.flow_name AND c.run_id = r.run_id AND NOT c.superseded
                              ORDER BY c.id DESC
                              LIMIT 1)),
                   r.version, :source, CAST(:stepId AS varchar), CAST(:nextSteps AS jsonb), r.snapshot,
                   CAST(:metadata AS jsonb), :now
              FROM flow_runs r
             WHERE r.flow_name = :flowName AND r.run_id = :runId
               AND (:always OR EXISTS (SELECT 1 FROM flow_checkpoint_policies p WHERE p.flow_name = r.flow_name))
            """ + returning;
    }

    /**
     * A run's checkpoints, newest first, strictly before {@code :before} (every one when it is null); the state only
     * when {@code :withState} (reading it detoasts and prints each state).
     */
    static final String HISTORY = "SELECT " + COLUMNS.replace("CAST(state AS text) AS state",
            "CASE WHEN :withState THEN CAST(state AS text) END AS state") + """

              FROM flow_checkpoints
             WHERE flow_name = :flowName AND run_id = :runId
               AND (CAST(:before AS uuid) IS NULL
                    OR id < (SELECT b.id FROM flow_checkpoints b WHERE b.checkpoint_id = CAST(:before AS uuid)))
             ORDER BY id DESC
             LIMIT :limit
            """;

    /** A run's newest checkpoint not superseded. */
    static final String LATEST = "SELECT " + COLUMNS + """

              FROM flow_checkpoints
             WHERE flow_name = :flowName AND run_id = :runId AND NOT superseded
             ORDER BY id DESC
             LIMIT 1
            """;

    static final String GET = "SELECT " + COLUMNS + "\n  FROM flow_checkpoints WHERE checkpoint_id = :checkpointId";

    static final String RELEASED = "SELECT " + COLUMNS + """

              FROM flow_checkpoints
             WHERE flow_name = :flowName AND run_id = :runId AND released_at IS NOT NULL
            """;

    /** The run's snapshot set to a checkpoint's state; {@code :state} from the checkpoint row. */
    static final String RESUME_RUN = """
            UPDATE flow_runs
               SET snapshot = (SELECT state FROM flow_checkpoints WHERE checkpoint_id = :checkpointId),
                   last_activity_at = :now, updated_at = :now, version = version + 1
             WHERE flow_name = :flowName AND run_id = :runId
            RETURNING\s""" + FlowRunSql.COLUMNS + "\n";

    /** The checkpoints of a run after the one resumed from become history. */
    static final String SUPERSEDE = """
            UPDATE flow_checkpoints
               SET superseded = true
             WHERE flow_name = :flowName AND run_id = :runId AND id > :id AND NOT superseded
            """;

    /** Tags a run's newest checkpoint (not superseded) as its release. */
    static final String RELEASE = """
            UPDATE flow_checkpoints
               SET release_message = :message, released_at = :now
             WHERE id = (SELECT max(id) FROM flow_checkpoints
                          WHERE flow_name = :flowName AND run_id = :runId AND NOT superseded)
            RETURNING\s""" + COLUMNS + "\n";

    /** A flow's policy: its retention and count. */
    static final String POLICY = "SELECT retention, keep_last FROM flow_checkpoint_policies WHERE flow_name = :flowName";

    /** Sets a registered flow's policy; no row when the flow is not registered. */
    static final String CONFIGURE = """
            INSERT INTO flow_checkpoint_policies (flow_name, retention, keep_last, updated_at)
            SELECT name, :retention, CAST(:keepLast AS integer), :now FROM flows WHERE name = :flowName
            ON CONFLICT (flow_name) DO UPDATE
               SET retention = EXCLUDED.retention, keep_last = EXCLUDED.keep_last, updated_at = EXCLUDED.updated_at
            RETURNING retention, keep_last
            """;

    static final String DISABLE = "DELETE FROM flow_checkpoint_policies WHERE flow_name = :flowName";

    /** The statuses a run ends in, as an SQL list of literals (fixed text from {@link FlowRunStatus}). */
    private static final String TERMINAL = Arrays.stream(FlowRunStatus.values())
            .filter(FlowRunStatus::isTerminal)
            .map(s -> "'" + s.name() + "'")
            .collect(Collectors.joining(", "));

    /**
     * Deletes what the policies of the flows (one flow, or every flow when {@code :flowName} is null) do not keep:
     * beyond the newest {@code keep_last} of each run, or every checkpoint of a terminal run; a release is kept.
     */
    static final String PRUNE = """
            DELETE FROM flow_checkpoints
             WHERE id IN (
                   SELECT x.id
                     FROM (SELECT c.id, c.released_at, p.retention, p.keep_last, r.status,
                                  row_number() OVER (PARTITION BY c.flow_name, c.run_id ORDER BY c.id DESC) AS rank
                             FROM flow_checkpoints c
                             JOIN flow_checkpoint_policies p ON p.flow_name = c.flow_name
                             JOIN flow_runs r ON r.flow_name = c.flow_name AND r.run_id = c.run_id
                            WHERE CAST(:flowName AS varchar) IS NULL OR c.flow_name = CAST(:flowName AS varchar)) x
                    WHERE x.released_at IS NULL
                      AND ((x.retention = 'KEEP_LAST' AND x.rank > x.keep_last)
                        OR (x.retention = 'NONE_AFTER_COMPLETION' AND x.status IN (%s))))
            """.formatted(TERMINAL);

    /** Maps a row with {@link #COLUMNS}. */
    static final RowMapper<FlowCheckpoint> CHECKPOINT = (rs, ctx) -> checkpoint(rs);

    private CheckpointSql() {
    }

    private static FlowCheckpoint checkpoint(ResultSet rs) throws SQLException {
        return FlowCheckpoint.restore(rs.getLong("id"), rs.getObject("checkpoint_id", UUID.class),
                rs.getString("flow_name"), rs.getString("run_id"), rs.getObject("parent_id", UUID.class),
                rs.getLong("run_version"), CheckpointSource.valueOf(rs.getString("source")), rs.getString("step_id"),
                json(rs, "next_steps"), json(rs, "state"), json(rs, "metadata"), rs.getBoolean("superseded"),
                rs.getString("release_message"), Sql.instant(rs, "released_at"), Sql.instant(rs, "created_at"));
    }

    private static JsonNode json(ResultSet rs, String column) throws SQLException {
        String text = rs.getString(column);
        return text == null ? null : Json.parse(column, text);
    }
}
