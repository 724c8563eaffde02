package dev.agentstore.persistence.scheduler;

import dev.agentstore.persistence.support.AbstractRepository;
import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.scheduler.CronSchedule;
import dev.agentstore.domain.scheduler.JobSchedule;
import dev.agentstore.domain.scheduler.JobStatus;
import dev.agentstore.domain.scheduler.JobUpdate;
import dev.agentstore.domain.scheduler.LeaseLostException;
import dev.agentstore.domain.scheduler.SchedulerJob;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import dev.agentstore.persistence.support.PersistenceErrors;
import dev.agentstore.persistence.support.ReadVersions;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Scheduler jobs and the worker protocol: workers claim due jobs
 * with one {@code UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n) RETURNING …} statement, hold them
 * under a lease that they {@link #heartbeat extend}, and {@link #complete complete} or {@link #fail fail} them; a
 * maintenance loop {@link #recoverExpiredLeases() recovers} the jobs of dead workers. Delivery is at least once: a
 * job whose worker stops heartbeating runs again elsewhere. A typical worker loop, which clock decides what, and how
 * the protocol is guarded by the lease: see {@link dev.agentstore.persistence.scheduler the package description}.
 *
 * Returned jobs are copies (see the package description); every write adds 1 to the version.
 *
 * <p><b>Operator actions and read-modify-write.</b> {@link #reschedule}, {@link #changeSchedule}, {@link #update},
 * {@link #upsert}, {@link #pause}, {@link #resume}, {@link #enable}, {@link #disable} and {@link #delete} write a job
 * that this unit of work read only if it still has the version read ({@link ReadVersions}; a
 * {@link ConcurrencyConflictException} with both versions otherwise); see the package description.
 *
 * <p>Runs in the caller's transaction; never begins or commits one. Every argument is validated before anything
 * is written. An operator action that leaves the job as it is (pausing a paused job, enabling an enabled one) writes
 * nothing and keeps the version.
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
public class SchedulerJobRepository extends AbstractRepository {

    /** Largest {@code limit} of one {@link #claimDue} call: 1000. */
    public static final int MAX_CLAIM_LIMIT = 1000;

    /** Longest lease: 7 days. */
    public static final Duration MAX_LEASE = Duration.ofDays(7);

    /** The entity name in {@link ReadVersions} and conflict messages. */
    private static final String ENTITY = SchedulerJobChanges.ENTITY;

    /**
     * Creates a job with a cron schedule in UTC ({@link CronSchedule}: five fields such as {@code 0 * * * *}, or six
     * with seconds first), or a one-shot job when {@code cron} is {@code null}; as
     * {@link #create(String, String, JobSchedule, Instant, JsonNode, int)}.
     *
     * @return the new job, as stored
     * @throws InvalidInputException when an argument is invalid (the message names it); nothing is written
     * @throws DuplicateException    when a job with this id exists
     */
    public SchedulerJob schedule(String id, String name, String cron, Instant firstRunAt, JsonNode config,
                                 int maxAttempts) {
        return create(id, name, cron == null ? JobSchedule.once() : JobSchedule.cron(cron), firstRunAt, config,
                maxAttempts);
    }

    /**
     * Creates a job that runs by a cron expression in a time zone, at a fixed interval, or once
     * ({@link JobSchedule}): enabled, PENDING, attempts 0. An existing id is an error ({@link #upsert} replaces).
     *
     * @param id          unique id, 1–255 characters
     * @param name        display name, 1–255 characters
     * @param schedule    when it runs
     * @param firstRunAt  when it is first due (a past time: at once), or {@code null} for
     *                    {@link JobSchedule#firstRunAfter} the clock's now
     * @param config      the job's configuration, a JSON object; {@code null} means {@code {}}
     * @param maxAttempts attempts per run, 1–{@value SchedulerJob#MAX_ATTEMPTS_LIMIT}
     * @return the new job, as stored
     * @throws InvalidInputException when an argument is invalid; nothing is written
     * @throws DuplicateException    when a job with this id exists
     */
    public SchedulerJob create(String id, String name, JobSchedule schedule, Instant firstRunAt, JsonNode config,
                               int maxAttempts) {
        return create(id, name, schedule, firstRunAt, config, maxAttempts, null, null);
    }

    /**
     * As {@link #create(String, String, JobSchedule, Instant, JsonNode, int)}, with the caller's timestamps, for
     * example to import jobs from another store without losing their history: the job is stored as created at
     * {@code createdAt} and last written at {@code updatedAt}, each exactly to the microsecond (finer digits are
     * truncated). The default first run still follows the clock's now, not {@code createdAt}.
     *
     * @param createdAt when the job was created, or {@code null} for the clock's now (as the other overload)
     * @param updatedAt when it was last written, not before the creation time, or {@code null} for the creation time
     * @return the new job, as stored
     * @throws InvalidInputException when an argument is invalid, {@code createdAt} or {@code updatedAt} lies outside
     *                               PostgreSQL's {@code timestamptz} range ({@link Check#instant}) or
     *                               {@code updatedAt} is before the creation time; the message names the field and
     *                               nothing is written
     * @throws DuplicateException    when a job with this id exists
     */
    public SchedulerJob create(String id, String name, JobSchedule schedule, Instant firstRunAt, JsonNode config,
                               int maxAttempts, Instant createdAt, Instant updatedAt) {
        return changes().insert(SchedulerJobChanges.newJob(id, name, schedule, firstRunAt, config, maxAttempts,
                clock.instant(), createdAt, updatedAt));
    }

    /**
     * The explicit upsert (nvent's {@code index.add} of a job), one statement ({@code INSERT … ON CONFLICT (id) DO
     * UPDATE}): a new id is created as {@link #create} does; an existing job gets the new name, schedule,
     * configuration and attempts per run, a new version and, unless it is RUNNING (its worker finishes the run, the
     * next follows the new schedule), becomes PENDING at {@code firstRunAt} (or the default) with attempts 0 and no
     * last error. Its enabled flag and creation time are kept. Parameters as {@link #create}.
     *
     * @return the job as stored
     * @throws InvalidInputException        when an argument is invalid; nothing is written
     * @throws NotFoundException            when this unit of work read the job and it was deleted since
     * @throws ConcurrencyConflictException when another transaction changed the job since this unit of work read it
     */
    public SchedulerJob upsert(String id, String name, JobSchedule schedule, Instant firstRunAt, JsonNode config,
                               int maxAttempts) {
        return changes().upsert(SchedulerJobChanges.newJob(id, name, schedule, firstRunAt, config, maxAttempts,
                clock.instant()));
    }

    /**
     * As {@link #schedule(String, String, String, Instant, JsonNode, int)} with the default first run time.
     *
     * @return the new job
     */
    public SchedulerJob schedule(String id, String name, String cron, JsonNode config, int maxAttempts) {
        return schedule(id, name, cron, null, config, maxAttempts);
    }

    /**
     * Reads a job; in a unit of work the version read is remembered (see the class description).
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
     * Reads a job and locks its row ({@code SELECT ... FOR UPDATE}) until the transaction ends, so writers queue behind
     * this unit of work instead of failing its later write: the form for hot rows. Needs a transaction.
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
     * @param page page number and size
     * @return all jobs, as {@link #list(JobStatus, Boolean, PageRequest)} without filters
     */
    public Page<SchedulerJob> list(PageRequest page) {
        return list(null, page);
    }

    /**
     * @param status the status to list, or {@code null} for all
     * @param page   page number and size
     * @return the jobs with {@code status}, as {@link #list(JobStatus, Boolean, PageRequest)}
     */
    public Page<SchedulerJob> list(JobStatus status, PageRequest page) {
        return list(status, null, page);
    }

    /**
     * Lists jobs by status and enabled flag, ordered by next run time (those without one last), then id.
     *
     * @param status  the status to list, or {@code null} for all
     * @param enabled {@code true} for enabled jobs only, {@code false} for disabled ones, {@code null} for both
     * @param page    page number and size
     * @return the page; its total counts the jobs both filters select
     * @throws InvalidInputException when {@code page} is {@code null}
     * @throws AgentStoreException   when the database fails (translated by {@link PersistenceErrors})
     */
    public Page<SchedulerJob> list(JobStatus status, Boolean enabled, PageRequest page) {
        Check.notNull("page", page);
        return changes().list(status, enabled, page);
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
     * @throws ConcurrencyConflictException when another transaction changed the job since this unit of work read it
     */
    public SchedulerJob pause(String id) {
        return changes().modify(Check.name("id", id), "pause", OptionalLong.empty(),
                job -> job.pause(clock.instant()));
    }

    /**
     * Resumes a PAUSED job, or re-arms a COMPLETED or FAILED one ({@link SchedulerJob#resume}): PENDING, attempts 0,
     * due at its schedule's next run after the clock's now ({@link JobSchedule#firstRunAfter}; one-shot: now). A
     * PENDING job is left as it is. Errors as {@link #resume(String, Instant)}.
     *
     * @param id the job id
     * @return the job
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
     * @throws ConcurrencyConflictException when another transaction changed the job since this unit of work read it
     */
    public SchedulerJob resume(String id, Instant nextRunAt) {
        return changes().modify(Check.name("id", id), "resume", OptionalLong.empty(), job -> {
            Instant now = clock.instant();
            job.resume(nextRunAt != null ? nextRunAt : job.jobSchedule().firstRunAfter(now), now);
        });
    }

    /**
     * A general update (nvent's {@code index.update} of a job): name, enabled flag, configuration, next run time and
     * status in one version-checked write, by the rules of {@link SchedulerJob#update} (a job moved to PENDING
     * without a next run time is due as {@link #resume(String)} makes it). A no-op update writes nothing.
     *
     * @param id     the job id
     * @param update the fields to change
     * @return the job as stored
     * @throws InvalidInputException        when an argument is invalid or {@link SchedulerJob#update} refuses the
     *                                      update (for example a status change of a RUNNING job); nothing is written
     * @throws NotFoundException            when no job has this id
     * @throws ConcurrencyConflictException when another transaction changed the job since this unit of work read it
     */
    public SchedulerJob update(String id, JobUpdate update) {
        return update(id, update, OptionalLong.empty());
    }

    /**
     * As {@link #update(String, JobUpdate)}, only if the job still has {@code expectedVersion} (compare-and-set).
     *
     * @param expectedVersion the version the caller read ({@link SchedulerJob#version()})
     * @return the job as stored
     * @throws ConcurrencyConflictException when the job's version is not {@code expectedVersion}; nothing is written
     */
    public SchedulerJob update(String id, JobUpdate update, long expectedVersion) {
        Check.notNegative("expectedVersion", expectedVersion);
        return update(id, update, OptionalLong.of(expectedVersion));
    }

    private SchedulerJob update(String id, JobUpdate update, OptionalLong expected) {
        return changes().update(id, update, expected, clock);
    }

    /**
     * Lets a job be claimed again ({@link SchedulerJob#enable}). Idempotent.
     *
     * @param id the job id
     * @return the job
     * @throws NotFoundException when no job has this id
     * @throws ConcurrencyConflictException when another transaction changed the job since this unit of work read it
     */
    public SchedulerJob enable(String id) {
        return changes().modify(Check.name("id", id), "enable", OptionalLong.empty(),
                job -> job.enable(clock.instant()));
    }

    /**
     * Stops a job from being claimed without changing its status ({@link SchedulerJob#disable}); a running job's
     * worker can still complete or fail it. Idempotent.
     *
     * @param id the job id
     * @return the job
     * @throws NotFoundException when no job has this id
     * @throws ConcurrencyConflictException when another transaction changed the job since this unit of work read it
     */
    public SchedulerJob disable(String id) {
        return changes().modify(Check.name("id", id), "disable", OptionalLong.empty(),
                job -> job.disable(clock.instant()));
    }

    /**
     * Changes a job's schedule to a cron expression in UTC ({@code null}: one-shot); as
     * {@link #changeSchedule(String, JobSchedule, Instant)}.
     *
     * @param id        the job id
     * @param cron      the new cron expression (five or six fields), or {@code null} to make the job one-shot
     * @param nextRunAt the new next run time, or {@code null} for the default
     * @return the job
     */
    public SchedulerJob reschedule(String id, String cron, Instant nextRunAt) {
        Check.name("id", id);
        return changeSchedule(id, cron == null ? JobSchedule.once() : JobSchedule.cron(cron), nextRunAt);
    }

    /**
     * Changes a job's schedule to any kind ({@link JobSchedule}: cron in a time zone, interval, once); the status is
     * kept ({@link SchedulerJob#changeSchedule}).
     *
     * @param id        the job id
     * @param schedule  the new schedule
     * @param nextRunAt the new next run time, or {@code null} for {@link JobSchedule#firstRunAfter} the clock's now;
     *                  ignored for a RUNNING job, whose next run is computed when it completes
     * @return the job
     * @throws NotFoundException            when no job has this id
     * @throws ConcurrencyConflictException when another transaction changed the job since this unit of work read it
     */
    public SchedulerJob changeSchedule(String id, JobSchedule schedule, Instant nextRunAt) {
        Check.notNull("schedule", schedule);
        return reschedule(id, schedule, nextRunAt, OptionalLong.empty());
    }

    /**
     * As {@link #reschedule(String, String, Instant)}, only if the job still has {@code expectedVersion}
     * (compare-and-set, for callers that read the job in an earlier unit of work, or outside any).
     *
     * @param expectedVersion the version the caller read ({@link SchedulerJob#version()})
     * @return the job
     * @throws ConcurrencyConflictException when the job's version is not {@code expectedVersion}; nothing is written
     */
    public SchedulerJob reschedule(String id, String cron, Instant nextRunAt, long expectedVersion) {
        Check.name("id", id);
        JobSchedule schedule = cron == null ? JobSchedule.once() : JobSchedule.cron(cron);
        Check.notNegative("expectedVersion", expectedVersion);
        return reschedule(id, schedule, nextRunAt, OptionalLong.of(expectedVersion));
    }

    private SchedulerJob reschedule(String id, JobSchedule schedule, Instant nextRunAt, OptionalLong expected) {
        return changes().reschedule(id, schedule, nextRunAt, expected, clock);
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
        return changes().claimDue(workerId, limit, SchedulerJobChanges.leaseMillis(leaseDuration, MAX_LEASE));
    }

    /**
     * Renews the lease of a running job: it then expires {@code leaseDuration} after the database's now. Succeeds
     * only while {@code workerId} holds the lease — also when it has expired but was not yet
     * {@link #recoverExpiredLeases() recovered}, since nobody else took the job.
     *
     * @param id            the job id
     * @param workerId      the worker holding the lease
     * @param leaseDuration the new lease length from now, in whole milliseconds, 1 ms to 7 days
     * @return {@code true} when renewed; {@code false} when the worker no longer holds the lease (recovered,
     *         completed, deleted, never claimed by it): it should stop, as its result can no longer be recorded
     * @throws InvalidInputException when an argument is invalid
     */
    public boolean heartbeat(String id, String workerId, Duration leaseDuration) {
        Check.name("id", id);
        Check.name("workerId", workerId);
        long leaseMillis = SchedulerJobChanges.leaseMillis(leaseDuration, MAX_LEASE);
        return sql().heartbeat("heartbeat " + ENTITY + " id=" + id + " by worker " + workerId, id, workerId,
                leaseMillis);
    }

    /**
     * Records a successful run ({@link SchedulerJob#complete}): a recurring job becomes PENDING at its schedule's next
     * run after the injected clock's now (cron: next fire time; interval: now plus the interval), attempts 0, last
     * error cleared; a one-shot job becomes COMPLETED. The lease is released. Locks the row first.
     *
     * @param id       the job id
     * @param workerId the worker holding the lease
     * @return the updated job
     * @throws NotFoundException     when no job has this id (it was deleted)
     * @throws LeaseLostException    when {@code workerId} does not hold the lease (it expired and the job was
     *                               recovered, or the job was reset); not retried: see the package description
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
     * its schedule's next run with attempts reset. The error is kept in {@code lastError}; the lease is released.
     *
     * @param id       the job id
     * @param workerId the worker holding the lease
     * @param error    what went wrong, or {@code null}; truncated to {@value SchedulerJob#MAX_ERROR_LENGTH} characters
     * @return the updated job
     * @throws NotFoundException     when no job has this id
     * @throws LeaseLostException    when {@code workerId} does not hold the lease (it expired and the job was
     *                               recovered, or the job was reset); not retried: see the package description
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
     * {@code lastError} saying whose lease expired. {@code attempts} keeps counting the lost run: a one-shot job whose
     * lost run was its last attempt becomes FAILED instead, a recurring one (cron or interval) starts its attempts
     * again. Run it periodically (for example every lease length) from any worker.
     *
     * @return how many jobs were recovered
     */
    public int recoverExpiredLeases() {
        return sql().recoverExpiredLeases("recover expired SchedulerJob leases");
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
