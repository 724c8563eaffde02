package dev.agentstore.persistence.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.scheduler.JobSchedule;
import dev.agentstore.domain.scheduler.JobStatus;
import dev.agentstore.domain.scheduler.SchedulerJob;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;
import org.jdbi.v3.core.statement.Query;
import org.jdbi.v3.core.statement.StatementContext;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The statements of {@link SchedulerJobRepository} on {@code scheduler_jobs}, run through {@link Sql} on the unit of
 * work's connection, and the mapping of a row to a {@link SchedulerJob}. Validation, the read-version checks and the
 * state transitions stay in the repository; this class only runs SQL. Not thread-safe, as the entity manager it is
 * bound to.
 */
final class SchedulerJobSql {

    /** Every column of a job, as {@link #job} reads them. */
    private static final String COLUMNS = """
            id, name, schedule, time_zone, interval_ms, enabled, status, next_run_at, last_run_at, CAST(config AS text) AS config,
            attempts, max_attempts, last_error, lease_owner, lease_expires_at, created_at, version, updated_at""";

    private static final String INSERT_VALUES = """
            INSERT INTO scheduler_jobs (id, name, schedule, time_zone, interval_ms, enabled, status, next_run_at, config,
                                        attempts, max_attempts, created_at, version, updated_at)
            VALUES (:id, :name, :schedule, :timeZone, :intervalMs, :enabled, :status, CAST(:nextRunAt AS timestamptz),
                    CAST(:config AS jsonb), :attempts, :maxAttempts, :createdAt, 0, :updatedAt)
            """;

    private static final String INSERT = INSERT_VALUES + "RETURNING " + COLUMNS;

    /**
     * The explicit upsert: a new job as {@link #INSERT}; an existing one gets the new definition (name, schedule,
     * configuration, attempts per run) and a version bump and, unless it is RUNNING (leased: its worker completes it
     * and the next run follows the new schedule), is re-armed: PENDING, due at the new first run, attempts 0, last
     * error cleared. Its enabled flag, creation time and last run are kept.
     */
    private static final String UPSERT = INSERT_VALUES + """
            ON CONFLICT (id) DO UPDATE
               SET name = EXCLUDED.name,
                   schedule = EXCLUDED.schedule,
                   time_zone = EXCLUDED.time_zone,
                   interval_ms = EXCLUDED.interval_ms,
                   config = EXCLUDED.config,
                   max_attempts = EXCLUDED.max_attempts,
                   status = CASE WHEN scheduler_jobs.status = 'RUNNING' THEN 'RUNNING' ELSE 'PENDING' END,
                   next_run_at = CASE WHEN scheduler_jobs.status = 'RUNNING' THEN scheduler_jobs.next_run_at
                                      ELSE EXCLUDED.next_run_at END,
                   attempts = CASE WHEN scheduler_jobs.status = 'RUNNING' THEN scheduler_jobs.attempts ELSE 0 END,
                   last_error = CASE WHEN scheduler_jobs.status = 'RUNNING' THEN scheduler_jobs.last_error END,
                   version = scheduler_jobs.version + 1,
                   updated_at = EXCLUDED.updated_at
            RETURNING\s""" + COLUMNS;

    private static final String SELECT = "SELECT " + COLUMNS + " FROM scheduler_jobs WHERE id = :id";

    private static final String SELECT_FOR_UPDATE = SELECT + " FOR UPDATE";

    /** Each filter applies when its value is not null: one status, the enabled flag. */
    private static final String FILTER = """
             WHERE (CAST(:status AS varchar) IS NULL OR status = CAST(:status AS varchar))
               AND (CAST(:enabled AS boolean) IS NULL OR enabled = CAST(:enabled AS boolean))""";

    /** The jobs {@link #FILTER} selects, in the order of the listings. */
    private static final String LIST = "SELECT " + COLUMNS + " FROM scheduler_jobs " + FILTER + """

             ORDER BY next_run_at ASC NULLS LAST, id ASC
             LIMIT :limit OFFSET :offset
            """;

    private static final String COUNT = "SELECT count(*) FROM scheduler_jobs " + FILTER;

    /**
     * Writes the state a transition computed (every column a transition may change), only while the row still has
     * the version it was read with; the row is locked by the read, so that holds.
     */
    private static final String UPDATE = """
            UPDATE scheduler_jobs
               SET name = :name,
                   schedule = :schedule,
                   time_zone = :timeZone,
                   interval_ms = :intervalMs,
                   config = CAST(:config AS jsonb),
                   enabled = :enabled,
                   status = :status,
                   next_run_at = CAST(:nextRunAt AS timestamptz),
                   last_run_at = CAST(:lastRunAt AS timestamptz),
                   attempts = :attempts,
                   last_error = :lastError,
                   lease_owner = :leaseOwner,
                   lease_expires_at = CAST(:leaseExpiresAt AS timestamptz),
                   version = version + 1,
                   updated_at = :updatedAt
             WHERE id = :id AND version = :version
            RETURNING\s""" + COLUMNS;

    private static final String DELETE = "DELETE FROM scheduler_jobs WHERE id = :id";

