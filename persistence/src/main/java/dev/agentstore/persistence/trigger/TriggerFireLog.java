package dev.agentstore.persistence.trigger;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.flow.FlowEventQuery;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.trigger.TriggerEvent;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.Query;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The fire log and the fire stats of {@link TriggerRepository}: its statements on {@code trigger_events} and the
 * stats columns of {@code triggers}, and the methods that run them. Arguments are checked by the repository. Every
 * value is a named parameter.
 */
final class TriggerFireLog {

    /** A fire-log row's columns, as {@link #EVENT} reads them. */
    private static final String EVENT_COLUMNS = "e.id, e.trigger_name, e.ts, e.type, CAST(e.data AS text) AS data";

    /**
     * Fire, one statement: count the fire on an ACTIVE trigger and append its event, or do nothing at all. The row
     * lock of the UPDATE serialises concurrent fires and orders them after a concurrent pause. The version is not
     * bumped: the stats are not part of the version-checked state.
     */
    private static final String FIRE = """
            WITH fired AS (
                UPDATE triggers
                   SET stats_total_fires = stats_total_fires + 1,
                       stats_last_fired_at = GREATEST(stats_last_fired_at, CAST(:ts AS timestamptz)),
                       last_activity_at = GREATEST(last_activity_at, CAST(:ts AS timestamptz))
                 WHERE name = :name AND status = 'ACTIVE'
                RETURNING name
            )
            INSERT INTO trigger_events (trigger_name, ts, type, data)
            SELECT fired.name, CAST(:ts AS timestamptz), CAST(:type AS varchar), CAST(:data AS jsonb) FROM fired
            RETURNING id
            """;

    private static final String STATUS = "SELECT status FROM triggers WHERE name = :name";

    private static final String RECORD_FLOWS_STARTED = """
            UPDATE triggers SET stats_flows_started = stats_flows_started + :n
             WHERE name = :name
            RETURNING stats_flows_started
            """;

    /** Adds {@code :delta} to one stat column ({@code %1$s}, a fixed name from {@link #STAT_COLUMNS}). */
    private static final String INCREMENT_STAT = """
            UPDATE triggers
               SET %1$s = %1$s + :delta,
                   last_activity_at = GREATEST(last_activity_at, CAST(:now AS timestamptz))
             WHERE name = :name
            RETURNING %1$s
            """;

    /** The counters that are stat columns, by the names nvent's index uses (with or without {@code stats.}). */
    private static final Map<String, String> STAT_COLUMNS = Map.of(
            "totalFires", INCREMENT_STAT.formatted("stats_total_fires"),
            "flowsStarted", INCREMENT_STAT.formatted("stats_flows_started"),
            "activeSubscribers", INCREMENT_STAT.formatted("stats_active_subscribers"));

    /** Adds {@code :delta} to a named counter in {@code counters} (absent counts as 0), in the row's lock. */
    private static final String INCREMENT_COUNTER = """
            UPDATE triggers
               SET counters = jsonb_set(counters, ARRAY[CAST(:counter AS text)],
                       to_jsonb(COALESCE(CAST(counters ->> CAST(:counter AS text) AS bigint), 0) + :delta)),
                   last_activity_at = GREATEST(last_activity_at, CAST(:now AS timestamptz))
             WHERE name = :name
            RETURNING CAST(counters ->> CAST(:counter AS text) AS bigint)
            """;

    private static final String SELECT_EVENTS = "SELECT " + EVENT_COLUMNS
            + " FROM trigger_events e WHERE e.trigger_name = :name";

    /** Keyset, ascending: rows strictly after the cursor row by (ts, id); an index condition. */
    private static final String AFTER_ASC = " AND (e.ts, e.id) > ((SELECT c.ts FROM trigger_events c"
            + " WHERE c.id = :after AND c.trigger_name = :name), :after)";

    /** Keyset, descending: rows strictly before the cursor row by (ts, id); an index condition. */
    private static final String AFTER_DESC = " AND (e.ts, e.id) < ((SELECT c.ts FROM trigger_events c"
            + " WHERE c.id = :after AND c.trigger_name = :name), :after)";

    /** One bounded retention batch; no ORDER BY (every row older than the cutoff goes). Served by BRIN(ts). */
    private static final String PURGE_BATCH = """
            DELETE FROM trigger_events
            WHERE id IN (SELECT id FROM trigger_events WHERE ts < :cutoff LIMIT :batchSize)
            """;

    private static final String EVENT_EXISTS =
            "SELECT count(*) FROM trigger_events WHERE id = :after AND trigger_name = :name";

    private static final RowMapper<TriggerEvent> EVENT = (rs, ctx) -> {
        String data = rs.getString("data");
        return TriggerEvent.recorded(rs.getLong("id"), rs.getString("trigger_name"), Sql.instant(rs, "ts"),
                rs.getString("type"), data == null ? null : Json.parse("data", data));
    };

