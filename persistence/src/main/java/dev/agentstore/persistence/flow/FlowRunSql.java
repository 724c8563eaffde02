package dev.agentstore.persistence.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.support.Sql;
import org.jdbi.v3.core.mapper.RowMapper;

import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The statements of {@link FlowRunRepository} other than its updates ({@link RunUpdate}), and the one mapping of a
 * {@code flow_runs} row to a {@link FlowRun} ({@link #run}).
 */
final class FlowRunSql {

    /** Every column of a run, JSON as text, as {@link #run} reads them; for {@code SELECT} and {@code RETURNING}. */
    static final String COLUMNS = """
            id, flow_name, run_id, status, started_at, completed_at, last_activity_at, step_count, completed_steps,
                   CAST(emitted_events AS text) AS emitted_events, CAST(awaiting_steps AS text) AS awaiting_steps,
                   CAST(snapshot AS text) AS snapshot, resource_id, CAST(metadata AS text) AS metadata, version,
                   updated_at""";

    /** A run by its key. */
    static final String SELECT_BY_KEY = "SELECT " + COLUMNS + "\n  FROM flow_runs WHERE flow_name = :flowName AND"
            + " run_id = :runId";

    /** {@link #SELECT_BY_KEY}, locking the row until the transaction ends. */
    static final String SELECT_BY_KEY_FOR_UPDATE = SELECT_BY_KEY + " FOR UPDATE";

    /** Idempotent start: a second start of the same run inserts nothing and returns no row. */
    private static final String INSERT = """
            INSERT INTO flow_runs (flow_name, run_id, status, started_at, last_activity_at, step_count, resource_id,
                                   updated_at)
            VALUES (:flowName, :runId, 'RUNNING', :startedAt, :startedAt, CAST(:stepCount AS integer),
                    CAST(:resourceId AS varchar), :now)
            ON CONFLICT (flow_name, run_id) DO NOTHING
            RETURNING\s""" + COLUMNS + "\n";

    /** Inserts the run and counts it in its flow's stats when it was new; returns the new row, or none. */
    static final String START = RunStats.withStats(INSERT);

    static final String COMPLETE_STEP = """
            UPDATE flow_runs
               SET completed_steps = completed_steps + 1, last_activity_at = :now, updated_at = :now,
                   version = version + 1
             WHERE flow_name = :flowName AND run_id = :runId
            RETURNING completed_steps, version
            """;

    static final String DELETE = """
            DELETE FROM flow_runs WHERE flow_name = :flowName AND run_id = :runId RETURNING status
            """;

    private FlowRunSql() {
    }

    /** Maps a row with {@link #COLUMNS} ({@link #run}). */
    static final RowMapper<FlowRun> RUN = (rs, ctx) -> run(rs);

    /**
     * Reads a run from a row with {@link #COLUMNS}.
     *
     * @param rs the row
     * @return the run
     * @throws SQLException when a column is missing
     */
    static FlowRun run(ResultSet rs) throws SQLException {
        return FlowRun.restore(rs.getLong("id"), rs.getString("flow_name"), rs.getString("run_id"),
                FlowRunStatus.valueOf(rs.getString("status")), Sql.instant(rs, "started_at"),
                Sql.instant(rs, "completed_at"), Sql.instant(rs, "last_activity_at"),
                rs.getObject("step_count", Integer.class), rs.getInt("completed_steps"), json(rs, "emitted_events"),
                json(rs, "awaiting_steps"), json(rs, "snapshot"), rs.getString("resource_id"), json(rs, "metadata"),
                rs.getLong("version"), Sql.instant(rs, "updated_at"));
    }

    private static JsonNode json(ResultSet rs, String column) throws SQLException {
        String text = rs.getString(column);
        return text == null ? null : Json.parse(column, text);
    }
}