    /** As {@link #DELETE}, only while the job has the version this unit of work read. */
    private static final String DELETE_IF_VERSION = DELETE + " AND version = :version";

    private static final String VERSION_OF = "SELECT version FROM scheduler_jobs WHERE id = :id";

    /**
     * The claim ("lock and fetch"): locks up to {@code :limit} due jobs, skipping rows other workers have locked, and
     * leases them to {@code :workerId} for {@code :leaseMillis} milliseconds, by the database clock. Served by
     * {@code scheduler_jobs_due_idx}.
     */
    private static final String CLAIM_DUE = """
            UPDATE scheduler_jobs
               SET status = 'RUNNING',
                   lease_owner = :workerId,
                   lease_expires_at = now() + CAST(:leaseMillis AS bigint) * interval '1 millisecond',
                   attempts = attempts + 1,
                   last_run_at = now(),
                   version = version + 1,
                   updated_at = now()
             WHERE id IN (SELECT id FROM scheduler_jobs
                           WHERE status = 'PENDING' AND enabled AND next_run_at <= now()
                           ORDER BY next_run_at, id
                           LIMIT :limit
                           FOR UPDATE SKIP LOCKED)
            RETURNING\s""" + COLUMNS;

    /** Renews the lease of a job for {@code :leaseMillis} ms from the database's now, if the worker still holds it. */
    private static final String HEARTBEAT = """
            UPDATE scheduler_jobs
               SET lease_expires_at = now() + CAST(:leaseMillis AS bigint) * interval '1 millisecond',
                   version = version + 1,
                   updated_at = now()
             WHERE id = :id AND status = 'RUNNING' AND lease_owner = :workerId
            """;

    /**
     * Makes running jobs whose lease expired (database clock) pending and due again. Served by
     * {@code scheduler_jobs_lease_idx}.
     */
    private static final String RECOVER_EXPIRED_LEASES = """
            UPDATE scheduler_jobs
               SET status = CASE WHEN schedule IS NULL AND interval_ms IS NULL AND attempts >= max_attempts
                                 THEN 'FAILED' ELSE 'PENDING' END,
                   attempts = CASE WHEN (schedule IS NOT NULL OR interval_ms IS NOT NULL) AND attempts >= max_attempts
                                   THEN 0 ELSE attempts END,
                   next_run_at = LEAST(next_run_at, now()),
                   last_error = concat('lease of worker ', lease_owner, ' expired before the run completed'),
                   lease_owner = NULL,
                   lease_expires_at = NULL,
                   version = version + 1,
                   updated_at = now()
             WHERE status = 'RUNNING' AND lease_expires_at < now()
            """;

    private final EntityManager em;

    /** @param em the unit of work's entity manager */
    SchedulerJobSql(EntityManager em) {
        this.em = em;
    }

    /** Inserts a new job as built by its constructor; {@code config} is its checked JSON text. */
    SchedulerJob insert(String context, SchedulerJob job, String config) {
        return write(context, INSERT, job, config);
    }

    /** Inserts a new job or re-schedules an existing one ({@link #UPSERT}); {@code config} as {@link #insert}. */
    SchedulerJob upsert(String context, SchedulerJob job, String config) {
        return write(context, UPSERT, job, config);
    }

    private SchedulerJob write(String context, String sql, SchedulerJob job, String config) {
        return Sql.call(em, context, h -> h.createQuery(sql)
                .bindMap(Sql.parameters("id", job.id(), "name", job.name(), "schedule", job.schedule(),
                        "timeZone", job.timeZone(), "intervalMs", intervalMs(job), "enabled", job.enabled(), "status", job.status().name(), "nextRunAt", job.nextRunAt(),
                        "config", config, "attempts", job.attempts(), "maxAttempts", job.maxAttempts(),
                        "createdAt", job.createdAt(), "updatedAt", job.updatedAt()))
                .map(SchedulerJobSql::job)
                .one());
    }

    /** @return the job, or empty when no job has this id */
    Optional<SchedulerJob> find(String context, String id) {
        return select(context, SELECT, id);
    }

    /** @return the job, its row locked until the transaction ends ({@code FOR UPDATE}); empty when there is none */
    Optional<SchedulerJob> lock(String context, String id) {
        return select(context, SELECT_FOR_UPDATE, id);
    }

    /**
     * @return one page of the jobs with {@code status} and {@code enabled} (each filter off when {@code null}), in
     *         the listing order
     */
    List<SchedulerJob> list(String context, JobStatus status, Boolean enabled, long offset, int limit) {
        return Sql.call(em, context, h -> filter(h.createQuery(LIST), status, enabled)
                .bind("limit", limit)
                .bind("offset", offset)
                .map(SchedulerJobSql::job)
                .list());
    }

    /** @return how many jobs {@link #list} selects without paging */
    long count(String context, JobStatus status, Boolean enabled) {
        return Sql.call(em, context, h -> filter(h.createQuery(COUNT), status, enabled)
                .mapTo(long.class)
                .one());
    }