    private TriggerFireLog() {
    }

    /**
     * Counts a fire on an ACTIVE trigger and appends its event, in one statement.
     *
     * @param json the payload as checked JSON text, or {@code null} for none
     * @return the event's id
     * @throws NotFoundException     when there is no such trigger
     * @throws InvalidInputException when the trigger is not ACTIVE (the message names its status)
     */
    static long fire(EntityManager em, String name, String type, Instant ts, String json) {
        return Sql.call(em, "fire Trigger " + name, h -> {
            Optional<Long> id = h.createQuery(FIRE)
                    .bind("ts", ts)
                    .bind("name", name)
                    .bind("type", type)
                    .bind("data", json)
                    .mapTo(long.class)
                    .findOne();
            if (id.isPresent()) {
                return id.get();
            }
            String status = h.createQuery(STATUS).bind("name", name).mapTo(String.class).findOne()
                    .orElseThrow(() -> new NotFoundException("Trigger", "name=" + name));
            throw new InvalidInputException("Trigger " + name + " is " + status
                    + " and does not fire; only ACTIVE triggers fire");
        });
    }

    /**
     * @return the flows-started stat after adding {@code n}
     * @throws NotFoundException when there is no such trigger
     */
    static long recordFlowsStarted(EntityManager em, String name, int n) {
        return Sql.call(em, "record flows started of Trigger " + name, h -> h.createQuery(RECORD_FLOWS_STARTED)
                        .bind("n", n)
                        .bind("name", name)
                        .mapTo(long.class)
                        .findOne())
                .orElseThrow(() -> new NotFoundException("Trigger", "name=" + name));
    }

    /**
     * Adds {@code delta} to a counter: a stat column for {@code totalFires}, {@code flowsStarted} and
     * {@code activeSubscribers} (also with the prefix {@code stats.}), else the named counter in {@code counters}.
     *
     * @return the counter after the addition
     * @throws NotFoundException when there is no such trigger
     */
    static long increment(EntityManager em, String name, String counter, long delta, Instant now) {
        String stat = STAT_COLUMNS.get(counter.startsWith("stats.") ? counter.substring(6) : counter);
        return Sql.call(em, "increment " + counter + " of Trigger " + name, h -> {
            Query update = h.createQuery(stat != null ? stat : INCREMENT_COUNTER)
                    .bind("delta", delta)
                    .bind("now", now)
                    .bind("name", name);
            if (stat == null) {
                update.bind("counter", counter);
            }
            return update.mapTo(long.class).findOne();
        }).orElseThrow(() -> new NotFoundException("Trigger", "name=" + name));
    }

    /**
     * @return one page of the fire log in the query's order, with its filters and cursor
     * @throws NotFoundException when the query's cursor is not the id of an event of this trigger
     */
    static List<TriggerEvent> events(EntityManager em, String name, FlowEventQuery query) {
        boolean asc = query.order() == FlowEventQuery.Order.ASC;
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("name", name);
        StringBuilder sql = new StringBuilder(SELECT_EVENTS);
        if (!query.types().isEmpty()) {
            sql.append(" AND e.type = ANY (CAST(:types AS text[]))");
            values.put("types", query.types().toArray(new String[0]));
        }
        if (query.from() != null) {
            sql.append(" AND e.ts >= :from");
            values.put("from", query.from());
        }
        if (query.to() != null) {
            sql.append(" AND e.ts <= :to");
            values.put("to", query.to());
        }
        Long afterId = query.afterId();
        if (afterId != null) {
            sql.append(asc ? AFTER_ASC : AFTER_DESC);
            values.put("after", afterId);
        }
        sql.append(asc ? " ORDER BY e.ts ASC, e.id ASC" : " ORDER BY e.ts DESC, e.id DESC").append(" LIMIT :limit");
        values.put("limit", query.limit());
        return Sql.call(em, "read TriggerEvents of " + name, h -> {
            List<TriggerEvent> events = h.createQuery(sql.toString()).bindMap(values).map(EVENT).list();
            if (events.isEmpty() && afterId != null && h.createQuery(EVENT_EXISTS)
                    .bind("after", afterId)
                    .bind("name", name)
                    .mapTo(long.class)
                    .one() == 0) {
                throw new NotFoundException("TriggerEvent", "id=" + afterId + " of trigger " + name
                        + " (the cursor of a read)");
            }
            return events;
        });
    }

    /** @return how many events older than {@code cutoff} one bounded statement deleted */
    static int purgeBatch(EntityManager em, Instant cutoff, int batchSize) {
        return Sql.call(em, "purge TriggerEvents older than " + cutoff, h -> h.createUpdate(PURGE_BATCH)
                .bind("cutoff", cutoff)
                .bind("batchSize", batchSize)
                .execute());
    }
}
