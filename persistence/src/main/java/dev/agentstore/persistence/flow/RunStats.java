package dev.agentstore.persistence.flow;

import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.domain.flow.FlowStat;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;
import org.jdbi.v3.core.statement.SqlStatement;

import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;

/**
 * The flow counters a run lifecycle event moves: one {@code UPDATE flows} with the deltas of the event, run alone
 * ({@link #apply}) or as the {@code stats} query of a run's own write statement ({@link #withStats}). A new run counts
 * in {@code total} and its status's gauge and moves {@code lastRunAt} forward; a status change subtracts 1 from the
 * old status's gauge (a terminal status keeps its history counter) and adds 1 to the new status's counter
 * ({@link FlowRunStatus#stat}: a pending run is in no gauge); a deleted active run subtracts 1 from its gauge.
 * Gauges are clamped at 0; a flow that is not registered moves nothing. The flow's {@code version} is left alone.
 */
final class RunStats {

    /**
     * The counter moves of one event. Parameters: {@code :totalDelta} … {@code :cancelledDelta}, {@code :lastRunAt}
     * (or {@code null}), {@code :now}, {@code :flowName} ({@link #bind}).
     */
    static final String UPDATE = """
            UPDATE flows
               SET stats_total     = stats_total + :totalDelta,
                   stats_success   = stats_success + :successDelta,
                   stats_failure   = stats_failure + :failureDelta,
                   stats_running   = greatest(stats_running + :runningDelta, 0),
                   stats_awaiting  = greatest(stats_awaiting + :awaitingDelta, 0),
                   stats_cancelled = stats_cancelled + :cancelledDelta,
                   last_run_at     = greatest(last_run_at, CAST(:lastRunAt AS timestamptz)),
                   updated_at      = :now
             WHERE name = :flowName
            """;

    private RunStats() {
    }

    /**
     * A run's write and, only when it wrote a row, the counters of its flow, in one statement: the stats query reads
     * the write's rows, so the run's row is written (and locked) before its flow's. Built by concatenation, not
     * {@link String#format}: it runs on every status move.
     *
     * @param write an {@code INSERT} or {@code UPDATE} of one run with a {@code RETURNING} clause, whose parameters
     *              do not clash with {@link #UPDATE}'s (it may share {@code :flowName} and {@code :now})
     * @return the write and the counter moves in one statement, returning the write's rows; bind both
     */
    static String withStats(String write) {
        return "WITH run AS (\n" + write + "),\nstats AS (\n" + UPDATE + "   AND EXISTS (SELECT 1 FROM run))\n"
                + "SELECT * FROM run\n";
    }

    /**
     * An upsert of one run and, only when it inserted the run, the counters of its flow, in one statement without a
     * result (the stats update is its main statement; the upsert's row lock comes first, as in {@link #withStats}).
     *
     * @param upsert an {@code INSERT ... ON CONFLICT ... DO UPDATE} of one run without a {@code RETURNING} clause,
     *               whose parameters do not clash with {@link #UPDATE}'s (it may share {@code :flowName} and
     *               {@code :now})
     * @return the statement; bind both
     */
    static String withStatsOnInsert(String upsert) {
        return "WITH run AS (\n" + upsert + "RETURNING (xmax = 0) AS inserted\n)\n" + UPDATE
                + "   AND EXISTS (SELECT 1 FROM run WHERE inserted)\n";
    }

    /**
     * Moves the counters of a flow for one run lifecycle event in one statement, when the event moves any.
     *
     * @param em        the unit of work's entity manager
     * @param context   what is being done, for error messages
     * @param flowName  the run's flow
     * @param from      the run's status before, or {@code null} for a new run
     * @param to        the run's status after, or {@code null} for a deleted run
     * @param startedAt the new run's start time, moving {@code lastRunAt} forward, or {@code null}
     * @param now       the flow's {@code updatedAt}
     */
    static void apply(EntityManager em, String context, String flowName, FlowRunStatus from, FlowRunStatus to,
                      Instant startedAt, Instant now) {
        if (moves(from, to, startedAt)) {
            Sql.run(em, context, h -> bind(h.createUpdate(UPDATE), flowName, from, to, startedAt, now).execute());
        }
    }

    /**
     * Binds {@link #UPDATE}'s parameters for one event.
     *
     * @param statement a statement whose SQL contains {@link #UPDATE}
     * @param flowName  the run's flow
     * @param from      the run's status before, or {@code null} for a new run
     * @param to        the run's status after, or {@code null} for a deleted run
     * @param startedAt the new run's start time, or {@code null}
     * @param now       the flow's {@code updatedAt}
     * @param <S>       the statement type
     * @return {@code statement}
     */
    static <S extends SqlStatement<S>> S bind(S statement, String flowName, FlowRunStatus from, FlowRunStatus to,
                                             Instant startedAt, Instant now) {
        Map<FlowStat, Long> delta = deltas(from, to);
        return statement.bind("totalDelta", delta.get(FlowStat.TOTAL))
                .bindMap(Sql.parameters("successDelta", delta.get(FlowStat.SUCCESS),
                        "failureDelta", delta.get(FlowStat.FAILURE), "runningDelta", delta.get(FlowStat.RUNNING),
                        "awaitingDelta", delta.get(FlowStat.AWAITING), "cancelledDelta", delta.get(FlowStat.CANCELLED),
                        "lastRunAt", startedAt, "now", now))
                .bind("flowName", flowName);
    }

    /**
     * @return whether the event moves any counter or {@code lastRunAt} (a move between two terminal statuses, or a
     *         deleted terminal run, moves nothing)
     */
    private static boolean moves(FlowRunStatus from, FlowRunStatus to, Instant startedAt) {
        return startedAt != null || deltas(from, to).values().stream().anyMatch(d -> d != 0);
    }

    private static Map<FlowStat, Long> deltas(FlowRunStatus from, FlowRunStatus to) {
        Map<FlowStat, Long> delta = new EnumMap<>(FlowStat.class);
        for (FlowStat s : FlowStat.values()) {
            delta.put(s, 0L);
        }
        if (from == null) {
            delta.merge(FlowStat.TOTAL, 1L, Long::sum);
        } else if (!from.isTerminal() && from.stat() != null) {
            delta.merge(from.stat(), -1L, Long::sum);
        }
        if (to != null && to.stat() != null) {
            delta.merge(to.stat(), 1L, Long::sum);
        }
        return delta;
    }
}
