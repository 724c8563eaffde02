package dev.agentstore.persistence.scheduler;

import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.scheduler.SchedulerJob;
import dev.agentstore.persistence.support.ReadVersions;
import jakarta.persistence.EntityManager;

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
