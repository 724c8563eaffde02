package dev.agentstore.domain.scheduler;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.Objects;

/**
 * Builds a {@link SchedulerJob} from the columns of its row, for
 * {@link SchedulerJob#restore(String, String, String, String, Long, boolean, JobStatus, Instant, Instant, JsonNode,
 * int, int, String, String, Instant, Instant, long, Instant) SchedulerJob.restore}: no validation beyond non-null
 * checks, {@code config} kept, not copied.
 */
final class JobRows {

    private JobRows() {
    }

    /** The job with each field set to the column of the same name; see {@code SchedulerJob.restore}. */
    static SchedulerJob restore(String id, String name, String schedule, String timeZone, Long intervalMillis,
                                boolean enabled, JobStatus status, Instant nextRunAt, Instant lastRunAt,
                                JsonNode config, int attempts, int maxAttempts, String lastError,
                                String leaseOwner, Instant leaseExpiresAt, Instant createdAt, long version,
                                Instant updatedAt) {
        SchedulerJob job = new SchedulerJob();
        job.timeZone = timeZone;
        job.intervalMillis = intervalMillis;
        job.id = Objects.requireNonNull(id, "id");
        job.name = Objects.requireNonNull(name, "name");
        job.schedule = schedule;
        job.enabled = enabled;
        job.status = Objects.requireNonNull(status, "status");
        job.nextRunAt = nextRunAt;
        job.lastRunAt = lastRunAt;
        job.config = Objects.requireNonNull(config, "config");
        job.attempts = attempts;
        job.maxAttempts = maxAttempts;
        job.lastError = lastError;
        job.leaseOwner = leaseOwner;
        job.leaseExpiresAt = leaseExpiresAt;
        job.createdAt = Objects.requireNonNull(createdAt, "createdAt");
        job.version = version;
        job.updatedAt = Objects.requireNonNull(updatedAt, "updatedAt");
        return job;
    }
}