    /** Binds the values of {@link #FILTER}. */
    private static Query filter(Query query, JobStatus status, Boolean enabled) {
        return query.bind("status", status == null ? null : status.name()).bind("enabled", enabled);
    }

    private static Long intervalMs(SchedulerJob job) {
        return job.interval().map(java.time.Duration::toMillis).orElse(null);
    }

    /**
     * Writes the state of {@code changed}, a copy of a row read (and locked) with {@code version} that a transition
     * changed.
     *
     * @return the job as written, its version one more
     * @throws ConcurrencyConflictException when the row no longer has {@code version}
     */
    SchedulerJob update(String context, SchedulerJob changed, long version) {
        return Sql.call(em, context, h -> h.createQuery(UPDATE)
                .bindMap(Sql.parameters("id", changed.id(), "version", version, "name", changed.name(),
                        "schedule", changed.schedule(), "timeZone", changed.timeZone(),
                        "intervalMs", intervalMs(changed), "config", Json.print(changed.config()),
                        "enabled", changed.enabled(), "status", changed.status().name(),
                        "nextRunAt", changed.nextRunAt(), "lastRunAt", changed.lastRunAt(),
                        "attempts", changed.attempts(), "lastError", changed.lastError(),
                        "leaseOwner", changed.leaseOwner(), "leaseExpiresAt", changed.leaseExpiresAt(),
                        "updatedAt", changed.updatedAt()))
                .map(SchedulerJobSql::job)
                .findOne())
                .orElseThrow(() -> new ConcurrencyConflictException(context + ": modified concurrently", null));
    }

    /** @return whether a job was deleted */
    boolean delete(String context, String id) {
        return Sql.call(em, context, h -> h.createUpdate(DELETE).bind("id", id).execute()) > 0;
    }

    /** @return whether the job was deleted: false when it has another version or is gone */
    boolean deleteIfVersion(String context, String id, long version) {
        return Sql.call(em, context, h -> h.createUpdate(DELETE_IF_VERSION)
                .bind("id", id)
                .bind("version", version)
                .execute()) > 0;
    }

    /** @return the job's version, or empty when there is no such job */
    Optional<Long> version(String context, String id) {
        return Sql.call(em, context, h -> h.createQuery(VERSION_OF).bind("id", id).mapTo(long.class).findOne());
    }

    /** @return the jobs claimed, in no particular order */
    List<SchedulerJob> claimDue(String context, String workerId, int limit, long leaseMillis) {
        return Sql.call(em, context, h -> h.createQuery(CLAIM_DUE)
                .bind("workerId", workerId)
                .bind("leaseMillis", leaseMillis)
                .bind("limit", limit)
                .map(SchedulerJobSql::job)
                .list());
    }

    /** @return whether the lease was renewed */
    boolean heartbeat(String context, String id, String workerId, long leaseMillis) {
        return Sql.call(em, context, h -> h.createUpdate(HEARTBEAT)
                .bind("id", id)
                .bind("workerId", workerId)
                .bind("leaseMillis", leaseMillis)
                .execute()) == 1;
    }

    /** @return how many jobs were recovered */
    int recoverExpiredLeases(String context) {
        return Sql.call(em, context, h -> h.createUpdate(RECOVER_EXPIRED_LEASES).execute());
    }

    private Optional<SchedulerJob> select(String context, String sql, String id) {
        return Sql.call(em, context, h -> h.createQuery(sql).bind("id", id).map(SchedulerJobSql::job).findOne());
    }

    /** Maps a row of {@link #COLUMNS} to a job. */
    private static SchedulerJob job(ResultSet rs, StatementContext ctx) throws SQLException {
        return SchedulerJob.restore(rs.getString("id"), rs.getString("name"), rs.getString("schedule"),
                rs.getString("time_zone"), rs.getObject("interval_ms", Long.class), rs.getBoolean("enabled"), JobStatus.valueOf(rs.getString("status")), Sql.instant(rs, "next_run_at"),
                Sql.instant(rs, "last_run_at"), Json.parse("config", rs.getString("config")), rs.getInt("attempts"),
                rs.getInt("max_attempts"), rs.getString("last_error"), rs.getString("lease_owner"),
                Sql.instant(rs, "lease_expires_at"), Sql.instant(rs, "created_at"), rs.getLong("version"),
                Sql.instant(rs, "updated_at"));
    }

    /**
     * What a transition may change, to tell whether it changed anything (an idempotent action on a job already in
     * the wanted state writes nothing and keeps the version).
     */
    record State(String name, JobSchedule schedule, JsonNode config, boolean enabled, JobStatus status,
                 Instant nextRunAt, Instant lastRunAt, int attempts, String lastError, String leaseOwner,
                 Instant leaseExpiresAt, Instant updatedAt) {

        static State of(SchedulerJob job) {
            return new State(job.name(), job.jobSchedule(), job.config(), job.enabled(), job.status(),
                    job.nextRunAt(), job.lastRunAt(), job.attempts(), job.lastError(), job.leaseOwner(),
                    job.leaseExpiresAt(), job.updatedAt());
        }
    }
}
