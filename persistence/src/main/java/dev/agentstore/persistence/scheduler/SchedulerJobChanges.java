package dev.agentstore.persistence.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.scheduler.JobSchedule;
import dev.agentstore.domain.scheduler.JobStatus;
import dev.agentstore.domain.scheduler.JobUpdate;
import dev.agentstore.domain.scheduler.SchedulerJob;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import dev.agentstore.persistence.support.ReadVersions;
import jakarta.persistence.EntityManager;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * How {@link SchedulerJobRepository} changes a job: it reads the row and locks it ({@code SELECT … FOR UPDATE}),
 * checks the version this unit of work read when there is one ({@link ReadVersions}), computes the new state with the
 * job's own transition ({@code pause}, {@code complete}, …) and writes it with one {@code UPDATE … WHERE version =}
 * statement, or writes nothing when the transition left the job as it was. It also records the versions the unit of
 * work reads and writes. Not thread-safe, as the entity manager it is bound to.
 */
final class SchedulerJobChanges {

    /** The entity name in {@link ReadVersions}, conflict and not-found messages. */
    static final String ENTITY = "SchedulerJob";

    private final EntityManager em;
    private final SchedulerJobSql sql;

    /** @param em the unit of work's entity manager */
    SchedulerJobChanges(EntityManager em) {
        this.em = em;
        this.sql = new SchedulerJobSql(em);
    }

    /**
     * An operator action: when the caller passed a version or this unit of work read the job, only if the job still
     * has that version; else on the job as it is now.
     *
     * @throws NotFoundException            when there is no such job
     * @throws ConcurrencyConflictException when the job has another version than the one expected
     */
    SchedulerJob modify(String id, String action, OptionalLong passed, Consumer<SchedulerJob> transition) {
        OptionalLong expected = passed.isPresent() ? passed : versions().expected(ENTITY, id);
        String context = action + " " + ENTITY + " id=" + id;
        SchedulerJob job = sql.lock(context, id).orElseThrow(() -> expected.isEmpty()
                ? new NotFoundException(ENTITY, "id=" + id) : new NotFoundException(ENTITY, id));
        if (expected.isPresent() && job.version() != expected.getAsLong()) {
            throw ReadVersions.conflict(ENTITY, id, expected.getAsLong(), job.version());
        }
        return change(context, job, transition);
    }

    /**
     * The general update of {@code SchedulerJobRepository.update}: the update checked, then applied by
     * {@link SchedulerJob#update} as an operator action ({@link #modify}).
     *
     * @throws InvalidInputException when an argument is invalid or the job refuses the update; nothing is written
     */
    SchedulerJob update(String id, JobUpdate update, OptionalLong expected, Clock clock) {
        Check.notNull("update", update);
        if (update.config() != null) {
            JsonWrites.check(em, "config", update.config());
        }
        return modify(Check.name("id", id), "update", expected, job -> {
            Instant now = clock.instant();
            job.update(update, job.jobSchedule().firstRunAfter(now), now);
        });
    }

    /**
     * A schedule change ({@link SchedulerJob#changeSchedule}) as an operator action ({@link #modify}), due at
     * {@code nextRunAt} or, when it is {@code null}, at the schedule's first run after the clock's now.
     *
     * @throws InvalidInputException when an argument is invalid; nothing is written
     */
    SchedulerJob reschedule(String id, JobSchedule schedule, Instant nextRunAt, OptionalLong expected, Clock clock) {
        Check.instant("nextRunAt", nextRunAt);
        return modify(Check.name("id", id), "reschedule", expected, job -> {
            Instant now = clock.instant();
            job.changeSchedule(schedule, nextRunAt != null ? nextRunAt : schedule.firstRunAfter(now), now);
        });
    }

