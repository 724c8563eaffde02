/**
 * Scheduler jobs ({@link dev.agentstore.domain.scheduler.SchedulerJob}, table {@code scheduler_jobs}) and the worker
 * protocol of {@link dev.agentstore.persistence.scheduler.SchedulerJobRepository}: workers claim due jobs, hold them
 * under a lease that they extend, and complete or fail them; a maintenance loop recovers the jobs of dead workers.
 * Delivery is at least once: a job whose worker stops heartbeating runs again elsewhere.
 *
 * <h2>Typical worker loop</h2>
 * Each step its own unit of work:
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
 * <h2>Clocks</h2>
 * Everything that compares rows written by several processes uses the database clock ({@code now()}, the
 * transaction's start time): whether a job is due, lease expiry, {@code lastRunAt}, recovery. Every {@code nextRunAt}
 * the library computes comes from the repository's injected {@link java.time.Clock}: cron fire times (the first fire
 * time strictly after the clock's now, in UTC), retry backoff ({@code now + retryDelay}), and the defaults of
 * {@code schedule}, {@code resume} and {@code reschedule}. A skew between the two clocks only moves a run by the
 * skew.
 *
 * <h2>The worker protocol is guarded by the lease, not by versions</h2>
 * {@code claimDue} takes only unleased due jobs, skipping locked rows ({@code FOR UPDATE SKIP LOCKED});
 * {@code heartbeat}, {@code complete} and {@code fail} write only while the worker holds the lease, and
 * {@code complete} and {@code fail} lock the row ({@code SELECT … FOR UPDATE}) first, so they wait for a concurrent
 * heartbeat or operator action instead of conflicting with it. These steps are not checked against a version read,
 * but each adds 1 to the version, so an operator action whose unit of work read the job before a worker's step
 * conflicts and is retried on a fresh read, and never overwrites the step. When the worker no longer holds the lease
 * they throw {@link dev.agentstore.domain.scheduler.LeaseLostException}, which is not a conflict:
 * {@code fromTransactionWithRetry} does not retry it.
 */
package dev.agentstore.persistence.scheduler;
