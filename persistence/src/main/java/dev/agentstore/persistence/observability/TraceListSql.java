package dev.agentstore.persistence.observability;

import dev.agentstore.domain.observability.TraceIds;
import dev.agentstore.domain.observability.TraceQuery;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The trace listing of {@link SpanRepository#listTraces}, assembled from fixed fragments chosen by which filters are
 * set; every value is a named parameter. Root spans only ({@code parent_span_id IS NULL}, the predicate of the partial
 * indexes), newest first by {@code (started_at, trace_id)}, keyset-paged: with an entity name the index
 * {@code spans_roots_entity_name_idx} gives the order, with an entity type and id {@code spans_roots_entity_idx},
 * otherwise {@code spans_roots_idx}; the other filters are checked on the rows the index walk returns.
 */
final class TraceListSql {

    private TraceListSql() {
    }

    /**
     * A statement and its values.
     *
     * @param sql    the statement
     * @param values the parameters by name (only those the text uses)
     */
    record Read(String sql, Map<String, Object> values) {
    }

    /**
     * @param query the checked query
     * @param attributes the query's attributes printed as JSON, or {@code null}
     * @return the listing statement
     */
    static Read list(TraceQuery query, String attributes) {
        Map<String, Object> values = new LinkedHashMap<>();
        StringBuilder sql = new StringBuilder("SELECT ").append(SpanSql.COLUMNS)
                .append("\n  FROM spans s\n WHERE s.parent_span_id IS NULL");
        eq(sql, values, "entity_name", "entityName", query.entityName());
        eq(sql, values, "entity_type", "entityType", query.entityType());
        eq(sql, values, "entity_id", "entityId", query.entityId());
        eq(sql, values, "name", "name", query.name());
        eq(sql, values, "span_type", "type", query.type() == null ? null : query.type().name());
        eq(sql, values, "run_id", "runId", query.runId());
        eq(sql, values, "thread_id", "threadId", query.threadId());
        eq(sql, values, "resource_id", "resourceId", query.resourceId());
        eq(sql, values, "user_id", "userId", query.userId());
        if (query.errorsOnly()) {
            sql.append("\n   AND s.status = 'ERROR'");
        }
        if (query.from() != null) {
            sql.append("\n   AND s.started_at >= :from");
            values.put("from", query.from());
        }
        if (query.to() != null) {
            sql.append("\n   AND s.started_at < :to");
            values.put("to", query.to());
        }
        if (attributes != null) {
            sql.append("\n   AND s.attributes @> CAST(:attributes AS jsonb)");
            values.put("attributes", attributes);
        }
        if (query.after() != null) {
            sql.append("\n   AND (s.started_at, s.trace_id) < (:afterStartedAt, :afterTraceId)");
            values.put("afterStartedAt", query.after().startedAt());
            values.put("afterTraceId", TraceIds.traceUuid(query.after().traceId()));
        }
        sql.append("\n ORDER BY s.started_at DESC, s.trace_id DESC\n LIMIT :limit");
        values.put("limit", query.limit());
        return new Read(sql.toString(), Collections.unmodifiableMap(values));
    }

    private static void eq(StringBuilder sql, Map<String, Object> values, String column, String name, String value) {
        if (value != null) {
            sql.append("\n   AND s.").append(column).append(" = :").append(name);
            values.put(name, value);
        }
    }
}
