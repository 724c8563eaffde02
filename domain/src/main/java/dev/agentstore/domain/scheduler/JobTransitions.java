package dev.agentstore.domain.scheduler;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.time.Instant;
import java.util.Optional;

/**
 * The state transitions of a {@link SchedulerJob}: the bodies of its intention-revealing methods (pause, resume,
 * enable, disable, changeSchedule, update, lease, complete, fail) and their checks. Each works on the job's fields
 * directly; the contracts (what changes, what is refused and with which message) are documented on
 * {@link SchedulerJob}, whose public methods delegate here.
 */
final class JobTransitions {

    private JobTransitions() {
    }

    /** {@link SchedulerJob#pause(Instant)}. */
    static void pause(SchedulerJob job, Instant now) {
        if (job.status == JobStatus.PAUSED) {
            return;
        }
        requireStatus(job, "pause", JobStatus.PENDING);
        job.status = JobStatus.PAUSED;
        touch(job, now);
    }

    /** {@link SchedulerJob#resume(Instant, Instant)}. */
    static void resume(SchedulerJob job, Instant nextRunAt, Instant now) {
        Check.instant("nextRunAt", Check.notNull("nextRunAt", nextRunAt));
        if (job.status == JobStatus.PENDING) {
            return;
        }
        requireStatus(job, "resume", JobStatus.PAUSED, JobStatus.COMPLETED, JobStatus.FAILED);
        job.status = JobStatus.PENDING;
        job.nextRunAt = nextRunAt;
        job.attempts = 0;
        touch(job, now);
    }

    /** {@link SchedulerJob#enable(Instant)} and {@link SchedulerJob#disable(Instant)}. */
    static void setEnabled(SchedulerJob job, boolean enabled, Instant now) {
        if (job.enabled != enabled) {
            job.enabled = enabled;
            touch(job, now);
        }
    }

    /** {@link SchedulerJob#changeSchedule(JobSchedule, Instant, Instant)}. */
    static void changeSchedule(SchedulerJob job, JobSchedule schedule, Instant nextRunAt, Instant now) {
        Check.instant("nextRunAt", Check.notNull("nextRunAt", nextRunAt));
        setSchedule(job, Check.notNull("schedule", schedule));
        if (job.status != JobStatus.RUNNING) {
            job.nextRunAt = nextRunAt;
        }
        touch(job, now);
    }

    /** {@link SchedulerJob#update(JobUpdate, Instant, Instant)}. */
    static void update(SchedulerJob job, JobUpdate update, Instant defaultNextRun, Instant now) {
        Check.notNull("update", update);
        JobStatus target = update.status() == null ? job.status : update.status();
        if (job.status == JobStatus.RUNNING && (target != JobStatus.RUNNING || update.nextRunAt() != null)) {
            throw new InvalidInputException("cannot change the status or nextRunAt of SchedulerJob id=" + job.id
                    + ": it is RUNNING (leased by " + job.leaseOwner
                    + "); complete or fail it, or let its lease expire");
        }
        boolean done = target == JobStatus.COMPLETED || target == JobStatus.FAILED;
        if (done && update.nextRunAt() != null) {
            throw new InvalidInputException("nextRunAt: a " + target + " job has no next run time");
        }
        boolean changed = target != job.status;
        if (update.name() != null && !update.name().equals(job.name)) {
            job.name = update.name();
            changed = true;
        }
        if (update.enabled() != null && update.enabled() != job.enabled) {
            job.enabled = update.enabled();
            changed = true;
        }
        if (update.config() != null && !update.config().equals(job.config)) {
            job.config = update.config();
            changed = true;
        }
        if (update.nextRunAt() != null && !update.nextRunAt().equals(job.nextRunAt)) {
            job.nextRunAt = update.nextRunAt();
            changed = true;
        }
        if (target != job.status) {
            if (target == JobStatus.PENDING) {
                job.attempts = 0;
                if (job.nextRunAt == null) {
                    job.nextRunAt = Check.notNull("defaultNextRun", defaultNextRun);
                }
            } else if (done) {
                job.nextRunAt = null;
            }
            job.status = target;
        }
        if (changed) {
            touch(job, now);
        }
    }

