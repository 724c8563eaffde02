package dev.agentstore.persistence.flow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.flow.CheckpointPolicy;
import dev.agentstore.domain.flow.CheckpointRetention;
import dev.agentstore.domain.flow.CheckpointSource;
import dev.agentstore.domain.flow.FlowCheckpoint;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.domain.flow.NewFlowRun;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.support.AbstractRepository;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.PageRequest;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.SingleStatement;
import dev.agentstore.persistence.support.Sql;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The checkpoints of flow runs ({@link FlowCheckpoint}): a run's history of states, time travel (load, resume, fork),
 * releases, and the per-flow setting that turns recording on with its retention ({@link CheckpointPolicy}).
 *
 * <p><b>Recording.</b> For a flow with a policy ({@link #configure}), every snapshot write of its runs
 * ({@code FlowRunRepository.replaceSnapshot}, {@code mergeSnapshot}, {@code setStepResult}) records a checkpoint of the
 * run's new state in the write's transaction: a second statement that reads the run's row after the write, which
 * holds the row lock until the transaction ends. So the snapshot and its checkpoint commit or roll back together, and
 * concurrent writers of one run queue on the lock and form a linear chain: each checkpoint's parent is the run's
 * newest checkpoint that is not superseded, and a unique index refuses a second child of a parent except the first
 * checkpoint of a fork or of a resume. {@link #put} writes a snapshot with the caller's step, next steps and metadata
 * (the shape of a LangGraph checkpoint) and records it whatever the policy.
 *
 * <p><b>Time travel.</b> {@link #history} pages newest first by keyset ({@code before} a checkpoint id, as LangGraph's
 * {@code list(before=...)}); {@link #get} loads the state at a checkpoint; {@link #fork} starts a new run of the same
 * flow from a checkpoint (its first checkpoint's parent is the origin; the origin run is untouched);
 * {@link #resume} sets an active run's snapshot back to one of its checkpoints, marks the checkpoints after it
 * superseded (kept as history) and records a checkpoint whose parent is the one resumed from. {@link #release} tags a
 * finished run's newest checkpoint with a message, once per run; {@link #prune} deletes what the policies do not keep.
 *
 * <p>Runs in the caller's transaction; never begins or commits one. Through {@code store.checkpoints()} each call is
 * its own unit of work. Checkpoints handed out are copies built from rows; the class is thread-safe as the other
 * repositories are (one instance per unit of work, or a CDI proxy).
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
public class CheckpointRepository extends AbstractRepository {

    /** Maximum length of a release message: 10,000 characters. */
    public static final int MAX_MESSAGE_LENGTH = 10_000;

    /**
     * Turns checkpoints on for a registered flow's runs, or changes its retention; from the next snapshot write on.
     *
     * @param flowName the flow's name
     * @param policy   the retention {@link #prune} applies
     * @return the policy as stored
     * @throws InvalidInputException when a parameter is invalid
     * @throws NotFoundException     when the flow is not registered
     */
    @SingleStatement
    public CheckpointPolicy configure(String flowName, CheckpointPolicy policy) {
        Check.name("flowName", flowName);
        Check.notNull("policy", policy);
        return Sql.call(em, "configure checkpoints of Flow name=" + flowName, h -> h
                        .createQuery(CheckpointSql.CONFIGURE)
                        .bind("flowName", flowName)
                        .bind("retention", policy.retention().name())
                        .bind("keepLast", policy.keepLast())
                        .bind("now", clock.instant())
                        .map((rs, ctx) -> policy(rs.getString("retention"), rs.getObject("keep_last", Integer.class)))
                        .findOne())
                .orElseThrow(() -> new NotFoundException("Flow", "name=" + flowName));
    }

    /**
     * @param flowName the flow's name
     * @return the flow's policy; empty when its runs record no checkpoints
     * @throws InvalidInputException when {@code flowName} is invalid
     */
    @SingleStatement
    public Optional<CheckpointPolicy> policy(String flowName) {
        Check.name("flowName", flowName);
        return Sql.call(em, "get checkpoint policy of Flow name=" + flowName, h -> h.createQuery(CheckpointSql.POLICY)
                .bind("flowName", flowName)
                .map((rs, ctx) -> policy(rs.getString("retention"), rs.getObject("keep_last", Integer.class)))
                .findOne());
    }

    /**
     * Turns checkpoints off for a flow's runs; the recorded ones are kept (and no longer pruned).
     *
     * @param flowName the flow's name
     * @return whether the flow had a policy
     * @throws InvalidInputException when {@code flowName} is invalid
     */
    @SingleStatement
    public boolean disable(String flowName) {
        Check.name("flowName", flowName);
        return Sql.call(em, "disable checkpoints of Flow name=" + flowName, h -> h.createUpdate(CheckpointSql.DISABLE)
                .bind("flowName", flowName)
                .execute()) > 0;
    }

    /**
     * A run's checkpoints, newest first, one keyset page in one query: pass the last checkpoint id of a page as
     * {@code before} for the next. Superseded checkpoints are included (see {@link FlowCheckpoint#superseded()}).
     *
     * @param flowName the run's flow
     * @param runId    the run's id
     * @param before   the checkpoint after the page (exclusive), or {@code null} for the newest; a checkpoint id that
     *                 does not exist gives an empty page
     * @param limit    at most this many, 1–{@value PageRequest#MAX_PER_PAGE}
     * @return the checkpoints, newest first; empty when the run has none
     * @throws InvalidInputException when a parameter is invalid
     */
    @SingleStatement
    public List<FlowCheckpoint> history(String flowName, String runId, UUID before, int limit) {
        return history(flowName, runId, before, limit, true);
    }

    /**
     * As {@link #history(String, String, UUID, int)}, with or without the states: without, every checkpoint's
     * {@link FlowCheckpoint#state()} is {@code null} (load one with {@link #get}), and a page costs no detoasting of
     * the states (the form for listing a long history).
     *
     * @param flowName  the run's flow
     * @param runId     the run's id
     * @param before    the checkpoint after the page (exclusive), or {@code null} for the newest
     * @param limit     at most this many, 1–{@value PageRequest#MAX_PER_PAGE}
     * @param withState whether to read the states
     * @return the checkpoints, newest first
     * @throws InvalidInputException when a parameter is invalid
     */
    @SingleStatement
    public List<FlowCheckpoint> history(String flowName, String runId, UUID before, int limit, boolean withState) {
        RunChanges.checkKey(flowName, runId);
        Check.range("limit", limit, 1, PageRequest.MAX_PER_PAGE);
        return Sql.call(em, "history of FlowRun " + RunChanges.ref(flowName, runId), h -> h
                .createQuery(CheckpointSql.HISTORY)
                .bind("flowName", flowName)
                .bind("runId", runId)
                .bind("before", before)
                .bind("withState", withState)
                .bind("limit", limit)
                .map(CheckpointSql.CHECKPOINT)
                .list());
    }

    /**
     * Loads a checkpoint with the state it holds.
     *
     * @param checkpointId the checkpoint's id
     * @return the checkpoint, or empty when there is none (never recorded, or pruned)
     * @throws InvalidInputException when {@code checkpointId} is {@code null}
     */
    @SingleStatement
    public Optional<FlowCheckpoint> get(UUID checkpointId) {
        Check.notNull("checkpointId", checkpointId);
        return find(checkpointId);
    }

    /**
     * @param flowName the run's flow
     * @param runId    the run's id
     * @return the run's newest checkpoint that is not superseded (its current state's), or empty when it has none
     * @throws InvalidInputException when a name is invalid
     */
    @SingleStatement
    public Optional<FlowCheckpoint> latest(String flowName, String runId) {
        return findOne("latest checkpoint of FlowRun ", CheckpointSql.LATEST, flowName, runId);
    }

    /**
     * Replaces a run's snapshot (creating a missing run, as {@code FlowRunRepository.replaceSnapshot}) and records a
     * checkpoint of it with the step that produced it, the steps to run next and metadata, whatever the flow's
     * policy: two statements in the caller's transaction (the snapshot upsert, counting a new run in its flow's
     * stats, then the checkpoint copied from the run's row under its lock, so concurrent puts form a linear chain),
     * sent in one round trip with one Sync and returning only ids, version and time; the state is checked and printed
     * once, sent once and read back by neither. Through {@code store.checkpoints()} it runs in autocommit mode: the
     * two statements are then one implicit transaction (both commit or neither does), with no {@code BEGIN} or
     * {@code COMMIT} round trip. The checkpoint returned holds copies of the caller's state, next steps and metadata
     * (equal, as JSON values, to what is stored). Not checked against a version read.
     *
     * @param flowName  the run's flow
     * @param runId     the run's id
     * @param state     the new snapshot, any JSON value
     * @param stepId    the step (node) that produced it, or {@code null}
     * @param nextSteps the steps to run next, each 1–255 characters (may be empty)
     * @param metadata  a JSON object, or {@code null} for {@code {}}
     * @return the checkpoint
     * @throws InvalidInputException when a parameter is invalid; nothing is written
     */
    @SingleStatement
    public FlowCheckpoint put(String flowName, String runId, JsonNode state, String stepId, List<String> nextSteps,
                              JsonNode metadata) {
        return put(flowName, runId, null, state, stepId, nextSteps, metadata);
    }

    /**
     * As {@link #put(String, String, JsonNode, String, List, JsonNode)}, with the caller's checkpoint id (a
     * framework that names its checkpoints itself, as LangGraph4j does).
     *
     * @param flowName     the run's flow
     * @param runId        the run's id
     * @param checkpointId the new checkpoint's id, or {@code null} for a random one
     * @param state        the new snapshot, any JSON value
     * @param stepId       the step (node) that produced it, or {@code null}
     * @param nextSteps    the steps to run next, each 1–255 characters (may be empty)
     * @param metadata     a JSON object, or {@code null} for {@code {}}
     * @return the checkpoint
     * @throws InvalidInputException when a parameter is invalid; nothing is written
     * @throws DuplicateException    when a checkpoint {@code checkpointId} exists; the transaction must roll back
     */
    @SingleStatement
    public FlowCheckpoint put(String flowName, String runId, UUID checkpointId, JsonNode state, String stepId,
                              List<String> nextSteps, JsonNode metadata) {
        return put(flowName, runId, checkpointId, state, stepId, nextSteps, metadata, false);
    }

    /**
     * As {@link #put(String, String, UUID, JsonNode, String, List, JsonNode)}, committed with PostgreSQL's {@code
     * synchronous_commit} off: {@code set_config(..., true)} (that is, {@code SET LOCAL}) sent in the same round trip,
     * before the two writes. Through {@code store.checkpoints()} (autocommit) it applies to the put's own implicit
     * transaction only, whose commit then does not wait for the WAL to reach the disk: a crash of the database server
     * (not of the application) may lose the puts of its last moments (at most about three times {@code
     * wal_writer_delay}), never half-write one. In a unit of work or a container transaction it applies to that whole
     * transaction.
     *
     * @param flowName     the run's flow
     * @param runId        the run's id
     * @param checkpointId the new checkpoint's id, or {@code null} for a random one
     * @param state        the new snapshot, any JSON value
     * @param stepId       the step (node) that produced it, or {@code null}
     * @param nextSteps    the steps to run next, each 1–255 characters (may be empty)
     * @param metadata     a JSON object, or {@code null} for {@code {}}
     * @return the checkpoint
     * @throws InvalidInputException when a parameter is invalid; nothing is written
     * @throws DuplicateException    when a checkpoint {@code checkpointId} exists; the transaction must roll back
     */
    @SingleStatement
    public FlowCheckpoint putAsynchronousCommit(String flowName, String runId, UUID checkpointId, JsonNode state,
                                                String stepId, List<String> nextSteps, JsonNode metadata) {
        return put(flowName, runId, checkpointId, state, stepId, nextSteps, metadata, true);
    }

    private FlowCheckpoint put(String flowName, String runId, UUID checkpointId, JsonNode state, String stepId,
                               List<String> nextSteps, JsonNode metadata, boolean asynchronousCommit) {
        RunChanges.checkKey(flowName, runId);
        String stateText = JsonWrites.print(em, "state", Check.notNull("state", state));
        Check.optionalName("stepId", stepId);
        Check.noNulls("nextSteps", nextSteps).forEach(s -> Check.name("nextSteps[]", s));
        JsonNode meta = metadata == null ? JsonNodeFactory.instance.objectNode() : metadata;
        String metaText = metadata(metadata);
        ArrayNode steps = JsonNodeFactory.instance.arrayNode();
        nextSteps.forEach(steps::add);
        return new CheckpointWrites(em, clock).put(asynchronousCommit, checkpointId, flowName, runId, state, stateText,
                stepId, steps, Json.print(steps), meta, metaText).orElseThrow();
    }

    /**
     * Forks a new run of the same flow from a checkpoint: the new run is {@code RUNNING} with the checkpoint's state
     * as snapshot (counted in the flow's stats as a started run), and its first checkpoint ({@link
     * CheckpointSource#FORK}, same step and next steps) has the origin checkpoint as parent. The origin run and its
     * checkpoints are untouched.
     *
     * @param checkpointId the origin checkpoint
     * @param newRunId     the new run's id, 1–255 characters
     * @return the new run's first checkpoint ({@link FlowCheckpoint#runId()} is {@code newRunId})
     * @throws InvalidInputException when a parameter is invalid
     * @throws NotFoundException     when the checkpoint does not exist
     * @throws DuplicateException    when a run {@code newRunId} of the flow exists; nothing is written
     */
    public FlowCheckpoint fork(UUID checkpointId, String newRunId) {
        Check.notNull("checkpointId", checkpointId);
        Check.name("newRunId", newRunId);
        FlowCheckpoint origin = require(checkpointId);
        String flowName = origin.flowName();
        new RunWrites(em, clock).create(NewFlowRun.of(flowName, newRunId).withStatus(FlowRunStatus.RUNNING)
                        .withSnapshot(origin.state()),
                new RunChanges(em, clock));
        return new CheckpointWrites(em, clock).record(flowName, newRunId, CheckpointSource.FORK, true, checkpointId, origin.stepId(),
                Json.print(origin.nextSteps()), "{}").orElseThrow();
    }

    /**
     * Resumes an active run from one of its earlier checkpoints: the run's snapshot becomes that state (its version
     * + 1), the checkpoints after it are marked superseded and stay as history, and a {@link CheckpointSource#RESUME}
     * checkpoint whose parent is the one resumed from is recorded; the next snapshot writes continue from it. Locks
     * the run's row first, so concurrent writers of the run queue. Not checked against a version read. To go on
     * from a state of a finished run, {@link #fork} it.
     *
     * @param flowName     the run's flow
     * @param runId        the run's id
     * @param checkpointId a checkpoint of that run (a superseded one too)
     * @return the run after the write
     * @throws InvalidInputException when a parameter is invalid, the checkpoint is another run's, or the run is
     *                               terminal; nothing is written
     * @throws NotFoundException     when the run or the checkpoint does not exist
     */
    public FlowRun resume(String flowName, String runId, UUID checkpointId) {
        RunChanges.checkKey(flowName, runId);
        Check.notNull("checkpointId", checkpointId);
        String ref = RunChanges.ref(flowName, runId);
        RunChanges changes = new RunChanges(em, clock);
        FlowRun locked = changes.select("resume FlowRun " + ref, FlowRunSql.SELECT_BY_KEY_FOR_UPDATE, flowName,
                runId).orElseThrow(() -> new NotFoundException("FlowRun", RunChanges.key(flowName, runId)));
        FlowCheckpoint target = require(checkpointId);
        if (!target.flowName().equals(flowName) || !target.runId().equals(runId)) {
            throw new InvalidInputException("checkpointId " + checkpointId + " is a checkpoint of FlowRun "
                    + RunChanges.ref(target.flowName(), target.runId()) + ", not of " + ref);
        }
        if (locked.status().isTerminal()) {
            throw new InvalidInputException("FlowRun " + ref + " is " + locked.status()
                    + ": a terminal run cannot be resumed; fork it instead");
        }
        Instant now = clock.instant();
        FlowRun run = Sql.call(em, "resume FlowRun " + ref, h -> {
            FlowRun written = h.createQuery(CheckpointSql.RESUME_RUN)
                    .bind("checkpointId", checkpointId)
                    .bind("flowName", flowName)
                    .bind("runId", runId)
                    .bind("now", now)
                    .map(FlowRunSql.RUN)
                    .one();
            h.createUpdate(CheckpointSql.SUPERSEDE)
                    .bind("flowName", flowName)
                    .bind("runId", runId)
                    .bind("id", target.id())
                    .execute();
            return written;
        });
        new CheckpointWrites(em, clock).record(flowName, runId, CheckpointSource.RESUME, true, checkpointId, target.stepId(),
                Json.print(target.nextSteps()), "{}");
        ReadVersions.of(em).wroteRelative(RunChanges.ENTITY, ref, run.version());
        return run;
    }

    /**
     * Releases a finished run: tags its newest checkpoint that is not superseded with a message and the time, once
     * per run (LangGraph4j's thread release).
     *
     * @param flowName the run's flow
     * @param runId    the run's id
     * @param message  what the release is, 1–10,000 characters
     * @return the released checkpoint
     * @throws InvalidInputException when a parameter is invalid or the run is not terminal; nothing is written
     * @throws NotFoundException     when the run does not exist or has no checkpoint
     * @throws DuplicateException    when the run was released already; nothing is written
     */
    public FlowCheckpoint release(String flowName, String runId, String message) {
        RunChanges.checkKey(flowName, runId);
        Check.text("message", message, MAX_MESSAGE_LENGTH);
        String ref = RunChanges.ref(flowName, runId);
        FlowRun run = new RunChanges(em, clock).select("release FlowRun " + ref, FlowRunSql.SELECT_BY_KEY_FOR_UPDATE,
                flowName, runId).orElseThrow(() -> new NotFoundException("FlowRun", RunChanges.key(flowName, runId)));
        if (!run.status().isTerminal()) {
            throw new InvalidInputException("FlowRun " + ref + " is " + run.status()
                    + ": only a finished run can be released");
        }
        if (released(flowName, runId).isPresent()) {
            throw new DuplicateException("FlowRun " + ref + " was released already", null);
        }
        return Sql.call(em, "release FlowRun " + ref, h -> h.createQuery(CheckpointSql.RELEASE)
                        .bind("flowName", flowName)
                        .bind("runId", runId)
                        .bind("message", message)
                        .bind("now", clock.instant())
                        .map(CheckpointSql.CHECKPOINT)
                        .findOne())
                .orElseThrow(() -> new NotFoundException("FlowCheckpoint", "of FlowRun " + ref));
    }

    /**
     * @param flowName the run's flow
     * @param runId    the run's id
     * @return the checkpoint the run was released at, or empty when it was not released
     * @throws InvalidInputException when a name is invalid
     */
    @SingleStatement
    public Optional<FlowCheckpoint> released(String flowName, String runId) {
        return findOne("release of FlowRun ", CheckpointSql.RELEASED, flowName, runId);
    }

    /**
     * Applies a flow's retention in one statement: {@link CheckpointRetention#KEEP_LAST} deletes each run's
     * checkpoints beyond the newest {@code keepLast}, {@link CheckpointRetention#NONE_AFTER_COMPLETION} every
     * checkpoint of its terminal runs, {@link CheckpointRetention#KEEP_ALL} nothing; a released checkpoint is always
     * kept, and so are the checkpoints of a flow without a policy. A kept checkpoint's parent may be deleted.
     *
     * @param flowName the flow's name, or {@code null} for every flow
     * @return how many checkpoints were deleted
     * @throws InvalidInputException when {@code flowName} is invalid
     */
    @SingleStatement
    public int prune(String flowName) {
        Check.optionalName("flowName", flowName);
        return Sql.call(em, "prune checkpoints" + (flowName == null ? "" : " of Flow name=" + flowName), h -> h
                .createUpdate(CheckpointSql.PRUNE)
                .bind("flowName", flowName)
                .execute());
    }

    private Optional<FlowCheckpoint> find(UUID checkpointId) {
        return Sql.call(em, "get FlowCheckpoint " + checkpointId, h -> h.createQuery(CheckpointSql.GET)
                .bind("checkpointId", checkpointId)
                .map(CheckpointSql.CHECKPOINT)
                .findOne());
    }

    private FlowCheckpoint require(UUID checkpointId) {
        return find(checkpointId).orElseThrow(() -> new NotFoundException("FlowCheckpoint", checkpointId.toString()));
    }

    private String metadata(JsonNode metadata) {
        if (metadata == null) {
            return "{}";
        }
        Json.requireObject("metadata", metadata);
        return JsonWrites.print(em, "metadata", metadata);
    }

    private static CheckpointPolicy policy(String retention, Integer keepLast) {
        return new CheckpointPolicy(CheckpointRetention.valueOf(retention), keepLast);
    }

    /** At most one checkpoint of a run, read by {@code sql} with the run's key bound. */
    private Optional<FlowCheckpoint> findOne(String what, String sql, String flowName, String runId) {
        RunChanges.checkKey(flowName, runId);
        return Sql.call(em, what + RunChanges.ref(flowName, runId), h -> h.createQuery(sql)
                .bind("flowName", flowName)
                .bind("runId", runId)
                .map(CheckpointSql.CHECKPOINT)
                .findOne());
    }
}
