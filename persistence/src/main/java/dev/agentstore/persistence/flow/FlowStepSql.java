package dev.agentstore.persistence.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.flow.FlowStep;
import dev.agentstore.domain.flow.FlowStepStatus;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.support.Sql;
import org.jdbi.v3.core.mapper.RowMapper;

import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The statements of {@link FlowStepRepository} and the one mapping of a {@code flow_steps} row to a {@link FlowStep}
 * ({@link #STEP}). Named parameters: {@code :flowName}, {@code :runId}, {@code :stepId}, {@code :now}; JSON as text
 * cast to {@code jsonb}.
 */
final class FlowStepSql {

    /** Every column of a step, JSON as text, as {@link #STEP} reads them; for {@code SELECT} and {@code RETURNING}. */
    static final String COLUMNS = """
            id, flow_name, run_id, step_id, parent_step_id, name, status, CAST(input AS text) AS input,
                   CAST(output AS text) AS output, CAST(error AS text) AS error, attempt, started_at, ended_at,
                   created_at, updated_at, version""";

    /**
     * Locks the run's row against status moves and other writers ({@code FOR NO KEY UPDATE}: a completion's
     * {@code FOR UPDATE} and any {@code UPDATE flow_runs} wait for the step write's transaction, and it waits for
     * theirs); returns the run's status.
     */
    static final String LOCK_RUN = """
            SELECT status FROM flow_runs WHERE flow_name = :flowName AND run_id = :runId FOR NO KEY UPDATE
            """;

    static final String SELECT = "SELECT " + COLUMNS + "\n  FROM flow_steps"
            + "\n WHERE flow_name = :flowName AND run_id = :runId AND step_id = :stepId";

    static final String SELECT_FOR_UPDATE = SELECT + " FOR UPDATE";

    static final String PARENT_EXISTS = """
            SELECT EXISTS (SELECT 1 FROM flow_steps
                            WHERE flow_name = :flowName AND run_id = :runId AND step_id = :parentStepId)
            """;

    /**
     * A new step; returns no row when a concurrent transaction inserted it first. {@code started_at} is "now" unless
     * given or the step is {@code PENDING}; {@code ended_at} is "now" unless given or the step is active.
     */
    static final String INSERT = """
            INSERT INTO flow_steps (flow_name, run_id, step_id, parent_step_id, name, status, input, output, error,
                                    attempt, started_at, ended_at, created_at, updated_at)
            VALUES (:flowName, :runId, :stepId, CAST(:parentStepId AS varchar),
                    COALESCE(CAST(:name AS varchar), :stepId), :status,
                    CAST(:input AS jsonb), CAST(:output AS jsonb), CAST(:error AS jsonb),
                    COALESCE(CAST(:attempt AS integer), 1),
                    COALESCE(CAST(:startedAt AS timestamptz), CASE WHEN :status <> 'PENDING' THEN :now END),
                    COALESCE(CAST(:endedAt AS timestamptz),
                             CASE WHEN :status IN ('SUCCESS', 'FAILED', 'CANCELED', 'TIMED_OUT') THEN :now END),
                    :now, :now)
            ON CONFLICT (flow_name, run_id, step_id) DO NOTHING
            RETURNING\s""" + COLUMNS + "\n";

    /**
     * Writes an existing step (locked by {@link #SELECT_FOR_UPDATE}) at the version read: a field whose
     * {@code :set…} flag is false (or whose value is {@code NULL}) keeps its value; {@code started_at} becomes "now"
     * the first time the step leaves {@code PENDING}, {@code ended_at} "now" when it becomes terminal (kept when it
     * was terminal already) and {@code NULL} when it becomes active again, unless given.
     */
    static final String UPDATE = """
            UPDATE flow_steps
               SET status     = :status,
                   name       = COALESCE(CAST(:name AS varchar), name),
                   input      = CASE WHEN :setInput THEN CAST(:input AS jsonb) ELSE input END,
                   output     = CASE WHEN :setOutput THEN CAST(:output AS jsonb) ELSE output END,
                   error      = CASE WHEN :setError THEN CAST(:error AS jsonb) ELSE error END,
                   attempt    = COALESCE(CAST(:attempt AS integer), attempt),
                   started_at = COALESCE(CAST(:startedAt AS timestamptz), started_at,
                                         CASE WHEN :status <> 'PENDING' THEN :now END),
                   ended_at   = CASE
                                  WHEN CAST(:endedAt AS timestamptz) IS NOT NULL THEN CAST(:endedAt AS timestamptz)
                                  WHEN :status NOT IN ('SUCCESS', 'FAILED', 'CANCELED', 'TIMED_OUT') THEN NULL
                                  WHEN status IN ('SUCCESS', 'FAILED', 'CANCELED', 'TIMED_OUT')
                                       THEN COALESCE(ended_at, :now)
                                  ELSE :now
                                END,
                   updated_at = :now,
                   version    = version + 1
             WHERE id = :id AND version = :version
            RETURNING\s""" + COLUMNS + "\n";

    /** A run's steps in creation order. */
    static final String LIST = "SELECT " + COLUMNS + "\n  FROM flow_steps"
            + "\n WHERE flow_name = :flowName AND run_id = :runId ORDER BY id";

    /** How many of a run's steps are in each status. */
    static final String COUNT_BY_STATUS = """
            SELECT status, count(*) AS n FROM flow_steps
             WHERE flow_name = :flowName AND run_id = :runId
             GROUP BY status
            """;

    /** How many of one step's children are in each status. */
    static final String COUNT_CHILDREN_BY_STATUS = """
            SELECT status, count(*) AS n FROM flow_steps
             WHERE flow_name = :flowName AND run_id = :runId AND parent_step_id = :parentStepId
             GROUP BY status
            """;

    /**
     * What keeps a run from completing, first the active steps (at any depth), then the failed top-level steps;
     * creation order within each. Read after the run's row is locked.
     */
    static final String BLOCKING = """
            SELECT step_id, status, parent_step_id IS NULL AS top_level FROM flow_steps
             WHERE flow_name = :flowName AND run_id = :runId
               AND (status IN ('PENDING', 'RUNNING', 'WAITING', 'PAUSED')
                    OR (parent_step_id IS NULL AND status IN ('FAILED', 'TIMED_OUT')))
             ORDER BY status IN ('FAILED', 'TIMED_OUT'), id
             LIMIT 1
            """;

    private FlowStepSql() {
    }

    /** Maps a row with {@link #COLUMNS}. */
    static final RowMapper<FlowStep> STEP = (rs, ctx) -> step(rs);

    private static FlowStep step(ResultSet rs) throws SQLException {
        return FlowStep.restore(rs.getLong("id"), rs.getString("flow_name"), rs.getString("run_id"),
                rs.getString("step_id"), rs.getString("parent_step_id"), rs.getString("name"),
                FlowStepStatus.valueOf(rs.getString("status")), json(rs, "input"), json(rs, "output"),
                json(rs, "error"), rs.getInt("attempt"), Sql.instant(rs, "started_at"), Sql.instant(rs, "ended_at"),
                Sql.instant(rs, "created_at"), Sql.instant(rs, "updated_at"), rs.getLong("version"));
    }

    private static JsonNode json(ResultSet rs, String column) throws SQLException {
        String text = rs.getString(column);
        return text == null ? null : Json.parse(column, text);
    }
}
