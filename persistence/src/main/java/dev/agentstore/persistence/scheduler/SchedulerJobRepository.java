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
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityExistsException;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.PersistenceContext;
import jakarta.persistence.TypedQuery;
import jakarta.transaction.Transactional;
import org.hibernate.Session;
import org.hibernate.query.NativeQuery;
import org.hibernate.type.StandardBasicTypes;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Scheduler jobs and the worker protocol: workers claim due jobs
 * with one {@code UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n) RETURNING *} statement, hold them
 * under a lease that they {@link #heartbeat extend}, and {@link #complete complete} or {@link #fail fail} them; a
 * maintenance loop {@link #recoverExpiredLeases() recovers} the jobs of dead workers. Delivery is at least once: a
 * job whose worker stops heartbeating runs again elsewhere.
 *
 * <p><b>Typical worker loop</b>, each step its own unit of work:
 * <pre>{@code
 * List<SchedulerJob> jobs = store.fromTransaction(uow -> uow.schedulerJobs().claimDue("worker-1", 10, Duration.ofMinutes(5)));
 * for (SchedulerJob job : jobs) {
 *     boolean ok;
 *     try {
 *         run(job.config());
 *         ok = true;
 *     } catch (Exception e) {
 *         ok = false;
 *         store.inTransaction(uow -> uow.schedulerJobs().fail(job.id(), "worker-1", e.toString()));
 *     }
 *     if (ok) {
 *         store.inTransaction(uow -> uow.schedulerJobs().complete(job.id(), "worker-1"));
 *     }
 * }
 * // complete and fail throw LeaseLostException when the lease was lost meanwhile: the job runs elsewhere
 * // elsewhere, every minute or so:
 * store.fromTransaction(uow -> uow.schedulerJobs().recoverExpiredLeases());
 * }</pre>
 *
 * <p><b>Clocks.</b> Everything that compares rows written by several processes uses the database clock
 * ({@code now()}, the transaction's start time): whether a job is due, lease expiry, {@code lastRunAt}, recovery.
 * Every {@code nextRunAt} the library computes comes from the injected {@link Clock}: cron fire times (the first
 * fire time strictly after the clock's now, in UTC), retry backoff ({@code now + retryDelay}), and the defaults
 * of {@link #schedule}, {@link #resume(String)} and {@link #reschedule}. A skew between the two clocks only moves
 * a run by the skew.
 *
 * <p><b>Stale entities.</b> {@link #claimDue}, {@link #heartbeat} and {@link #recoverExpiredLeases} are native
 * statements that bump the row version. {@code claimDue} refreshes the entities it returns, but an entity of the same
 * job loaded earlier in the same transaction is not refreshed by {@code heartbeat} or {@code recoverExpiredLeases}; a
 * later change through it fails with {@link ConcurrencyConflictException} (never a lost update). Run worker steps in
 * their own units of work, as above.
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
 * row as it reads it and never conflicts. {@link #delete} is checked by the entity's {@code @Version} only.
 *
 * <p><b>The worker protocol is guarded by the lease, not by versions.</b> {@link #claimDue} takes only unleased due
 * jobs, skipping locked rows; {@link #heartbeat}, {@link #complete} and {@link #fail} write only while the worker
 * holds the lease, and {@link #complete} and {@link #fail} lock the row ({@code SELECT … FOR UPDATE}) first, so they
 * wait for a concurrent heartbeat or operator action instead of conflicting with it. These steps are not checked
 * against a version read, but each adds 1 to the version, so an operator action whose unit of work read the job
 * before a worker's step conflicts and is retried on a fresh read, and never overwrites the step. When the worker no
 * longer holds the lease they throw {@link LeaseLostException}, which is not a conflict:
 * {@code fromTransactionWithRetry} does not retry it.
 *
 * <p>Runs in the caller's transaction; never begins or commits one. Every argument is validated before anything
 * is written.
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

    /** Locks a job's row and reads its version, to compare with the version a write expects. */
    private static final String LOCK_VERSION = "SELECT version FROM scheduler_jobs WHERE id = ?1 FOR UPDATE";

    /** The entity name in {@link ReadVersions} and conflict messages. */
    private static final String ENTITY = "SchedulerJob";

    /**
     * The claim ("lock and fetch"): locks up to ?3 due jobs, skipping rows other workers have locked,
     * and leases them to ?1 for ?2 milliseconds, by the database clock. Served by {@code scheduler_jobs_due_idx}.
     * {@code returned_version} lets us detect entities that were already loaded (stale) in this persistence context.
     */
    private static final String CLAIM_DUE = """
            UPDATE scheduler_jobs
               SET status = 'RUNNING',
                   lease_owner = ?1,
                   lease_expires_at = now() + CAST(?2 AS bigint) * interval '1 millisecond',
                   attempts = attempts + 1,
                   last_run_at = now(),
                   version = version + 1,
                   updated_at = now()
             WHERE id IN (SELECT id FROM scheduler_jobs
                           WHERE status = 'PENDING' AND enabled AND next_run_at <= now()
                           ORDER BY next_run_at, id
                           LIMIT ?3
                           FOR UPDATE SKIP LOCKED)
            RETURNING *, version AS returned_version
            """;

    /** Renews the lease of job ?1 for ?3 ms from the database's now, if worker ?2 still holds it. */
    private static final String HEARTBEAT = """
            UPDATE scheduler_jobs
               SET lease_expires_at = now() + CAST(?3 AS bigint) * interval '1 millisecond',
                   version = version + 1,
                   updated_at = now()
             WHERE id = ?1 AND status = 'RUNNING' AND lease_owner = ?2
            """;

    /** Makes running jobs whose lease expired (database clock) pending and due again. Served by {@code scheduler_jobs_lease_idx}. */
    private static final String RECOVER_EXPIRED_LEASES = """
            UPDATE scheduler_jobs
               SET status = CASE WHEN schedule IS NULL AND attempts >= max_attempts THEN 'FAILED' ELSE 'PENDING' END,
                   attempts = CASE WHEN schedule IS NOT NULL AND attempts >= max_attempts THEN 0 ELSE attempts END,
                   next_run_at = LEAST(next_run_at, now()),
                   last_error = concat('lease of worker ', lease_owner, ' expired before the run completed'),
                   lease_owner = NULL,
                   lease_expires_at = NULL,
                   version = version + 1,
                   updated_at = now()
             WHERE status = 'RUNNING' AND lease_expires_at < now()
            """;

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

    // ---------------------------------------------------------------- create, read, delete

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
     * @return the new job (managed)
     * @throws InvalidInputException when an argument is invalid, for example a cron expression that is not five UNIX
     *                               fields (the message quotes it and names the format); nothing is written
     * @throws DuplicateException    when a job with this id exists
     */
    public SchedulerJob schedule(String id, String name, String cron, Instant firstRunAt, JsonNode config,
                                 int maxAttempts) {
        Check.name("id", id);
        Check.name("name", name);
        Check.instant("firstRunAt", firstRunAt);
        JsonWrites.check(em, "config", config);
        CronSchedule schedule = cron == null ? null : CronSchedule.parse(cron);
        Instant now = clock.instant();
        Instant first = firstRunAt != null ? firstRunAt : defaultNextRun(schedule, now);
        SchedulerJob job = new SchedulerJob(id, name, schedule, first, config, maxAttempts, now);
        String context = "schedule SchedulerJob id=" + id;
        try {
            em.persist(job);
            em.flush();
        } catch (EntityExistsException e) {
            throw new DuplicateException(context + ": already exists", e);
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate(context, e);
        }
        return job;
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
        return db("get SchedulerJob id=" + id,
                () -> Optional.ofNullable(em.find(SchedulerJob.class, id)).map(this::read));
    }

    /**
     * Reads a job and locks its row ({@code SELECT ... FOR UPDATE}) until the transaction ends, so that writers of
     * the job queue behind this unit of work instead of failing its later write with a conflict: the form for hot
     * rows. Needs a transaction (a unit of work, or a container transaction).
     *
     * @param id the job id
     * @return the job (managed), or empty when no job has this id
     * @throws InvalidInputException when {@code id} is blank or longer than 255 characters
     * @throws AgentStoreException   when the database fails (translated by {@link PersistenceErrors})
     */
    public Optional<SchedulerJob> getForUpdate(String id) {
        Check.name("id", id);
        return db("get SchedulerJob id=" + id + " for update", () -> {
            OptionalLong version = ReadVersions.lockVersion(em, LOCK_VERSION, id);
            return version.isEmpty() ? Optional.<SchedulerJob>empty()
                    : Optional.of(read(current(id, version.getAsLong())));
        });
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
        String where = status == null ? "" : " where j.status = :status";
        return db("list SchedulerJobs" + (status == null ? "" : " with status " + status), () -> {
            TypedQuery<SchedulerJob> items = em.createQuery(
                    "select j from SchedulerJob j" + where + " order by j.nextRunAt asc nulls last, j.id asc",
                    SchedulerJob.class);
            TypedQuery<Long> count = em.createQuery("select count(j) from SchedulerJob j" + where, Long.class);
            if (status != null) {
                items.setParameter("status", status);
                count.setParameter("status", status);
            }
            List<SchedulerJob> rows = items.setFirstResult((int) Math.min(page.offset(), Integer.MAX_VALUE))
                    .setMaxResults(page.perPage())
                    .getResultList();
            rows.forEach(this::read);
            return Page.of(rows, page.page(), page.perPage(), count.getSingleResult());
        });
    }

    /**
     * Deletes a job, whatever its status. A worker running it then gets {@link NotFoundException} from
     * {@link #complete}, {@link #fail} and {@code false} from {@link #heartbeat}.
     *
     * @param id the job id
     * @return whether a job was deleted
     * @throws InvalidInputException        when {@code id} is invalid
     * @throws ConcurrencyConflictException when the row changed concurrently (retry the unit of work)
     */
    public boolean delete(String id) {
        Check.name("id", id);
        SchedulerJob job = db("delete SchedulerJob id=" + id, () -> em.find(SchedulerJob.class, id));
        if (job == null) {
            return false;
        }
        db("delete SchedulerJob id=" + id, () -> {
            em.remove(job);
            em.flush();
            return null;
        });
        return true;
    }

    // ---------------------------------------------------------------- operator actions

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

    // ---------------------------------------------------------------- worker protocol

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
     * @return the claimed jobs (managed, current), ordered by next run time then id; empty when none is due
     * @throws InvalidInputException when an argument is invalid; nothing is claimed
     */
    public List<SchedulerJob> claimDue(String workerId, int limit, Duration leaseDuration) {
        Check.name("workerId", workerId);
        Check.range("limit", limit, 1, MAX_CLAIM_LIMIT);
        long leaseMillis = leaseMillis(leaseDuration);
        List<Object[]> rows;
        try {
            NativeQuery<Object[]> query = em.unwrap(Session.class).createNativeQuery(CLAIM_DUE, Object[].class)
                    .addEntity("j", SchedulerJob.class)
                    .addScalar("returned_version", StandardBasicTypes.LONG);
            rows = query.setParameter(1, workerId)
                    .setParameter(2, leaseMillis)
                    .setParameter(3, limit)
                    .getResultList();
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate("claim due SchedulerJobs for worker " + workerId, e);
        }
        List<SchedulerJob> claimed = new ArrayList<>(rows.size());
        for (Object[] columns : rows) {
            SchedulerJob job = (SchedulerJob) columns[0];
            if (job.version() != (Long) columns[1]) {
                em.refresh(job); // it was already loaded in this persistence context, before the claim
            }
            claimed.add(read(job));
        }
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
        try {
            return em.createNativeQuery(HEARTBEAT)
                    .setParameter(1, id)
                    .setParameter(2, workerId)
                    .setParameter(3, leaseMillis)
                    .executeUpdate() == 1;
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate("heartbeat SchedulerJob id=" + id + " by worker " + workerId, e);
        }
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
        SchedulerJob job = lockForWorker(id, workerId);
        job.complete(workerId, clock.instant());
        flush("complete SchedulerJob id=" + id);
        return wrote(job);
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
        SchedulerJob job = lockForWorker(id, workerId);
        job.fail(workerId, error, clock.instant());
        flush("fail SchedulerJob id=" + id);
        return wrote(job);
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
        try {
            return em.createNativeQuery(RECOVER_EXPIRED_LEASES).executeUpdate();
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate("recover expired SchedulerJob leases", e);
        }
    }

    // ---------------------------------------------------------------- internals

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

    private SchedulerJob lockForWorker(String id, String workerId) {
        SchedulerJob job;
        try {
            job = em.find(SchedulerJob.class, id, LockModeType.PESSIMISTIC_WRITE);
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate("lock SchedulerJob id=" + id + " for worker " + workerId, e);
        }
        if (job == null) {
            throw new NotFoundException("SchedulerJob", "id=" + id);
        }
        return job;
    }

    /**
     * Changes a job, its row locked: when the caller passed a version or this unit of work read the job, only if the
     * job still has that version; else as it is now.
     */
    private SchedulerJob modify(String id, String action, OptionalLong passed, Consumer<SchedulerJob> change) {
        Check.name("id", id);
        OptionalLong expected = passed.isPresent() ? passed : versions().expected(ENTITY, id);
        SchedulerJob job = db(action + " SchedulerJob id=" + id, () -> expected.isEmpty()
                ? em.find(SchedulerJob.class, id, LockModeType.PESSIMISTIC_WRITE)
                : current(id, ReadVersions.requireVersion(em, LOCK_VERSION, ENTITY, id, expected.getAsLong())));
        if (job == null) {
            throw new NotFoundException("SchedulerJob", "id=" + id);
        }
        change.accept(job);
        flush(action + " SchedulerJob id=" + id);
        return wrote(job);
    }

    /** @return the managed job, refreshed when this persistence context holds an older copy than {@code version} */
    private SchedulerJob current(String id, long version) {
        SchedulerJob job = em.find(SchedulerJob.class, id);
        if (job.version() != version) {
            em.refresh(job);
        }
        return job;
    }

    /** Remembers the version of a job handed out in this transaction ({@link ReadVersions}). */
    private SchedulerJob read(SchedulerJob job) {
        versions().read(ENTITY, job.id(), job.version());
        return job;
    }

    /** Moves the remembered version of a job this transaction read to the version its own write left. */
    private SchedulerJob wrote(SchedulerJob job) {
        versions().wrote(ENTITY, job.id(), job.version());
        return job;
    }

    private ReadVersions versions() {
        return ReadVersions.of(em);
    }

    private static <T> T db(String context, Supplier<T> work) {
        try {
            return work.get();
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate(context, e);
        }
    }

    private void flush(String context) {
        try {
            em.flush();
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate(context, e);
        }
    }
}
