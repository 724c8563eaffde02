package dev.agentstore.domain.scheduler;

import dev.agentstore.domain.AgentStoreException;

/**
 * Thrown when a worker completes or fails a {@link SchedulerJob} whose lease it no longer holds: its lease expired
 * and the job was recovered (and perhaps claimed by another worker), the job was reset (paused, resumed, completed
 * or failed elsewhere), or it was never claimed by this worker. The job's result can no longer be recorded by this
 * worker; it runs (or already ran) elsewhere.
 *
 * <p>Retrying does not help, so this is deliberately NOT a {@link dev.agentstore.domain.ConcurrencyConflictException}:
 * {@code AgentStore.fromTransactionWithRetry} and {@code RetryPolicy.execute} pass it through after the first
 * attempt. The message names the job id, the worker, the job's status and the current lease owner (or says that
 * there is none).
 */
public class LeaseLostException extends AgentStoreException {

    /**
     * @param jobId        the job's id
     * @param workerId     the worker that tried to complete or fail the job
     * @param status       the job's status when the worker tried
     * @param currentOwner the worker currently holding the lease, or {@code null} when nobody does
     */
    public LeaseLostException(String jobId, String workerId, JobStatus status, String currentOwner) {
        super("SchedulerJob id=" + jobId + ": worker " + workerId + " does not hold the lease (status " + status
                + ", " + (currentOwner == null ? "no current lease owner" : "leased by " + currentOwner)
                + "); its lease expired and the job was recovered, the job was reset, or it was never claimed by"
                + " this worker; retrying does not help");
    }
}
