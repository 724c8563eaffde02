package dev.agentstore.persistence.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.scheduler.CronSchedule;
import dev.agentstore.domain.scheduler.JobStatus;
import dev.agentstore.domain.scheduler.LeaseLostException;
import dev.agentstore.domain.scheduler.SchedulerJob;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import dev.agentstore.persistence.support.PersistenceErrors;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.Sql;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.transaction.Transactional;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * Scheduler jobs and the worker protocol: workers claim due jobs
 * with one {@code UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n) RETURNING …} statement, hold them
 * under a lease that they {@link #heartbeat extend}, and {@link #complete complete} or {@link #fail fail} them; a
 * maintenance loop {@link #recoverExpiredLeases() recovers} the jobs of dead workers. Delivery is at least once: a
 * job whose worker stops heartbeating runs again elsewhere. A typical worker loop, which clock decides what, and how
 * the protocol is guarded by the lease: see {@link dev.agentstore.persistence.scheduler the package description}.
 *
 * <p><b>Returned jobs are copies.</b> Every method reads the rows it returns, and a write returns the row as it
 * wrote it ({@code RETURNING}); a job returned earlier is a snapshot that later calls do not change. Every write adds
 * 1 to the version. The statements run through {@link Sql} on the unit of work's connection ({@link SchedulerJob} is
 * read-only to JPA).
 *
 * <p><b>Operator actions and read-modify-write.</b> A job that a unit of work read ({@link #get}, {@link #list},
 * {@link #getForUpdate}, {@link #claimDue}, or its own earlier write) is written by the operator actions
 * ({@link #reschedule}, {@link #pause}, {@link #resume}, {@link #enable}, {@link #disable}) only if it still has the
 * version read ({@link ReadVersions}): the action locks the row, compares, and fails with a
 * {@link ConcurrencyConflictException} carrying both versions when another transaction changed the job in between
 * (for example a worker's claim or heartbeat), so a {@code nextRunAt} computed from a read is never lost; run the
 * read and the action in {@code fromTransactionWithRetry}. {@link #getForUpdate} locks the row at the read instead,
 * so concurrent writers queue (for hot rows). Callers outside a unit of work pass the version they read
 * ({@link #reschedule(String, String, Instant, long)}). An action on a job the unit of work has not read locks the
 * row as it reads it and never conflicts. {@link #delete} of a job the unit of work read deletes it only if it still
 * has the version read (a conflict otherwise); without a read it deletes the job as it is.
 *
 * <p>Runs in the caller's transaction; never begins or commits one. Every argument is validated before anything
 * is written. An operator action that leaves the job as it is (pausing a paused job, enabling an enabled one) writes
 * nothing and keeps the version.
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
@Transactional(dontRollbackOn = AgentStoreException.class)
public class SchedulerJobRepository {

    /** Largest {@code limit} of one {@link #claimDue} call: 1000. */
    public static final int MAX_CLAIM_LIMIT = 1000;

    /** Longest lease: 7 days. */
    public static final Duration MAX_LEASE = Duration.ofDays(7);

    /** The entity name in {@link ReadVersions} and conflict messages. */
    private static final String ENTITY = SchedulerJobChanges.ENTITY;

    @PersistenceContext(unitName = "agentstore")
    private EntityManager em;
    @Inject
    private Clock clock;

    /** For CDI's proxy; the container injects the entity manager. */
    protected SchedulerJobRepository() {
    }

    /**
     * Standalone use: a repository bound to one entity manager (one transaction).
     *
     * @param em    the transaction's entity manager
     * @param clock where the time comes from
     */
    public SchedulerJobRepository(EntityManager em, Clock clock) {
        this.em = em;
        this.clock = clock;
    }

    /**
     * Creates a job: enabled, PENDING, attempts 0.
     *
     * @param id          unique id, 1–255 characters
     * @param name        display name, 1–255 characters
     * @param cron        a UNIX five-field cron expression such as {@code 0 * * * *}, or {@code null} for a one-shot job
     * @param firstRunAt  when the job is first due; {@code null} means the next cron fire time after the clock's now,
     *                    or the clock's now for a one-shot job. A past time makes it due at once.
     * @param config      the job's configuration, a JSON object; {@code null} means {@code {}}
     * @param maxAttempts attempts per run before it counts as failed, 1–{@value SchedulerJob#MAX_ATTEMPTS_LIMIT}
     * @return the new job, as stored
     * @throws InvalidInputException when an argument is invalid, for example a cron expression that is not five UNIX
     *                               fields (the message quotes it and names the format); nothing is written
     * @throws DuplicateException    when a job with this id exists
     */
    public SchedulerJob schedule(String id, String name, String cron, Instant firstRunAt, JsonNode config,
                                 int maxAttempts) {
        Check.name("id", id);
        Check.name("name", name);
        Check.instant("firstRunAt", firstRunAt);
        String json = config == null ? null : JsonWrites.print(em, "config", config);
        CronSchedule schedule = cron == null ? null : CronSchedule.parse(cron);
        Instant now = clock.instant();
        Instant first = firstRunAt != null ? firstRunAt : defaultNextRun(schedule, now);
        SchedulerJob job = new SchedulerJob(id, name, schedule, first, config, maxAttempts, now);
        return sql().insert("schedule " + ENTITY + " id=" + id, job, json == null ? "{}" : json);
    }

    /**
     * As {@link #schedule(String, String, String, Instant, JsonNode, int)} with the default first run time.
     *
     * @param id          unique id
     * @param name        display name
     * @param cron        cron expression, or {@code null} for a one-shot job due now
     * @param config      JSON object, or {@code null}
     * @param maxAttempts attempts per run
     * @return the new job
     */
    public SchedulerJob schedule(String id, String name, String cron, JsonNode config, int maxAttempts) {
        return schedule(id, name, cron, null, config, maxAttempts);
    }

    /**
     * Reads a job. In a unit of work, the version read is remembered: a later operator action on the job in the same
     * unit of work writes only if the job still has that version (see the class description).
     *
     * @param id the job id
     * @return the job, or empty when no job has this id
     * @throws InvalidInputException when {@code id} is blank or longer than 255 characters
     * @throws AgentStoreException   when the database fails (translated by {@link PersistenceErrors})
     */
    public Optional<SchedulerJob> get(String id) {
        Check.name("id", id);
        return sql().find("get " + ENTITY + " id=" + id, id).map(changes()::read);
    }

    /**
     * Reads a job and locks its row ({@code SELECT ... FOR UPDATE}) until the transaction ends, so that writers of
     * the job queue behind this unit of work instead of failing its later write with a conflict: the form for hot
     * rows. Needs a transaction (a unit of work, or a container transaction).
     *
     * @param id the job id
     * @return the job, or empty when no job has this id
     * @throws InvalidInputException when {@code id} is blank or longer than 255 characters
     * @throws AgentStoreException   when the database fails (translated by {@link PersistenceErrors})
     */
    public Optional<SchedulerJob> getForUpdate(String id) {
        Check.name("id", id);
        return sql().lock("get " + ENTITY + " id=" + id + " for update", id).map(changes()::read);
    }

    /**
     * Lists all jobs, ordered by next run time (those without one last), then id.
     *
     * @param page page number and size
     * @return the page
     * @throws InvalidInputException when {@code page} is {@code null}
     * @throws AgentStoreException   when the database fails (translated by {@link PersistenceErrors})
     */
    public Page<SchedulerJob> list(PageRequest page) {
        return list(null, page);
    }

    /**
     * Lists jobs with a status, ordered by next run time (those without one last), then id.
     *
     * @param status the status to list, or {@code null} for all
     * @param page   page number and size
     * @return the page
     * @throws InvalidInputException when {@code page} is {@code null}
     * @throws AgentStoreException   when the database fails (translated by {@link PersistenceErrors})
     */
    public Page<SchedulerJob> list(JobStatus status, PageRequest page) {
        Check.notNull("page", page);
        String context = "list SchedulerJobs" + (status == null ? "" : " with status " + status);
        SchedulerJobSql sql = sql();
        List<SchedulerJob> rows = sql.list(context, status, page.offset(), page.perPage());
        rows.forEach(changes()::read);
        return Page.of(rows, page.page(), page.perPage(), sql.count(context, status));
    }

    /**
     * Deletes a job, whatever its status. A worker running it then gets {@link NotFoundException} from
     * {@link #complete}, {@link #fail} and {@code false} from {@link #heartbeat}.
     *
     * @param id the job id
     * @return whether a job was deleted
     * @throws InvalidInputException        when {@code id} is invalid
     * @throws ConcurrencyConflictException when this unit of work read the job and another transaction changed or
     *                                      deleted it since (retry the unit of work); nothing is deleted
     */
    public boolean delete(String id) {
        Check.name("id", id);
        return changes().delete(id);
    }

    /**
     * Pauses a PENDING job ({@link SchedulerJob#pause}); it is not claimed until resumed. Idempotent.
     *
     * @param id the job id
     * @return the job
     * @throws NotFoundException           when no job has this id
     * @throws InvalidInputException       when the job is RUNNING, COMPLETED or FAILED
     * @throws ConcurrencyConflictException when this unit of work read the job and another transaction changed it
     *                                      since (it carries both versions; retry the unit of work)
     */
    public SchedulerJob pause(String id) {
        return modify(id, "pause", OptionalLong.empty(), job -> job.pause(clock.instant()));
    }

    /**
     * Resumes a PAUSED job, or re-arms a COMPLETED or FAILED one ({@link SchedulerJob#resume}): PENDING, attempts 0,
     * due at the next cron fire time after the clock's now (a one-shot job: now). A PENDING job is left as it is.
     *
     * @param id the job id
     * @return the job
     * @throws NotFoundException     when no job has this id
     * @throws InvalidInputException when the job is RUNNING
     * @throws ConcurrencyConflictException when this unit of work read the job and another transaction changed it
     *                                      since (it carries both versions)
     */
    public SchedulerJob resume(String id) {
        return resume(id, null);
    }

    /**
     * As {@link #resume(String)}, due at {@code nextRunAt}.
     *
     * @param id        the job id
     * @param nextRunAt when it becomes due; {@code null} for the default of {@link #resume(String)}
     * @return the job
     * @throws NotFoundException     when no job has this id
     * @throws InvalidInputException when the job is RUNNING
     * @throws ConcurrencyConflictException when this unit of work read the job and another transaction changed it
     *                                      since (it carries both versions)
     */
    public SchedulerJob resume(String id, Instant nextRunAt) {
        return modify(id, "resume", OptionalLong.empty(), job -> {
            Instant now = clock.instant();
            job.resume(nextRunAt != null ? nextRunAt : defaultNextRun(job.cron().orElse(null), now), now);
        });
    }

    /**
     * Lets a job be claimed again ({@link SchedulerJob#enable}). Idempotent.
     *
     * @param id the job id
     * @return the job
     * @throws NotFoundException when no job has this id
     * @throws ConcurrencyConflictException when this unit of work read the job and another transaction changed it
     *                                      since (it carries both versions)
     */
    public SchedulerJob enable(String id) {
        return modify(id, "enable", OptionalLong.empty(), job -> job.enable(clock.instant()));
    }

    /**
     * Stops a job from being claimed without changing its status ({@link SchedulerJob#disable}); a running job's
     * worker can still complete or fail it. Idempotent.
     *
     * @param id the job id
     * @return the job
     * @throws NotFoundException when no job has this id
     * @throws ConcurrencyConflictException when this unit of work read the job and another transaction changed it
     *                                      since (it carries both versions)
     */
    public SchedulerJob disable(String id) {
        return modify(id, "disable", OptionalLong.empty(), job -> job.disable(clock.instant()));
    }

    /**
     * Changes a job's cron schedule ({@link SchedulerJob#reschedule}); the status is kept.
     *
     * @param id        the job id
     * @param cron      the new UNIX cron expression, or {@code null} to make the job one-shot
     * @param nextRunAt the new next run time; {@code null} means the new schedule's next fire time after the clock's
     *                  now (one-shot: now). Ignored for a RUNNING job, whose next run is computed when it completes.
     * @return the job
     * @throws InvalidInputException        when the cron expression is invalid (nothing is written)
     * @throws NotFoundException            when no job has this id
     * @throws ConcurrencyConflictException when this unit of work read the job and another transaction changed it
     *                                      since (it carries both versions); nothing is written
     */
    public SchedulerJob reschedule(String id, String cron, Instant nextRunAt) {
        Check.name("id", id);
        CronSchedule schedule = cron == null ? null : CronSchedule.parse(cron);
        return reschedule(id, schedule, nextRunAt, OptionalLong.empty());
    }

    /**
     * As {@link #reschedule(String, String, Instant)}, only if the job still has {@code expectedVersion}
     * (compare-and-set, for callers that read the job in an earlier unit of work, or outside any). Locks the job's
     * row to compare.
     *
     * @param id              the job id
     * @param cron            the new UNIX cron expression, or {@code null} to make the job one-shot
     * @param nextRunAt       the new next run time, or {@code null} for the default
     * @param expectedVersion the version the caller read ({@link SchedulerJob#version()})
     * @return the job
     * @throws InvalidInputException        when an argument is invalid (nothing is written)
     * @throws NotFoundException            when no job has this id
     * @throws ConcurrencyConflictException when the job's version is not {@code expectedVersion} (it carries both
     *                                      versions); nothing is written
     */
    public SchedulerJob reschedule(String id, String cron, Instant nextRunAt, long expectedVersion) {
        Check.name("id", id);
        CronSchedule schedule = cron == null ? null : CronSchedule.parse(cron);
        Check.notNegative("expectedVersion", expectedVersion);
        return reschedule(id, schedule, nextRunAt, OptionalLong.of(expectedVersion));
    }

    private SchedulerJob reschedule(String id, CronSchedule schedule, Instant nextRunAt, OptionalLong expected) {
        return modify(id, "reschedule", expected, job -> {
            Instant now = clock.instant();
            job.reschedule(schedule, nextRunAt != null ? nextRunAt : defaultNextRun(schedule, now), now);
        });
    }

    /**
     * Claims up to {@code limit} due jobs for {@code workerId} in ONE statement: PENDING, enabled jobs with
     * {@code next_run_at <= now()} (database clock), oldest {@code nextRunAt} first (then id), skipping rows that
     * concurrent claims have locked ({@code FOR UPDATE SKIP LOCKED}), so concurrent workers never claim the same job.
     * Each claimed job becomes RUNNING, leased to {@code workerId} until {@code now() + leaseDuration}, with
     * {@code attempts + 1} and {@code lastRunAt = now()}. The claim is visible to others when the transaction commits.
     *
     * @param workerId      the claiming worker, 1–255 characters
     * @param limit         most jobs to claim, 1–{@value #MAX_CLAIM_LIMIT}
     * @param leaseDuration how long the lease lasts, in whole milliseconds, 1 ms to {@link #MAX_LEASE 7 days}
     * @return the claimed jobs as written, ordered by next run time then id; empty when none is due
     * @throws InvalidInputException when an argument is invalid; nothing is claimed
     */
    public List<SchedulerJob> claimDue(String workerId, int limit, Duration leaseDuration) {
        Check.name("workerId", workerId);
        Check.range("limit", limit, 1, MAX_CLAIM_LIMIT);
        long leaseMillis = leaseMillis(leaseDuration);
        List<SchedulerJob> claimed = new ArrayList<>(sql().claimDue("claim due SchedulerJobs for worker " + workerId,
                workerId, limit, leaseMillis));
        claimed.forEach(changes()::read);
        claimed.sort(Comparator.comparing(SchedulerJob::nextRunAt).thenComparing(SchedulerJob::id));
        return claimed;
    }

    /**
     * Renews the lease of a running job: it then expires {@code leaseDuration} after the database's now. Succeeds
     * only while {@code workerId} holds the lease — also when it has expired but was not yet
     * {@link #recoverExpiredLeases() recovered}, since nobody else took the job.
     *
     * @param id            the job id
     * @param workerId      the worker holding the lease
     * @param leaseDuration the new lease length from now, in whole milliseconds, 1 ms to 7 days
     * @return {@code true} when the lease was renewed; {@code false} when the worker no longer holds it (the job was
     * recovered, completed, deleted, or never claimed by it): the worker should stop working on it, as its
     * result can no longer be recorded
     * @throws InvalidInputException when an argument is invalid
     */
    public boolean heartbeat(String id, String workerId, Duration leaseDuration) {
        Check.name("id", id);
        Check.name("workerId", workerId);
        long leaseMillis = leaseMillis(leaseDuration);
        return sql().heartbeat("heartbeat " + ENTITY + " id=" + id + " by worker " + workerId, id, workerId,
                leaseMillis);
    }

    /**
     * Records a successful run ({@link SchedulerJob#complete}): a recurring job becomes PENDING at its next cron fire
     * time strictly after the injected clock's now (attempts 0, last error cleared); a one-shot job becomes
     * COMPLETED. The lease is released. Locks the row ({@code SELECT … FOR UPDATE}) first.
     *
     * @param id       the job id
     * @param workerId the worker holding the lease
     * @return the updated job
     * @throws NotFoundException     when no job has this id (it was deleted)
     * @throws LeaseLostException    when {@code workerId} does not hold the lease (it expired and the job was
     *                               recovered, so it runs again elsewhere, or the job was reset); not a
     *                               {@link ConcurrencyConflictException}: retrying does not help and
     *                               {@code fromTransactionWithRetry} does not retry it
     * @throws InvalidInputException when an argument is invalid
     */
    public SchedulerJob complete(String id, String workerId) {
        Check.name("id", id);
        Check.name("workerId", workerId);
        return changes().forWorker(id, workerId, "complete", job -> job.complete(workerId, clock.instant()));
    }

    /**
     * Records a failed run ({@link SchedulerJob#fail}): while {@code attempts < maxAttempts} the job becomes PENDING,
     * due after an exponential backoff from the injected clock's now ({@link SchedulerJob#retryDelay}: 1 s, 2 s,
     * 4 s, … at most 1 h); when the attempts are used up a one-shot job becomes FAILED and a recurring job PENDING at
     * its next cron fire time with attempts reset. The error is kept in {@code lastError}; the lease is released.
     *
     * @param id       the job id
     * @param workerId the worker holding the lease
     * @param error    what went wrong, or {@code null}; truncated to {@value SchedulerJob#MAX_ERROR_LENGTH} characters
     * @return the updated job
     * @throws NotFoundException     when no job has this id
     * @throws LeaseLostException    when {@code workerId} does not hold the lease (it expired and the job was
     *                               recovered, or the job was reset); not a {@link ConcurrencyConflictException}:
     *                               retrying does not help and {@code fromTransactionWithRetry} does not retry it
     * @throws InvalidInputException when an argument is invalid
     */
    public SchedulerJob fail(String id, String workerId, String error) {
        Check.name("id", id);
        Check.name("workerId", workerId);
        return changes().forWorker(id, workerId, "fail", job -> job.fail(workerId, error, clock.instant()));
    }

    /**
     * Recovers the jobs of dead workers in one statement: RUNNING jobs whose lease expired by the database clock
     * become PENDING and due at once ({@code nextRunAt} set to now unless it was earlier), the lease cleared and
     * {@code lastError} saying whose lease expired. {@code attempts} keeps counting the lost run, so a one-shot job
     * whose lost run was its last attempt becomes FAILED instead (a job that kills its worker every time does not
     * loop for ever), and a recurring one starts its attempts again. Run it periodically (for example every lease
     * length) from any worker.
     *
     * @return how many jobs were recovered
     */
    public int recoverExpiredLeases() {
        return sql().recoverExpiredLeases("recover expired SchedulerJob leases");
    }

    private static Instant defaultNextRun(CronSchedule schedule, Instant now) {
        return schedule == null ? now : schedule.nextAfter(now);
    }

    private static long leaseMillis(Duration leaseDuration) {
        Check.notNull("leaseDuration", leaseDuration);
        if (leaseDuration.isNegative() || leaseDuration.toMillis() < 1 || leaseDuration.compareTo(MAX_LEASE) > 0) {
            throw new InvalidInputException("leaseDuration must be between 1 ms and " + MAX_LEASE.toDays()
                    + " days, was " + leaseDuration);
        }
        return leaseDuration.toMillis();
    }

    /** Changes a job with its row locked, checked against the version this unit of work read (if it read it). */
    private SchedulerJob modify(String id, String action, OptionalLong passed, Consumer<SchedulerJob> transition) {
        Check.name("id", id);
        return changes().modify(id, action, passed, transition);
    }

    /** The statements, on this repository's entity manager (injected after construction in a container). */
    private SchedulerJobSql sql() {
        return new SchedulerJobSql(em);
    }

    /** Reads with their versions recorded, and the locked read-modify-writes. */
    private SchedulerJobChanges changes() {
        return new SchedulerJobChanges(em);
    }
}
