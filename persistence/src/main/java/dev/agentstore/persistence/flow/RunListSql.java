package dev.agentstore.persistence.flow;

import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.flow.FlowRunCursor;
import dev.agentstore.domain.flow.FlowRunFilter;
import dev.agentstore.domain.flow.FlowRunQuery;
import dev.agentstore.domain.flow.FlowRunSlice;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;
import org.jdbi.v3.core.statement.SqlStatement;

import java.util.List;
import java.util.Optional;

/**
 * The run listings of {@link FlowRunRepository} that need no flow name: a run by its run id alone, and listings by
 * {@link FlowRunQuery} with offset pages ({@link Page}, with the total) or keyset pages ({@link FlowRunSlice}). The
 * statements are assembled from fixed pieces: a query's criteria are bound, never printed. Every run read is
 * remembered as read ({@link RunChanges#read}).
 */
final class RunListSql {

    /** The newest run with a run id, whatever its flow. */
    private static final String BY_RUN_ID = "SELECT " + FlowRunSql.COLUMNS + """

              FROM flow_runs
             WHERE run_id = :runId
             ORDER BY started_at DESC, id DESC
             LIMIT 1
            """;

    private RunListSql() {
    }

    static Optional<FlowRun> findByRunId(EntityManager em, RunChanges changes, String runId) {
        return Sql.call(em, "get FlowRun runId=" + runId, h -> h.createQuery(BY_RUN_ID)
                        .bind("runId", runId)
                        .map(FlowRunSql.RUN)
                        .findOne())
                .map(changes::read);
    }

    static Page<FlowRun> page(EntityManager em, RunChanges changes, FlowRunQuery query, PageRequest page) {
        String context = "list FlowRuns " + query;
        List<FlowRun> items = page.offset() > Integer.MAX_VALUE ? List.of() : Sql.call(em, context, h -> bind(h
                        .createQuery("SELECT " + FlowRunSql.COLUMNS + "\n  FROM flow_runs" + where(query, null)
                                + order(query) + " LIMIT :limit OFFSET :offset"), query, null)
                .bind("limit", page.perPage())
                .bind("offset", page.offset())
                .map(FlowRunSql.RUN)
                .list());
        items.forEach(changes::read);
        long total = Sql.call(em, context, h -> bind(h.createQuery("SELECT count(*) FROM flow_runs"
                + where(query, null)), query, null).mapTo(long.class).one());
        return Page.of(items, page.page(), page.perPage(), total);
    }

    static FlowRunSlice slice(EntityManager em, RunChanges changes, FlowRunQuery query, FlowRunCursor after,
                              int limit) {
        List<FlowRun> rows = Sql.call(em, "list FlowRuns " + query, h -> bind(h
                        .createQuery("SELECT " + FlowRunSql.COLUMNS + "\n  FROM flow_runs" + where(query, after)
                                + order(query) + " LIMIT :limit"), query, after)
                .bind("limit", limit + 1)
                .map(FlowRunSql.RUN)
                .list());
        List<FlowRun> runs = rows.size() > limit ? rows.subList(0, limit) : rows;
        runs.forEach(changes::read);
        return new FlowRunSlice(runs, rows.size() > limit ? FlowRunCursor.after(runs.get(limit - 1)) : null);
    }

    private static String order(FlowRunQuery query) {
        return query.oldestFirst() ? "\n ORDER BY started_at, id" : "\n ORDER BY started_at DESC, id DESC";
    }

    private static String where(FlowRunQuery query, FlowRunCursor after) {
        FlowRunFilter filter = query.filter();
        StringBuilder where = new StringBuilder("\n WHERE TRUE");
        if (query.flowName() != null) {
            where.append(" AND flow_name = :flowName");
        }
        if (query.resourceId() != null) {
            where.append(" AND resource_id = :resourceId");
        }
        if (!filter.statuses().isEmpty()) {
            where.append(" AND status = ANY(:statuses)");
        }
        if (filter.startedFrom() != null) {
            where.append(" AND started_at >= :startedFrom");
        }
        if (filter.startedTo() != null) {
            where.append(" AND started_at <= :startedTo");
        }
        if (after != null) {
            where.append(query.oldestFirst() ? " AND (started_at, id) > (:afterAt, :afterId)"
                    : " AND (started_at, id) < (:afterAt, :afterId)");
        }
        return where.toString();
    }

    private static <S extends SqlStatement<S>> S bind(S statement, FlowRunQuery query, FlowRunCursor after) {
        if (query.flowName() != null) {
            statement.bind("flowName", query.flowName());
        }
        if (query.resourceId() != null) {
            statement.bind("resourceId", query.resourceId());
        }
        FlowRunFilter filter = query.filter();
        if (!filter.statuses().isEmpty()) {
            statement.bind("statuses", filter.statuses().stream().map(Enum::name).toArray(String[]::new));
        }
        if (filter.startedFrom() != null) {
            statement.bind("startedFrom", filter.startedFrom());
        }
        if (filter.startedTo() != null) {
            statement.bind("startedTo", filter.startedTo());
        }
        if (after != null) {
            statement.bind("afterAt", after.startedAt()).bind("afterId", after.id());
        }
        return statement;
    }
}
