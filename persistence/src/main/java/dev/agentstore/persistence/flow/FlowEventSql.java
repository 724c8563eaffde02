package dev.agentstore.persistence.flow;

import dev.agentstore.domain.flow.FlowEvent;
import dev.agentstore.domain.flow.FlowEventQuery;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.support.Sql;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.Query;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The statements of {@link FlowEventRepository} and the mapping of their rows ({@link #EVENT}). The two reads are
 * assembled from fixed fragments chosen by which filters are set ({@link #read}, {@link #byFlow}); every value is a
 * named parameter.
 */
final class FlowEventSql {

    /** One event, one round trip: the id from the column default {@code nextval('flow_events_seq')}. */
    static final String APPEND = """
            INSERT INTO flow_events (run_id, flow_name, ts, type, step_name, step_id, attempt, data)
            VALUES (:runId, :flowName, :ts, :type, :stepName, :stepId, :attempt, CAST(:data AS jsonb))
            RETURNING id
            """;

    /**
     * A whole batch, one round trip: eight bound arrays (column-wise), unnested in input order; {@code nextval} (the
     * column default) is evaluated row by row over the ordered rows, so the ids ascend in input order.
     */
    static final String APPEND_ALL = """
            INSERT INTO flow_events (run_id, flow_name, ts, type, step_name, step_id, attempt, data)
            SELECT u.run_id, u.flow_name, u.ts, u.type, u.step_name, u.step_id, u.attempt, u.data
            FROM unnest(CAST(:runIds AS varchar[]), CAST(:flowNames AS varchar[]), CAST(:timestamps AS timestamptz[]),
                        CAST(:types AS varchar[]), CAST(:stepNames AS varchar[]), CAST(:stepIds AS varchar[]),
                        CAST(:attempts AS int[]), CAST(:data AS jsonb[]))
                 WITH ORDINALITY AS u(run_id, flow_name, ts, type, step_name, step_id, attempt, data, ord)
            ORDER BY u.ord
            RETURNING id
            """;

    static final String CURSOR_EXISTS = "SELECT count(*) FROM flow_events WHERE id = :after AND run_id = :runId";

    static final String DELETE_RUN = "DELETE FROM flow_events WHERE run_id = :runId";

    /**
     * One bounded purge batch. No ORDER BY: every row older than the cutoff goes, so which ones go first does not
     * matter, and sorting all old rows for every batch would cost more than the delete.
     */
    static final String PURGE_BATCH = """
            DELETE FROM flow_events
            WHERE id IN (SELECT id FROM flow_events WHERE ts < :cutoff LIMIT :batchSize)
            """;

    /** The columns of a read, as {@link #EVENT} maps them; {@code data} as text, parsed with {@link Json}. */
    private static final String SELECT_EVENTS = """
            SELECT e.id, e.run_id, e.flow_name, e.ts, e.type, e.step_name, e.step_id, e.attempt,
                   CAST(e.data AS text) AS data
              FROM flow_events e""";

    /**
     * Keyset cursor, ascending: rows strictly after the cursor row by (ts, id); an index condition on the run index.
     */
    private static final String AFTER_ASC =
            " AND (e.ts, e.id) > ((SELECT c.ts FROM flow_events c WHERE c.id = :after AND c.run_id = :runId), :after)";

    /** Keyset cursor, descending: rows strictly before the cursor row by (ts, id); as {@link #AFTER_ASC}. */
    private static final String AFTER_DESC =
            " AND (e.ts, e.id) < ((SELECT c.ts FROM flow_events c WHERE c.id = :after AND c.run_id = :runId), :after)";

    /**
     * Maps a row of a read. Events are immutable values: they are built from the columns (no persistence context),
     * and {@code data} is parsed once and taken over ({@link FlowEvent#stored}).
     */
    static final RowMapper<FlowEvent> EVENT = (rs, ctx) -> {
        String data = rs.getString("data");
        return FlowEvent.stored(rs.getLong("id"), rs.getString("run_id"), rs.getString("flow_name"),
                Sql.instant(rs, "ts"), rs.getString("type"), rs.getString("step_name"), rs.getString("step_id"),
                rs.getObject("attempt", Integer.class), data == null ? null : Json.parse("data", data));
    };

    private FlowEventSql() {
    }

    /**
     * A read assembled at run time: its text and the values of its named parameters (only those the text uses).
     *
     * @param sql    the statement
     * @param values the parameters by name
     */
    record Read(String sql, Map<String, Object> values) {

        /**
         * @param query a query created from {@link #sql()}
         * @return {@code query} with every value bound
         */
        Query bind(Query query) {
            return query.bindMap(values);
        }
    }

    /**
     * The read of {@code FlowEventRepository.read}: a run's events with the query's filters, cursor, order and limit,
     * served by the index {@code (run_id, ts DESC, id DESC)}.
     *
     * @param runId the run's id
     * @param query the checked query
     * @return the statement and its values
     */
    static Read read(String runId, FlowEventQuery query) {
        boolean asc = query.order() == FlowEventQuery.Order.ASC;
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("runId", runId);
        StringBuilder sql = new StringBuilder(SELECT_EVENTS).append(" WHERE e.run_id = :runId");
        if (!query.types().isEmpty()) {
            sql.append(" AND e.type = ANY (CAST(:types AS text[]))");
            values.put("types", query.types().toArray(new String[0]));
        }
        between(sql, values, query.from(), query.to());
        if (query.afterId() != null) {
            sql.append(asc ? AFTER_ASC : AFTER_DESC);
            values.put("after", query.afterId());
        }
        sql.append(asc ? " ORDER BY e.ts ASC, e.id ASC" : " ORDER BY e.ts DESC, e.id DESC").append(" LIMIT :limit");
        values.put("limit", query.limit());
        return new Read(sql.toString(), Collections.unmodifiableMap(values));
    }

    /**
     * The read of {@code FlowEventRepository.readByFlow}: a flow's events of one type, newest first, with or without
     * each time bound, served by the index {@code (flow_name, type, ts DESC)}.
     *
     * @param flowName the flow's name
     * @param type     the event type
     * @param from     earliest {@code ts}, inclusive, or {@code null}
     * @param to       latest {@code ts}, inclusive, or {@code null}
     * @param limit    the most rows returned
     * @return the statement and its values
     */
    static Read byFlow(String flowName, String type, Instant from, Instant to, int limit) {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("flowName", flowName);
        values.put("type", type);
        StringBuilder sql = new StringBuilder(SELECT_EVENTS)
                .append(" WHERE e.flow_name = :flowName AND e.type = :type");
        between(sql, values, from, to);
        sql.append(" ORDER BY e.ts DESC, e.id DESC LIMIT :limit");
        values.put("limit", limit);
        return new Read(sql.toString(), Collections.unmodifiableMap(values));
    }

    /** Adds the time bounds that are set, inclusive, to a read. */
    private static void between(StringBuilder sql, Map<String, Object> values, Instant from, Instant to) {
        if (from != null) {
            sql.append(" AND e.ts >= :from");
            values.put("from", from);
        }
        if (to != null) {
            sql.append(" AND e.ts <= :to");
            values.put("to", to);
        }
    }
}
