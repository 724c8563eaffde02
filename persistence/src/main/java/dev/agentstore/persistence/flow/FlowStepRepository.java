package dev.agentstore.persistence.flow;

import dev.agentstore.persistence.support.AbstractRepository;
import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.domain.flow.FlowStep;
import dev.agentstore.domain.flow.FlowStepNode;
import dev.agentstore.domain.flow.FlowStepProgress;
import dev.agentstore.domain.flow.FlowStepStatus;
import dev.agentstore.domain.flow.FlowStepWrite;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.SingleStatement;
import dev.agentstore.persistence.support.Sql;
import jakarta.enterprise.context.ApplicationScoped;
import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A run's steps as rows (Compozy's task states): upsert, read one, list a run's steps flat or as a tree, roll a run's
 * progress up from its steps, and complete a run by the rule its steps dictate. {@link FlowStep} is read-only to JPA;
 * these methods are the way to change a step, and every step they hand out is a copy built from a row.
 *
 * <p><b>Steps and their run never disagree.</b> A step belongs to an existing run (deleting the run deletes its
 * steps) and its parent, when it has one, to the same run. Every step write first locks its run's row
 * ({@code SELECT ... FOR NO KEY UPDATE}) and fails when the run is terminal; {@link #completeRun} locks the run's row
 * ({@code FOR UPDATE}), reads the steps and moves the run in the same transaction. So a completion and the step writes
 * of its run are serialized: a completion sees every step write committed before it, and no step changes after its
 * run completed, failed or was cancelled. A database trigger ({@code flow_runs_completion_guard}, changelog 0.4)
 * applies the same rule to every move to {@link FlowRunStatus#COMPLETED}, including
 * {@code FlowRunRepository.transition} and {@code update}: such a move fails with an {@link InvalidInputException}
 * while a step of the run is active or a top-level step failed. The step writes of one run queue on the run's row
 * (they are short); steps of different runs do not wait for each other.
 *
 * <p><b>Read-modify-write.</b> A step that a unit of work read ({@link #get}, {@link #list}, {@link #tree}) is
 * written by {@link #upsert(String, String, FlowStepWrite)} only if it still has the version read (or is still
 * absent, when it was read as absent), as {@link ReadVersions} describes; callers outside a unit of work pass the
 * version they read ({@link #upsert(String, String, FlowStepWrite, long)}).
 *
 * <p>Runs in the caller's transaction; never begins or commits one. Through {@code store.flowSteps()} each call is its
 * own unit of work (the reads in autocommit mode, the writes in a transaction). Transactions, standalone and in a
 * Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
public class FlowStepRepository extends AbstractRepository {

    /** The entity name in messages and in {@link ReadVersions}. */
    static final String ENTITY = "FlowStep";

    /**
     * Creates a step or writes an existing one (Compozy's {@code UpsertState}). On an existing step the fields the
     * write leaves {@code null} keep their values; see {@link FlowStepWrite} for the defaults of a new step and the
     * start and end times set from the status. Locks the run's row, then the step's, then writes (three statements in a
     * transaction; a fourth checks a new step's parent). In a unit of work that read the step, writes only if the step still has the version read.
     *
     * @param flowName the run's flow, 1–255 characters
     * @param runId    the run's id within the flow, 1–255 characters
     * @param step     what to write
     * @return the step as stored, its version 0 when created, plus 1 per write
     * @throws InvalidInputException        when a parameter is invalid (JSON over the store's limits included), the
     *                                      run is terminal, or the write names another parent than the step's;
     *                                      nothing is written
     * @throws NotFoundException            when the run does not exist, or a new step's parent is not a step of the
     *                                      run
     * @throws ConcurrencyConflictException when this unit of work read the step and another transaction changed (or
     *                                      created) it since; it carries both versions
     */
    public FlowStep upsert(String flowName, String runId, FlowStepWrite step) {
        checkKey(flowName, runId);
        Check.notNull("step", step);
        return write(flowName, runId, step, false, ReadVersions.of(em).expected(ENTITY, ref(flowName, runId,
                step.stepId())));
    }

    /**
     * As {@link #upsert(String, String, FlowStepWrite)} on an existing step, only if it still has
     * {@code expectedVersion} (compare-and-set, for callers that read the step in an earlier unit of work).
     *
     * @param flowName        the run's flow
     * @param runId           the run's id within the flow
     * @param step            what to write
     * @param expectedVersion the version the caller read ({@link FlowStep#version()})
     * @return the step as stored
     * @throws InvalidInputException        as for {@link #upsert(String, String, FlowStepWrite)}, or when
     *                                      {@code expectedVersion} is negative; nothing is written
     * @throws NotFoundException            when the run or the step does not exist
     * @throws ConcurrencyConflictException when the step's version is not {@code expectedVersion} (it carries both
     *                                      versions); nothing is written
     */
    public FlowStep upsert(String flowName, String runId, FlowStepWrite step, long expectedVersion) {
        checkKey(flowName, runId);
        Check.notNull("step", step);
        Check.notNegative("expectedVersion", expectedVersion);
        return write(flowName, runId, step, true, OptionalLong.of(expectedVersion));
    }

    /**
     * Reads one step. In a unit of work, the version read (or its absence) is remembered for a later
     * {@link #upsert(String, String, FlowStepWrite)} of it.
     *
     * @param flowName the run's flow
     * @param runId    the run's id within the flow
     * @param stepId   the step's id within the run
     * @return the step, or empty when there is none
     * @throws InvalidInputException when a name is blank or longer than 255 characters
     */
    @SingleStatement
    public Optional<FlowStep> get(String flowName, String runId, String stepId) {
        checkKey(flowName, runId);
        Check.name("stepId", stepId);
        String ref = ref(flowName, runId, stepId);
        Optional<FlowStep> found = Sql.call(em, "get " + ENTITY + " " + ref, h -> bindKey(h.createQuery(
                FlowStepSql.SELECT), flowName, runId).bind("stepId", stepId).map(FlowStepSql.STEP).findOne());
        ReadVersions.of(em).read(ENTITY, ref, found.map(FlowStep::version).orElse(ReadVersions.ABSENT));
        return found;
    }

    /**
     * Lists a run's steps in creation order, flat (one query). Each version read is remembered, as by {@link #get}.
     *
     * @param flowName the run's flow
     * @param runId    the run's id within the flow
     * @return the steps; empty when the run has none or does not exist
     * @throws InvalidInputException when a name is invalid
     */
    @SingleStatement
    public List<FlowStep> list(String flowName, String runId) {
        checkKey(flowName, runId);
        List<FlowStep> steps = Sql.call(em, "list FlowSteps of FlowRun " + flowName + "/" + runId, h -> bindKey(
                h.createQuery(FlowStepSql.LIST), flowName, runId).map(FlowStepSql.STEP).list());
        ReadVersions versions = ReadVersions.of(em);
        steps.forEach(s -> versions.read(ENTITY, ref(flowName, runId, s.stepId()), s.version()));
        return steps;
    }

    /**
     * A run's steps as a tree (one query): the top-level steps in creation order, each with its children in creation
     * order, to any depth. Each version read is remembered, as by {@link #get}.
     *
     * @param flowName the run's flow
     * @param runId    the run's id within the flow
     * @return the top-level steps' nodes; empty when the run has no steps or does not exist
     * @throws InvalidInputException when a name is invalid
     */
    @SingleStatement
    public List<FlowStepNode> tree(String flowName, String runId) {
        List<FlowStep> steps = list(flowName, runId);
        Map<String, List<FlowStep>> children = new LinkedHashMap<>();
        for (FlowStep s : steps) {
            children.computeIfAbsent(s.parentStepId(), p -> new ArrayList<>()).add(s);
        }
        return nodes(children, null);
    }

    /**
     * A run's progress rolled up from all its steps, at every depth (one query): counts by status and the share done.
     *
     * @param flowName the run's flow
     * @param runId    the run's id within the flow
     * @return the progress; every count 0 when the run has no steps or does not exist
     * @throws InvalidInputException when a name is invalid
     */
    @SingleStatement
    public FlowStepProgress progress(String flowName, String runId) {
        checkKey(flowName, runId);
        return count("progress of FlowRun " + flowName + "/" + runId, FlowStepSql.COUNT_BY_STATUS, flowName, runId,
                null);
    }

    /**
     * The progress of one step's direct children (Compozy's progress of a parent task; one query).
     *
     * @param flowName     the run's flow
     * @param runId        the run's id within the flow
     * @param parentStepId the parent step's id
     * @return the progress of its children; every count 0 when it has none
     * @throws InvalidInputException when a name is invalid
     */
    @SingleStatement
    public FlowStepProgress progress(String flowName, String runId, String parentStepId) {
        checkKey(flowName, runId);
        Check.name("parentStepId", parentStepId);
        return count("progress of " + ENTITY + " " + ref(flowName, runId, parentStepId),
                FlowStepSql.COUNT_CHILDREN_BY_STATUS, flowName, runId, parentStepId);
    }

    /**
     * Completes a run by the rule of its steps (Compozy's {@code CompleteWorkflow}): locks the run's row
     * ({@code FlowRunRepository.getForUpdate}), reads its steps, and fails while any step, at any depth, is active
     * ({@link FlowStepStatus#PENDING}, {@link FlowStepStatus#RUNNING}, {@link FlowStepStatus#WAITING},
     * {@link FlowStepStatus#PAUSED}); otherwise moves the run to {@link FlowRunStatus#FAILED} when a top-level step
     * failed ({@link FlowStepStatus#FAILED} or {@link FlowStepStatus#TIMED_OUT}), else to
     * {@link FlowRunStatus#COMPLETED} ({@code FlowRunRepository.transition}, which moves the flow's counters). A run
     * without steps completes. A run that is already terminal is returned unchanged, as Compozy does. Needs a
     * transaction (a unit of work, a container transaction, or {@code store.flowSteps()}'s own).
     *
     * @param flowName the run's flow
     * @param runId    the run's id within the flow
     * @return the run after the move (or unchanged, when it was terminal)
     * @throws InvalidInputException        when a name is invalid, or a step of the run is still active (the message
     *                                      names the step and its status); nothing is written
     * @throws NotFoundException            when the run does not exist
     * @throws ConcurrencyConflictException on a deadlock with a unit of work that locks rows in another order; retry
     */
    public FlowRun completeRun(String flowName, String runId) {
        checkKey(flowName, runId);
        FlowRunRepository runs = bind(new FlowRunRepository(), em, clock);
        FlowRun run = runs.getForUpdate(flowName, runId).orElseThrow(() -> new NotFoundException("FlowRun",
                flowName + "/" + runId));
        if (run.status().isTerminal()) {
            return run;
        }
        Optional<Blocking> blocking = Sql.call(em, "complete FlowRun " + flowName + "/" + runId, h -> bindKey(
                h.createQuery(FlowStepSql.BLOCKING), flowName, runId)
                .map((rs, ctx) -> new Blocking(rs.getString("step_id"), FlowStepStatus.valueOf(rs.getString(
                        "status"))))
                .findOne());
        if (blocking.isPresent() && !blocking.get().status().isTerminal()) {
            throw new InvalidInputException("FlowRun " + flowName + "/" + runId + " cannot complete: step "
                    + blocking.get().stepId() + " is " + blocking.get().status() + " (still active)");
        }
        return runs.transition(flowName, runId, blocking.isPresent() ? FlowRunStatus.FAILED : FlowRunStatus.COMPLETED);
    }

    /** The first step that keeps a run from completing ({@link FlowStepSql#BLOCKING}). */
    private record Blocking(String stepId, FlowStepStatus status) {
    }

    private FlowStep write(String flowName, String runId, FlowStepWrite step, boolean explicit,
                           OptionalLong expected) {
        String input = json("input", step.input());
        String output = json("output", step.output());
        String error = json("error", step.error());
        String ref = ref(flowName, runId, step.stepId());
        Instant now = clock.instant();
        FlowStep written = Sql.call(em, "upsert " + ENTITY + " " + ref, h -> {
            Sql.requireTransaction(h);
            lockActiveRun(h, flowName, runId);
            for (int attempt = 0; attempt < 2; attempt++) {
                Optional<FlowStep> existing = bindKey(h.createQuery(FlowStepSql.SELECT_FOR_UPDATE), flowName, runId)
                        .bind("stepId", step.stepId()).map(FlowStepSql.STEP).findOne();
                if (existing.isPresent()) {
                    FlowStep current = existing.get();
                    checkWrite(ref, current, step, expected);
                    return bindValues(h.createQuery(FlowStepSql.UPDATE), step, input, output, error, now)
                            .bind("setInput", step.input() != null)
                            .bind("setOutput", step.output() != null)
                            .bind("setError", step.error() != null)
                            .bind("id", current.id())
                            .bind("version", current.version())
                            .map(FlowStepSql.STEP).one();
                }
                if (explicit) {
                    throw new NotFoundException(ENTITY, ref);
                }
                if (expected.isPresent() && expected.getAsLong() != ReadVersions.ABSENT) {
                    throw ReadVersions.conflict(ENTITY, ref, expected.getAsLong(), ReadVersions.ABSENT);
                }
                checkParent(h, flowName, runId, step.parentStepId());
                Optional<FlowStep> inserted = bindValues(bindKey(h.createQuery(FlowStepSql.INSERT), flowName, runId)
                        .bind("stepId", step.stepId())
                        .bind("parentStepId", step.parentStepId()), step, input, output, error, now)
                        .map(FlowStepSql.STEP).findOne();
                if (inserted.isPresent()) {
                    return inserted.get();
                }
                // another transaction inserted the step in between: read it locked and write it
            }
            throw new ConcurrencyConflictException("upsert " + ENTITY + " " + ref, "upsert " + ENTITY + " " + ref
                    + ": the step was created and deleted concurrently; retry", null);
        });
        ReadVersions.of(em).wrote(ENTITY, ref, written.version());
        return written;
    }

    /** Locks the run's row; fails when the run is missing or terminal. */
    private static void lockActiveRun(Handle h, String flowName, String runId) {
        FlowRunStatus status = bindKey(h.createQuery(FlowStepSql.LOCK_RUN), flowName, runId)
                .mapTo(String.class).findOne().map(FlowRunStatus::valueOf)
                .orElseThrow(() -> new NotFoundException("FlowRun", flowName + "/" + runId));
        if (status.isTerminal()) {
            throw new InvalidInputException("FlowRun " + flowName + "/" + runId + " is " + status
                    + ": its steps cannot change");
        }
    }

    private static void checkWrite(String ref, FlowStep current, FlowStepWrite step, OptionalLong expected) {
        if (expected.isPresent() && expected.getAsLong() != current.version()) {
            throw ReadVersions.conflict(ENTITY, ref, expected.getAsLong(), current.version());
        }
        if (step.parentStepId() != null && !step.parentStepId().equals(current.parentStepId())) {
            throw new InvalidInputException("parentStepId of " + ENTITY + " " + ref + " is "
                    + (current.parentStepId() == null ? "none (a top-level step)" : "'" + current.parentStepId() + "'")
                    + "; a step's parent cannot change");
        }
    }

    private static void checkParent(Handle h, String flowName, String runId, String parentStepId) {
        if (parentStepId != null && !bindKey(h.createQuery(FlowStepSql.PARENT_EXISTS), flowName, runId)
                .bind("parentStepId", parentStepId).mapTo(boolean.class).one()) {
            throw new NotFoundException(ENTITY, ref(flowName, runId, parentStepId) + " (the parent step)");
        }
    }

    private static <S extends org.jdbi.v3.core.statement.SqlStatement<S>> S bindValues(S statement,
            FlowStepWrite step, String input, String output, String error, Instant now) {
        return statement
                .bind("name", step.name())
                .bind("status", step.status().name())
                .bind("input", input)
                .bind("output", output)
                .bind("error", error)
                .bind("attempt", step.attempt())
                .bind("startedAt", step.startedAt())
                .bind("endedAt", step.endedAt())
                .bind("now", now);
    }

    private static <S extends org.jdbi.v3.core.statement.SqlStatement<S>> S bindKey(S statement, String flowName,
                                                                                   String runId) {
        return statement.bind("flowName", flowName).bind("runId", runId);
    }

    private FlowStepProgress count(String context, String sql, String flowName, String runId, String parentStepId) {
        Map<FlowStepStatus, Long> counts = new EnumMap<>(FlowStepStatus.class);
        Sql.run(em, context, h -> {
            var query = bindKey(h.createQuery(sql), flowName, runId);
            if (parentStepId != null) {
                query.bind("parentStepId", parentStepId);
            }
            query.map((rs, ctx) -> Map.entry(FlowStepStatus.valueOf(rs.getString("status")), rs.getLong("n")))
                    .forEach(e -> counts.put(e.getKey(), e.getValue()));
        });
        return new FlowStepProgress(counts.values().stream().mapToLong(Long::longValue).sum(), counts);
    }

    private String json(String field, JsonNode value) {
        return value == null ? null : JsonWrites.print(em, field, value);
    }

    private static List<FlowStepNode> nodes(Map<String, List<FlowStep>> children, String parentStepId) {
        List<FlowStepNode> nodes = new ArrayList<>();
        for (FlowStep s : children.getOrDefault(parentStepId, List.of())) {
            nodes.add(new FlowStepNode(s, nodes(children, s.stepId())));
        }
        return nodes;
    }

    private static void checkKey(String flowName, String runId) {
        Check.name("flowName", flowName);
        Check.name("runId", runId);
    }

    private static String ref(String flowName, String runId, String stepId) {
        return flowName + "/" + runId + "/" + stepId;
    }
}