    /** {@link SchedulerJob#lease(String, Instant, Instant)}. */
    static void lease(SchedulerJob job, String workerId, Instant leaseExpiresAt, Instant now) {
        Check.name("workerId", workerId);
        Check.notNull("now", now);
        if (!Check.notNull("leaseExpiresAt", leaseExpiresAt).isAfter(now)) {
            throw new InvalidInputException("leaseExpiresAt must be after now (" + now + "), was " + leaseExpiresAt);
        }
        requireStatus(job, "lease", JobStatus.PENDING);
        if (!job.enabled) {
            throw new InvalidInputException("cannot lease SchedulerJob id=" + job.id + ": it is disabled");
        }
        job.status = JobStatus.RUNNING;
        job.leaseOwner = workerId;
        job.leaseExpiresAt = leaseExpiresAt;
        job.attempts++;
        job.lastRunAt = now;
        touch(job, now);
    }

    /** {@link SchedulerJob#complete(String, Instant)}. */
    static void complete(SchedulerJob job, String workerId, Instant now) {
        requireLease(job, workerId);
        Check.notNull("now", now);
        Optional<Instant> next = job.jobSchedule().nextAfter(now);
        if (next.isPresent()) {
            job.status = JobStatus.PENDING;
            job.nextRunAt = next.get();
            job.attempts = 0;
            job.lastError = null;
        } else {
            job.status = JobStatus.COMPLETED;
            job.nextRunAt = null;
        }
        releaseLease(job);
        touch(job, now);
    }

    /** {@link SchedulerJob#fail(String, String, Instant)}. */
    static void fail(SchedulerJob job, String workerId, String error, Instant now) {
        requireLease(job, workerId);
        Check.notNull("now", now);
        int max = SchedulerJob.MAX_ERROR_LENGTH;
        job.lastError = error == null || error.length() <= max ? error : error.substring(0, max);
        Optional<Instant> next = job.jobSchedule().nextAfter(now);
        if (job.attempts < job.maxAttempts) {
            job.status = JobStatus.PENDING;
            job.nextRunAt = now.plus(SchedulerJob.retryDelay(job.attempts));
        } else if (next.isPresent()) {
            job.status = JobStatus.PENDING;
            job.nextRunAt = next.get();
            job.attempts = 0;
        } else {
            job.status = JobStatus.FAILED;
            job.nextRunAt = null;
        }
        releaseLease(job);
        touch(job, now);
    }

    /** Sets the schedule columns ({@code schedule}, {@code time_zone}, {@code interval_ms}) from {@code next}. */
    static void setSchedule(SchedulerJob job, JobSchedule next) {
        job.schedule = next.expression();
        job.timeZone = next.timeZone();
        job.intervalMillis = next.intervalMillis();
    }

    private static void requireStatus(SchedulerJob job, String action, JobStatus... allowed) {
        for (JobStatus s : allowed) {
            if (job.status == s) {
                return;
            }
        }
        throw new InvalidInputException("cannot " + action + " SchedulerJob id=" + job.id + ": it is " + job.status
                + (job.status == JobStatus.RUNNING ? " (leased by " + job.leaseOwner + ")" : ""));
    }

    private static void requireLease(SchedulerJob job, String workerId) {
        Check.name("workerId", workerId);
        if (!job.isLeasedBy(workerId)) {
            throw new LeaseLostException(job.id, workerId, job.status, job.leaseOwner);
        }
    }

    private static void releaseLease(SchedulerJob job) {
        job.leaseOwner = null;
        job.leaseExpiresAt = null;
    }

    private static void touch(SchedulerJob job, Instant now) {
        job.updatedAt = Check.notNull("now", now);
    }
}