    /**
     * The worker's claim ({@code SchedulerJobRepository.claimDue}), its versions recorded.
     *
     * @return the claimed jobs, ordered by next run time then id
     */
    List<SchedulerJob> claimDue(String workerId, int limit, long leaseMillis) {
        List<SchedulerJob> claimed = new ArrayList<>(sql.claimDue("claim due SchedulerJobs for worker " + workerId,
                workerId, limit, leaseMillis));
        claimed.forEach(this::read);
        claimed.sort(Comparator.comparing(SchedulerJob::nextRunAt).thenComparing(SchedulerJob::id));
        return claimed;
    }

    /**
     * Inserts a new job ({@code SchedulerJobRepository.create}), its configuration checked as JSON the store holds.
     *
     * @throws DuplicateException when a job with this id exists
     */
    SchedulerJob insert(SchedulerJob job) {
        return sql.insert("schedule " + ENTITY + " id=" + job.id(), job, JsonWrites.print(em, "config", job.config()));
    }

    /**
     * The explicit upsert of {@code SchedulerJobRepository.upsert}: when this unit of work read the job,
     * its row is locked and compared with the version read first.
     *
     * @param job the job as a new schedule builds it; its configuration is checked as JSON the store holds
     * @throws NotFoundException            when this unit of work read the job and it was deleted since
     * @throws ConcurrencyConflictException when this unit of work read the job and it has another version now
     */
    SchedulerJob upsert(SchedulerJob job) {
        String config = JsonWrites.print(em, "config", job.config());
        String context = "schedule or replace " + ENTITY + " id=" + job.id();
        OptionalLong expected = versions().expected(ENTITY, job.id());
        if (expected.isPresent()) {
            long actual = sql.lock(context, job.id()).orElseThrow(() -> new NotFoundException(ENTITY, job.id()))
                    .version();
            if (actual != expected.getAsLong()) {
                throw ReadVersions.conflict(ENTITY, job.id(), expected.getAsLong(), actual);
            }
        }
        SchedulerJob written = sql.upsert(context, job, config);
        versions().wrote(ENTITY, written.id(), written.version());
        return written;
    }

    /**
     * A worker's step ({@code complete}, {@code fail}): guarded by the lease, which the transition checks, not by a
     * version read.
     *
     * @throws NotFoundException when there is no such job
     */
    SchedulerJob forWorker(String id, String workerId, String action, Consumer<SchedulerJob> transition) {
        SchedulerJob job = sql.lock("lock " + ENTITY + " id=" + id + " for worker " + workerId, id)
                .orElseThrow(() -> new NotFoundException(ENTITY, "id=" + id));
        return change(action + " " + ENTITY + " id=" + id, job, transition);
    }

    /**
     * Deletes a job; when this unit of work read it, only if it still has the version read.
     *
     * @return whether a job was deleted
     * @throws ConcurrencyConflictException when this unit of work read the job and it changed or was deleted since
     */
    boolean delete(String id) {
        String context = "delete " + ENTITY + " id=" + id;
        OptionalLong expected = versions().expected(ENTITY, id);
        if (expected.isEmpty()) {
            return sql.delete(context, id);
        }
        if (sql.deleteIfVersion(context, id, expected.getAsLong())) {
            return true;
        }
        Optional<Long> current = sql.version(context, id);
        if (current.isPresent()) {
            throw ReadVersions.conflict(ENTITY, id, expected.getAsLong(), current.get());
        }
        throw new ConcurrencyConflictException(context + ": deleted concurrently since this unit of work read it;"
                + " retry the unit of work (it re-reads the current state)", null);
    }

    /**
     * A new job as {@code create} and {@code upsert} build it, checked.
     *
     * @throws InvalidInputException when an argument is invalid
     */
    static SchedulerJob newJob(String id, String name, JobSchedule schedule, Instant firstRunAt, JsonNode config,
                               int maxAttempts, Instant now) {
        return newJob(id, name, schedule, firstRunAt, config, maxAttempts, now, null, null);
    }

