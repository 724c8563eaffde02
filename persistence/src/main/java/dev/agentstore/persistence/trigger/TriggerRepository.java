package dev.agentstore.persistence.trigger;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.trigger.Trigger;
import dev.agentstore.domain.trigger.TriggerEvent;
import dev.agentstore.domain.trigger.TriggerStatus;
import dev.agentstore.domain.trigger.TriggerType;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import dev.agentstore.persistence.support.PersistenceErrors;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.persistence.TypedQuery;
import jakarta.transaction.Transactional;
import org.hibernate.Session;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Triggers (nvent's {@code nvent:triggers} index) and their append-only fire log ({@code nvent:trigger:event:<name>}):
 * register (upsert), get, list, pause/resume/disable, merge-patch subscriptions, fire, record flows started, read
 * the fire log, delete.
 *
 * <p>Runs in the caller's transaction and never begins or commits one itself. Status changes and subscription
 * merges are read-modify-write on the {@link Trigger} entity, checked by its {@code @Version}: a concurrent commit
 * makes them fail with {@link dev.agentstore.domain.ConcurrencyConflictException}, so wrap them in
 * {@code store.fromTransactionWithRetry(RetryPolicy.DEFAULT, ...)} to merge without losing updates. Fires and
 * flows-started counts are single atomic statements that never conflict.
 *
 * <p><b>In a Jakarta EE container</b> every method is {@code @Transactional(REQUIRED)}: it joins the caller's JTA
 * transaction, or runs in one of its own when called outside any (one call, one unit of work). agentstore's own
 * exceptions ({@link dev.agentstore.domain.AgentStoreException} and subclasses) do not mark the caller's transaction
 * for rollback, as standalone, where a caught {@code NotFoundException} leaves the unit of work usable; JPA errors
 * still do (Hibernate marks the transaction). Retry with {@code dev.agentstore.persistence.jakarta.TransactionalRetry}.
 */
@ApplicationScoped
@Transactional(dontRollbackOn = AgentStoreException.class)
public class TriggerRepository {

    /**
     * Register or re-register, race-free (concurrent registrations of one name both succeed): a new trigger is
     * ACTIVE with zero stats; an existing one gets the new type and subscriptions (replaced, as nvent's
     * {@code index.add}) and a version bump, and keeps its status, registration time and stats.
     */
    private static final String REGISTER = """
            INSERT INTO triggers (name, type, status, registered_at, subscriptions, version, updated_at)
            VALUES (?, ?, 'ACTIVE', ?, CAST(? AS jsonb), 0, ?)
            ON CONFLICT (name) DO UPDATE
               SET type = EXCLUDED.type,
                   subscriptions = EXCLUDED.subscriptions,
                   version = triggers.version + 1,
                   updated_at = EXCLUDED.updated_at
            RETURNING version
            """;

    /**
     * Fire, one statement: count the fire on an ACTIVE trigger and append its event, or do nothing at all. The row
     * lock of the UPDATE serialises concurrent fires and orders them after a concurrent pause. The version is not
     * bumped: the stats are not part of the entity's optimistic-locked state.
     */
    private static final String FIRE = """
            WITH fired AS (
                UPDATE triggers
                   SET stats_total_fires = stats_total_fires + 1,
                       stats_last_fired_at = GREATEST(stats_last_fired_at, CAST(? AS timestamptz))
                 WHERE name = ? AND status = 'ACTIVE'
                RETURNING name
            )
            INSERT INTO trigger_events (trigger_name, ts, type, data)
            SELECT fired.name, CAST(? AS timestamptz), CAST(? AS varchar), CAST(? AS jsonb) FROM fired
            RETURNING id
            """;

    private static final String STATUS = """
            SELECT status FROM triggers WHERE name = :name
            """;

    private static final String RECORD_FLOWS_STARTED = """
            UPDATE triggers SET stats_flows_started = stats_flows_started + :n
             WHERE name = :name
            RETURNING stats_flows_started
            """;

    private static final String EVENTS = """
            SELECT e.* FROM trigger_events e WHERE e.trigger_name = :name
            ORDER BY e.ts DESC, e.id DESC LIMIT :limit
            """;

    /** Keyset: strictly older than the cursor row by (ts, id); an index condition on (trigger_name, ts DESC, id DESC). */
    private static final String EVENTS_BEFORE = """
            SELECT e.* FROM trigger_events e WHERE e.trigger_name = :name
               AND (e.ts, e.id) < ((SELECT c.ts FROM trigger_events c WHERE c.id = :after AND c.trigger_name = :name),
                                   :after)
            ORDER BY e.ts DESC, e.id DESC LIMIT :limit
            """;

    private static final String EVENT_EXISTS = """
            SELECT count(*) FROM trigger_events WHERE id = :after AND trigger_name = :name
            """;

    /** Event type {@link #fire(String, JsonNode)} records. */
    public static final String FIRED = "fired";
    /** Largest page of {@link #events}. */
    public static final int MAX_EVENTS_LIMIT = 1000;

    @PersistenceContext(unitName = "agentstore")
    private EntityManager em;
    private Clock clock = Clock.systemUTC();

    /** For CDI's proxy; the container injects the entity manager. */
    protected TriggerRepository() {
    }

    /**
     * Standalone use: a repository bound to one entity manager (one transaction).
     *
     * @param em    the transaction's entity manager
     * @param clock where the time comes from
     */
    public TriggerRepository(EntityManager em, Clock clock) {
        this.em = em;
        this.clock = clock;
    }

    /**
     * Registers a trigger with no subscriptions; see {@link #register(String, TriggerType, JsonNode)}.
     *
     * @param name the trigger's name
     * @param type what makes it fire
     * @return the trigger as stored
     * @throws InvalidInputException when {@code name} is blank or longer than 255 characters, or {@code type} is
     *                               {@code null}
     */
    public Trigger register(String name, TriggerType type) {
        return register(name, type, Json.object());
    }

    /**
     * Registers a trigger, or re-registers an existing one, in one race-free statement
     * ({@code INSERT ... ON CONFLICT (name) DO UPDATE}): a new trigger is {@link TriggerStatus#ACTIVE}, registered
     * now, with zero stats; an existing one gets {@code type} and {@code subscriptions} (replacing the old ones, as
     * nvent's {@code index.add}) and a new version, and keeps its status, registration time and stats.
     *
     * @param name          the trigger's name, 1–255 characters, not blank
     * @param type          what makes it fire
     * @param subscriptions its subscriptions, a JSON object
     * @return the trigger as stored, managed by this transaction
     * @throws InvalidInputException when {@code name} is blank or longer than 255 characters, {@code type} is
     *                               {@code null}, or {@code subscriptions} is not a JSON object; nothing is written
     */
    public Trigger register(String name, TriggerType type, JsonNode subscriptions) {
        Trigger candidate = new Trigger(name, type, subscriptions, now());
        String json = JsonWrites.print(em, "subscriptions", candidate.subscriptions());
        try {
            em.flush();
            long version = session().doReturningWork(connection -> {
                try (PreparedStatement ps = connection.prepareStatement(REGISTER)) {
                    ps.setString(1, candidate.name());
                    ps.setString(2, candidate.type().name());
                    ps.setObject(3, candidate.registeredAt().atOffset(ZoneOffset.UTC));
                    ps.setString(4, json);
                    ps.setObject(5, candidate.updatedAt().atOffset(ZoneOffset.UTC));
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        return rs.getLong(1);
                    }
                }
            });
            Trigger stored = em.find(Trigger.class, name);
            if (stored.version() != version) {
                em.refresh(stored); // loaded earlier in this transaction: show what the upsert wrote
            }
            return stored;
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate("register Trigger " + name, e);
        }
    }

    /**
     * @param name the trigger's name
     * @return the trigger, or empty when there is none by that name
     * @throws InvalidInputException when {@code name} is blank or longer than 255 characters
     * @throws AgentStoreException   when the database fails (translated by {@link PersistenceErrors})
     */
    public Optional<Trigger> find(String name) {
        Check.name("name", name);
        return db("find Trigger " + name, () -> Optional.ofNullable(em.find(Trigger.class, name)));
    }

    /**
     * @param name the trigger's name
     * @return the trigger
     * @throws InvalidInputException when {@code name} is blank or longer than 255 characters
     * @throws NotFoundException     when there is no trigger by that name
     * @throws AgentStoreException   when the database fails (translated by {@link PersistenceErrors})
     */
    public Trigger get(String name) {
        return find(name).orElseThrow(() -> new NotFoundException("Trigger", "name=" + name));
    }

    /**
     * Lists all triggers by name.
     *
     * @param page which page
     * @return the page, ordered by name
     * @throws InvalidInputException when {@code page} is {@code null}
     * @throws AgentStoreException   when the database fails (translated by {@link PersistenceErrors})
     */
    public Page<Trigger> list(PageRequest page) {
        return list(null, page);
    }

    /**
     * Lists the triggers with one status, by name.
     *
     * @param status the status to list, or {@code null} for all
     * @param page   which page
     * @return the page, ordered by name
     * @throws InvalidInputException when {@code page} is {@code null}
     * @throws AgentStoreException   when the database fails (translated by {@link PersistenceErrors})
     */
    public Page<Trigger> list(TriggerStatus status, PageRequest page) {
        Check.notNull("page", page);
        String where = status == null ? "" : " where t.status = :status";
        return db("list Triggers" + (status == null ? "" : " with status " + status), () -> {
            TypedQuery<Trigger> items = em.createQuery("select t from Trigger t" + where + " order by t.name",
                    Trigger.class);
            TypedQuery<Long> count = em.createQuery("select count(t) from Trigger t" + where, Long.class);
            if (status != null) {
                items.setParameter("status", status);
                count.setParameter("status", status);
            }
            List<Trigger> rows = items.setFirstResult((int) Math.min(page.offset(), Integer.MAX_VALUE))
                    .setMaxResults(page.perPage())
                    .getResultList();
            return Page.of(rows, page.page(), page.perPage(), count.getSingleResult());
        });
    }

    /**
     * Pauses a trigger ({@link Trigger#pause}): it stops firing until resumed. Version-checked.
     *
     * @param name the trigger's name
     * @return the trigger
     * @throws NotFoundException     when there is no trigger by that name
     * @throws InvalidInputException when the name is invalid or the trigger is {@link TriggerStatus#DISABLED}
     * @throws dev.agentstore.domain.ConcurrencyConflictException when another transaction changed it since it was read
     */
    public Trigger pause(String name) {
        Trigger t = get(name);
        t.pause(now());
        return flushed(t, "pause");
    }

    /**
     * Makes a paused or disabled trigger active again ({@link Trigger#resume}). Version-checked.
     *
     * @param name the trigger's name
     * @return the trigger
     * @throws NotFoundException     when there is no trigger by that name
     * @throws InvalidInputException when the name is invalid
     * @throws dev.agentstore.domain.ConcurrencyConflictException when another transaction changed it since it was read
     */
    public Trigger resume(String name) {
        Trigger t = get(name);
        t.resume(now());
        return flushed(t, "resume");
    }

    /**
     * Disables a trigger ({@link Trigger#disable}). Version-checked.
     *
     * @param name the trigger's name
     * @return the trigger
     * @throws NotFoundException     when there is no trigger by that name
     * @throws InvalidInputException when the name is invalid
     * @throws dev.agentstore.domain.ConcurrencyConflictException when another transaction changed it since it was read
     */
    public Trigger disable(String name) {
        Trigger t = get(name);
        t.disable(now());
        return flushed(t, "disable");
    }

    /**
     * Deep-merges {@code patch} into the trigger's subscriptions (JSON Merge Patch, RFC 7386, as nvent's
     * {@code update}: nested objects merge, {@code null} deletes a key, arrays and scalars replace). Read-modify-write
     * checked by {@code @Version} at the flush this method does: if another transaction committed a change to the
     * trigger since this one read it, this fails instead of overwriting it. Run it in
     * {@code store.fromTransactionWithRetry(RetryPolicy.DEFAULT, uow -> uow.triggers().updateSubscriptions(...))}
     * to retry on a fresh read, losing nothing.
     *
     * @param name  the trigger's name
     * @param patch the patch, a JSON object
     * @return the trigger with the merged subscriptions
     * @throws InvalidInputException when the name is invalid or {@code patch} is not a JSON object; nothing is written
     * @throws NotFoundException     when there is no trigger by that name
     * @throws dev.agentstore.domain.ConcurrencyConflictException when another transaction changed it since it was read
     */
    public Trigger updateSubscriptions(String name, JsonNode patch) {
        Check.name("name", name);
        JsonWrites.check(em, "patch", Json.requireObject("patch", patch));
        Trigger t = get(name);
        t.mergeSubscriptions(patch, now());
        return flushed(t, "update subscriptions of");
    }

    /**
     * Adds {@code n} to the trigger's flows-started stat, atomically (one {@code UPDATE ... SET x = x + n}; concurrent
     * calls never lose a count and never conflict).
     *
     * @param name the trigger's name
     * @param n    how many flows a fire started, 0 or more
     * @return the stat after the addition
     * @throws InvalidInputException when the name is invalid or {@code n} is negative
     * @throws NotFoundException     when there is no trigger by that name
     */
    public long recordFlowsStarted(String name, int n) {
        Check.name("name", name);
        Check.notNegative("n", n);
        try {
            em.flush();
            List<?> rows = em.createNativeQuery(RECORD_FLOWS_STARTED)
                    .setParameter("n", n)
                    .setParameter("name", name)
                    .getResultList();
            if (rows.isEmpty()) {
                throw new NotFoundException("Trigger", "name=" + name);
            }
            return ((Number) rows.get(0)).longValue();
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate("record flows started of Trigger " + name, e);
        }
    }

    /**
     * Fires a trigger, recording an event of type {@value #FIRED}; see {@link #fire(String, String, JsonNode)}.
     *
     * @param name the trigger's name
     * @param data the payload, any JSON value, or {@code null} for none
     * @return the recorded event
     * @throws NotFoundException     when there is no trigger by that name
     * @throws InvalidInputException when the name is invalid or the trigger is not active; nothing is written
     */
    public TriggerEvent fire(String name, JsonNode data) {
        return fire(name, FIRED, data);
    }

    /**
     * Fires a trigger: appends an event to its fire log AND adds one to {@code totalFires} and sets
     * {@code lastFiredAt} to now (never moving it backwards), all in ONE statement (a data-modifying CTE), so the log
     * and the stats always agree and concurrent fires never lose a count. Only an {@link TriggerStatus#ACTIVE}
     * trigger fires.
     *
     * @param name the trigger's name
     * @param type the event type, for example {@value #FIRED}, 1–255 characters
     * @param data the payload, any JSON value ({@link com.fasterxml.jackson.databind.node.NullNode} stores JSON
     *             {@code null}), or {@code null} for none
     * @return the recorded event, its time the clock's now truncated to milliseconds
     * @throws NotFoundException     when there is no trigger by that name; nothing is written
     * @throws InvalidInputException when a name is invalid, or the trigger is {@link TriggerStatus#PAUSED} or
     *                               {@link TriggerStatus#DISABLED} (the message says which); nothing is written
     */
    public TriggerEvent fire(String name, String type, JsonNode data) {
        Check.name("name", name);
        Check.name("type", type);
        Instant ts = now();
        String json = data == null ? null : JsonWrites.print(em, "data", data);
        try {
            em.flush(); // a status change made through the entity in this transaction must be seen by the statement
            Long id = session().doReturningWork(connection -> {
                try (PreparedStatement ps = connection.prepareStatement(FIRE)) {
                    ps.setObject(1, ts.atOffset(ZoneOffset.UTC));
                    ps.setString(2, name);
                    ps.setObject(3, ts.atOffset(ZoneOffset.UTC));
                    ps.setString(4, type);
                    ps.setString(5, json);
                    try (ResultSet rs = ps.executeQuery()) {
                        return rs.next() ? rs.getLong(1) : null;
                    }
                }
            });
            if (id == null) {
                List<?> status = em.createNativeQuery(STATUS).setParameter("name", name).getResultList();
                if (status.isEmpty()) {
                    throw new NotFoundException("Trigger", "name=" + name);
                }
                throw new InvalidInputException("Trigger " + name + " is " + status.get(0)
                        + " and does not fire; only ACTIVE triggers fire");
            }
            return TriggerEvent.recorded(id, name, ts, type, data);
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate("fire Trigger " + name, e);
        }
    }

    /**
     * Reads a trigger's fire log, newest first by {@code (ts, id)}, served by the index
     * {@code (trigger_name, ts DESC, id DESC)}; see {@link #events(String, int, Long)}.
     *
     * @param name  the trigger's name
     * @param limit the most rows returned, 1–{@value #MAX_EVENTS_LIMIT}
     * @return the newest events; empty when there are none (or no such trigger)
     * @throws InvalidInputException when the name is invalid or {@code limit} is out of range
     */
    public List<TriggerEvent> events(String name, int limit) {
        return events(name, limit, null);
    }

    /**
     * Reads a trigger's fire log, newest first by {@code (ts, id)}, one page. To read older events, pass the last
     * returned id as {@code afterId}: the next page holds only events strictly older than it, so paging returns every
     * event exactly once.
     *
     * @param name    the trigger's name
     * @param limit   the most rows returned, 1–{@value #MAX_EVENTS_LIMIT}
     * @param afterId the id of the last event already seen, or {@code null} to start with the newest
     * @return at most {@code limit} events; empty when there are none (more), or no such trigger
     * @throws InvalidInputException when the name is invalid, {@code limit} is out of range or {@code afterId} is
     *                               less than 1
     * @throws NotFoundException     when {@code afterId} is not the id of an event of this trigger
     */
    public List<TriggerEvent> events(String name, int limit, Long afterId) {
        Check.name("name", name);
        Check.range("limit", limit, 1, MAX_EVENTS_LIMIT);
        if (afterId != null && afterId < 1) {
            throw new InvalidInputException("afterId must be a positive event id, was " + afterId);
        }
        try {
            var q = em.createNativeQuery(afterId == null ? EVENTS : EVENTS_BEFORE, TriggerEvent.class)
                    .setParameter("name", name)
                    .setParameter("limit", limit);
            if (afterId != null) {
                q.setParameter("after", afterId);
            }
            @SuppressWarnings("unchecked")
            List<TriggerEvent> events = q.getResultList();
            if (events.isEmpty() && afterId != null && ((Number) em.createNativeQuery(EVENT_EXISTS)
                    .setParameter("after", afterId).setParameter("name", name).getSingleResult()).longValue() == 0) {
                throw new NotFoundException("TriggerEvent", "id=" + afterId + " of trigger " + name
                        + " (the cursor of a read)");
            }
            return events;
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate("read TriggerEvents of " + name, e);
        }
    }

    /**
     * Deletes a trigger and, by {@code ON DELETE CASCADE}, its fire log. Version-checked.
     *
     * @param name the trigger's name
     * @return {@code true} when it existed
     * @throws InvalidInputException when the name is invalid
     * @throws dev.agentstore.domain.ConcurrencyConflictException when another transaction changed it since it was read
     */
    public boolean delete(String name) {
        Optional<Trigger> t = find(name);
        if (t.isEmpty()) {
            return false;
        }
        db("delete Trigger " + name, () -> {
            em.remove(t.get());
            return flushed(t.get(), "delete");
        });
        return true;
    }

    private static <T> T db(String context, Supplier<T> work) {
        try {
            return work.get();
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate(context, e);
        }
    }

    private Trigger flushed(Trigger t, String what) {
        try {
            em.flush();
            return t;
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate(what + " Trigger " + t.name(), e);
        }
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    private Session session() {
        return em.unwrap(Session.class);
    }
}
