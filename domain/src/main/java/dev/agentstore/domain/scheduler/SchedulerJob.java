package dev.agentstore.domain.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.ReadOnlyEntity;
import dev.agentstore.domain.json.Json;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import org.hibernate.annotations.Immutable;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A scheduled job (table {@code scheduler_jobs}), leased to one worker at a time: a recurring job with a cron
 * {@link #schedule()} in a {@link #timeZone()} or a fixed {@link #interval()}, or a one-shot job (neither) that runs
 * once at {@link #nextRunAt()} ({@link #jobSchedule()}). Workers
 * claim due jobs, which leases them ({@link JobStatus#RUNNING}, {@link #leaseOwner()}, {@link #leaseExpiresAt()});
 * the owner then {@link #complete completes} or {@link #fail fails} them. Claims, heartbeats and lease recovery are
 * single SQL statements in the repository; the transitions here are the ones that need Java (cron fire times).
 *
 * <p>Times: {@link #nextRunAt()} values set here come from the caller's clock (the repository's injected
 * {@code Clock}); claim, lease and recovery times come from the database clock. Cron expressions are evaluated in
 * their time zone (UTC unless one is given).
 *
 * <p>The repository ({@code SchedulerJobRepository}) writes the table with SQL; this entity is the mapping for JPA
 * users' reads (JPQL, Criteria), read-only to JPA ({@link ReadOnlyEntity}). Every write adds 1 to {@link #version()}.
 * No public setters: the repository computes a change on a copy read from the row (its row locked) with the
 * intention-revealing methods below, which throw {@link InvalidInputException} for transitions that the current
 * status does not allow and {@link LeaseLostException} when a worker completes or fails a job whose lease it does
 * not hold, and then writes the new state with one {@code UPDATE}.
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "scheduler_jobs")
public class SchedulerJob {

    /** Largest {@code maxAttempts}: 1000. */
    public static final int MAX_ATTEMPTS_LIMIT = 1000;

    /** Error texts longer than this many characters are truncated by {@link #fail}: 8000. */
    public static final int MAX_ERROR_LENGTH = 8000;

    /** Delay before the first retry of a failed run: 1 second; doubled per further attempt. */
    public static final Duration RETRY_BASE_DELAY = Duration.ofSeconds(1);

    /** Largest delay between retries: 1 hour. */
    public static final Duration RETRY_MAX_DELAY = Duration.ofHours(1);

    @Id
    @Column(name = "id", length = 255)
    String id;

    @Column(name = "name", nullable = false, length = 255)
    String name;

    @Column(name = "schedule", length = 255)
    String schedule;

    @Column(name = "time_zone", length = 64)
    String timeZone;

    @Column(name = "interval_ms")
    Long intervalMillis;

    @Column(name = "enabled", nullable = false)
    boolean enabled;

    @Enumerated(EnumType.STRING)
    @Column(name = "status", nullable = false, length = 16)
    JobStatus status;

    @Column(name = "next_run_at")
    Instant nextRunAt;

    @Column(name = "last_run_at")
    Instant lastRunAt;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "config", columnDefinition = "jsonb", nullable = false)
    JsonNode config;

    @Column(name = "attempts", nullable = false)
    int attempts;

    @Column(name = "max_attempts", nullable = false)
    int maxAttempts;

    @Column(name = "last_error", columnDefinition = "text")
    String lastError;

    @Column(name = "lease_owner", length = 255)
    String leaseOwner;

    @Column(name = "lease_expires_at")
    Instant leaseExpiresAt;

    @Column(name = "created_at", nullable = false, updatable = false)
    Instant createdAt;

    @Version
    @Column(name = "version", nullable = false)
    long version;

    @Column(name = "updated_at", nullable = false)
    Instant updatedAt;

    /** For JPA. */
    protected SchedulerJob() {
    }

    /**
     * A new, enabled, {@link JobStatus#PENDING} job.
     *
     * @param id          the job's unique id, 1–255 characters
     * @param name        a display name, 1–255 characters
     * @param cron        the recurring schedule, or {@code null} for a one-shot job
     * @param nextRunAt   when the job first becomes due
     * @param config      the job's configuration, a JSON object; {@code null} means an empty object; copied
     * @param maxAttempts how many times one run may be attempted before it counts as failed, 1–{@value #MAX_ATTEMPTS_LIMIT}
     * @param now         the creation time
     * @throws InvalidInputException when an argument is invalid (the message names it)
     */
    public SchedulerJob(String id, String name, CronSchedule cron, Instant nextRunAt, JsonNode config,
                        int maxAttempts, Instant now) {
        this(id, name, cron == null ? JobSchedule.once() : JobSchedule.cron(cron), nextRunAt, config, maxAttempts,
                now);
    }

    /**
     * A new, enabled, {@link JobStatus#PENDING} job with any kind of schedule.
     *
     * @param id          the job's unique id, 1–255 characters
     * @param name        a display name, 1–255 characters
     * @param schedule    when it runs: cron, interval or once
     * @param nextRunAt   when the job first becomes due
     * @param config      the job's configuration, a JSON object; {@code null} means an empty object; copied
     * @param maxAttempts how many times one run may be attempted, 1–{@value #MAX_ATTEMPTS_LIMIT}
     * @param now         the creation time
     * @return the job
     * @throws InvalidInputException when an argument is invalid (the message names it)
     */
    public static SchedulerJob scheduled(String id, String name, JobSchedule schedule, Instant nextRunAt,
                                         JsonNode config, int maxAttempts, Instant now) {
        return new SchedulerJob(id, name, schedule, nextRunAt, config, maxAttempts, now);
    }

    private SchedulerJob(String id, String name, JobSchedule schedule, Instant nextRunAt, JsonNode config,
                         int maxAttempts, Instant now) {
        this.id = Check.name("id", id);
        this.name = Check.name("name", name);
        JobTransitions.setSchedule(this, Check.notNull("schedule", schedule));
        this.nextRunAt = Check.instant("nextRunAt", Check.notNull("nextRunAt", nextRunAt));
        this.config = config == null ? Json.object() : Json.requireObject("config", config);
        this.maxAttempts = Check.range("maxAttempts", maxAttempts, 1, MAX_ATTEMPTS_LIMIT);
        this.enabled = true;
        this.status = JobStatus.PENDING;
        this.attempts = 0;
        this.createdAt = Check.notNull("now", now);
        this.updatedAt = now;
    }

    /**
     * A job as read from its row (no validation beyond non-null checks), for the repository, which reads and writes
     * rows with SQL. Each argument is the column of the same name, as the accessors return it; {@code config} is
     * kept, not copied.
     *
     * @return the job, not attached to any persistence context
     */
    public static SchedulerJob restore(String id, String name, String schedule, boolean enabled, JobStatus status,
                                       Instant nextRunAt, Instant lastRunAt, JsonNode config, int attempts,
                                       int maxAttempts, String lastError, String leaseOwner, Instant leaseExpiresAt,
                                       Instant createdAt, long version, Instant updatedAt) {
        return restore(id, name, schedule, null, null, enabled, status, nextRunAt, lastRunAt, config, attempts,
                maxAttempts, lastError, leaseOwner, leaseExpiresAt, createdAt, version, updatedAt);
    }

    /**
     * As {@link #restore(String, String, String, boolean, JobStatus, Instant, Instant, JsonNode, int, int, String,
     * String, Instant, Instant, long, Instant)}, with the columns {@code time_zone} and {@code interval_ms}.
     *
     * @return the job, not attached to any persistence context
     */
    public static SchedulerJob restore(String id, String name, String schedule, String timeZone, Long intervalMillis,
                                       boolean enabled, JobStatus status, Instant nextRunAt, Instant lastRunAt,
                                       JsonNode config, int attempts, int maxAttempts, String lastError,
                                       String leaseOwner, Instant leaseExpiresAt, Instant createdAt, long version,
                                       Instant updatedAt) {
        return JobRows.restore(id, name, schedule, timeZone, intervalMillis, enabled, status, nextRunAt, lastRunAt,
                config, attempts, maxAttempts, lastError, leaseOwner, leaseExpiresAt, createdAt, version, updatedAt);
    }

    /**
     * The wait before retrying a run that failed: {@link #RETRY_BASE_DELAY} × 2^(attempt − 1), at most
     * {@link #RETRY_MAX_DELAY} (1 s, 2 s, 4 s, … 1 h).
     *
     * @param attempt the attempt that just failed, from 1
     * @return the delay
     */
    public static Duration retryDelay(int attempt) {
        int exponent = Math.max(0, Math.min(attempt - 1, 30));
        Duration delay = RETRY_BASE_DELAY.multipliedBy(1L << exponent);
        return delay.compareTo(RETRY_MAX_DELAY) > 0 ? RETRY_MAX_DELAY : delay;
    }

    /**
     * Pauses a pending job: it is not claimed until {@link #resume resumed}. Pausing a paused job does nothing.
     *
     * @param now the time of the change
     * @throws InvalidInputException when the job is RUNNING, COMPLETED or FAILED (use {@link #disable} to stop a
     *                               running job from being claimed again)
     */
    public void pause(Instant now) {
        JobTransitions.pause(this, now);
    }

    /**
     * Makes a paused, completed or failed job pending again, due at {@code nextRunAt}, with its attempts reset.
     * Resuming a pending job does nothing (its next run time is kept).
     *
     * @param nextRunAt when the job becomes due
     * @param now       the time of the change
     * @throws InvalidInputException when the job is RUNNING, or {@code nextRunAt} is {@code null}
     */
    public void resume(Instant nextRunAt, Instant now) {
        JobTransitions.resume(this, nextRunAt, now);
    }

    /**
     * Lets the job be claimed again (in whatever status it is in). Idempotent.
     *
     * @param now the time of the change
     */
    public void enable(Instant now) {
        JobTransitions.setEnabled(this, true, now);
    }

    /**
     * Stops the job from being claimed, without changing its status: a running job's worker may still complete or
     * fail it, and it then waits, disabled, for {@link #enable}. Idempotent.
     *
     * @param now the time of the change
     */
    public void disable(Instant now) {
        JobTransitions.setEnabled(this, false, now);
    }

    /**
     * Changes the schedule. Unless the job is RUNNING, its next run moves to {@code nextRunAt}; a running job's
     * next run is computed from the new schedule when it completes. The status is kept (resume a completed or
     * failed job to re-arm it).
     *
     * @param cron      the new schedule, or {@code null} to make it a one-shot job
     * @param nextRunAt the new next run time; ignored for a RUNNING job
     * @param now       the time of the change
     * @throws InvalidInputException when {@code nextRunAt} is {@code null}
     */
    public void reschedule(CronSchedule cron, Instant nextRunAt, Instant now) {
        changeSchedule(cron == null ? JobSchedule.once() : JobSchedule.cron(cron), nextRunAt, now);
    }

    /**
     * Changes the schedule to any kind (cron, interval, once), as {@link #reschedule(CronSchedule, Instant, Instant)}.
     *
     * @param schedule  the new schedule
     * @param nextRunAt the new next run time; ignored for a RUNNING job
     * @param now       the time of the change
     * @throws InvalidInputException when {@code schedule} or {@code nextRunAt} is {@code null}
     */
    public void changeSchedule(JobSchedule schedule, Instant nextRunAt, Instant now) {
        JobTransitions.changeSchedule(this, schedule, nextRunAt, now);
    }

    /**
     * Applies a general update ({@link JobUpdate}): each field it sets replaces the job's value. Rules:
     * <ul>
     *   <li>a RUNNING job (leased) keeps its status and next run time: an update that sets either is refused (its
     *       worker completes or fails it, or lease recovery frees it); name, configuration and enabled flag may
     *       change;</li>
     *   <li>a move to {@link JobStatus#PENDING} from another status resets the attempts to 0 and makes the job due at
     *       the update's {@code nextRunAt}, else at its current next run time, else at {@code defaultNextRun};</li>
     *   <li>a move to {@link JobStatus#COMPLETED} or {@link JobStatus#FAILED} clears the next run time (an update
     *       that also sets one is refused); {@link JobStatus#PAUSED} keeps it.</li>
     * </ul>
     *
     * <p>An update that sets every field to the value it has changes nothing (not even {@link #updatedAt()}).
     *
     * @param update         the fields to change
     * @param defaultNextRun when a job moved to PENDING without a next run time becomes due
     * @param now            the time of the change
     * @throws InvalidInputException when a rule above refuses the update; nothing changes
     */
    public void update(JobUpdate update, Instant defaultNextRun, Instant now) {
        JobTransitions.update(this, update, defaultNextRun, now);
    }

    /**
     * Leases this one job to a worker: RUNNING, {@code attempts + 1}, {@code lastRunAt = now}. This is what the
     * repository's {@code claimDue} statement does in SQL for many jobs at once, with the database clock and
     * {@code SKIP LOCKED}; use that to claim. This method computes the same transition on one in-memory job.
     *
     * @param workerId       the worker taking the lease, 1–255 characters
     * @param leaseExpiresAt when the lease ends, after {@code now}
     * @param now            the current time
     * @throws InvalidInputException when the job is not PENDING or is disabled, or an argument is invalid
     */
    public void lease(String workerId, Instant leaseExpiresAt, Instant now) {
        JobTransitions.lease(this, workerId, leaseExpiresAt, now);
    }

    /**
     * Records a successful run by the lease owner. A recurring job becomes PENDING again, due at its next cron fire
     * time after {@code now}, with attempts reset to 0 and the last error cleared; a one-shot job becomes
     * COMPLETED (attempts kept: how many runs it took). The lease is released either way.
     *
     * @param workerId the worker completing the run
     * @param now      the current time (the repository's clock); the next fire time is computed after it
     * @throws LeaseLostException    when {@code workerId} does not hold the lease (the job is not RUNNING or is
     *                               leased by another worker — its lease expired and was recovered, or the job was
     *                               reset); retrying does not help
     * @throws InvalidInputException when {@code workerId} is invalid or {@code now} is {@code null}
     */
    public void complete(String workerId, Instant now) {
        JobTransitions.complete(this, workerId, now);
    }

    /**
     * Records a failed run by the lease owner and releases the lease. While {@code attempts < maxAttempts} the job
     * becomes PENDING again, due after {@link #retryDelay(int) retryDelay(attempts)}. When attempts are used up, a
     * one-shot job becomes FAILED; a recurring job is never given up: it becomes
     * PENDING at its next cron fire time after {@code now} with attempts reset to 0. The error is kept in
     * {@link #lastError()} either way.
     *
     * @param workerId the worker reporting the failure
     * @param error    what went wrong, or {@code null}; truncated to {@value #MAX_ERROR_LENGTH} characters
     * @param now      the current time (the repository's clock)
     * @throws LeaseLostException    when {@code workerId} does not hold the lease (the job is not RUNNING or is
     *                               leased by another worker); retrying does not help
     * @throws InvalidInputException when {@code workerId} is invalid or {@code now} is {@code null}
     */
    public void fail(String workerId, String error, Instant now) {
        JobTransitions.fail(this, workerId, error, now);
    }

    /**
     * @param workerId a worker id
     * @return whether the job is RUNNING under a lease held by {@code workerId} (whether or not the lease has
     * expired by the database clock, as long as it was not recovered)
     */
    public boolean isLeasedBy(String workerId) {
        return status == JobStatus.RUNNING && workerId != null && workerId.equals(leaseOwner);
    }

    /** @return the job's unique id */
    public String id() {
        return id;
    }

    /** @return the display name */
    public String name() {
        return name;
    }

    /** @return the cron expression, or {@code null} for an interval or one-shot job */
    public String schedule() {
        return schedule;
    }

    /** @return the parsed cron schedule in its time zone, or empty for an interval or one-shot job */
    public Optional<CronSchedule> cron() {
        return jobSchedule().cronSchedule();
    }

    /** @return when the job runs: cron (in its zone), interval or once */
    public JobSchedule jobSchedule() {
        return JobSchedule.of(schedule, timeZone, intervalMillis);
    }

    /** @return the time-zone id of the cron schedule, or {@code null} for UTC and for jobs without a cron schedule */
    public String timeZone() {
        return timeZone;
    }

    /** @return the fixed delay between runs, or empty unless the job runs at an interval */
    public Optional<Duration> interval() {
        return intervalMillis == null ? Optional.empty() : Optional.of(Duration.ofMillis(intervalMillis));
    }

    /** @return whether the job runs more than once (a cron schedule or an interval; otherwise it is one-shot) */
    public boolean isRecurring() {
        return schedule != null || intervalMillis != null;
    }

    /** @return whether the job may be claimed (together with status PENDING and a due {@link #nextRunAt()}) */
    public boolean enabled() {
        return enabled;
    }

    /** @return the life-cycle status */
    public JobStatus status() {
        return status;
    }

    /** @return when the job is next due; {@code null} once a one-shot job completed or failed */
    public Instant nextRunAt() {
        return nextRunAt;
    }

    /** @return when the job was last claimed (database clock), or {@code null} if never */
    public Instant lastRunAt() {
        return lastRunAt;
    }

    /** @return a copy of the configuration, a JSON object */
    public JsonNode config() {
        return config.deepCopy();
    }

    /** @return how many claims since the last success (or since the attempts were last reset) */
    public int attempts() {
        return attempts;
    }

    /** @return how many attempts one run gets before it counts as failed */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** @return the error of the most recent failure or lease expiry, or {@code null}; cleared by a success */
    public String lastError() {
        return lastError;
    }

    /** @return the worker holding the lease, or {@code null} when not RUNNING */
    public String leaseOwner() {
        return leaseOwner;
    }

    /** @return when the lease expires (database clock), or {@code null} when not RUNNING */
    public Instant leaseExpiresAt() {
        return leaseExpiresAt;
    }

    /** @return when the job was scheduled */
    public Instant createdAt() {
        return createdAt;
    }

    /** @return the row's version: 0 when scheduled, plus 1 on every write */
    public long version() {
        return version;
    }

    /** @return when the row last changed */
    public Instant updatedAt() {
        return updatedAt;
    }

    @Override
    public String toString() {
        return "SchedulerJob[id=" + id + ", name=" + name + ", schedule=" + jobSchedule() + ", status=" + status
                + ", enabled=" + enabled + ", nextRunAt=" + nextRunAt + ", attempts=" + attempts + "/" + maxAttempts
                + ", leaseOwner=" + leaseOwner + ", version=" + version + "]";
    }
}
