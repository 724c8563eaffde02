package dev.agentstore.persistence.feed;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.SqlStatements;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * The feed's reads: one statement that takes the next {@code limit} events after a cursor, over the tables of the
 * selected kinds ({@code UNION ALL} of one ordered, limited branch per kind, merged in feed order). Only rows of
 * transactions older than the oldest running one ({@code pg_snapshot_xmin(pg_current_snapshot())}, taken with the
 * statement's own snapshot) are read: every such transaction has ended, so no row can later appear before them.
 * A transaction that stays open delays the feed, it never makes it skip. Stateless; every value is bound.
 */
final class FeedSql {

    private static final String HORIZON = "(SELECT pg_snapshot_xmin(pg_current_snapshot()))";
    private static final String AFTER = " WHERE t.tx < " + HORIZON
            + " AND (t.tx, t.id) > (CAST(CAST(:tx AS text) AS xid8), :%s)";

    private static final String FLOW_EVENTS = """
            SELECT t.tx::text::bigint AS tx, 1 AS kind, t.id, t.flow_name, t.run_id, NULL::varchar AS trigger_name,
                   t.type, t.step_name, t.ts AS occurred_at, t.data::text AS data
            FROM flow_events t""" + AFTER.formatted("flowId");

    private static final String RUN_STATUS = """
            SELECT t.tx::text::bigint AS tx, 2 AS kind, t.id, t.flow_name, t.run_id, NULL::varchar AS trigger_name,
                   t.status AS type, NULL::varchar AS step_name, t.changed_at AS occurred_at, NULL::text AS data
            FROM flow_run_status_changes t""" + AFTER.formatted("statusId");

    private static final String TRIGGER_EVENTS = """
            SELECT t.tx::text::bigint AS tx, 3 AS kind, t.id, NULL::varchar AS flow_name, NULL::varchar AS run_id,
                   t.trigger_name, t.type, NULL::varchar AS step_name, t.ts AS occurred_at, t.data::text AS data
            FROM trigger_events t""" + AFTER.formatted("triggerId");

    /** A durable consumer's share: the events whose run (or trigger) hashes to {@code part} of {@code parts}. */
    record Partition(int part, int parts) {
    }

    private FeedSql() {
    }

    /**
     * Reads the next events after {@code from}, in feed order.
     *
     * @param handle    an open handle (autocommit or inside the caller's transaction)
     * @param selection which events
     * @param from      the position to read after
     * @param limit     at most this many, at least 1
     * @param partition a durable consumer's share, or {@code null} for all
     * @return the events, possibly none
     */
    static List<FeedEvent> read(Handle handle, FeedSelection selection, FeedCursor from, int limit,
                                Partition partition) {
        List<String> branches = new ArrayList<>();
        for (FeedKind kind : selection.kinds()) {
            branches.add("(" + branch(kind, selection, partition) + " ORDER BY t.tx, t.id LIMIT :limit)");
        }
        String sql = "SELECT * FROM (" + String.join("\nUNION ALL\n", branches)
                + ") AS f\nORDER BY tx, kind, id LIMIT :limit";
        // the branches name only the selection's parameters: the others are bound too, and unused
        return handle.createQuery(sql)
                .configure(SqlStatements.class, c -> c.setUnusedBindingAllowed(true))
                .bind("tx", from.tx()).bind("limit", limit)
                .bind("flowId", from.idBoundFor(FeedKind.FLOW_EVENT))
                .bind("statusId", from.idBoundFor(FeedKind.RUN_STATUS))
                .bind("triggerId", from.idBoundFor(FeedKind.TRIGGER_EVENT))
                .bind("flowName", selection.flowName()).bind("runId", selection.runId())
                .bind("triggerName", selection.triggerName())
                .bind("part", partition == null ? 0 : partition.part())
                .bind("parts", partition == null ? 1 : partition.parts())
                .map((rs, ctx) -> event(rs)).list();
    }

    private static String branch(FeedKind kind, FeedSelection selection, Partition partition) {
        StringBuilder sql = new StringBuilder(switch (kind) {
            case FLOW_EVENT -> FLOW_EVENTS;
            case RUN_STATUS -> RUN_STATUS;
            case TRIGGER_EVENT -> TRIGGER_EVENTS;
        });
        if (kind == FeedKind.TRIGGER_EVENT) {
            if (selection.triggerName() != null) {
                sql.append(" AND t.trigger_name = :triggerName");
            }
        } else {
            if (selection.flowName() != null) {
                sql.append(" AND t.flow_name = :flowName");
            }
            if (selection.runId() != null) {
                sql.append(" AND t.run_id = :runId");
            }
        }
        if (partition != null) {
            String key = kind == FeedKind.TRIGGER_EVENT ? "t.trigger_name" : "t.run_id";
            sql.append(" AND mod(hashtext(").append(key).append(")::bigint + 2147483648, :parts) = :part");
        }
        return sql.toString();
    }

    private static FeedEvent event(ResultSet rs) throws SQLException {
        FeedKind kind = FeedKind.ofRank(rs.getInt("kind"));
        OffsetDateTime at = rs.getObject("occurred_at", OffsetDateTime.class);
        return new FeedEvent(new FeedCursor(rs.getLong("tx"), kind.rank(), rs.getLong("id")), kind,
                rs.getString("flow_name"), rs.getString("run_id"), rs.getString("trigger_name"), rs.getString("type"),
                rs.getString("step_name"), at == null ? null : at.toInstant(), rs.getString("data"));
    }
}
