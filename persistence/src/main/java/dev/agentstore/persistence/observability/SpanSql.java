package dev.agentstore.persistence.observability;

import dev.agentstore.domain.observability.Span;
import dev.agentstore.domain.observability.SpanEntity;
import dev.agentstore.domain.observability.SpanRow;
import dev.agentstore.domain.observability.SpanStatus;
import dev.agentstore.domain.observability.SpanType;
import dev.agentstore.domain.observability.TraceIds;
import dev.agentstore.persistence.support.Sql;
import org.jdbi.v3.core.mapper.RowMapper;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.UUID;

/**
 * The fixed statements of {@link SpanRepository} and the mapping of their rows ({@link #SPAN}, {@link #traceSpan}).
 * Ids are bound in their stored forms: a trace id as a {@link UUID} (or its hex text cast to {@code uuid}), a span id
 * as a {@code long}.
 */
final class SpanSql {

    /** The written columns, in the order of {@link #INSERT} and of the COPY rows ({@link SpanCopy}). */
    static final String WRITE_COLUMNS = """
            trace_id, span_id, parent_span_id, name, span_type, entity_type, entity_id, entity_name, run_id, thread_id,
             resource_id, user_id, started_at, ended_at, status, error, input, output, attributes, metadata, created_at""";

    static final String INSERT = "INSERT INTO spans (" + WRITE_COLUMNS + """
            )
            VALUES (:traceId, :spanId, :parentSpanId, :name, :type, :entityType, :entityId, :entityName, :runId,
                    :threadId, :resourceId, :userId, :startedAt, :endedAt, :status, CAST(:error AS jsonb),
                    CAST(:input AS jsonb), CAST(:output AS jsonb), CAST(:attributes AS jsonb), CAST(:metadata AS jsonb),
                    :createdAt)
            """;

    /** Every column as {@link #SPAN} reads it. */
    static final String COLUMNS = """
            s.trace_id, s.span_id, s.parent_span_id, s.name, s.span_type, s.entity_type, s.entity_id, s.entity_name,
                   s.run_id, s.thread_id, s.resource_id, s.user_id, s.started_at, s.ended_at, s.status,
                   CAST(s.error AS text) AS error, CAST(s.input AS text) AS input, CAST(s.output AS text) AS output,
                   CAST(s.attributes AS text) AS attributes, CAST(s.metadata AS text) AS metadata, s.created_at,
                   s.updated_at""";

    /** The columns of a light read: no input, output, attributes, metadata. */
    private static final String LIGHT_COLUMNS = """
            s.trace_id, s.span_id, s.parent_span_id, s.name, s.span_type, s.entity_type, s.entity_id, s.entity_name,
                   s.run_id, s.thread_id, s.resource_id, s.user_id, s.started_at, s.ended_at, s.status,
                   CAST(s.error AS text) AS error, s.created_at, s.updated_at""";

    static final String GET = "SELECT " + COLUMNS + """

              FROM spans s
             WHERE s.trace_id = :traceId
               AND s.span_id = :spanId
            """;

    /** The first root (a whole trace has one). */
    static final String ROOT = "SELECT " + COLUMNS + """

              FROM spans s
             WHERE s.trace_id = :traceId
               AND s.parent_span_id IS NULL
             ORDER BY s.started_at, s.span_id
             LIMIT 1
            """;

    /** A whole trace, in no particular order ({@link #traceSpan}); its one parameter is positional. */
    static final String TRACE = "SELECT " + COLUMNS + """

              FROM spans s
             WHERE s.trace_id = ?
            """;

    /** {@link #TRACE} in light form. */
    static final String TRACE_LIGHT = "SELECT " + LIGHT_COLUMNS + """

              FROM spans s
             WHERE s.trace_id = ?
            """;

    /**
     * Many updates, one statement: eight bound arrays unnested into rows; a {@code null} element keeps the stored
     * value; attributes and metadata are merged ({@code ||}).
     */
    static final String UPDATE_ALL = """
            UPDATE spans s
               SET ended_at = coalesce(u.ended_at, s.ended_at),
                   status = coalesce(u.status, s.status),
                   error = coalesce(u.error, s.error),
                   output = coalesce(u.output, s.output),
                   attributes = CASE WHEN u.attributes IS NULL THEN s.attributes ELSE s.attributes || u.attributes END,
                   metadata = CASE WHEN u.metadata IS NULL THEN s.metadata ELSE s.metadata || u.metadata END,
                   updated_at = :now
              FROM unnest(CAST(:traceIds AS uuid[]), CAST(:spanIds AS bigint[]), CAST(:endedAts AS timestamptz[]),
                          CAST(:statuses AS varchar[]), CAST(:errors AS jsonb[]), CAST(:outputs AS jsonb[]),
                          CAST(:attributes AS jsonb[]), CAST(:metadata AS jsonb[]))
                   AS u(trace_id, span_id, ended_at, status, error, output, attributes, metadata)
             WHERE s.trace_id = u.trace_id
               AND s.span_id = u.span_id
            """;

