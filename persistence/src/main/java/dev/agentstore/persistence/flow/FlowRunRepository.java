package dev.agentstore.persistence.flow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import dev.agentstore.persistence.support.PersistenceErrors;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.SingleStatement;
import dev.agentstore.persistence.support.Transactions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.PersistenceContext;
import jakarta.persistence.TypedQuery;
import jakarta.transaction.Transactional;
import org.hibernate.Session;
import org.hibernate.engine.spi.EntityKey;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * Flow runs and their workflow snapshots: start, read, list, status transitions,
 * atomic step completion, deep-merge updates checked by {@code @Version}, single-statement snapshot merges, delete.
 *
 * <p><b>Flow stats.</b> Every run lifecycle event moves the counters of the run's flow (when registered) in the same
 * transaction, with one atomic {@code UPDATE flows} after the run's own write: inside the run's write statement for
 * {@link #start}, {@link #update} and {@link #transition} (a data-modifying {@code WITH} query whose flow update reads
 * the rows the run's write returned, so it runs only when a row was written), as a second statement for
 * {@link #mergeSnapshot} and {@link #delete}. A new run adds 1 to {@code total} and {@code running} and moves
 * {@code lastRunAt} forward; a status change subtracts 1 from the old status's gauge and adds 1 to the new status's
 * counter (see {@link dev.agentstore.domain.flow.FlowRunStatus#stat}); deleting an active run subtracts 1 from its
 * gauge. A transaction that rolls back (a lost {@code @Version} race, an error) moves nothing. Each call locks the
 * run before its flow's row, so single calls cannot deadlock each other; a unit of work that first writes the flow
 * (for example {@code register}) and then a run can deadlock with a concurrent transition, which PostgreSQL resolves
 * by failing one of them: run such work through {@code fromTransactionWithRetry}.
 *
 * <p><b>Concurrency.</b> {@link #transition} and an {@link #update} with a {@code status} key are read-modify-writes:
 * they read the run locking its row ({@code SELECT ... FOR UPDATE}), change it through an entity method and write it
 * with one {@code UPDATE ... WHERE id = ? AND version = ?} that also moves the flow's counters when the status
 * changed: two statements, then the commit. The row lock makes concurrent writers of one run queue instead of failing
 * (with optimistic locking alone, 8 writers of one run needed up to 20 attempts for a single update, which exhausts
 * {@code RetryPolicy.DEFAULT}); the {@code @Version} check still rejects a write based on a copy read earlier in the
 * persistence context, with {@link dev.agentstore.domain.ConcurrencyConflictException}. The common status move (a
 * {@link #transition}, or an {@link #update} whose only key is {@code status}, of a run that is
 * {@link FlowRunStatus#RUNNING}, or {@link FlowRunStatus#AWAITING} when moving to {@link FlowRunStatus#RUNNING}) is
 * one statement instead: {@code UPDATE ... WHERE status = <that status>}, which locks the row and re-checks the
 * status on its latest version, moving the counters in the same statement; when it matches no row (another status,
 * no such run) or a {@code FlowRun} is managed in the persistence context, the read-modify-write follows and reports
 * what it finds. An {@link #update} without a {@code status} key is one statement too:
 * {@code UPDATE ... SET <column> = <new value>, <json column> = jsonb_merge_patch(<json column>, ?) ... RETURNING *},
 * which locks the row and merges into its latest version, so concurrent patches of one run queue and none is lost;
 * with a {@code FlowRun} managed in the persistence context it is a read-modify-write (see {@link #update}).
 * Callers wrap units of work in
 * {@code store.fromTransactionWithRetry(RetryPolicy.DEFAULT, uow -> uow.flowRuns().update(...))}, which re-reads
 * the run in every attempt and also retries deadlocks and serialization failures.
 * {@link #start} (a single statement, plus a read when the run already exists), {@link #completeStep} and
 * {@link #mergeSnapshot} never conflict; the last two add 1 to the {@code version} as well.
 *
 * <p><b>Read-modify-write.</b> A run that a unit of work read ({@link #get}, {@link #list}, {@link #getForUpdate},
 * or its own earlier write) is written by {@link #update} and {@link #transition} only if it still has the version
 * read ({@link ReadVersions}): the write locks the row, compares, and fails with a
 * {@link dev.agentstore.domain.ConcurrencyConflictException} carrying both versions when another transaction
 * changed the run in between, so {@code n + 1} computed from a read is never lost;
 * {@code fromTransactionWithRetry} re-runs the unit of work. {@link #getForUpdate} locks the row at the read
 * instead, so concurrent writers queue (for hot rows). Callers outside a unit of work pass the version they read
 * ({@link #update(String, String, JsonNode, long)}, {@link #transition(String, String, FlowRunStatus, long)}).
 * {@link #completeStep} (an increment) and {@link #mergeSnapshot} (a merge into the latest snapshot) are relative to
 * the stored state and are not checked; {@link #delete} is not checked either.
 *
 * <p>Runs in the caller's transaction; never begins or commits one. Runs handed out are detached snapshots. Through
 * {@code store.flowRuns()} each call is its own unit of work: {@link #start}, a one-statement status move and a
 * one-statement {@link #update} run in autocommit mode ({@link SingleStatement}); a read-modify-write first switches
 * its call to a transaction ({@link dev.agentstore.persistence.support.Transactions#requireTransaction}).
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
@Transactional(dontRollbackOn = AgentStoreException.class)
public class FlowRunRepository {

    /**
     * A run's write and, only when it wrote a row, the counters of its flow ({@link FlowRepository#RUN_STATS}), in
     * one statement: {@code %s} is the write, an {@code INSERT} or {@code UPDATE ... RETURNING *}, whose JDBC
     * parameters come first. The stats query reads the write's rows, so the run's row is written (and locked) before
     * its flow's.
     */
    private static final String WITH_STATS = """
            WITH run AS (
            %s),
            stats AS (
            %s   AND EXISTS (SELECT 1 FROM run))
            SELECT * FROM run
            """;

    /**
     * Idempotent start: a second start of the same run inserts nothing and returns no row. Parameters: flow name,
     * run id, started at (twice), step count, resource id, now.
     */
    private static final String INSERT = """
            INSERT INTO flow_runs (flow_name, run_id, status, started_at, last_activity_at, step_count, resource_id,
                                   updated_at)
            VALUES (?, ?, 'RUNNING', ?, ?, ?, ?, ?)
            ON CONFLICT (flow_name, run_id) DO NOTHING
            RETURNING *
            """;

    /** Inserts the run and counts it in its flow's stats when it was new; returns the new row, or none. */
    private static final String START = WITH_STATS.formatted(INSERT, FlowRepository.RUN_STATS);

    /**
     * Writes every mutable column of a run read (and locked) earlier in this transaction, checked by its
     * {@code @Version}: no row when the version moved since the read. Parameters: the 12 columns in order, id,
     * version.
     */
    private static final String WRITE = """
            UPDATE flow_runs
               SET status = ?, started_at = ?, completed_at = ?, last_activity_at = ?, step_count = ?,
                   completed_steps = ?, emitted_events = CAST(? AS jsonb), awaiting_steps = CAST(? AS jsonb),
                   snapshot = CAST(? AS jsonb), resource_id = ?, metadata = CAST(? AS jsonb), updated_at = ?,
                   version = version + 1
             WHERE id = ? AND version = ?
            RETURNING *
            """;

    /** {@link #WRITE} of a status change, moving the flow's counters in the same statement. */
    private static final String WRITE_WITH_STATS = WITH_STATS.formatted(WRITE, FlowRepository.RUN_STATS);

    /**
     * A status move in one statement, as {@link FlowRun#moveTo} makes it (status, last activity, completion time
     * when terminal, {@code updatedAt}, version + 1), of a run in an expected status; no row when the run is missing
     * or in another status. The {@code UPDATE} locks the row and re-checks the status on its latest version, so
     * concurrent writers of the run queue as behind {@code SELECT ... FOR UPDATE}. Parameters: the new status, now
     * (twice), the completion time or {@code null} to keep it, flow name, run id, the expected status.
     */
    private static final String MOVE = """
            UPDATE flow_runs
               SET status = ?, last_activity_at = ?, updated_at = ?,
                   completed_at = coalesce(CAST(? AS timestamptz), completed_at), version = version + 1
             WHERE flow_name = ? AND run_id = ? AND status = ?
            RETURNING *
            """;

    /** {@link #MOVE} and the flow's counters, in one statement. */
    private static final String MOVE_WITH_STATS = WITH_STATS.formatted(MOVE, FlowRepository.RUN_STATS);

    private static final String COMPLETE_STEP = """
            UPDATE flow_runs
               SET completed_steps = completed_steps + 1, last_activity_at = ?3, updated_at = ?3,
                   version = version + 1
             WHERE flow_name = ?1 AND run_id = ?2
            RETURNING completed_steps, version
            """;

    /**
     * Creates the run with the patch as its snapshot, or merges the patch into the stored snapshot, in one
     * statement; {@code xmax = 0} holds for a row this statement inserted.
     */
    private static final String MERGE_SNAPSHOT = """
            INSERT INTO flow_runs AS r (flow_name, run_id, status, started_at, last_activity_at, snapshot, updated_at)
            VALUES (?1, ?2, 'RUNNING', ?3, ?3, jsonb_merge_patch(CAST(NULL AS jsonb), CAST(?4 AS jsonb)), ?3)
            ON CONFLICT (flow_name, run_id) DO UPDATE
               SET snapshot         = jsonb_merge_patch(r.snapshot, CAST(?4 AS jsonb)),
                   last_activity_at = EXCLUDED.last_activity_at,
                   updated_at       = EXCLUDED.updated_at,
                   version          = r.version + 1
            RETURNING id, version, (xmax = 0) AS inserted
            """;

    private static final String DELETE = """
            DELETE FROM flow_runs WHERE flow_name = ?1 AND run_id = ?2 RETURNING status
            """;

    private static final String BY_KEY = "SELECT r FROM FlowRun r WHERE r.flowName = :flowName AND r.runId = :runId";

    /** A run by its key, every column, as {@link FlowRun#restore} reads them. */
    private static final String SELECT_BY_KEY = "SELECT * FROM flow_runs WHERE flow_name = ? AND run_id = ?";

    /** The entity name in {@link ReadVersions} and conflict messages. */
    private static final String ENTITY = "FlowRun";

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
        return db("start FlowRun " + flowName + "/" + runId, () -> {
            Instant now = clock.instant();
            return returningRun(START, ps -> {
                ps.setString(1, valid.flowName());
                ps.setString(2, valid.runId());
                setInstant(ps, 3, valid.startedAt());
                setInstant(ps, 4, valid.startedAt());
                setInteger(ps, 5, valid.stepCount());
                ps.setString(6, valid.resourceId());
                setInstant(ps, 7, now);
                FlowRepository.bindRunStats(ps, 8, valid.flowName(), null, FlowRunStatus.RUNNING, valid.startedAt(),
                        now);
            }).orElseGet(() -> find(flowName, runId).orElseThrow(() -> new NotFoundException(
                    "FlowRun", key(flowName, runId) + " (deleted while starting)")));
        });
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
        return db("get FlowRun " + flowName + "/" + runId, () -> find(flowName, runId));
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
        return db("get FlowRun " + flowName + "/" + runId + " for update",
                () -> returningRun(SELECT_BY_KEY + " FOR UPDATE", ps -> {
                    ps.setString(1, flowName);
                    ps.setString(2, runId);
                }).map(this::read));
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
        StringBuilder where = new StringBuilder(" FROM FlowRun r WHERE r.flowName = :flowName");
        if (!filter.statuses().isEmpty()) {
            where.append(" AND r.status IN :statuses");
        }
        if (filter.startedFrom() != null) {
            where.append(" AND r.startedAt >= :startedFrom");
        }
        if (filter.startedTo() != null) {
            where.append(" AND r.startedAt <= :startedTo");
        }
        return db("list FlowRuns of " + flowName, () -> {
            List<FlowRun> items = List.of();
            if (page.offset() <= Integer.MAX_VALUE) {
                items = bind(em.createQuery("SELECT r" + where + " ORDER BY r.startedAt DESC, r.id DESC",
                        FlowRun.class), flowName, filter)
                        .setFirstResult((int) page.offset())
                        .setMaxResults(page.perPage())
                        .getResultList();
                items.forEach(run -> read(detach(run)));
            }
            long total = bind(em.createQuery("SELECT count(r)" + where, Long.class), flowName, filter)
                    .getSingleResult();
            return Page.of(items, page.page(), page.perPage(), total);
        });
    }

    /**
     * Moves a run to {@code target} through the entity's transition rules ({@link FlowRun#moveTo}: from an active
     * status to any other status; {@link FlowRun#await}, {@link FlowRun#resume}, {@link FlowRun#complete},
     * {@link FlowRun#fail}, {@link FlowRun#cancel}), reading the run with a row lock and checking the write by
     * {@code @Version}; the write moves the flow's counters in the same statement. A move from
     * {@link FlowRunStatus#RUNNING} (or from {@link FlowRunStatus#AWAITING} to {@link FlowRunStatus#RUNNING}) is one
     * statement (see the class description).
     *
     * @param flowName the flow's name
     * @param runId    the run's id within the flow
     * @param target   the new status
     * @return the run after the move
     * @throws InvalidInputException                                 when a parameter is invalid or the move is illegal
     *                                                               (the run is terminal, or already in {@code target})
     * @throws NotFoundException                                     when the run does not exist
     * @throws dev.agentstore.domain.ConcurrencyConflictException    when the run was read earlier in this
     *                                                               persistence context and another transaction
     *                                                               changed it since, or on a deadlock
     */
    @SingleStatement
    public FlowRun transition(String flowName, String runId, FlowRunStatus target) {
        checkKey(flowName, runId);
        Check.notNull("target", target);
        return transition(flowName, runId, target, versionRead(flowName, runId));
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
     * @throws InvalidInputException                              when a parameter is invalid or the move is illegal
     * @throws NotFoundException                                  when the run does not exist
     * @throws dev.agentstore.domain.ConcurrencyConflictException when the run's version is not
     *                                                            {@code expectedVersion} (it carries both versions);
     *                                                            nothing is written
     */
    public FlowRun transition(String flowName, String runId, FlowRunStatus target, long expectedVersion) {
        checkKey(flowName, runId);
        Check.notNull("target", target);
        Check.notNegative("expectedVersion", expectedVersion);
        return transition(flowName, runId, target, OptionalLong.of(expectedVersion));
    }

    private FlowRun transition(String flowName, String runId, FlowRunStatus target, OptionalLong expected) {
        return db("transition FlowRun " + flowName + "/" + runId, () -> (expected.isPresent()
                ? Optional.<FlowRun>empty() : move(flowName, runId, target)).orElseGet(() -> {
                    Transactions.requireTransaction(em); // no one-statement move: read-modify-write, atomically
                    FlowRun run = requireForUpdate(flowName, runId, expected);
                    FlowRunStatus before = run.moveTo(target, clock.instant());
                    return write(run, before);
                }));
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
        return db("complete a step of FlowRun " + flowName + "/" + runId, () -> {
            List<?> rows = em.createNativeQuery(COMPLETE_STEP)
                    .setParameter(1, flowName)
                    .setParameter(2, runId)
                    .setParameter(3, clock.instant())
                    .getResultList();
            if (rows.isEmpty()) {
                throw new NotFoundException("FlowRun", key(flowName, runId));
            }
            Object[] row = (Object[]) rows.get(0);
            versions().wroteRelative(ENTITY, ref(flowName, runId), ((Number) row[1]).longValue());
            return ((Number) row[0]).intValue();
        });
    }

    /**
     * Deep-merges a metadata patch ({@link FlowRunPatch}) into a run, as JSON Merge Patch
     * (RFC 7386) through {@link FlowRun#applyPatch}: objects merge recursively, {@code null} deletes a key, arrays
     * replace; keys that map to no column are kept in {@link FlowRun#metadata()}, never dropped. Every key is
     * validated ({@link FlowRunPatch#parse}) before anything is read or written. A patch that changes nothing writes
     * nothing (the version stays).
     *
     * <p>How it writes:
     * <ul>
     * <li>A patch without a {@code status} key (it never moves the flow's counters) is one statement,
     * {@code UPDATE flow_runs SET <the named columns> ... WHERE flow_name = ? AND run_id = ? AND (new values) IS
     * DISTINCT FROM (old values) RETURNING *}: the scalar keys set their columns, {@code emittedEvents},
     * {@code awaitingSteps}, {@code snapshot} and the other keys (into {@code metadata}) merge with
     * {@code jsonb_merge_patch}, which follows {@link Json#mergePatch}. It locks the row and merges into the row's
     * latest version, so concurrent patches of one run (say, each of its own key) queue and none is lost. When it
     * writes no row, a read tells a missing run ({@link NotFoundException}) from an unchanged one, which is
     * returned; when {@link FlowRun#applyPatch} on that read still finds a change (a value PostgreSQL holds equal
     * but Java does not: {@code 1} and {@code 1.0}, an instant finer than microseconds), the read-modify-write
     * below writes it.</li>
     * <li>A patch whose only key is {@code status} is a {@link #transition} in one statement when the run is in the
     * status that move most likely starts from (see the class description).</li>
     * <li>Otherwise, and when a {@code FlowRun} is managed in this persistence context (its {@code @Version} must be
     * checked), a read-modify-write in a transaction: the run's row is locked for the read
     * ({@code SELECT ... FOR UPDATE}), the patch applied in Java and the write checked by {@code @Version}; a status
     * in the patch is a transition (as {@link #transition}) and moves the flow's counters in the same statement as
     * the run's write.</li>
     * </ul>
     * Each path returns what the read-modify-write would.
     *
     * @param flowName the flow's name
     * @param runId    the run's id within the flow
     * @param patch    a JSON object, for example
     *                 {@code {"status":"completed","completedSteps":3,"emittedEvents":{"e":true},"note":"x"}}
     * @return the run after the update
     * @throws InvalidInputException                              when a parameter or a patch key is invalid (the
     *                                                            message names the key), or the status move is
     *                                                            illegal; nothing is written
     * @throws NotFoundException                                  when the run does not exist
     * @throws dev.agentstore.domain.ConcurrencyConflictException when the run was read earlier in this persistence
     *                                                            context and another transaction changed it since, or
     *                                                            on a deadlock; retry the unit of work
     */
    @SingleStatement
    public FlowRun update(String flowName, String runId, JsonNode patch) {
        checkKey(flowName, runId);
        JsonWrites.check(em, "patch", patch);
        FlowRunPatch valid = FlowRunPatch.parse(patch);
        return update(flowName, runId, valid, patch.size(), versionRead(flowName, runId));
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
     * @throws InvalidInputException                              when a parameter or a patch key is invalid, or the
     *                                                            status move is illegal; nothing is written
     * @throws NotFoundException                                  when the run does not exist
     * @throws dev.agentstore.domain.ConcurrencyConflictException when the run's version is not
     *                                                            {@code expectedVersion} (it carries both versions);
     *                                                            nothing is written
     */
    public FlowRun update(String flowName, String runId, JsonNode patch, long expectedVersion) {
        checkKey(flowName, runId);
        FlowRunPatch valid = FlowRunPatch.parse(patch);
        Check.notNegative("expectedVersion", expectedVersion);
        return update(flowName, runId, valid, patch.size(), OptionalLong.of(expectedVersion));
    }

    private FlowRun update(String flowName, String runId, FlowRunPatch valid, int keys, OptionalLong expected) {
        Optional<FlowRunStatus> statusOnly = keys == 1 && valid.names("status")
                ? Optional.of(valid.status()) : Optional.empty();
        return db("update FlowRun " + flowName + "/" + runId, () -> (expected.isPresent() ? Optional.<FlowRun>empty()
                : valid.names("status") ? statusOnly.flatMap(target -> move(flowName, runId, target))
                : updateFields(flowName, runId, valid)).orElseGet(() -> {
                    Transactions.requireTransaction(em); // no one-statement write: read-modify-write, atomically
                    FlowRun run = requireForUpdate(flowName, runId, expected);
                    FlowRunStatus before = run.status();
                    return run.applyPatch(valid, clock.instant()) ? write(run, before) : run;
                }));
    }

    /**
     * Merges a step result into a run's snapshot in one upsert statement
     * ({@code INSERT ... ON CONFLICT DO UPDATE SET snapshot = jsonb_merge_patch(snapshot, ?)}): when the run does not
     * exist yet it is created (status {@link FlowRunStatus#RUNNING}, started now, counted in the flow's stats as by
     * {@link #start}); concurrent merges into the same run, existing or not, are never lost (the merge
     * happens in the statement, not in a read-merge-write). Adds 1 to the version when the run existed.
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
        return db("merge snapshot into FlowRun " + flowName + "/" + runId, () -> {
            Instant now = clock.instant();
            Object[] row = (Object[]) em.createNativeQuery(MERGE_SNAPSHOT)
                    .setParameter(1, flowName)
                    .setParameter(2, runId)
                    .setParameter(3, now)
                    .setParameter(4, JsonWrites.print(em, "snapshotPatch", snapshotPatch))
                    .getSingleResult();
            if ((Boolean) row[2]) {
                flows().runChanged(flowName, null, FlowRunStatus.RUNNING, now);
            }
            FlowRun run = load(((Number) row[0]).longValue(), ((Number) row[1]).longValue());
            versions().wroteRelative(ENTITY, ref(flowName, runId), run.version());
            return run;
        });
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
        return db("delete FlowRun " + flowName + "/" + runId, () -> {
            List<?> rows = em.createNativeQuery(DELETE).setParameter(1, flowName).setParameter(2, runId)
                    .getResultList();
            if (rows.isEmpty()) {
                return false;
            }
            flows().runChanged(flowName, FlowRunStatus.valueOf((String) rows.get(0)), null, null);
            return true;
        });
    }

    private FlowRepository flows() {
        return new FlowRepository(em, clock);
    }

    /** Reads a run with plain JDBC ({@link #returningRun}): detached, never in the persistence context. */
    private Optional<FlowRun> find(String flowName, String runId) {
        return returningRun(SELECT_BY_KEY, ps -> {
            ps.setString(1, flowName);
            ps.setString(2, runId);
        }).map(this::read);
    }

    /** Remembers the version of a run handed out in this transaction ({@link ReadVersions}). */
    private FlowRun read(FlowRun run) {
        versions().read(ENTITY, ref(run.flowName(), run.runId()), run.version());
        return run;
    }

    /** Moves the remembered version of a run this transaction read to the version its own write left. */
    private FlowRun wrote(FlowRun run) {
        versions().wrote(ENTITY, ref(run.flowName(), run.runId()), run.version());
        return run;
    }

    /** @return the version of the run this transaction read or wrote last, empty when it read none */
    private OptionalLong versionRead(String flowName, String runId) {
        return versions().expected(ENTITY, ref(flowName, runId));
    }

    private ReadVersions versions() {
        return ReadVersions.of(em);
    }

    /**
     * The common status move in one statement ({@link #MOVE_WITH_STATS}): from {@link FlowRunStatus#RUNNING}, or
     * from {@link FlowRunStatus#AWAITING} for a move to {@link FlowRunStatus#RUNNING}. Empty, having written nothing,
     * when the run is missing or in another status, or when a {@code FlowRun} is managed in this persistence context
     * (its {@code @Version} must then be checked): the caller then takes the read-modify-write path, which reports
     * every error or no-op as before.
     */
    private Optional<FlowRun> move(String flowName, String runId, FlowRunStatus target) {
        FlowRunStatus before = target == FlowRunStatus.RUNNING ? FlowRunStatus.AWAITING : FlowRunStatus.RUNNING;
        if (!before.canMoveTo(target) || holdsRuns()) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        return returningRun(MOVE_WITH_STATS, ps -> {
            ps.setString(1, target.name());
            setInstant(ps, 2, now);
            setInstant(ps, 3, now);
            setInstant(ps, 4, target.isTerminal() ? now : null);
            ps.setString(5, flowName);
            ps.setString(6, runId);
            ps.setString(7, before.name());
            FlowRepository.bindRunStats(ps, 8, flowName, before, target, null, now);
        }).map(this::wrote);
    }

    /**
     * A patch without a {@code status} key in one statement ({@link #updateFieldsSql}). When it writes no row, reads
     * the run: missing is {@link NotFoundException}; unchanged as {@link FlowRun#applyPatch} sees it is the run as
     * read. Empty, having written nothing, when a {@code FlowRun} is managed in this persistence context or when
     * {@code applyPatch} finds a change that PostgreSQL's comparison did not: the caller then takes the
     * read-modify-write path.
     */
    private Optional<FlowRun> updateFields(String flowName, String runId, FlowRunPatch patch) {
        if (holdsRuns()) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        List<Assignment> set = assignments(patch);
        Optional<FlowRun> written = set.isEmpty() ? Optional.empty() : returningRun(updateFieldsSql(set), ps -> {
                    int i = 1;
                    for (Assignment a : set) {
                        setValue(ps, i++, a.value());
                    }
                    setInstant(ps, i++, now);
                    ps.setString(i++, flowName);
                    ps.setString(i++, runId);
                    for (Assignment a : set) {
                        setValue(ps, i++, a.value());
                    }
                });
        if (written.isPresent()) {
            return written.map(this::wrote);
        }
        FlowRun current = find(flowName, runId)
                .orElseThrow(() -> new NotFoundException("FlowRun", key(flowName, runId)));
        return current.applyPatch(patch, now) ? Optional.empty() : Optional.of(current);
    }

    /** One column a patch sets: the SQL expression of its new value, with one parameter, and that parameter. */
    private record Assignment(String column, String expression, Object value) {

        /** A new column value: {@code CAST(? AS sqlType)}. */
        static Assignment set(String column, String sqlType, Object value) {
            return new Assignment(column, "CAST(? AS " + sqlType + ")", value);
        }

        /**
         * A JSON column merged with a patch value, {@code jsonb_merge_patch(column, CAST(? AS jsonb))} (as
         * {@link Json#mergePatch}).
         *
         * @param whenNull the JSON text the column becomes for a {@code null} patch value, or {@code null}
         */
        static Assignment merge(String column, JsonNode patchValue, String whenNull) {
            if (patchValue.isNull()) {
                return set(column, "jsonb", whenNull);
            }
            return new Assignment(column, "jsonb_merge_patch(" + column + ", CAST(? AS jsonb))",
                    Json.print(patchValue));
        }
    }

    /**
     * A patch without a {@code status} key in one statement, as {@link FlowRun#applyPatch} makes it: it sets each
     * column the patch names ({@code column = expression}) and compares the row of those expressions with the row of
     * those columns, so that the row is written ({@code updatedAt}, version + 1) only when a column's value changes.
     * The expressions read the row being updated: the {@code UPDATE} locks it and, when a concurrent writer got there
     * first, evaluates them again on its latest version, so concurrent patches of one run queue and none is lost. No
     * row when the run is missing or nothing changes. Parameters: the expressions' values, now, flow name, run id,
     * the expressions' values again. Built by concatenation, not {@link String#format}: it runs on every update.
     */
    private static String updateFieldsSql(List<Assignment> set) {
        StringBuilder assignments = new StringBuilder();
        StringBuilder expressions = new StringBuilder();
        StringBuilder columns = new StringBuilder();
        for (Assignment a : set) {
            if (!columns.isEmpty()) {
                assignments.append(", ");
                expressions.append(", ");
                columns.append(", ");
            }
            assignments.append(a.column()).append(" = ").append(a.expression());
            expressions.append(a.expression());
            columns.append(a.column());
        }
        return "UPDATE flow_runs\n   SET " + assignments + ", updated_at = ?, version = version + 1\n"
                + " WHERE flow_name = ? AND run_id = ?\n"
                + "   AND ROW(" + expressions + ") IS DISTINCT FROM ROW(" + columns + ")\nRETURNING *";
    }

    /** @return the columns a patch without a status sets, as {@link FlowRun#applyPatch} sets them */
    private static List<Assignment> assignments(FlowRunPatch patch) {
        List<Assignment> set = new ArrayList<>();
        if (patch.names("startedAt")) {
            set.add(Assignment.set("started_at", "timestamptz", patch.startedAt()));
        }
        if (patch.names("completedAt")) {
            set.add(Assignment.set("completed_at", "timestamptz", patch.completedAt()));
        }
        if (patch.names("lastActivityAt")) {
            set.add(Assignment.set("last_activity_at", "timestamptz", patch.lastActivityAt()));
        }
        if (patch.names("stepCount")) {
            set.add(Assignment.set("step_count", "integer", patch.stepCount()));
        }
        if (patch.names("completedSteps")) {
            set.add(Assignment.set("completed_steps", "integer", patch.completedSteps()));
        }
        if (patch.names("resourceId")) {
            set.add(Assignment.set("resource_id", "varchar", patch.resourceId()));
        }
        if (patch.names("emittedEvents")) {
            set.add(Assignment.merge("emitted_events", patch.emittedEvents(), "{}"));
        }
        if (patch.names("awaitingSteps")) {
            set.add(Assignment.merge("awaiting_steps", patch.awaitingSteps(), "{}"));
        }
        if (patch.names("snapshot")) {
            set.add(Assignment.merge("snapshot", patch.snapshot(), null));
        }
        ObjectNode metadata = patch.metadata();
        if (!metadata.isEmpty()) {
            set.add(Assignment.merge("metadata", metadata, null));
        }
        return set;
    }

    /** @return whether a {@code FlowRun} is managed in this persistence context */
    private boolean holdsRuns() {
        return em.unwrap(Session.class).getStatistics().getEntityKeys().stream()
                .anyMatch(k -> k instanceof EntityKey key && key.getEntityName().equals(FlowRun.class.getName()));
    }

    /**
     * Reads the run for a read-modify-write, locking its row ({@code SELECT ... FOR UPDATE}) until commit. The run
     * is detached, so that changing it writes nothing by itself: {@link #write} does.
     */
    private FlowRun requireForUpdate(String flowName, String runId, OptionalLong expected) {
        FlowRun run = em.createQuery(BY_KEY, FlowRun.class)
                .setParameter("flowName", flowName)
                .setParameter("runId", runId)
                .setLockMode(LockModeType.PESSIMISTIC_WRITE)
                .getResultStream()
                .findFirst()
                .map(this::detach)
                .orElseThrow(() -> new NotFoundException("FlowRun", key(flowName, runId)));
        if (expected.isPresent() && expected.getAsLong() != run.version()) {
            throw ReadVersions.conflict(ENTITY, ref(flowName, runId), expected.getAsLong(), run.version());
        }
        return run;
    }

    /**
     * Writes a run changed after {@link #requireForUpdate} in one statement ({@link #WRITE}, checked by
     * {@code @Version}); when its status changed from {@code before}, the same statement moves the flow's counters
     * ({@link #WRITE_WITH_STATS}).
     *
     * @return the run as stored
     * @throws ConcurrencyConflictException when the run's version moved since it was read (a copy read earlier in
     *                                      this persistence context); nothing is written
     */
    private FlowRun write(FlowRun run, FlowRunStatus before) {
        boolean moved = run.status() != before;
        return returningRun(moved ? WRITE_WITH_STATS : WRITE, ps -> {
            ps.setString(1, run.status().name());
            setInstant(ps, 2, run.startedAt());
            setInstant(ps, 3, run.completedAt());
            setInstant(ps, 4, run.lastActivityAt());
            setInteger(ps, 5, run.stepCount());
            ps.setInt(6, run.completedSteps());
            ps.setString(7, Json.print(run.emittedEvents()));
            ps.setString(8, Json.print(run.awaitingSteps()));
            ps.setString(9, run.snapshot() == null ? null : Json.print(run.snapshot()));
            ps.setString(10, run.resourceId());
            ps.setString(11, Json.print(run.metadata()));
            setInstant(ps, 12, run.updatedAt());
            ps.setLong(13, run.id());
            ps.setLong(14, run.version());
            if (moved) {
                FlowRepository.bindRunStats(ps, 15, run.flowName(), before, run.status(), null, run.updatedAt());
            }
        }).map(this::wrote).orElseThrow(() -> new ConcurrencyConflictException("FlowRun " + run.flowName() + "/"
                + run.runId() + " was modified concurrently: version " + run.version() + " was read earlier in this"
                + " persistence context and is stale", null));
    }

    /**
     * Runs a statement that returns at most one {@code flow_runs} row ({@code RETURNING *}) over the transaction's
     * JDBC connection, after flushing the persistence context (as a native query would): the row is read here
     * ({@link FlowRun#restore}) rather than through Hibernate's native-query entity mapping, which costs more CPU
     * than the statement's round trip.
     *
     * @return the run as stored, detached; empty when the statement returned no row
     */
    private Optional<FlowRun> returningRun(String sql, Binder binder) {
        em.flush();
        return em.unwrap(Session.class).doReturningWork(connection -> {
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                binder.bind(ps);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(run(rs)) : Optional.empty();
                }
            }
        });
    }

    /** Sets the parameters of a statement. */
    @FunctionalInterface
    private interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private static FlowRun run(ResultSet rs) throws SQLException {
        return FlowRun.restore(rs.getLong("id"), rs.getString("flow_name"), rs.getString("run_id"),
                FlowRunStatus.valueOf(rs.getString("status")), instant(rs, "started_at"), instant(rs, "completed_at"),
                instant(rs, "last_activity_at"), rs.getObject("step_count", Integer.class), rs.getInt("completed_steps"),
                json(rs, "emitted_events"), json(rs, "awaiting_steps"), json(rs, "snapshot"),
                rs.getString("resource_id"), json(rs, "metadata"), rs.getLong("version"), instant(rs, "updated_at"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    private static JsonNode json(ResultSet rs, String column) throws SQLException {
        String text = rs.getString(column);
        return text == null ? null : Json.parse(column, text);
    }

    private static void setInstant(PreparedStatement ps, int index, Instant value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
        } else {
            ps.setObject(index, value.atOffset(ZoneOffset.UTC));
        }
    }

    private static void setInteger(PreparedStatement ps, int index, Integer value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.INTEGER);
        } else {
            ps.setInt(index, value);
        }
    }

    /** Binds an {@link Instant} as a UTC {@code timestamptz}, {@code null} untyped (the SQL casts it). */
    private static void setValue(PreparedStatement ps, int index, Object value) throws SQLException {
        ps.setObject(index, value instanceof Instant t ? t.atOffset(ZoneOffset.UTC) : value);
    }

    private FlowRun load(long id, long version) {
        FlowRun run = em.find(FlowRun.class, id);
        if (run.version() != version) {
            em.refresh(run); // a copy loaded earlier in this persistence context
        }
        return detach(run);
    }

    private FlowRun detach(FlowRun run) {
        em.detach(run);
        return run;
    }

    private static <T> TypedQuery<T> bind(TypedQuery<T> query, String flowName, FlowRunFilter filter) {
        query.setParameter("flowName", flowName);
        if (!filter.statuses().isEmpty()) {
            query.setParameter("statuses", filter.statuses());
        }
        if (filter.startedFrom() != null) {
            query.setParameter("startedFrom", filter.startedFrom());
        }
        if (filter.startedTo() != null) {
            query.setParameter("startedTo", filter.startedTo());
        }
        return query;
    }

    private static void checkKey(String flowName, String runId) {
        Check.name("flowName", flowName);
        Check.name("runId", runId);
    }

    /** @return the run's key as {@link ReadVersions} and conflict messages print it: {@code flow/run} */
    private static String ref(String flowName, String runId) {
        return flowName + "/" + runId;
    }

    private static String key(String flowName, String runId) {
        return "flowName=" + flowName + ", runId=" + runId;
    }

    private static <T> T db(String context, Supplier<T> work) {
        try {
            return work.get();
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate(context, e);
        }
    }
}
