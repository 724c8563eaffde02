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
 * <h2>Operator actions and read-modify-write</h2>
 * A job that a unit of work read ({@code get}, {@code list}, {@code getForUpdate}, {@code claimDue}, or its own
 * earlier write) is written by the operator actions ({@code reschedule}, {@code changeSchedule}, {@code update},
 * {@code upsert}, {@code pause}, {@code resume}, {@code enable}, {@code disable}) only if it still has the version read
 * ({@code ReadVersions}): the action locks the row, compares, and fails with a
 * {@link dev.agentstore.domain.ConcurrencyConflictException} carrying both versions when another transaction changed
 * the job in between (for example a worker's claim or heartbeat), so a {@code nextRunAt} computed from a read is never
 * lost; run the read and the action in {@code fromTransactionWithRetry}. {@code getForUpdate} locks the row at the
 * read instead, so concurrent writers queue (for hot rows). Callers outside a unit of work pass the version they read
 * ({@code reschedule(id, cron, nextRunAt, expectedVersion)}, {@code update(id, update, expectedVersion)}). An action
 * on a job the unit of work has not read locks the row as it reads it and never conflicts. {@code delete} of a job
 * the unit of work read deletes it only if it still has the version read (a conflict otherwise); without a read it
 * deletes the job as it is.
 *
 * <h2>Returned jobs are copies</h2>
 * Every method of the repository reads the rows it returns, and a write returns the row as it wrote it
 * ({@code RETURNING}); a job returned earlier is a snapshot that later calls do not change. Every write adds 1 to the
 * version. The statements run through {@code Sql} on the unit of work's connection (the entity is read-only to JPA).
 *
 * <h2>Clocks</h2>
 * Everything that compares rows written by several processes uses the database clock ({@code now()}, the
 * transaction's start time): whether a job is due, lease expiry, {@code lastRunAt}, recovery. Every {@code nextRunAt}
 * the library computes comes from the repository's injected {@link java.time.Clock}: cron fire times (the first fire
 * time strictly after the clock's now, in the schedule's time zone), interval runs, retry backoff
 * ({@code now + retryDelay}), and the defaults of
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
