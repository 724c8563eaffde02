package dev.agentstore.persistence.observability;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.observability.NewScore;
import dev.agentstore.domain.observability.Score;
import dev.agentstore.domain.observability.ScoreSource;
import dev.agentstore.domain.observability.ScoreStatistics;
import dev.agentstore.persistence.support.Sql;
import org.jdbi.v3.core.mapper.RowMapper;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;

/**
 * The statements of {@link ScoreRepository} and the mapping of their rows. The listings are built once from fixed
 * fragments (one filter each); every value is a named parameter.
 */
final class ScoreSql {

    static final String INSERT = """
            INSERT INTO scores (id, scorer_id, value, reason, source, entity_type, entity_id, run_id, trace_id,
                                span_id, resource_id, thread_id, scorer, input, output, metadata,
                                preprocess_step_result, analyze_step_result, prompts, additional_context,
                                request_context, created_at)
            VALUES (:id, :scorerId, :value, :reason, :source, :entityType, :entityId, :runId, :traceId,
                    :spanId, :resourceId, :threadId, CAST(:scorer AS jsonb), CAST(:input AS jsonb),
                    CAST(:output AS jsonb), CAST(:metadata AS jsonb), CAST(:preprocessStepResult AS jsonb),
                    CAST(:analyzeStepResult AS jsonb), CAST(:prompts AS jsonb), CAST(:additionalContext AS jsonb),
                    CAST(:requestContext AS jsonb), :createdAt)
            """;

    /** Every column, as {@link #ROW} reads them; JSON as text. */
    private static final String SELECT = """
            SELECT id, scorer_id, value, reason, source, entity_type, entity_id, run_id, trace_id, span_id,
                   resource_id, thread_id, CAST(scorer AS text) AS scorer, CAST(input AS text) AS input,
                   CAST(output AS text) AS output, CAST(metadata AS text) AS metadata,
                   CAST(preprocess_step_result AS text) AS preprocess_step_result,
                   CAST(analyze_step_result AS text) AS analyze_step_result, CAST(prompts AS text) AS prompts,
                   CAST(additional_context AS text) AS additional_context,
                   CAST(request_context AS text) AS request_context, created_at
              FROM scores
            """;

    static final String BY_ID = SELECT + " WHERE id = :id";

    /** The filters of the four listings; each is served by its index (scorer, run, entity, span). */
    static final String BY_SCORER = "scorer_id = :scorerId AND (CAST(:source AS varchar) IS NULL OR source = :source)";
    static final String BY_RUN = "run_id = :runId";
    static final String BY_ENTITY = "entity_id = :entityId AND entity_type = :entityType";
    static final String BY_SPAN = "trace_id = :traceId AND span_id = :spanId";

    /** Newest first; the id breaks ties between scores saved in the same microsecond. */
    private static final String PAGE = """
             ORDER BY created_at DESC, id DESC
             LIMIT :limit OFFSET :offset
            """;

    /** A statistics row per scorer and bucket; the bucket expression is {@link #WHOLE_RANGE} or {@link #BUCKETS}. */
    private static final String STATISTICS = """
            SELECT scorer_id, %s AS bucket_start, count(*) AS n, avg(value) AS mean, min(value) AS min_value,
                   max(value) AS max_value,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS p50,
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY value) AS p90,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY value) AS p99
              FROM scores
             WHERE created_at >= :from AND created_at < :to
               AND (CAST(:scorerId AS varchar) IS NULL OR scorer_id = :scorerId)
               AND (CAST(:source AS varchar) IS NULL OR source = :source)
             GROUP BY scorer_id, bucket_start
             ORDER BY scorer_id, bucket_start
            """;

    static final String WHOLE_RANGE = String.format(STATISTICS, "CAST(NULL AS timestamptz)");

    /** Fixed-width buckets aligned to 2000-01-01T00:00:00Z ({@code date_bin}, PostgreSQL 14+). */
    static final String BUCKETS = String.format(STATISTICS,
            "date_bin(make_interval(secs => :bucketSeconds), created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00')");

    static final String PRUNE = "DELETE FROM scores WHERE created_at < :cutoff";

    static final RowMapper<Score> ROW = (rs, ctx) -> Score.stored(rs.getObject("id", UUID.class),
            Sql.instant(rs, "created_at"),
            NewScore.builder(rs.getString("scorer_id"), rs.getDouble("value"))
                    .source(ScoreSource.valueOf(rs.getString("source")))
                    .reason(rs.getString("reason"))
                    .entity(rs.getString("entity_type"), rs.getString("entity_id"))
                    .runId(rs.getString("run_id"))
                    .span(rs.getString("trace_id"), rs.getString("span_id"))
                    .resourceId(rs.getString("resource_id"))
                    .threadId(rs.getString("thread_id"))
                    .scorer(json(rs, "scorer"))
                    .input(json(rs, "input"))
                    .output(json(rs, "output"))
                    .metadata(json(rs, "metadata"))
                    .preprocessStepResult(json(rs, "preprocess_step_result"))
                    .analyzeStepResult(json(rs, "analyze_step_result"))
                    .prompts(json(rs, "prompts"))
                    .additionalContext(json(rs, "additional_context"))
                    .requestContext(json(rs, "request_context"))
                    .build());

    static final RowMapper<ScoreStatistics> STATISTICS_ROW = (rs, ctx) -> new ScoreStatistics(
            rs.getString("scorer_id"), Sql.instant(rs, "bucket_start"), rs.getLong("n"), rs.getDouble("mean"),
            rs.getDouble("min_value"), rs.getDouble("max_value"), rs.getDouble("p50"), rs.getDouble("p90"),
            rs.getDouble("p99"));

    private ScoreSql() {
    }

    /** A nullable {@code jsonb} column read as text: {@code null} for SQL NULL. */
    static JsonNode json(ResultSet rs, String column) throws SQLException {
        String text = rs.getString(column);
        return text == null ? null : Json.parse(column, text);
    }

    /**
     * @param filter one of the listing filters
     * @return the page's statement
     */
    static String page(String filter) {
        return SELECT + " WHERE " + filter + PAGE;
    }

    /**
     * @param filter one of the listing filters
     * @return the count of the listing's rows
     */
    static String count(String filter) {
        return "SELECT count(*) FROM scores WHERE " + filter;
    }
}
