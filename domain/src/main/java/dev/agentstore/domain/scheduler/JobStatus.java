package dev.agentstore.domain.scheduler;

/**
 * Where a {@link SchedulerJob} is in its life cycle; stored as the upper-case name in {@code scheduler_jobs.status}
 * (guarded by a CHECK constraint).
 *
 * <pre>
 *   PENDING --claimDue--> RUNNING --complete (cron)------------------> PENDING (next fire time)
 *      ^                     |     --complete (one-shot)--------------> COMPLETED
 *      |                     |     --fail, attempts left--------------> PENDING (after a backoff)
 *      |                     |     --fail, no attempts left, cron-----> PENDING (next fire time)
 *      |                     |     --fail, no attempts left, one-shot-> FAILED
 *      +--lease recovery-----+
 *   PENDING --pause--> PAUSED --resume--> PENDING;  COMPLETED / FAILED --resume--> PENDING
 * </pre>
 */
public enum JobStatus {
    /** Waiting for its {@code nextRunAt}; claimable once that time has come, if the job is enabled. */
    PENDING,
    /** Leased by a worker ({@code leaseOwner}) until {@code leaseExpiresAt}. */
    RUNNING,
    /** A one-shot job that completed; never claimed again unless resumed. */
    COMPLETED,
    /** A one-shot job that failed {@code maxAttempts} times; never claimed again unless resumed. */
    FAILED,
    /** Paused by an operator; never claimed until resumed. */
    PAUSED
}
