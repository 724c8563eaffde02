package dev.agentstore.persistence.trigger;

import dev.agentstore.persistence.support.AbstractRepository;
import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.flow.FlowEventQuery;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.trigger.Trigger;
import dev.agentstore.domain.trigger.TriggerDefinition;
import dev.agentstore.domain.trigger.TriggerEvent;
import dev.agentstore.domain.trigger.TriggerStatus;
import dev.agentstore.domain.trigger.TriggerType;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.Sql;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.UnaryOperator;

/**
 * Triggers and their append-only fire log:
 * register (upsert), get, list, pause/resume/disable, merge-patch subscriptions, fire, record flows started, read
 * the fire log, delete.
 *
 * <p>Runs in the caller's transaction and never begins or commits one itself. Every statement runs through
 * {@link Sql}; {@link Trigger} and {@link TriggerEvent} are read-only to JPA, and the triggers handed out are values
 * built from rows. Fires and flows-started counts are single atomic statements that never conflict and are not
 * checked (they do not change the version).
 *
 * <p><b>Read-modify-write.</b> A trigger that a unit of work read ({@link #find}, {@link #get}, {@link #list},
 * {@link #findForUpdate}, or its own earlier write) is written by {@link #updateSubscriptions}, {@link #pause},
 * {@link #resume}, {@link #disable}, {@link #register} and {@link #delete} only if it still has the version read
 * ({@link ReadVersions}): the write locks the row, compares, and fails with a
 * {@link ConcurrencyConflictException} carrying both versions when another transaction
 * changed the trigger in between, so a subscription value computed from a read is never lost; wrap the unit of work
 * in {@code store.fromTransactionWithRetry(RetryPolicy.DEFAULT, ...)} to re-run it on a fresh read.
 * {@link #findForUpdate} locks the row at the read instead, so concurrent writers queue (for hot rows). Callers
 * outside a unit of work pass the version they read ({@link #updateSubscriptions(String, JsonNode, long)}). A write
 * of a trigger the unit of work has not read locks the row as it reads it, so it never conflicts; a re-registration
 * of an unread trigger is the one-statement upsert (a put). {@link #delete} of an unread trigger reads it first and
 * deletes the version it read ({@code DELETE ... WHERE version = :version}).
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
public class TriggerRepository extends AbstractRepository {

    private static final String ENTITY = TriggerSql.ENTITY;
    /** Records the versions of what this class hands out and writes ({@link ReadVersions}). */
    private static final ReadVersions.Entity<Trigger> VERSIONS = TriggerWrites.VERSIONS;

    /** Event type {@link #fire(String, JsonNode)} records. */
    public static final String FIRED = "fired";
    /** Largest page of {@link #events}. */
    public static final int MAX_EVENTS_LIMIT = FlowEventQuery.MAX_LIMIT;
    /** Largest batch of {@link #purgeEventsOlderThanBatch}. */
    public static final int MAX_PURGE_BATCH = 100_000;

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
     * Registers a trigger, or re-registers an existing one, changing only its type and subscriptions (its other
     * descriptive fields are kept); see {@link #define(String, TriggerDefinition)}.
     *
     * @param name          the trigger's name, 1–255 characters, not blank
     * @param type          what makes it fire
     * @param subscriptions its subscriptions, a JSON object
     * @return the trigger as stored
     * @throws InvalidInputException when an argument is invalid; nothing is written
     * @throws NotFoundException     when this unit of work read the trigger and it was deleted since
     * @throws ConcurrencyConflictException when this unit of work read the trigger and another transaction changed it
     *                                      since (it carries both versions); nothing is written
     */
    public Trigger register(String name, TriggerType type, JsonNode subscriptions) {
        return TriggerWrites.register(em, new Trigger(name, TriggerDefinition.of(type)
                .subscriptions(Json.requireObject("subscriptions", subscriptions)), now()), false);
    }

    /**
     * Registers a trigger with every field of nvent's trigger index, or re-registers an existing one, in one
     * race-free statement ({@code INSERT ... ON CONFLICT (name) DO UPDATE}; nvent's {@code index.add}): a new trigger
     * is {@link TriggerStatus#ACTIVE}, registered at the definition's {@code registeredAt} or now, with zero stats and
     * counters; an existing one gets the whole definition (type, display name, description, scope, source, webhook,
     * schedule, configuration, subscriptions: replaced, not merged, a field the definition leaves {@code null} is
     * cleared) and a new version, and keeps its status, registration time, stats, counters and last activity. When
     * this unit of work read the trigger, it is re-registered only if it still has the version read.
     *
     * @param name       the trigger's name, 1–255 characters, not blank
     * @param definition what it is
     * @return the trigger as stored
     * @throws InvalidInputException when an argument is invalid or a JSON value breaks the store's limits; nothing is
     *                               written
     * @throws NotFoundException     when this unit of work read the trigger and it was deleted since
     * @throws ConcurrencyConflictException when this unit of work read the trigger and another transaction changed it
     *                                      since (it carries both versions); nothing is written
     */
    public Trigger define(String name, TriggerDefinition definition) {
        return TriggerWrites.register(em, new Trigger(name, definition, now()), true);
    }

    /**
     * Reads a trigger. In a unit of work, the version read is remembered: a later write of the trigger in the same
     * unit of work writes only if the trigger still has that version (see the class description).
     *
     * @param name the trigger's name
     * @return the trigger, or empty when there is none by that name
     * @throws InvalidInputException when {@code name} is blank or longer than 255 characters
     * @throws AgentStoreException   when the database fails
     */
    public Optional<Trigger> find(String name) {
        Check.name("name", name);
        return TriggerSql.select(em, "find Trigger " + name, TriggerSql.FIND, name).map(x -> VERSIONS.read(em, x));
    }

    /**
     * Reads a trigger and locks its row ({@code SELECT ... FOR UPDATE}) until the transaction ends, so that writers
     * of the trigger queue behind this unit of work instead of failing its later write with a conflict: the form for
     * hot rows. Needs a transaction (a unit of work, or a container transaction).
     *
     * @param name the trigger's name
     * @return the trigger, or empty when there is none by that name
     * @throws InvalidInputException when {@code name} is blank or longer than 255 characters
     * @throws AgentStoreException   when the database fails
     */
    public Optional<Trigger> findForUpdate(String name) {
        Check.name("name", name);
        return TriggerSql.select(em, "find Trigger " + name + " for update", TriggerSql.FIND_FOR_UPDATE, name)
                .map(x -> VERSIONS.read(em, x));
    }

    /**
     * @param name the trigger's name
     * @return the trigger
     * @throws InvalidInputException when {@code name} is blank or longer than 255 characters
     * @throws NotFoundException     when there is no trigger by that name
     * @throws AgentStoreException   when the database fails
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
     * @throws AgentStoreException   when the database fails
     */
    public Page<Trigger> list(PageRequest page) {
        return list(null, page);
    }

    /**
     * Lists the triggers with one status, by name; as {@link #list(TriggerType, TriggerStatus, PageRequest)}.
     *
     * @param status the status to list, or {@code null} for all
     * @param page   which page
     * @return the page, ordered by name
     * @throws InvalidInputException when {@code page} is {@code null}
     */
    public Page<Trigger> list(TriggerStatus status, PageRequest page) {
        return list(null, status, page);
    }

    /**
     * Lists triggers by type and status, by name, served by the indexes {@code (type, name)} and
     * {@code (status, name)}.
     *
     * @param type   the type to list, or {@code null} for all
     * @param status the status to list, or {@code null} for all
     * @param page   which page
     * @return the page, ordered by name; its total counts the triggers both filters select
     * @throws InvalidInputException when {@code page} is {@code null}
     * @throws AgentStoreException   when the database fails
     */
    public Page<Trigger> list(TriggerType type, TriggerStatus status, PageRequest page) {
        return TriggerWrites.list(em, type, status, Check.notNull("page", page));
    }

    /**
     * Pauses a trigger ({@link Trigger#paused}): it stops firing until resumed. Version-checked.
     *
     * @param name the trigger's name
     * @return the trigger
     * @throws NotFoundException     when there is no trigger by that name
     * @throws InvalidInputException when the name is invalid or the trigger is {@link TriggerStatus#DISABLED}
     * @throws ConcurrencyConflictException when another transaction changed it since this unit of work read it
     */
    public Trigger pause(String name) {
        return changeStatus(name, "pause", t -> t.paused(now()));
    }

    /**
     * Makes a paused or disabled trigger active again ({@link Trigger#resumed}). Version-checked.
     *
     * @param name the trigger's name
     * @return the trigger
     * @throws NotFoundException     when there is no trigger by that name
     * @throws InvalidInputException when the name is invalid
     * @throws ConcurrencyConflictException when another transaction changed it since this unit of work read it
     */
    public Trigger resume(String name) {
        return changeStatus(name, "resume", t -> t.resumed(now()));
    }

    /**
     * Disables a trigger ({@link Trigger#disabled}). Version-checked.
     *
     * @param name the trigger's name
     * @return the trigger
     * @throws NotFoundException     when there is no trigger by that name
     * @throws InvalidInputException when the name is invalid
     * @throws ConcurrencyConflictException when another transaction changed it since this unit of work read it
     */
    public Trigger disable(String name) {
        return changeStatus(name, "disable", t -> t.disabled(now()));
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
     * @throws ConcurrencyConflictException when another transaction changed it since this unit of work read it
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
        return TriggerWrites.change(em, name, expected, "update subscriptions of",
                t -> t.withMergedSubscriptions(patch, now()),
                (h, next) -> h.createQuery(TriggerSql.SET_SUBSCRIPTIONS)
                        .bind("subscriptions", JsonWrites.print(em, "subscriptions", next.subscriptions())));
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
        return TriggerFireLog.recordFlowsStarted(em, name, n);
    }

    /**
     * Adds {@code delta} to one of the trigger's counters atomically, without firing (nvent's {@code index.increment}):
     * one {@code UPDATE ... SET x = x + delta RETURNING x}, so concurrent increments never lose a count and never
     * conflict, and the version is not bumped. {@code totalFires}, {@code flowsStarted} and
     * {@code activeSubscribers} (also as {@code stats.totalFires}, …) are the stat columns; any other name is a
     * counter of {@link Trigger#counters()}, created at 0 on its first increment. Sets {@link Trigger#lastActivityAt()}
     * to now (never backwards); appends no event and does not change {@code lastFiredAt}.
     *
     * @param name    the trigger's name
     * @param counter the counter's name, 1–255 characters
     * @param delta   what to add; negative subtracts (a counter may go below 0: the caller owns its meaning)
     * @return the counter after the addition
     * @throws InvalidInputException when a name is invalid; nothing is written
     * @throws NotFoundException     when there is no trigger by that name
     */
    public long increment(String name, String counter, long delta) {
        Check.name("name", name);
        Check.name("counter", counter);
        return TriggerFireLog.increment(em, name, counter, delta, now());
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
        return TriggerEvent.recorded(TriggerFireLog.fire(em, name, type, ts, json), name, ts, type, data);
    }

    /**
     * Reads a trigger's newest events; as {@link #events(String, FlowEventQuery)} with
     * {@code FlowEventQuery.defaults().descending().limit(limit)}.
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
     * Reads a trigger's events newest first, older than {@code afterId} when it is given; as
     * {@link #events(String, FlowEventQuery)} with {@code defaults().descending().limit(limit).after(afterId)}.
     *
     * @param name    the trigger's name
     * @param limit   the most rows returned, 1–{@value #MAX_EVENTS_LIMIT}
     * @param afterId the id of the last event already seen, or {@code null} to start with the newest
     * @return at most {@code limit} events
     * @throws InvalidInputException when the name is invalid, {@code limit} is out of range or {@code afterId} is
     *                               less than 1
     * @throws NotFoundException     when {@code afterId} is not the id of an event of this trigger
     */
    public List<TriggerEvent> events(String name, int limit, Long afterId) {
        return events(name, FlowEventQuery.defaults().descending().limit(limit).after(afterId));
    }

    /**
     * Reads a trigger's events with the query of flow events ({@link FlowEventQuery}: types, time range, keyset
     * cursor, order, limit), one page in {@code (ts, id)} order, served by the index
     * {@code (trigger_name, ts DESC, id DESC)}. To continue, pass the last returned id as the cursor
     * ({@code query.next(page, TriggerEvent::id)}); paging this way returns every event exactly once.
     *
     * @param name  the trigger's name
     * @param query filters, cursor, limit and order ({@link FlowEventQuery#defaults()}: all, oldest first, 100 rows)
     * @return at most {@code query.limit()} events; empty when there are none (more), or no such trigger
     * @throws InvalidInputException when the name is invalid or {@code query} is {@code null}
     * @throws NotFoundException     when the query's cursor is not the id of an event of this trigger (for example
     *                               purged since)
     */
    public List<TriggerEvent> events(String name, FlowEventQuery query) {
        Check.name("name", name);
        Check.notNull("query", query);
        return TriggerFireLog.events(em, name, query);
    }

    /**
     * Retention: deletes every trigger event (of any trigger) with {@code ts} before {@code cutoff}, in statements of
     * at most {@code batchSize} rows until one deletes fewer, all in the caller's one transaction; for millions of
     * rows loop over {@link #purgeEventsOlderThanBatch} with one transaction per batch instead. The triggers and
     * their stats are not changed.
     *
     * @param cutoff    events strictly older than this go
     * @param batchSize rows per statement, 1–{@value #MAX_PURGE_BATCH}
     * @return how many events were deleted in all
     * @throws InvalidInputException when {@code cutoff} is {@code null} or {@code batchSize} is out of range
     */
    public long purgeEventsOlderThan(Instant cutoff, int batchSize) {
        return Sql.deleteInBatches(() -> purgeEventsOlderThanBatch(cutoff, batchSize), batchSize);
    }

    /**
     * Retention, one bounded batch: deletes at most {@code batchSize} trigger events with {@code ts} before
     * {@code cutoff} in one statement (served by {@code BRIN(ts)}), as {@code flowEvents().purgeOlderThanBatch}.
     *
     * @param cutoff    events strictly older than this go
     * @param batchSize the most rows deleted, 1–{@value #MAX_PURGE_BATCH}
     * @return how many events were deleted; less than {@code batchSize} means none older were left
     * @throws InvalidInputException when {@code cutoff} is {@code null} or {@code batchSize} is out of range
     */
    public int purgeEventsOlderThanBatch(Instant cutoff, int batchSize) {
        Check.instant("cutoff", Check.notNull("cutoff", cutoff));
        Check.range("batchSize", batchSize, 1, MAX_PURGE_BATCH);
        return TriggerFireLog.purgeBatch(em, cutoff, batchSize);
    }

    /**
     * Deletes a trigger and, by {@code ON DELETE CASCADE}, its fire log. Version-checked: deletes only the version this
     * unit of work read (reading it first when it has not).
     *
     * @param name the trigger's name
     * @return {@code true} when it existed
     * @throws InvalidInputException when the name is invalid
     * @throws dev.agentstore.domain.ConcurrencyConflictException when another transaction changed it since this unit of
     *                                                            work read it; nothing is deleted
     */
    public boolean delete(String name) {
        Check.name("name", name);
        return TriggerWrites.delete(em, name, versions().expected(ENTITY, name));
    }

    /** A status change, version-checked when this unit of work read the trigger: see {@link TriggerWrites#change}. */
    private Trigger changeStatus(String name, String what, UnaryOperator<Trigger> rule) {
        return TriggerWrites.change(em, name, OptionalLong.empty(), what, rule,
                (h, next) -> h.createQuery(TriggerSql.SET_STATUS).bind("status", next.status().name()));
    }

    private ReadVersions versions() {
        return ReadVersions.of(em);
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }
}
