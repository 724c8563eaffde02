package dev.agentstore.persistence.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.flow.FlowRunFilter;
import dev.agentstore.domain.flow.FlowRunPatch;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.SingleStatement;
import dev.agentstore.persistence.support.Sql;
import dev.agentstore.persistence.support.Transactions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.transaction.Transactional;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Flow runs and their workflow snapshots: start, read, list, status transitions, atomic step completion, deep-merge
 * updates, single-statement snapshot merges, delete. {@link FlowRun} is read-only to JPA: these methods are the way
 * to change a run, and every run they hand out is a copy built from a row.
 *
 * <p><b>Flow stats.</b> Every run lifecycle event moves the counters of the run's flow (when registered) in the same
 * transaction, with one atomic {@code UPDATE flows} after the run's own write: inside the run's write statement for
 * {@link #start}, {@link #update} and {@link #transition} (a data-modifying {@code WITH} query whose flow update reads
 * the rows the run's write returned, so it runs only when a row was written), as a second statement for
 * {@link #mergeSnapshot} and {@link #delete}. A new run adds 1 to {@code total} and {@code running} and moves
 * {@code lastRunAt} forward; a status change subtracts 1 from the old status's gauge and adds 1 to the new status's
 * counter (see {@link FlowRunStatus#stat}); deleting an active run subtracts 1 from its gauge. A transaction that
 * rolls back (a lost race, an error) moves nothing. Each call locks the run before its flow's row, so single calls
 * cannot deadlock each other; a unit of work that first writes the flow (for example {@code register}) and then a
 * run can deadlock with a concurrent transition, which PostgreSQL resolves by failing one of them: run such work
 * through {@code fromTransactionWithRetry}.
 *
 * <p><b>How a run changes.</b> {@link #transition} and {@link #update} write with one statement, {@link RunUpdate}'s
 * {@code UPDATE flow_runs ... RETURNING}, which computes the new values in SQL from the row it locks, so concurrent
 * writers of one run queue and none is lost. Which row version it may write depends on what is known:
 * <ul>
 * <li>a {@link #transition}, or an {@link #update} whose only key is {@code status}, of a run that is
 * {@link FlowRunStatus#RUNNING} (or {@link FlowRunStatus#AWAITING} when moving to {@link FlowRunStatus#RUNNING}):
 * {@code WHERE status = <that status>}, one statement that also moves the counters;</li>
 * <li>an {@link #update} without a {@code status} key: {@code WHERE (new values) IS DISTINCT FROM (old values)}, one
 * statement; when it writes no row, a read tells a missing run ({@link NotFoundException}) from an unchanged one,
 * which is returned;</li>
 * <li>otherwise (another starting status, a status with other keys, a version to check, or a change that
 * {@link FlowRun#applyPatch} sees and PostgreSQL's comparison does not: {@code 1} and {@code 1.0}, an instant finer
 * than microseconds) a read-modify-write in a transaction: the run's row is read locked ({@code SELECT ... FOR
 * UPDATE}), the move or patch checked on it ({@link FlowRun#moveTo}, {@link FlowRun#applyPatch}: an illegal move
 * fails, a patch that changes nothing writes nothing) and written with {@code WHERE version = <the version read>}:
 * two statements, then the commit.</li>
 * </ul>
 * The row lock makes concurrent writers of one run queue instead of failing (with optimistic locking alone, 8
 * writers of one run needed up to 20 attempts for a single update, which exhausts {@code RetryPolicy.DEFAULT}).
 * {@link #start} (a single statement, plus a read when the run already exists), {@link #completeStep} and
 * {@link #mergeSnapshot} never conflict; the last two add 1 to the {@code version} as well.
 *
 * <p><b>Read-modify-write.</b> A run that a unit of work read ({@link #get}, {@link #list}, {@link #getForUpdate},
 * or its own earlier write) is written by {@link #update} and {@link #transition} only if it still has the version
 * read ({@link ReadVersions}): the write locks the row, compares, and fails with a
 * {@link ConcurrencyConflictException} carrying both versions when another transaction changed the run in between,
 * so {@code n + 1} computed from a read is never lost; {@code fromTransactionWithRetry} re-runs the unit of work.
 * {@link #getForUpdate} locks the row at the read instead, so concurrent writers queue (for hot rows). Callers outside
 * a unit of work pass the version they read ({@link #update(String, String, JsonNode, long)},
 * {@link #transition(String, String, FlowRunStatus, long)}). {@link #completeStep} (an increment) and
 * {@link #mergeSnapshot} (a merge into the latest snapshot) are relative to the stored state and are not checked;
 * {@link #delete} is not checked either.
 *
 * <p>Runs in the caller's transaction; never begins or commits one. The statements run through {@link Sql} on the
 * unit of work's connection. Through {@code store.flowRuns()} each call is its own unit of work: {@link #start}, a
 * one-statement status move and a one-statement {@link #update} run in autocommit mode ({@link SingleStatement}); a
 * read-modify-write first switches its call to a transaction ({@link Transactions#requireTransaction}).
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
@Transactional(dontRollbackOn = AgentStoreException.class)
public class FlowRunRepository {

    @PersistenceContext(unitName = "agentstore")
    private EntityManager em;
    @Inject
    private Clock clock;

    /** For CDI's proxy; the container injects the entity manager. */
    protected FlowRunRepository() {
    }

    /**
     * Standalone use: a repository bound to one entity manager (one transaction).
     *
     * @param em    the transaction's entity manager
     * @param clock where the time comes from
     */
    public FlowRunRepository(EntityManager em, Clock clock) {
        this.em = em;
        this.clock = clock;
    }

    /**
     * Starts a run in status {@link FlowRunStatus#RUNNING}, idempotently ({@code INSERT ... ON CONFLICT DO NOTHING}):
     * when the run exists it is returned unchanged (read by a second query). A newly inserted run of a registered
     * flow adds 1 to the flow's {@code total} and {@code running} and moves its {@code lastRunAt} forward, in the
     * same statement as the insert; a run that already existed moves nothing.
     *
     * @param flowName   the flow's name, 1–255 characters
     * @param runId      the run's id within the flow, 1–255 characters
     * @param startedAt  when it started
     * @param stepCount  how many steps it has, 0 or more, or {@code null} when unknown
     * @param resourceId the resource it belongs to, up to 255 characters, or {@code null}
     * @return the run as stored (the existing one when it was already started)
     * @throws InvalidInputException when a parameter is invalid; nothing is written
     */
    @SingleStatement
    public FlowRun start(String flowName, String runId, Instant startedAt, Integer stepCount, String resourceId) {
        FlowRun valid = FlowRun.start(flowName, runId, startedAt, stepCount, resourceId);
        String context = "start FlowRun " + ref(flowName, runId);
        Instant now = clock.instant();
        return Sql.call(em, context, h -> RunStats.bind(h.createQuery(FlowRunSql.START), valid.flowName(), null,
                                FlowRunStatus.RUNNING, valid.startedAt(), now)
                        .bind("runId", valid.runId())
                        .bind("startedAt", valid.startedAt())
                        .bind("stepCount", valid.stepCount())
                        .bind("resourceId", valid.resourceId())
                        .map(FlowRunSql.RUN)
                        .findOne())
                .orElseGet(() -> changes().find(context, flowName, runId).orElseThrow(() -> new NotFoundException(
                        "FlowRun", key(flowName, runId) + " (deleted while starting)")));
    }

    /**
     * As {@link #start(String, String, Instant, Integer, String)}, started now, with no step count and no resource.
     *
     * @param flowName the flow's name
     * @param runId    the run's id within the flow
     * @return the run as stored
     * @throws InvalidInputException when a parameter is invalid
     */
    @SingleStatement
    public FlowRun start(String flowName, String runId) {
        return start(flowName, runId, clock.instant(), null, null);
    }

    /**
     * Reads a run. In a unit of work, the version read is remembered: a later {@link #update} or {@link #transition}
     * of the run in the same unit of work writes only if the run still has that version (see the class description).
     *
     * @param flowName the flow's name
     * @param runId    the run's id within the flow
     * @return the run, or empty when there is none
     * @throws InvalidInputException when a name is blank or longer than 255 characters
     */
    @SingleStatement
    public Optional<FlowRun> get(String flowName, String runId) {
        checkKey(flowName, runId);
        return changes().find("get FlowRun " + ref(flowName, runId), flowName, runId);
    }

    /**
     * Reads a run and locks its row ({@code SELECT ... FOR UPDATE}) until the transaction ends, so that writers of
     * the run queue behind this unit of work instead of failing its later write with a conflict: the form for hot
     * rows. Needs a transaction (a unit of work, or a container transaction); called through {@code store.flowRuns()}
     * the lock ends with the call.
     *
     * @param flowName the flow's name
     * @param runId    the run's id within the flow
     * @return the run, or empty when there is none
     * @throws InvalidInputException when a name is blank or longer than 255 characters
     */
    public Optional<FlowRun> getForUpdate(String flowName, String runId) {
        checkKey(flowName, runId);
        RunChanges changes = changes();
        return changes.select("get FlowRun " + ref(flowName, runId) + " for update",
                FlowRunSql.SELECT_BY_KEY_FOR_UPDATE, flowName, runId).map(changes::read);
    }

    /**
     * Lists the runs of a flow, newest first ({@code startedAt} descending, then id descending), in two queries (the
     * page and the count).
     *
     * @param flowName the flow's name
     * @param filter   statuses and start-time range, both optional ({@link FlowRunFilter#ALL} for every run)
     * @param page     which page
     * @return the page, with the total number of matching runs
     * @throws InvalidInputException when a parameter is invalid
     */
    public Page<FlowRun> list(String flowName, FlowRunFilter filter, PageRequest page) {
        Check.name("flowName", flowName);
        Check.notNull("filter", filter);
        Check.notNull("page", page);
        String context = "list FlowRuns of " + flowName;
        List<FlowRun> items = page.offset() > Integer.MAX_VALUE ? List.of() : Sql.call(em, context, h -> FlowRunSql
                .bindFilter(h.createQuery(FlowRunSql.listPage(filter)), flowName, filter)
                .bind("limit", page.perPage())
                .bind("offset", page.offset())
                .map(FlowRunSql.RUN)
                .list());
        items.forEach(changes()::read);
        long total = Sql.call(em, context, h -> FlowRunSql
                .bindFilter(h.createQuery(FlowRunSql.count(filter)), flowName, filter)
                .mapTo(long.class)
                .one());
        return Page.of(items, page.page(), page.perPage(), total);
    }

    /**
     * Moves a run to {@code target} through the entity's transition rules ({@link FlowRun#moveTo}: from an active
     * status to any other status; {@link FlowRun#await}, {@link FlowRun#resume}, {@link FlowRun#complete},
     * {@link FlowRun#fail}, {@link FlowRun#cancel}); the write moves the flow's counters in the same statement. A
     * move from {@link FlowRunStatus#RUNNING} (or from {@link FlowRunStatus#AWAITING} to {@link FlowRunStatus#RUNNING})
     * is one statement; others read the run with a row lock first (see the class description).
     *
     * @param flowName the flow's name
     * @param runId    the run's id within the flow
     * @param target   the new status
     * @return the run after the move
     * @throws InvalidInputException        when a parameter is invalid or the move is illegal (the run is terminal,
     *                                      or already in {@code target})
     * @throws NotFoundException            when the run does not exist
     * @throws ConcurrencyConflictException when this unit of work read the run and another transaction changed it
     *                                      since (it carries both versions), or on a deadlock
     */
    @SingleStatement
    public FlowRun transition(String flowName, String runId, FlowRunStatus target) {
        checkKey(flowName, runId);
        Check.notNull("target", target);
        RunChanges changes = changes();
        return changes.transition(flowName, runId, target, changes.versionRead(flowName, runId));
    }

    /**
     * As {@link #transition(String, String, FlowRunStatus)}, only if the run still has {@code expectedVersion}
     * (compare-and-set, for callers that read the run in an earlier unit of work). Locks the run's row to compare.
     *
     * @param flowName        the flow's name
     * @param runId           the run's id within the flow
     * @param target          the new status
     * @param expectedVersion the version the caller read ({@link FlowRun#version()})
     * @return the run after the move
     * @throws InvalidInputException        when a parameter is invalid or the move is illegal
     * @throws NotFoundException            when the run does not exist
     * @throws ConcurrencyConflictException when the run's version is not {@code expectedVersion} (it carries both
     *                                      versions); nothing is written
     */
    public FlowRun transition(String flowName, String runId, FlowRunStatus target, long expectedVersion) {
        checkKey(flowName, runId);
        Check.notNull("target", target);
        Check.notNegative("expectedVersion", expectedVersion);
        return changes().transition(flowName, runId, target, OptionalLong.of(expectedVersion));
    }

    /**
     * Counts one more completed step in one statement ({@code completed_steps = completed_steps + 1}), never losing
     * a concurrent completion; also records the last activity and adds 1 to the version.
     *
     * @param flowName the flow's name
     * @param runId    the run's id within the flow
     * @return the new number of completed steps
     * @throws InvalidInputException when a name is invalid
     * @throws NotFoundException     when the run does not exist
     */
    public int completeStep(String flowName, String runId) {
        checkKey(flowName, runId);
        Instant now = clock.instant();
        Step step = Sql.call(em, "complete a step of FlowRun " + ref(flowName, runId), h -> h
                        .createQuery(FlowRunSql.COMPLETE_STEP)
                        .bind("flowName", flowName)
                        .bind("runId", runId)
                        .bind("now", now)
                        .map((rs, ctx) -> new Step(rs.getInt("completed_steps"), rs.getLong("version")))
                        .findOne())
                .orElseThrow(() -> new NotFoundException("FlowRun", key(flowName, runId)));
        ReadVersions.of(em).wroteRelative(RunChanges.ENTITY, ref(flowName, runId), step.version());
        return step.completedSteps();
    }

    /**
     * Deep-merges a metadata patch ({@link FlowRunPatch}) into a run, as JSON Merge Patch (RFC 7386) through
     * {@link FlowRun#applyPatch}'s rules: objects merge recursively, {@code null} deletes a key, arrays replace; keys
     * that map to no column are kept in {@link FlowRun#metadata()}, never dropped. Every key is validated
     * ({@link FlowRunPatch#parse}) before anything is read or written. A patch that changes nothing writes nothing
     * (the version stays). A status in the patch is a transition (as {@link #transition}) and moves the flow's
     * counters in the same statement as the run's write. One statement for a patch without a {@code status} key and
     * for a patch whose only key is {@code status} (from the status that move most likely starts from); otherwise a
     * locked read and a write (see the class description). Each way returns the run as stored.
     *
     * @param flowName the flow's name
     * @param runId    the run's id within the flow
     * @param patch    a JSON object, for example
     *                 {@code {"status":"completed","completedSteps":3,"emittedEvents":{"e":true},"note":"x"}}
     * @return the run after the update
     * @throws InvalidInputException        when a parameter or a patch key is invalid (the message names the key), or
     *                                      the status move is illegal; nothing is written
     * @throws NotFoundException            when the run does not exist
     * @throws ConcurrencyConflictException when this unit of work read the run and another transaction changed it
     *                                      since (it carries both versions), or on a deadlock; retry the unit of work
     */
    @SingleStatement
    public FlowRun update(String flowName, String runId, JsonNode patch) {
        checkKey(flowName, runId);
        JsonWrites.check(em, "patch", patch);
        FlowRunPatch valid = FlowRunPatch.parse(patch);
        RunChanges changes = changes();
        return changes.update(flowName, runId, valid, patch.size(), changes.versionRead(flowName, runId));
    }

    /**
     * As {@link #update(String, String, JsonNode)}, only if the run still has {@code expectedVersion}
     * (compare-and-set, for callers that read the run in an earlier unit of work, or outside any). Locks the run's
     * row to compare.
     *
     * @param flowName        the flow's name
     * @param runId           the run's id within the flow
     * @param patch           a JSON object, as for {@link #update(String, String, JsonNode)}
     * @param expectedVersion the version the caller read ({@link FlowRun#version()})
     * @return the run after the update
     * @throws InvalidInputException        when a parameter or a patch key is invalid, or the status move is illegal;
     *                                      nothing is written
     * @throws NotFoundException            when the run does not exist
     * @throws ConcurrencyConflictException when the run's version is not {@code expectedVersion} (it carries both
     *                                      versions); nothing is written
     */
    public FlowRun update(String flowName, String runId, JsonNode patch, long expectedVersion) {
        checkKey(flowName, runId);
        FlowRunPatch valid = FlowRunPatch.parse(patch);
        Check.notNegative("expectedVersion", expectedVersion);
        return changes().update(flowName, runId, valid, patch.size(), OptionalLong.of(expectedVersion));
    }

    /**
     * Merges a step result into a run's snapshot in one upsert statement
     * ({@code INSERT ... ON CONFLICT DO UPDATE SET snapshot = jsonb_merge_patch(snapshot, ?)}): when the run does not
     * exist yet it is created (status {@link FlowRunStatus#RUNNING}, started now, counted in the flow's stats as by
     * {@link #start}, with a second statement); concurrent merges into the same run, existing or not, are never lost
     * (the merge happens in the statement, not in a read-merge-write). Adds 1 to the version when the run existed.
     *
     * @param flowName      the flow's name
     * @param runId         the run's id within the flow
     * @param snapshotPatch a JSON object merged into the snapshot as JSON Merge Patch, for example
     *                      {@code {"context":{"step-2":{"status":"success","output":{...}}}}}
     * @return the run after the merge
     * @throws InvalidInputException when a parameter is invalid or {@code snapshotPatch} is not an object
     */
    public FlowRun mergeSnapshot(String flowName, String runId, JsonNode snapshotPatch) {
        checkKey(flowName, runId);
        Json.requireObject("snapshotPatch", snapshotPatch);
        String context = "merge snapshot into FlowRun " + ref(flowName, runId);
        String json = JsonWrites.print(em, "snapshotPatch", snapshotPatch);
        Instant now = clock.instant();
        Merged merged = Sql.call(em, context, h -> h.createQuery(FlowRunSql.MERGE_SNAPSHOT)
                .bind("flowName", flowName)
                .bind("runId", runId)
                .bind("now", now)
                .bind("patch", json)
                .map((rs, ctx) -> new Merged(rs.getBoolean("inserted"), FlowRunSql.run(rs)))
                .one());
        if (merged.inserted()) {
            RunStats.apply(em, context, flowName, null, FlowRunStatus.RUNNING, now, clock.instant());
        }
        ReadVersions.of(em).wroteRelative(RunChanges.ENTITY, ref(flowName, runId), merged.run().version());
        return merged.run();
    }

    /**
     * Deletes a run. Deleting an active run subtracts 1 from its flow's {@code running} or {@code awaiting}; the
     * history counters ({@code total}, {@code success}, …) are kept. The run's events are kept.
     *
     * @param flowName the flow's name
     * @param runId    the run's id within the flow
     * @return whether a run was deleted
     * @throws InvalidInputException when a name is invalid
     */
    public boolean delete(String flowName, String runId) {
        checkKey(flowName, runId);
        String context = "delete FlowRun " + ref(flowName, runId);
        Optional<FlowRunStatus> deleted = Sql.call(em, context, h -> h.createQuery(FlowRunSql.DELETE)
                        .bind("flowName", flowName)
                        .bind("runId", runId)
                        .mapTo(String.class)
                        .findOne())
                .map(FlowRunStatus::valueOf);
        deleted.ifPresent(status -> RunStats.apply(em, context, flowName, status, null, null, clock.instant()));
        return deleted.isPresent();
    }

    /** The result of {@link FlowRunSql#COMPLETE_STEP}. */
    private record Step(int completedSteps, long version) {
    }

    /** The result of {@link FlowRunSql#MERGE_SNAPSHOT}: whether it inserted the run, and the run. */
    private record Merged(boolean inserted, FlowRun run) {
    }

    private static void checkKey(String flowName, String runId) {
        Check.name("flowName", flowName);
        Check.name("runId", runId);
    }

    private RunChanges changes() {
        return new RunChanges(em, clock);
    }

    private static String ref(String flowName, String runId) {
        return RunChanges.ref(flowName, runId);
    }

    private static String key(String flowName, String runId) {
        return RunChanges.key(flowName, runId);
    }
}