    /**
     * A new job as {@code create} builds it with the caller's times (an import keeps its history), checked: created
     * at {@code createdAt} and last written at {@code updatedAt}, each truncated to the microsecond (PostgreSQL's
     * precision), so the row holds exactly what the caller passed. The default first run still follows {@code now}.
     *
     * @param now       the clock's now: the default first run and, when {@code createdAt} is {@code null}, both times
     * @param createdAt when the job was created, or {@code null} for {@code now}
     * @param updatedAt when it was last written, or {@code null} for its creation time
     * @throws InvalidInputException when an argument is invalid, an instant lies outside PostgreSQL's
     *                               {@code timestamptz} range, or {@code updatedAt} is before the creation time
     */
    static SchedulerJob newJob(String id, String name, JobSchedule schedule, Instant firstRunAt, JsonNode config,
                               int maxAttempts, Instant now, Instant createdAt, Instant updatedAt) {
        Check.name("id", id);
        Check.name("name", name);
        Check.notNull("schedule", schedule);
        Check.instant("firstRunAt", firstRunAt);
        Check.instant("createdAt", createdAt);
        Check.instant("updatedAt", updatedAt);
        Instant created = createdAt == null ? now : createdAt.truncatedTo(ChronoUnit.MICROS);
        Instant updated = updatedAt == null ? created : updatedAt.truncatedTo(ChronoUnit.MICROS);
        if (updated.isBefore(created)) {
            throw new InvalidInputException("updatedAt must not be before the creation time " + created + ", was "
                    + updated);
        }
        Instant first = firstRunAt != null ? firstRunAt : schedule.firstRunAfter(now);
        SchedulerJob job = SchedulerJob.scheduled(id, name, schedule, first, config, maxAttempts, created);
        return updated.equals(created) ? job : SchedulerJob.restore(job.id(), job.name(), job.schedule(),
                job.timeZone(), job.interval().map(Duration::toMillis).orElse(null), job.enabled(), job.status(),
                job.nextRunAt(), job.lastRunAt(), job.config(), job.attempts(), job.maxAttempts(), job.lastError(),
                job.leaseOwner(), job.leaseExpiresAt(), job.createdAt(), job.version(), updated);
    }

    /**
     * @return the lease length in milliseconds
     * @throws InvalidInputException when it is {@code null} or not between 1 ms and {@code max}
     */
    static long leaseMillis(Duration leaseDuration, Duration max) {
        Check.notNull("leaseDuration", leaseDuration);
        if (leaseDuration.isNegative() || leaseDuration.toMillis() < 1 || leaseDuration.compareTo(max) > 0) {
            throw new InvalidInputException("leaseDuration must be between 1 ms and " + max.toDays()
                    + " days, was " + leaseDuration);
        }
        return leaseDuration.toMillis();
    }

    /** @return one page of jobs by status and enabled flag (each filter off when {@code null}), versions recorded */
    Page<SchedulerJob> list(JobStatus status, Boolean enabled, PageRequest page) {
        String context = "list SchedulerJobs" + (status == null ? "" : " with status " + status)
                + (enabled == null ? "" : " enabled=" + enabled);
        List<SchedulerJob> rows = sql.list(context, status, enabled, page.offset(), page.perPage());
        rows.forEach(this::read);
        return Page.of(rows, page.page(), page.perPage(), sql.count(context, status, enabled));
    }

    /** Remembers the version of a job handed out in this transaction. */
    SchedulerJob read(SchedulerJob job) {
        versions().read(ENTITY, job.id(), job.version());
        return job;
    }

    /** Applies a transition to a job read with its row locked and writes the new state, if it changed. */
    private SchedulerJob change(String context, SchedulerJob job, Consumer<SchedulerJob> transition) {
        SchedulerJobSql.State before = SchedulerJobSql.State.of(job);
        long version = job.version();
        transition.accept(job);
        SchedulerJob written = before.equals(SchedulerJobSql.State.of(job)) ? job : sql.update(context, job, version);
        versions().wrote(ENTITY, written.id(), written.version());
        return written;
    }

    private ReadVersions versions() {
        return ReadVersions.of(em);
    }
}
