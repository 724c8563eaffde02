package dev.agentstore.persistence.flow;

import dev.agentstore.persistence.support.AbstractRepository;
import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.flow.CheckpointSource;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.flow.FlowRunCursor;
import dev.agentstore.domain.flow.FlowRunFilter;
import dev.agentstore.domain.flow.FlowRunGuard;
import dev.agentstore.domain.flow.FlowRunPatch;
import dev.agentstore.domain.flow.FlowRunQuery;
import dev.agentstore.domain.flow.FlowRunSlice;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.domain.flow.NewFlowRun;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.SingleStatement;
import dev.agentstore.persistence.support.Sql;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Flow runs and their workflow snapshots: start or create, read (by flow and run id, or by run id alone), list
 * (by flow or across flows, offset or keyset pages), status transitions ({@link FlowRunStatus} lists the legal
 * ones), guarded and unguarded updates, snapshot replace, merge and per-step results, delete. {@link FlowRun} is
 * read-only to JPA: these methods are the way to change a run, and every run they hand out is a copy of a row.
 *
 * <p><b>Flow stats.</b> Every run lifecycle event moves the counters of the run's flow (when registered) in the same
 * transaction, with one atomic {@code UPDATE flows} after the run's own write: inside the run's write statement for
 * {@link #start}, {@link #create}, {@link #update} and {@link #transition} (a data-modifying {@code WITH} query whose
 * flow update reads the rows the run's write returned, so it runs only when a row was written), as a second
 * statement for the snapshot writes and {@link #delete}. A new run adds 1 to {@code total} and its status's counter
 * and moves {@code lastRunAt} forward; a status change subtracts 1 from the old status's gauge and adds 1 to the new status's
 * counter (see {@link FlowRunStatus#stat}); deleting an active run subtracts 1 from its gauge. A transaction that
 * rolls back (a lost race, an error) moves nothing. Each call locks the run before its flow's row, so single calls
 * cannot deadlock each other; a unit of work that first writes the flow (for example {@code register}) and then a
 * run can deadlock with a concurrent transition, which PostgreSQL resolves by failing one of them: run such work
 * through {@code fromTransactionWithRetry}.
 *
 * <p><b>How a run changes.</b> {@link #transition} and {@link #update} write with one statement, {@link RunUpdate}'s
 * {@code UPDATE flow_runs ... RETURNING}, which computes the new values in SQL from the row it locks, so concurrent
 * writers of one run queue and none is lost: guarded by the likely starting status for a status move, by a change of
 * value for a patch without a status, and otherwise, or with a version or a {@link FlowRunGuard} to check, after a
 * read of the run with its row locked ({@link RunChanges} says which, when). {@link #start}, {@link #completeStep},
 * {@link #mergeSnapshot} and {@link #setStepResult} never conflict; the last three add 1 to the {@code version}.
 *
 * <p><b>Read-modify-write.</b> A run that a unit of work read ({@link #get}, {@link #list}, {@link #getForUpdate},
 * or its own earlier write) is written by {@link #update}, {@link #transition} and {@link #replaceSnapshot} only if
 * it still has the version
 * read ({@link ReadVersions}): the write locks the row, compares, and fails with a
 * {@link ConcurrencyConflictException} carrying both versions when another transaction changed the run in between,
 * so {@code n + 1} computed from a read is never lost; {@code fromTransactionWithRetry} re-runs the unit of work.
 * {@link #getForUpdate} locks the row at the read instead, so concurrent writers queue (for hot rows). Callers outside
 * a unit of work pass the version they read ({@link #update(String, String, JsonNode, long)},
 * {@link #transition(String, String, FlowRunStatus, long)}, a {@link FlowRunGuard}). {@link #completeStep},
 * {@link #mergeSnapshot} and {@link #setStepResult} are relative to the stored state and are not checked; nor is
 * {@link #delete}.
 *
 * <p><b>Checkpoints.</b> For a flow with a checkpoint policy ({@link CheckpointRepository#configure}),
 * {@link #replaceSnapshot}, {@link #mergeSnapshot} and {@link #setStepResult} record a checkpoint of the run's new
 * state in the same transaction, with a second statement after the write (see {@link CheckpointRepository}).
 *
 * <p>Runs in the caller's transaction; never begins or commits one. The statements run through {@link Sql} on the
 * unit of work's connection. Through {@code store.flowRuns()} each call is its own unit of work: {@link #start}, a
 * one-statement status move and a one-statement {@link #update} run in autocommit mode ({@link SingleStatement}); a
 * read-modify-write first switches its call to a transaction ({@link Sql#requireTransaction}).
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
public class FlowRunRepository extends AbstractRepository {

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
        return writes().start(FlowRun.start(flowName, runId, startedAt, stepCount, resourceId), changes());
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
        RunChanges.checkKey(flowName, runId);
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
        RunChanges.checkKey(flowName, runId);
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
        return list(new FlowRunQuery(flowName, null, filter, false), page);
    }

    /**
     * Reads a run by its run id alone, whatever its flow (of runs of several flows with that id, the one started last,
     * then the highest id); remembers the version read, as {@link #get}.
     *
     * @param runId the run's id, 1–255 characters
     * @return the run, or empty when there is none
     * @throws InvalidInputException when {@code runId} is blank or longer than 255 characters
     */
    @SingleStatement
    public Optional<FlowRun> findByRunId(String runId) {
        return RunListSql.findByRunId(em, changes(), Check.name("runId", runId));
    }

    /**
     * Lists runs across flows ({@link FlowRunQuery}: by flow, resource, statuses, start-time range; newest first by
     * default, ties by id), one offset page, in two queries (the page and the count).
     *
     * @param query which runs, in which order ({@link FlowRunQuery#ALL}: every run, newest first)
     * @param page  which page
     * @return the page, with the total number of matching runs and {@code hasMore}
     * @throws InvalidInputException when a parameter is {@code null}
     */
    public Page<FlowRun> list(FlowRunQuery query, PageRequest page) {
        Check.notNull("query", query);
        Check.notNull("page", page);
        return RunListSql.page(em, changes(), query, page);
    }

    /**
     * As {@link #list(FlowRunQuery, PageRequest)}, one keyset page in one query: the runs strictly after {@code after}
     * in the query's order, each run exactly once across pages, also among equal start times and while runs are added.
     *
     * @param query which runs, in which order
     * @param after the {@link FlowRunSlice#next()} of the previous page, or {@code null} for the first page
     * @param limit at most this many runs, 1–{@value PageRequest#MAX_PER_PAGE}
     * @return the runs and the next page's cursor
     * @throws InvalidInputException when {@code query} is {@code null} or {@code limit} is out of range
     */
    @SingleStatement
    public FlowRunSlice list(FlowRunQuery query, FlowRunCursor after, int limit) {
        Check.notNull("query", query);
        Check.range("limit", limit, 1, PageRequest.MAX_PER_PAGE);
        return RunListSql.slice(em, changes(), query, after, limit);
    }

    /**
     * Creates a run with the caller's status and times ({@link NewFlowRun}; the store's clock for a time not given),
     * counted in its flow's stats in the same statement: for example to import runs from another store.
     *
     * @param run the run
     * @return the run as stored
     * @throws InvalidInputException when {@code run} is {@code null} or its snapshot is too large; nothing is written
     * @throws DuplicateException    when the run exists; nothing is written
     */
    @SingleStatement
    public FlowRun create(NewFlowRun run) {
        Check.notNull("run", run);
        return writes().create(run, changes());
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
        RunChanges.checkKey(flowName, runId);
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
        RunChanges.checkKey(flowName, runId);
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
        RunChanges.checkKey(flowName, runId);
        return writes().completeStep(flowName, runId);
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
        RunChanges.checkKey(flowName, runId);
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
        RunChanges.checkKey(flowName, runId);
        JsonWrites.check(em, "patch", patch);
        FlowRunPatch valid = FlowRunPatch.parse(patch);
        Check.notNegative("expectedVersion", expectedVersion);
        return changes().update(flowName, runId, valid, patch.size(), OptionalLong.of(expectedVersion));
    }

    /**
     * As {@link #update(String, String, JsonNode)}, only if the run passes {@code guard} (an expected version and/or
     * statuses: apply {@code {"status":"running"}} only to a {@link FlowRunStatus#SUSPENDED} run). A locked read and
     * a write, in a transaction; nothing is written when the guard fails.
     *
     * @param flowName the flow's name
     * @param runId    the run's id within the flow
     * @param patch    a JSON object, as for {@link #update(String, String, JsonNode)}
     * @param guard    what the run must be ({@link FlowRunGuard#NONE}: only the version this unit of work read)
     * @return the run after the update; empty when the run is in none of the guard's statuses
     * @throws InvalidInputException        when a parameter or a patch key is invalid, or the status move is illegal
     * @throws NotFoundException            when the run does not exist
     * @throws ConcurrencyConflictException when the run's version is not the expected one
     */
    public Optional<FlowRun> update(String flowName, String runId, JsonNode patch, FlowRunGuard guard) {
        RunChanges.checkKey(flowName, runId);
        Check.notNull("guard", guard);
        JsonWrites.check(em, "patch", patch);
        FlowRunPatch valid = FlowRunPatch.parse(patch);
        return changes().guarded("update FlowRun " + ref(flowName, runId), flowName, runId, guard,
                RunChanges.patch(valid));
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
        RunChanges.checkKey(flowName, runId);
        Json.requireObject("snapshotPatch", snapshotPatch);
        return checkpoints().after(writes().merge(flowName, runId, snapshotPatch), CheckpointSource.MERGE, null);
    }

    /**
     * Replaces a run's snapshot exactly (no merge: a JSON {@code null} inside is kept, keys it lacks are gone) in one
     * upsert, creating a missing run as {@link #mergeSnapshot} does; checked against the version this unit of work
     * read, as {@link #update}. Adds 1 to the version.
     *
     * @param flowName the flow's name
     * @param runId    the run's id within the flow
     * @param snapshot the new snapshot, any JSON value
     * @return the run after the write
     * @throws InvalidInputException        when a parameter is invalid; nothing is written
     * @throws ConcurrencyConflictException when this unit of work read the run and another transaction changed it
     */
    public FlowRun replaceSnapshot(String flowName, String runId, JsonNode snapshot) {
        RunChanges.checkKey(flowName, runId);
        JsonWrites.check(em, "snapshot", Check.notNull("snapshot", snapshot));
        RunChanges changes = changes();
        return changes.versionRead(flowName, runId).isPresent()
                ? replaceSnapshot(flowName, runId, snapshot, FlowRunGuard.NONE).orElseThrow()
                : checkpoints().after(writes().replace(flowName, runId, snapshot, changes), CheckpointSource.REPLACE,
                        null);
    }

    /**
     * As {@link #replaceSnapshot(String, String, JsonNode)} for an existing run, only if it passes {@code guard}
     * (an expected version, statuses): a locked read and a write, in a transaction.
     *
     * @param flowName the flow's name
     * @param runId    the run's id within the flow
     * @param snapshot the new snapshot, any JSON value
     * @param guard    what the run must be ({@link FlowRunGuard#NONE}: only the version this unit of work read)
     * @return the run after the write; empty, with nothing written, when the run is in none of the guard's statuses
     * @throws InvalidInputException        when a parameter is invalid
     * @throws NotFoundException            when the run does not exist
     * @throws ConcurrencyConflictException when the run's version is not the expected one (naming both versions)
     */
    public Optional<FlowRun> replaceSnapshot(String flowName, String runId, JsonNode snapshot, FlowRunGuard guard) {
        RunChanges.checkKey(flowName, runId);
        Check.notNull("guard", guard);
        String json = JsonWrites.print(em, "snapshot", Check.notNull("snapshot", snapshot));
        return changes().guarded("replace snapshot of FlowRun " + ref(flowName, runId), flowName, runId, guard,
                (run, now) -> Optional.of(RunUpdate.replacingSnapshot(json)))
                .map(run -> checkpoints().after(run, CheckpointSource.REPLACE, null));
    }

    /**
     * Sets one step's result, {@code snapshot.context[stepId] = result} (that entry replaced whole, other steps kept),
     * in one upsert that holds the run's row lock while it computes the new snapshot, so concurrent writers of a run,
     * existing or not yet, are all kept; a missing run is created as by {@link #mergeSnapshot}. Relative to the
     * stored snapshot (not checked against a version read); adds 1 to the version.
     *
     * @param flowName the flow's name
     * @param runId    the run's id within the flow
     * @param stepId   the step, 1–255 characters
     * @param result   the step's result, any JSON value (a JSON {@code null} is stored as {@code null})
     * @return the run after the write
     * @throws InvalidInputException when a parameter is invalid, or the run's snapshot or its {@code context} is not
     *                               a JSON object; nothing is written
     */
    public FlowRun setStepResult(String flowName, String runId, String stepId, JsonNode result) {
        RunChanges.checkKey(flowName, runId);
        Check.name("stepId", stepId);
        Check.notNull("result", result);
        return checkpoints().after(writes().setStep(flowName, runId, stepId, result), CheckpointSource.STEP, stepId);
    }

    /**
     * Deletes a run. Deleting an active run subtracts 1 from its flow's {@code running} or {@code awaiting}; the
     * history counters ({@code total}, {@code success}, …) are kept. The run's events are kept; its status changes
     * (the change feed's {@code RUN_STATUS} rows) and checkpoints go with it.
     *
     * @param flowName the flow's name
     * @param runId    the run's id within the flow
     * @return whether a run was deleted
     * @throws InvalidInputException when a name is invalid
     */
    public boolean delete(String flowName, String runId) {
        RunChanges.checkKey(flowName, runId);
        return writes().delete(flowName, runId);
    }

    private RunChanges changes() {
        return new RunChanges(em, clock);
    }

    private CheckpointWrites checkpoints() {
        return new CheckpointWrites(em, clock);
    }

    private RunWrites writes() {
        return new RunWrites(em, clock);
    }

    private static String ref(String flowName, String runId) {
        return RunChanges.ref(flowName, runId);
    }
}
