package dev.agentstore.persistence.trigger;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.trigger.TriggerEvent;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.Query;

import java.time.Instant;
import java.util.List;
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
                       stats_last_fired_at = GREATEST(stats_last_fired_at, CAST(:ts AS timestamptz))
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

    private static final String EVENTS = "SELECT " + EVENT_COLUMNS + """
             FROM trigger_events e WHERE e.trigger_name = :name
            ORDER BY e.ts DESC, e.id DESC LIMIT :limit
            """;

    /**
     * Keyset: strictly older than the cursor row by (ts, id); an index condition on (trigger_name, ts DESC, id DESC).
     */
    private static final String EVENTS_BEFORE = "SELECT " + EVENT_COLUMNS + """
             FROM trigger_events e WHERE e.trigger_name = :name
               AND (e.ts, e.id) < ((SELECT c.ts FROM trigger_events c WHERE c.id = :after AND c.trigger_name = :name),
                                   :after)
            ORDER BY e.ts DESC, e.id DESC LIMIT :limit
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
     * @return one page of the fire log, newest first, strictly older than {@code afterId} when it is given
     * @throws NotFoundException when {@code afterId} is not the id of an event of this trigger
     */
    static List<TriggerEvent> events(EntityManager em, String name, int limit, Long afterId) {
        return Sql.call(em, "read TriggerEvents of " + name, h -> {
            Query page = h.createQuery(afterId == null ? EVENTS : EVENTS_BEFORE)
                    .bind("name", name)
                    .bind("limit", limit);
            if (afterId != null) {
                page.bind("after", afterId);
            }
            List<TriggerEvent> events = page.map(EVENT).list();
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
}
