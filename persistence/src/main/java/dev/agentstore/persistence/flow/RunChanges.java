package dev.agentstore.persistence.flow;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.flow.FlowRunGuard;
import dev.agentstore.domain.flow.FlowRunPatch;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * How {@link FlowRunRepository} changes a run ({@code transition}, {@code update}) and reads it, with the versions
 * its transaction read ({@link ReadVersions}): every change is one {@link RunUpdate} statement, tried first under a
 * condition that needs no read ({@link #move}, {@link #patchInOneStatement}) and otherwise written after a locked read
 * ({@link #readModifyWrite}). Built per call; belongs to the unit of work's thread. Which way a change takes:
 * <ul>
 * <li>a {@code transition}, or an {@code update} whose only key is {@code status}, of a run that is
 * {@link FlowRunStatus#RUNNING} (or {@link FlowRunStatus#AWAITING} when moving to {@link FlowRunStatus#RUNNING}):
 * {@code WHERE status = <that status>}, one statement that also moves the counters;</li>
 * <li>an {@code update} without a {@code status} key: {@code WHERE (new values) IS DISTINCT FROM (old values)}, one
 * statement; when it writes no row, a read tells a missing run ({@link NotFoundException}) from an unchanged one,
 * which is returned;</li>
 * <li>otherwise (another starting status, a status with other keys, a version to check, or a change that
 * {@link FlowRun#applyPatch} sees and PostgreSQL's comparison does not: {@code 1} and {@code 1.0}, an instant finer
 * than microseconds) a read-modify-write in a transaction: the run's row is read locked ({@code SELECT ... FOR
 * UPDATE}), the move or patch checked on it ({@link FlowRun#moveTo}, {@link FlowRun#applyPatch}: an illegal move
 * fails, a patch that changes nothing writes nothing) and written with {@code WHERE version = <the version read>}:
 * two statements, then the commit.</li>
 * </ul>
 * A {@link FlowRunGuard} ({@link #guarded}) always takes the read with the row lock.
 */
final class RunChanges {

    /** The entity name in {@link ReadVersions} and conflict messages. */
    static final String ENTITY = "FlowRun";

    private final EntityManager em;
    private final Clock clock;

    /**
     * @param em    the unit of work's entity manager
     * @param clock where the time comes from
     */
    RunChanges(EntityManager em, Clock clock) {
        this.em = em;
        this.clock = clock;
    }

    /**
     * Moves a run to {@code target}: in one statement when no version is expected and the run is in the move's
     * likely starting status, else by {@link #readModifyWrite}.
     *
     * @param expected the version the write must find, empty for none
     * @return the run after the move
     */
    FlowRun transition(String flowName, String runId, FlowRunStatus target, OptionalLong expected) {
        String context = "transition FlowRun " + ref(flowName, runId);
        return (expected.isPresent() ? Optional.<FlowRun>empty() : move(context, flowName, runId, target))
                .orElseGet(() -> readModifyWrite(context, flowName, runId, expected, (run, now) -> {
                    FlowRunStatus before = run.moveTo(target, now);
                    return Optional.of(RunUpdate.move(before, target));
                }));
    }

    /**
     * Applies a validated patch: in one statement when no version is expected and the patch has no {@code status}
     * key, or {@code status} is its only key and the run is in the move's likely starting status; else by
     * {@link #readModifyWrite}.
     *
     * @param keys     how many keys the patch object has
     * @param expected the version the write must find, empty for none
     * @return the run after the update
     */
    FlowRun update(String flowName, String runId, FlowRunPatch patch, int keys, OptionalLong expected) {
        String context = "update FlowRun " + ref(flowName, runId);
        Optional<FlowRun> done = Optional.empty();
        if (expected.isEmpty()) {
            done = !patch.names("status") ? patchInOneStatement(context, flowName, runId, patch)
                    : keys == 1 ? move(context, flowName, runId, patch.status()) : Optional.empty();
        }
        return done.orElseGet(() -> readModifyWrite(context, flowName, runId, expected, patch(patch)));
    }

    /** The change a validated patch makes ({@link FlowRun#applyPatch}); empty when it changes nothing. */
    static Change patch(FlowRunPatch patch) {
        return (run, now) -> {
            FlowRunStatus before = run.status();
            return run.applyPatch(patch, now) ? Optional.of(RunUpdate.of(patch, before, run.status()))
                    : Optional.empty();
        };
    }

    /**
     * The common status move in one statement ({@link RunUpdate#ifInStartingStatus}): from
     * {@link FlowRunStatus#RUNNING}, or from {@link FlowRunStatus#AWAITING} for a move to {@link FlowRunStatus#RUNNING}.
     * Empty, having written nothing, when the run is missing or in another status: the caller then takes the
     * read-modify-write, which reports every error or no-op.
     */
    private Optional<FlowRun> move(String context, String flowName, String runId, FlowRunStatus target) {
        FlowRunStatus from = target == FlowRunStatus.RUNNING ? FlowRunStatus.AWAITING : FlowRunStatus.RUNNING;
        if (!from.canMoveTo(target)) {
            return Optional.empty(); // the read-modify-write reports the illegal move (to PENDING)
        }
        Instant now = clock.instant();
        return Sql.call(em, context, h -> RunUpdate.move(from, target).ifInStartingStatus(h, flowName, runId, now))
                .map(this::wrote);
    }

    /**
     * A patch without a {@code status} key in one statement ({@link RunUpdate#ifChanged}). When it writes no row,
     * reads the run: missing is {@link NotFoundException}; unchanged as {@link FlowRun#applyPatch} sees it is the run
     * as read. Empty, having written nothing, when {@code applyPatch} finds a change that PostgreSQL's comparison did
     * not: the caller then takes the read-modify-write.
     */
    private Optional<FlowRun> patchInOneStatement(String context, String flowName, String runId, FlowRunPatch patch) {
        Instant now = clock.instant();
        RunUpdate update = RunUpdate.columns(patch);
        Optional<FlowRun> written = update.isEmpty() ? Optional.empty()
                : Sql.call(em, context, h -> update.ifChanged(h, flowName, runId, now));
        if (written.isPresent()) {
            return written.map(this::wrote);
        }
        FlowRun current = find(context, flowName, runId)
                .orElseThrow(() -> new NotFoundException("FlowRun", key(flowName, runId)));
        return current.applyPatch(patch, now) ? Optional.empty() : Optional.of(current);
    }

    /**
     * A guarded write ({@link FlowRunGuard}), always by a locked read and a write: the run's version is compared
     * with the guard's (or, without one, the version this transaction read), then its status with the guard's
     * statuses; {@code change} is applied only when both pass.
     *
     * @return the run after the change; empty, having written nothing, when the status requirement fails
     * @throws NotFoundException            when the run does not exist
     * @throws ConcurrencyConflictException when the version requirement fails; nothing is written
     */
    Optional<FlowRun> guarded(String context, String flowName, String runId, FlowRunGuard guard, Change change) {
        OptionalLong expected = guard.expectedVersion() == null ? versionRead(flowName, runId)
                : OptionalLong.of(guard.expectedVersion());
        FlowRun run = lockedRead(context, flowName, runId, expected);
        return guard.admits(run.status()) ? Optional.of(modifyWrite(context, flowName, runId, run, change))
                : Optional.empty();
    }

    /**
     * The read-modify-write in a transaction: reads the run locking its row ({@code SELECT ... FOR UPDATE}), compares
     * its version with {@code expected}, applies {@code change} to it and, when that changes the run, writes it with
     * {@link RunUpdate#ifVersion}.
     *
     * @return the run as written, or as read when the change changes nothing
     * @throws NotFoundException            when the run does not exist
     * @throws ConcurrencyConflictException when the run's version is not {@code expected}; nothing is written
     */
    private FlowRun readModifyWrite(String context, String flowName, String runId, OptionalLong expected,
                                    Change change) {
        return modifyWrite(context, flowName, runId, lockedRead(context, flowName, runId, expected), change);
    }

    /** Reads the run locking its row, in a transaction, and compares its version with {@code expected}. */
    private FlowRun lockedRead(String context, String flowName, String runId, OptionalLong expected) {
        FlowRun run = Sql.call(em, context, h -> {
                    Sql.requireTransaction(h); // a read and a write, atomically
                    return h.createQuery(FlowRunSql.SELECT_BY_KEY_FOR_UPDATE)
                            .bind("flowName", flowName)
                            .bind("runId", runId)
                            .map(FlowRunSql.RUN)
                            .findOne();
                })
                .orElseThrow(() -> new NotFoundException("FlowRun", key(flowName, runId)));
        if (expected.isPresent() && expected.getAsLong() != run.version()) {
            throw ReadVersions.conflict(ENTITY, ref(flowName, runId), expected.getAsLong(), run.version());
        }
        return run;
    }

    /** Applies {@code change} to a run read with its row locked and writes it when it changes. */
    private FlowRun modifyWrite(String context, String flowName, String runId, FlowRun run, Change change) {
        long version = run.version();
        Instant now = clock.instant();
        Optional<RunUpdate> update = change.apply(run, now);
        if (update.isEmpty()) {
            return run;
        }
        return Sql.call(em, context, h -> update.get().ifVersion(h, flowName, runId, version, now))
                .map(this::wrote)
                .orElseThrow(() -> new ConcurrencyConflictException("FlowRun " + ref(flowName, runId)
                        + " was modified concurrently: version " + version + " was read with a row lock", null));
    }

    /** What a read-modify-write does to the run it read. */
    @FunctionalInterface
    interface Change {
        /**
         * @param run the run as read (locked); may be changed
         * @param now the time of the change
         * @return the write, or empty when the change changes nothing
         * @throws InvalidInputException when the change is illegal for this run (a status move from a terminal one)
         */
        Optional<RunUpdate> apply(FlowRun run, Instant now);
    }

    /** Reads a run and remembers its version ({@link #read}). */
    Optional<FlowRun> find(String context, String flowName, String runId) {
        return select(context, FlowRunSql.SELECT_BY_KEY, flowName, runId).map(this::read);
    }

    /** Reads a run with {@code sql} ({@link FlowRunSql#SELECT_BY_KEY} or its {@code FOR UPDATE} form). */
    Optional<FlowRun> select(String context, String sql, String flowName, String runId) {
        return Sql.call(em, context, h -> h.createQuery(sql)
                .bind("flowName", flowName)
                .bind("runId", runId)
                .map(FlowRunSql.RUN)
                .findOne());
    }

    /** Remembers the version of a run handed out in this transaction ({@link ReadVersions}). */
    FlowRun read(FlowRun run) {
        versions().read(ENTITY, ref(run.flowName(), run.runId()), run.version());
        return run;
    }

    /** Moves the remembered version of a run this transaction read to the version its own write left. */
    FlowRun wrote(FlowRun run) {
        versions().wrote(ENTITY, ref(run.flowName(), run.runId()), run.version());
        return run;
    }

    /** @return the version of the run this transaction read or wrote last, empty when it read none */
    OptionalLong versionRead(String flowName, String runId) {
        return versions().expected(ENTITY, ref(flowName, runId));
    }

    ReadVersions versions() {
        return ReadVersions.of(em);
    }

    /**
     * Checks a run's key before anything is sent.
     *
     * @throws InvalidInputException when a name is blank or longer than 255 characters
     */
    static void checkKey(String flowName, String runId) {
        Check.name("flowName", flowName);
        Check.name("runId", runId);
    }

    /** @return the run's key as {@link ReadVersions} and conflict messages print it: {@code flow/run} */
    static String ref(String flowName, String runId) {
        return flowName + "/" + runId;
    }

    /** @return the run's key as {@link NotFoundException} prints it */
    static String key(String flowName, String runId) {
        return "flowName=" + flowName + ", runId=" + runId;
    }
}
