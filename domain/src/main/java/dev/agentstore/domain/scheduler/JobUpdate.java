package dev.agentstore.domain.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;

import java.time.Instant;

/**
 * A general update of a {@link SchedulerJob} (nvent's {@code index.update} of a scheduler job): each field that is
 * set replaces the job's value, each {@code null} field keeps it. Start from {@link #none()} and set what changes:
 *
 * <pre>{@code
 * jobs.update("nightly", JobUpdate.none().enabled(false).config(newConfig));
 * }</pre>
 *
 * <p>{@link SchedulerJob#update} states the rules (which status moves are allowed, what a move to
 * {@link JobStatus#PENDING} resets). Immutable.
 *
 * @param name      a new display name, 1–255 characters, or {@code null} to keep it
 * @param enabled   whether the job may be claimed, or {@code null} to keep it
 * @param config    a new configuration, a JSON object that replaces the old one (copied), or {@code null} to keep it
 * @param nextRunAt a new next run time, or {@code null} to keep it
 * @param status    a new status other than {@link JobStatus#RUNNING}, or {@code null} to keep it
 */
public record JobUpdate(String name, Boolean enabled, JsonNode config, Instant nextRunAt, JobStatus status) {

    /**
     * Validates the fields that are set.
     *
     * @throws InvalidInputException when {@code name} is blank or too long, {@code config} is not a JSON object,
     *                               {@code nextRunAt} is outside PostgreSQL's timestamptz range, or {@code status} is
     *                               {@link JobStatus#RUNNING} (only a claim leases a job)
     */
    public JobUpdate {
        Check.optionalName("name", name);
        config = config == null ? null : Json.requireObject("config", config).deepCopy();
        Check.instant("nextRunAt", nextRunAt);
        if (status == JobStatus.RUNNING) {
            throw new InvalidInputException("status: a job becomes RUNNING only by a claim (claimDue), not by update");
        }
    }

    /** @return an update that changes nothing */
    public static JobUpdate none() {
        return new JobUpdate(null, null, null, null, null);
    }

    /**
     * @param name the new display name
     * @return a copy that sets it
     */
    public JobUpdate name(String name) {
        return new JobUpdate(name, enabled, config, nextRunAt, status);
    }

    /**
     * @param enabled whether the job may be claimed
     * @return a copy that sets it
     */
    public JobUpdate enabled(boolean enabled) {
        return new JobUpdate(name, enabled, config, nextRunAt, status);
    }

    /**
     * @param config the new configuration, a JSON object
     * @return a copy that sets it
     */
    public JobUpdate config(JsonNode config) {
        return new JobUpdate(name, enabled, config, nextRunAt, status);
    }

    /**
     * @param nextRunAt the new next run time
     * @return a copy that sets it
     */
    public JobUpdate nextRunAt(Instant nextRunAt) {
        return new JobUpdate(name, enabled, config, nextRunAt, status);
    }

    /**
     * @param status the new status, not {@link JobStatus#RUNNING}
     * @return a copy that sets it
     */
    public JobUpdate status(JobStatus status) {
        return new JobUpdate(name, enabled, config, nextRunAt, status);
    }

    /** @return a copy of the new configuration, or {@code null} when it is kept */
    @Override
    public JsonNode config() {
        return config == null ? null : config.deepCopy();
    }
}
