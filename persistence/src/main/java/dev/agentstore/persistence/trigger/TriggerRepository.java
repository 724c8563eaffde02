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
import dev.agentstore.persistence.support.ReadVersions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
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
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * Triggers and their append-only fire log:
 * register (upsert), get, list, pause/resume/disable, merge-patch subscriptions, fire, record flows started, read
 * the fire log, delete.
 *
 * <p>Runs in the caller's transaction and never begins or commits one itself. Fires and flows-started counts are
 * single atomic statements that never conflict and are not checked (they do not change the version).
 *
 * <p><b>Read-modify-write.</b> A trigger that a unit of work read ({@link #find}, {@link #get}, {@link #list},
 * {@link #findForUpdate}, or its own earlier write) is written by {@link #updateSubscriptions}, {@link #pause},
 * {@link #resume}, {@link #disable} and {@link #register} only if it still has the version read
 * ({@link ReadVersions}): the write locks the row, compares, and fails with a
 * {@link dev.agentstore.domain.ConcurrencyConflictException} carrying both versions when another transaction
 * changed the trigger in between, so a subscription value computed from a read is never lost; wrap the unit of work
 * in {@code store.fromTransactionWithRetry(RetryPolicy.DEFAULT, ...)} to re-run it on a fresh read.
 * {@link #findForUpdate} locks the row at the read instead, so concurrent writers queue (for hot rows). Callers
 * outside a unit of work pass the version they read ({@link #updateSubscriptions(String, JsonNode, long)}). A write
 * of a trigger the unit of work has not read locks the row as it reads it, so it never conflicts; a re-registration
 * of an unread trigger is the one-statement upsert (a put). {@link #delete} is checked by the entity's
 * {@code @Version} only.
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
@Transactional(dontRollbackOn = AgentStoreException.class)
public class TriggerRepository {

    /**
     * Register or re-register, race-free (concurrent registrations of one name both succeed): a new trigger is
     * ACTIVE with zero stats; an existing one gets the new type and subscriptions (replaced, not
     * merged) and a version bump, and keeps its status, registration time and stats.
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

    /** Locks a trigger's row and reads its version, to compare with the version a write expects. */
    private static final String LOCK_VERSION = "SELECT version FROM triggers WHERE name = ?1 FOR UPDATE";

    /** The entity name in {@link ReadVersions} and conflict messages. */
    private static final String ENTITY = "Trigger";

    /** Event type {@link #fire(String, JsonNode)} records. */
    public static final String FIRED = "fired";
    /** Largest page of {@link #events}. */
    public static final int MAX_EVENTS_LIMIT = 1000;

    @PersistenceContext(unitName = "agentstore")
    private EntityManager em;
    @Inject
    private Clock clock;

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
     * now, with zero stats; an existing one gets {@code type} and {@code subscriptions} (replacing the old ones, not
     * merging) and a new version, and keeps its status, registration time and stats. When this
     * unit of work read the trigger, it is re-registered only if it still has the version read.
     *
     * @param name          the trigger's name, 1–255 characters, not blank
     * @param type          what makes it fire
     * @param subscriptions its subscriptions, a JSON object
     * @return the trigger as stored, managed by this transaction
     * @throws InvalidInputException                              when {@code name} is blank or longer than 255
     *                                                            characters, {@code type} is {@code null}, or
     *                                                            {@code subscriptions} is not a JSON object; nothing
     *                                                            is written
     * @throws NotFoundException                                  when this unit of work read the trigger and it was
     *                                                            deleted since
     * @throws dev.agentstore.domain.ConcurrencyConflictException when this unit of work read the trigger and another
     *                                                            transaction changed it since (it carries both
     *                                                            versions); nothing is written
     */
    public Trigger register(String name, TriggerType type, JsonNode subscriptions) {
        Trigger candidate = new Trigger(name, type, subscriptions, now());
        String json = JsonWrites.print(em, "subscriptions", candidate.subscriptions());
        try {
            em.flush();
            OptionalLong expected = versions().expected(ENTITY, name);
            if (expected.isPresent()) {
                ReadVersions.requireVersion(em, LOCK_VERSION, ENTITY, name, expected.getAsLong());
            }
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
            return wrote(stored);
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate("register Trigger " + name, e);
        }
    }

    /**
     * Reads a trigger. In a unit of work, the version read is remembered: a later write of the trigger in the same
     * unit of work writes only if the trigger still has that version (see the class description).
     *
     * @param name the trigger's name
     * @return the trigger, or empty when there is none by that name
     * @throws InvalidInputException when {@code name} is blank or longer than 255 characters
     * @throws AgentStoreException   when the database fails (translated by {@link PersistenceErrors})
     */
    public Optional<Trigger> find(String name) {
        Check.name("name", name);
        return db("find Trigger " + name, () -> Optional.ofNullable(em.find(Trigger.class, name)).map(this::read));
    }

    /**
     * Reads a trigger and locks its row ({@code SELECT ... FOR UPDATE}) until the transaction ends, so that writers
     * of the trigger queue behind this unit of work instead of failing its later write with a conflict: the form for
     * hot rows. Needs a transaction (a unit of work, or a container transaction).
     *
     * @param name the trigger's name
     * @return the trigger, or empty when there is none by that name
     * @throws InvalidInputException when {@code name} is blank or longer than 255 characters
     * @throws AgentStoreException   when the database fails (translated by {@link PersistenceErrors})
     */
    public Optional<Trigger> findForUpdate(String name) {
        Check.name("name", name);
        return db("find Trigger " + name + " for update", () -> {
            OptionalLong version = ReadVersions.lockVersion(em, LOCK_VERSION, name);
            return version.isEmpty() ? Optional.<Trigger>empty()
                    : Optional.of(read(current(name, version.getAsLong())));
        });
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
            rows.forEach(this::read);
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
     * @throws dev.agentstore.domain.ConcurrencyConflictException when another transaction changed it since this unit of
     *                                                            work read it (it carries both versions)
     */
    public Trigger pause(String name) {
        Trigger t = forWrite(name, OptionalLong.empty());
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
     * @throws dev.agentstore.domain.ConcurrencyConflictException when another transaction changed it since this unit of
     *                                                            work read it (it carries both versions)
     */
    public Trigger resume(String name) {
        Trigger t = forWrite(name, OptionalLong.empty());
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
     * @throws dev.agentstore.domain.ConcurrencyConflictException when another transaction changed it since this unit of
     *                                                            work read it (it carries both versions)
     */
    public Trigger disable(String name) {
        Trigger t = forWrite(name, OptionalLong.empty());
        t.disable(now());
        return flushed(t, "disable");
    }

    /**
     * Deep-merges {@code patch} into the trigger's subscriptions (JSON Merge Patch, RFC 7386:
     * nested objects merge, {@code null} deletes a key, arrays and scalars replace). When this unit
     * of work read the trigger, the patch (which may hold values computed from that read) is merged only if the
     * trigger still has the version read: if another transaction committed a change to it since, this fails instead
     * of overwriting it. Run the read and this merge in {@code store.fromTransactionWithRetry(RetryPolicy.DEFAULT,
     * uow -> ...)} to retry on a fresh read, losing nothing. Without an earlier read it locks the row as it reads it
     * and never conflicts.
     *
     * @param name  the trigger's name
     * @param patch the patch, a JSON object
     * @return the trigger with the merged subscriptions
     * @throws InvalidInputException when the name is invalid or {@code patch} is not a JSON object; nothing is written
     * @throws NotFoundException     when there is no trigger by that name
     * @throws dev.agentstore.domain.ConcurrencyConflictException when another transaction changed it since this unit of
     *                                                            work read it (it carries both versions)
     */
    public Trigger updateSubscriptions(String name, JsonNode patch) {
        Check.name("name", name);
        JsonWrites.check(em, "patch", Json.requireObject("patch", patch));
        return updateSubscriptions(name, patch, OptionalLong.empty());
    }

    /**
     * As {@link #updateSubscriptions(String, JsonNode)}, only if the trigger still has {@code expectedVersion}
     * (compare-and-set, for callers that read the trigger in an earlier unit of work, or outside any). Locks the
     * trigger's row to compare.
     *
     * @param name            the trigger's name
     * @param patch           the patch, a JSON object
     * @param expectedVersion the version the caller read ({@link Trigger#version()})
     * @return the trigger with the merged subscriptions
     * @throws InvalidInputException                              when the name is invalid, {@code patch} is not a
     *                                                            JSON object or {@code expectedVersion} is negative;
     *                                                            nothing is written
     * @throws NotFoundException                                  when there is no trigger by that name
     * @throws dev.agentstore.domain.ConcurrencyConflictException when the trigger's version is not
     *                                                            {@code expectedVersion} (it carries both versions);
     *                                                            nothing is written
     */
    public Trigger updateSubscriptions(String name, JsonNode patch, long expectedVersion) {
        Check.name("name", name);
        JsonWrites.check(em, "patch", Json.requireObject("patch", patch));
        Check.notNegative("expectedVersion", expectedVersion);
        return updateSubscriptions(name, patch, OptionalLong.of(expectedVersion));
    }

    private Trigger updateSubscriptions(String name, JsonNode patch, OptionalLong expected) {
        Trigger t = forWrite(name, expected);
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
     * @throws dev.agentstore.domain.ConcurrencyConflictException when another transaction changed it since this unit of
     *                                                            work read it (it carries both versions)
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
            return em.contains(t) ? wrote(t) : t;
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate(what + " Trigger " + t.name(), e);
        }
    }

    /**
     * The trigger to change, managed, its row locked: when the caller passed a version or this unit of work read the
     * trigger, only if the trigger still has that version; else as it is now.
     *
     * @throws NotFoundException when there is no trigger by that name
     * @throws dev.agentstore.domain.ConcurrencyConflictException when the trigger's version is not the one expected
     */
    private Trigger forWrite(String name, OptionalLong passed) {
        OptionalLong expected = passed.isPresent() ? passed : versions().expected(ENTITY, name);
        return db("lock Trigger " + name, () -> {
            if (expected.isEmpty()) {
                Trigger t = em.find(Trigger.class, name, LockModeType.PESSIMISTIC_WRITE);
                if (t == null) {
                    throw new NotFoundException("Trigger", "name=" + name);
                }
                return t;
            }
            return current(name, ReadVersions.requireVersion(em, LOCK_VERSION, ENTITY, name, expected.getAsLong()));
        });
    }

    /** @return the managed trigger, refreshed when this persistence context holds an older copy than {@code version} */
    private Trigger current(String name, long version) {
        Trigger t = em.find(Trigger.class, name);
        if (t.version() != version) {
            em.refresh(t);
        }
        return t;
    }

    /** Remembers the version of a trigger handed out in this transaction ({@link ReadVersions}). */
    private Trigger read(Trigger t) {
        versions().read(ENTITY, t.name(), t.version());
        return t;
    }

    /** Moves the remembered version of a trigger this transaction read to the version its own write left. */
    private Trigger wrote(Trigger t) {
        versions().wrote(ENTITY, t.name(), t.version());
        return t;
    }

    private ReadVersions versions() {
        return ReadVersions.of(em);
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    private Session session() {
        return em.unwrap(Session.class);
    }
}
