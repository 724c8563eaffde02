package dev.agentstore.persistence.scheduler;

import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.scheduler.JobSchedule;
import dev.agentstore.domain.scheduler.JobStatus;
import dev.agentstore.domain.scheduler.SchedulerJob;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;

import static dev.agentstore.persistence.scheduler.SchedulerSql.jobCount;
import static dev.agentstore.persistence.scheduler.SchedulerSql.queryLong;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Creating a job with the caller's createdAt and updatedAt (issue 14: importing from another store). */
@ExtendWith(AgentStoreExtension.class)
class SchedulerJobImportTimesTest {

    private static final Instant T0 = Instant.parse("2030-01-01T10:17:00Z");
    private static final Instant CREATED = Instant.parse("2020-01-02T03:04:05.123456Z");
    private static final Instant UPDATED = Instant.parse("2021-06-07T08:09:10.654321Z");

    @BeforeEach
    void startFromAnEmptyTableAtAFixedTime(AgentStore store, MutableClock clock) {
        SchedulerSql.deleteAllJobs(store);
        clock.set(T0);
    }

    private static SchedulerJob read(AgentStore store, String id) {
        return store.fromTransaction(uow -> uow.schedulerJobs().get(id)).orElseThrow();
    }

    /** @return the column as stored, in microseconds since the epoch, read outside Hibernate and the mapping */
    private static long storedMicros(AgentStore store, String column, String id) {
        return queryLong(store, "SELECT CAST(extract(epoch FROM " + column + ") * 1000000 AS bigint)"
                + " FROM scheduler_jobs WHERE id = ?", id);
    }

    private static long micros(Instant instant) {
        return instant.getEpochSecond() * 1_000_000 + instant.getNano() / 1_000;
    }

    @Test
    void theStoredTimesAreTheCallersExactlyToTheMicrosecond(AgentStore store) {
        SchedulerJob created = store.fromTransaction(uow -> uow.schedulerJobs().create("imported", "Imported",
                JobSchedule.cron("0 * * * *"), null, null, 3, CREATED, UPDATED));

        assertThat(created.createdAt()).isEqualTo(CREATED);
        assertThat(created.updatedAt()).isEqualTo(UPDATED);
        assertThat(storedMicros(store, "created_at", "imported")).isEqualTo(micros(CREATED));
        assertThat(storedMicros(store, "updated_at", "imported")).isEqualTo(micros(UPDATED));
        SchedulerJob read = read(store, "imported");
        assertThat(read.createdAt()).isEqualTo(CREATED);
        assertThat(read.updatedAt()).isEqualTo(UPDATED);
        assertThat(read.version()).isZero();
        assertThat(read.status()).isEqualTo(JobStatus.PENDING);
        assertThat(read.enabled()).isTrue();
        assertThat(read.nextRunAt()).as("the default first run follows the clock's now, not createdAt")
                .isEqualTo("2030-01-01T11:00:00Z");
    }

    @Test
    void onlyCreatedAtMakesUpdatedAtTheCreationTime(AgentStore store) {
        store.inTransaction(uow -> uow.schedulerJobs().create("once", "Once", JobSchedule.once(),
                Instant.parse("2031-01-01T00:00:00Z"), null, 1, CREATED, null));

        SchedulerJob job = read(store, "once");
        assertThat(job.createdAt()).isEqualTo(CREATED);
        assertThat(job.updatedAt()).isEqualTo(CREATED);
        assertThat(job.nextRunAt()).isEqualTo("2031-01-01T00:00:00Z");
    }

    @Test
    void digitsFinerThanAMicrosecondAreTruncated(AgentStore store) {
        store.inTransaction(uow -> uow.schedulerJobs().create("nanos", "Nanos", JobSchedule.every(Duration.ofMinutes(5)),
                null, null, 1, Instant.parse("2020-01-02T03:04:05.123456999Z"),
                Instant.parse("2020-01-02T03:04:05.123456999Z")));

        SchedulerJob job = read(store, "nanos");
        assertThat(job.createdAt()).isEqualTo(CREATED);
        assertThat(job.updatedAt()).isEqualTo(CREATED);
        assertThat(job.nextRunAt()).isEqualTo(T0.plus(Duration.ofMinutes(5)));
    }

    @Test
    void theDefaultIsTheClockForBothTimes(AgentStore store) {
        store.inTransaction(uow -> uow.schedulerJobs().create("default", "Default", JobSchedule.once(), null, null, 1,
                null, null));
        store.inTransaction(uow -> uow.schedulerJobs().create("short", "Short", JobSchedule.once(), null, null, 1));

        for (String id : new String[] {"default", "short"}) {
            SchedulerJob job = read(store, id);
            assertThat(job.createdAt()).as(id).isEqualTo(T0);
            assertThat(job.updatedAt()).as(id).isEqualTo(T0);
        }
    }

    @Test
    void onlyUpdatedAtIsAfterTheClocksCreationTime(AgentStore store) {
        Instant later = T0.plusSeconds(60);
        store.inTransaction(uow -> uow.schedulerJobs().create("later", "Later", JobSchedule.once(), null, null, 1,
                null, later));

        SchedulerJob job = read(store, "later");
        assertThat(job.createdAt()).isEqualTo(T0);
        assertThat(job.updatedAt()).isEqualTo(later);
    }

    @Test
    void badInstantsAreRefusedNamingTheFieldAndNothingIsWritten(AgentStore store) {
        assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().create("bad", "Bad",
                JobSchedule.once(), null, null, 1, Instant.MAX, null)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("createdAt");
        assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().create("bad", "Bad",
                JobSchedule.once(), null, null, 1, Instant.MIN, null)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("createdAt");
        assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().create("bad", "Bad",
                JobSchedule.once(), null, null, 1, CREATED, Instant.MAX)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("updatedAt");
        assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().create("bad", "Bad",
                JobSchedule.once(), null, null, 1, UPDATED, CREATED)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("updatedAt");
        assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().create("bad", "Bad",
                JobSchedule.once(), null, null, 1, null, T0.minusSeconds(1))))
                .as("updatedAt before the clock's creation time")
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("updatedAt");
        assertThat(jobCount(store)).isZero();
    }

    @Test
    void anExistingIdIsStillADuplicateAndKeepsItsTimes(AgentStore store) {
        store.inTransaction(uow -> uow.schedulerJobs().create("dup", "Dup", JobSchedule.once(), null, null, 1,
                CREATED, UPDATED));

        assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().create("dup", "Dup",
                JobSchedule.once(), null, null, 1, T0, T0)))
                .isInstanceOf(DuplicateException.class);
        SchedulerJob job = read(store, "dup");
        assertThat(job.createdAt()).isEqualTo(CREATED);
        assertThat(job.updatedAt()).isEqualTo(UPDATED);
    }

    @Test
    void anUpsertKeepsTheImportedCreationTime(AgentStore store) {
        store.inTransaction(uow -> uow.schedulerJobs().create("kept", "Kept", JobSchedule.once(), null, null, 1,
                CREATED, UPDATED));
        store.inTransaction(uow -> uow.schedulerJobs().upsert("kept", "Kept again", JobSchedule.once(), null, null, 2));

        SchedulerJob job = read(store, "kept");
        assertThat(job.name()).isEqualTo("Kept again");
        assertThat(job.createdAt()).isEqualTo(CREATED);
        assertThat(job.updatedAt()).isEqualTo(T0);
        assertThat(job.version()).isEqualTo(1);
    }
}