    /**
     * A batch as one upsert: twenty bound arrays unnested into rows; a span already stored with the same ids and start
     * time is replaced (every column but {@code created_at}, which stays, and {@code updated_at}, set to {@code :now}).
     */
    static final String UPSERT_ALL = "INSERT INTO spans (" + WRITE_COLUMNS + """
            )
            SELECT u.*, CAST(:now AS timestamptz)
              FROM unnest(CAST(:traceIds AS uuid[]), CAST(:spanIds AS bigint[]), CAST(:parentSpanIds AS bigint[]),
                          CAST(:names AS varchar[]), CAST(:types AS varchar[]), CAST(:entityTypes AS varchar[]),
                          CAST(:entityIds AS varchar[]), CAST(:entityNames AS varchar[]), CAST(:runIds AS varchar[]),
                          CAST(:threadIds AS varchar[]), CAST(:resourceIds AS varchar[]), CAST(:userIds AS varchar[]),
                          CAST(:startedAts AS timestamptz[]), CAST(:endedAts AS timestamptz[]),
                          CAST(:statuses AS varchar[]), CAST(:errors AS jsonb[]), CAST(:inputs AS jsonb[]),
                          CAST(:outputs AS jsonb[]), CAST(:attributes AS jsonb[]), CAST(:metadata AS jsonb[])) AS u
            ON CONFLICT (trace_id, span_id, started_at) DO UPDATE
               SET parent_span_id = EXCLUDED.parent_span_id, name = EXCLUDED.name, span_type = EXCLUDED.span_type,
                   entity_type = EXCLUDED.entity_type, entity_id = EXCLUDED.entity_id,
                   entity_name = EXCLUDED.entity_name, run_id = EXCLUDED.run_id, thread_id = EXCLUDED.thread_id,
                   resource_id = EXCLUDED.resource_id, user_id = EXCLUDED.user_id, ended_at = EXCLUDED.ended_at,
                   status = EXCLUDED.status, error = EXCLUDED.error, input = EXCLUDED.input, output = EXCLUDED.output,
                   attributes = EXCLUDED.attributes, metadata = EXCLUDED.metadata, updated_at = EXCLUDED.created_at
            """;

    static final String DELETE_TRACES = "DELETE FROM spans WHERE trace_id = ANY (CAST(:traceIds AS uuid[]))";

    /**
     * One bounded prune batch: the old spans of the traces of at most {@code :batchSize} old spans (any of them, in no
     * order: the BRIN index {@code spans_started_idx} skips the block ranges that hold only newer spans and the scan
     * stops after {@code :batchSize}; an {@code ORDER BY started_at} would make it read and sort every old span),
     * deleted through the primary key's leading {@code trace_id}. Deleting by a joined key list instead let PostgreSQL
     * pick a hash join over a scan of the whole table.
     */
    static final String PRUNE_BATCH = """
            DELETE FROM spans
             WHERE started_at < :cutoff
               AND trace_id = ANY (ARRAY(
                   SELECT DISTINCT o.trace_id
                     FROM (SELECT trace_id FROM spans WHERE started_at < :cutoff LIMIT :batchSize) o))
            """;

    /**
     * A row of {@link #COLUMNS} as a span, read by column position (the order of {@link #COLUMNS}, which every
     * statement mapped with it selects first): ids kept in their stored forms, JSON values as text, parsed when first
     * used ({@link Span#fromRow}).
     */
    static final RowMapper<Span> SPAN = (rs, ctx) -> Span.fromRow(row(rs, true), false);

    private SpanSql() {
    }

    /**
     * A row of {@link #TRACE} or {@link #TRACE_LIGHT} as a span, by column position as {@link #SPAN}.
     *
     * @param light whether the row holds the light columns
     * @return the mapper
     */
    static RowMapper<Span> traceSpan(boolean light) {
        return (rs, ctx) -> Span.fromRow(row(rs, !light), light);
    }

    /** Columns 1 to 16 are the same in both lists; then the four large JSON values (full only) and the two times. */
    private static SpanRow row(ResultSet rs, boolean full) throws SQLException {
        long parent = rs.getLong(3);
        Long parentSpanId = rs.wasNull() ? null : parent;
        int times = full ? 21 : 17;
        return new SpanRow(rs.getObject(1, UUID.class), rs.getLong(2), parentSpanId, rs.getString(4),
                SpanType.valueOf(rs.getString(5)), new SpanEntity(rs.getString(6), rs.getString(7), rs.getString(8)),
                rs.getString(9), rs.getString(10), rs.getString(11), rs.getString(12), Sql.instant(rs, 13),
                Sql.instant(rs, 14), SpanStatus.valueOf(rs.getString(15)), rs.getString(16),
                full ? rs.getString(17) : null, full ? rs.getString(18) : null, full ? rs.getString(19) : null,
                full ? rs.getString(20) : null, Sql.instant(rs, times), Sql.instant(rs, times + 1));
    }


    /**
     * A span's key as statement parameters {@code traceId} and {@code spanId}, checked first.
     *
     * @throws dev.agentstore.domain.InvalidInputException when an id is {@code null} or not a W3C Trace Context id
     */
    static Map<String, Object> key(String traceId, String spanId) {
        return Sql.parameters("traceId", TraceIds.requireTraceId("traceId", traceId),
                "spanId", TraceIds.requireSpanId("spanId", spanId));
    }
}
