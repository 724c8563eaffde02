package dev.agentstore.persistence.scheduler;

import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.scheduler.JobSchedule;
import dev.agentstore.domain.scheduler.JobStatus;
import dev.agentstore.domain.scheduler.JobUpdate;
import dev.agentstore.domain.scheduler.SchedulerJob;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * nvent's scheduler jobs (issue 14): cron in a time zone (five and six fields), fixed intervals, one-shot jobs, the
 * explicit upsert, the general update and listing by the enabled flag.
 */
@ExtendWith(AgentStoreExtension.class)
class SchedulerJobSchedulesTest {

    private static final Instant T0 = Instant.parse("2030-01-01T10:17:00Z");

    @BeforeEach
    void startFromAnEmptyTableAtAFixedTime(AgentStore store, MutableClock clock) {
        SchedulerSql.deleteAllJobs(store);
        clock.set(T0);
    }

    private static SchedulerJob read(AgentStore store, String id) {
        return store.fromTransaction(uow -> uow.schedulerJobs().get(id)).orElseThrow();
    }

    private static void join(Thread thread) {
        try {
            thread.join(30_000); // a hang guard: the test goes on only once the other transaction has ended
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        if (thread.isAlive()) {
            throw new AssertionError("the other transaction did not end within 30 s");
        }
    }

    /** Claims the job (due at once) and completes its run at the clock's time. */
    private static SchedulerJob runOnce(AgentStore store, String id) {
        store.inTransaction(uow -> uow.schedulerJobs().update(id, JobUpdate.none().nextRunAt(Instant.EPOCH)));
        List<SchedulerJob> claimed = store.fromTransaction(uow -> uow.schedulerJobs().claimDue("w", 10,
                Duration.ofMinutes(1)));
        assertThat(claimed).extracting(SchedulerJob::id).containsExactly(id);
        return store.fromTransaction(uow -> uow.schedulerJobs().complete(id, "w"));
    }

    @Nested
    class Schedules {

        @Test
        void aCronJobInATimeZoneIsDueAtItsWallClockTimeAndKeepsItsZone(AgentStore store) {
            SchedulerJob job = store.fromTransaction(uow -> uow.schedulerJobs().create("berlin", "Berlin 9:00",
                    JobSchedule.cron("0 9 * * *", "Europe/Berlin"), null, null, 3));

            assertThat(job.nextRunAt()).isEqualTo("2030-01-02T08:00:00Z");
            SchedulerJob stored = read(store, "berlin");
            assertThat(stored.timeZone()).isEqualTo("Europe/Berlin");
            assertThat(stored.jobSchedule()).isEqualTo(JobSchedule.cron("0 9 * * *", "Europe/Berlin"));
            assertThat(runOnce(store, "berlin").nextRunAt()).isEqualTo("2030-01-02T08:00:00Z");
        }

        @Test
        void aSixFieldCronRunsOnTheSecond(AgentStore store) {
            SchedulerJob job = store.fromTransaction(uow -> uow.schedulerJobs().schedule("seconds", "S",
                    "30 * * * * *", null, 1));

            assertThat(job.nextRunAt()).isEqualTo("2030-01-01T10:17:30Z");
            assertThat(runOnce(store, "seconds").nextRunAt()).isEqualTo("2030-01-01T10:17:30Z");
        }

        @Test
        void anIntervalJobRunsAtAFixedDelayAfterEachRunAndIsNeverGivenUp(AgentStore store, MutableClock clock) {
            SchedulerJob job = store.fromTransaction(uow -> uow.schedulerJobs().create("every5", "Every 5 min",
                    JobSchedule.every(Duration.ofMinutes(5)), null, null, 1));
            assertThat(job.nextRunAt()).isEqualTo(T0.plusSeconds(300));
            assertThat(job.isRecurring()).isTrue();
            assertThat(read(store, "every5").interval()).contains(Duration.ofMinutes(5));

            clock.set(T0.plusSeconds(1000));
            SchedulerJob completed = runOnce(store, "every5");
            assertThat(completed.status()).isEqualTo(JobStatus.PENDING);
            assertThat(completed.nextRunAt()).isEqualTo(T0.plusSeconds(1300));

            store.inTransaction(uow -> uow.schedulerJobs().update("every5", JobUpdate.none().nextRunAt(Instant.EPOCH)));
            store.inTransaction(uow -> uow.schedulerJobs().claimDue("w", 1, Duration.ofMinutes(1)));
            SchedulerJob failed = store.fromTransaction(uow -> uow.schedulerJobs().fail("every5", "w", "boom"));
            assertThat(failed.status()).isEqualTo(JobStatus.PENDING);
            assertThat(failed.nextRunAt()).isEqualTo(T0.plusSeconds(1300));
        }

        @Test
        void aOneShotJobRunsOnceAndCompletes(AgentStore store) {
            SchedulerJob job = store.fromTransaction(uow -> uow.schedulerJobs().create("once", "Once",
                    JobSchedule.once(), null, null, 1));
            assertThat(job.nextRunAt()).isEqualTo(T0);
            assertThat(job.isRecurring()).isFalse();

            SchedulerJob done = runOnce(store, "once");
            assertThat(done.status()).isEqualTo(JobStatus.COMPLETED);
            assertThat(done.nextRunAt()).isNull();
        }

        @Test
        void changeScheduleMovesAJobBetweenKinds(AgentStore store) {
            store.inTransaction(uow -> uow.schedulerJobs().schedule("kinds", "K", "0 * * * *", null, 1));

            SchedulerJob every = store.fromTransaction(uow -> uow.schedulerJobs().changeSchedule("kinds",
                    JobSchedule.every(Duration.ofSeconds(10)), null));
            SchedulerJob zoned = store.fromTransaction(uow -> uow.schedulerJobs().changeSchedule("kinds",
                    JobSchedule.cron("0 9 * * *", "America/New_York"), null));

            assertThat(every.schedule()).isNull();
            assertThat(every.nextRunAt()).isEqualTo(T0.plusSeconds(10));
            assertThat(zoned.interval()).isEmpty();
            assertThat(zoned.timeZone()).isEqualTo("America/New_York");
            assertThat(zoned.nextRunAt()).isEqualTo("2030-01-01T14:00:00Z");
        }
    }

    @Nested
    class Upsert {

        @Test
        void createRefusesAnExistingIdAndUpsertReSchedulesItKeepingItsHistory(AgentStore store, MutableClock clock) {
            SchedulerJob first = store.fromTransaction(uow -> uow.schedulerJobs().create("up", "First",
                    JobSchedule.once(), null, Json.parse("c", "{\"a\":1}"), 1));
            runOnce(store, "up");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().create("up", "Again",
                    JobSchedule.once(), null, null, 1))).isInstanceOf(DuplicateException.class);

            clock.set(T0.plusSeconds(60));
            SchedulerJob replaced = store.fromTransaction(uow -> uow.schedulerJobs().upsert("up", "Second",
                    JobSchedule.every(Duration.ofMinutes(1)), null, Json.parse("c", "{\"b\":2}"), 5));

            assertThat(replaced.name()).isEqualTo("Second");
            assertThat(replaced.status()).isEqualTo(JobStatus.PENDING);
            assertThat(replaced.attempts()).isZero();
            assertThat(replaced.maxAttempts()).isEqualTo(5);
            assertThat(replaced.config()).isEqualTo(Json.parse("c", "{\"b\":2}"));
            assertThat(replaced.nextRunAt()).isEqualTo(T0.plusSeconds(120));
            assertThat(replaced.createdAt()).isEqualTo(first.createdAt());
            assertThat(replaced.lastRunAt()).isNotNull();
            assertThat(replaced.version()).isGreaterThan(first.version());
        }

        @Test
        void upsertOfANewIdCreatesIt(AgentStore store) {
            SchedulerJob job = store.fromTransaction(uow -> uow.schedulerJobs().upsert("fresh", "Fresh",
                    JobSchedule.cron("0 * * * *"), null, null, 1));

            assertThat(job.version()).isZero();
            assertThat(job.nextRunAt()).isEqualTo("2030-01-01T11:00:00Z");
        }

        @Test
        void upsertOfARunningJobKeepsItsLeaseAndNextRun(AgentStore store) {
            store.inTransaction(uow -> uow.schedulerJobs().create("busy", "Busy", JobSchedule.once(), Instant.EPOCH,
                    null, 1));
            store.inTransaction(uow -> uow.schedulerJobs().claimDue("w", 1, Duration.ofMinutes(1)));

            SchedulerJob job = store.fromTransaction(uow -> uow.schedulerJobs().upsert("busy", "Busy v2",
                    JobSchedule.cron("0 * * * *"), null, null, 1));

            assertThat(job.status()).isEqualTo(JobStatus.RUNNING);
            assertThat(job.leaseOwner()).isEqualTo("w");
            assertThat(job.nextRunAt()).isEqualTo(Instant.EPOCH);
            assertThat(job.name()).isEqualTo("Busy v2");
            assertThat(store.fromTransaction(uow -> uow.schedulerJobs().complete("busy", "w")).nextRunAt())
                    .isEqualTo("2030-01-01T11:00:00Z");
        }

        @Test
        void upsertOfAJobReadInTheUnitOfWorkFailsWhenAnotherTransactionChangedIt(AgentStore store) {
            store.inTransaction(uow -> uow.schedulerJobs().create("raced", "R", JobSchedule.once(), null, null, 1));

            assertThatThrownBy(() -> store.inTransaction(uow -> {
                uow.schedulerJobs().get("raced");
                Thread other = new Thread(() -> store.inTransaction(o -> o.schedulerJobs().disable("raced")));
                other.start();
                join(other);
                uow.schedulerJobs().upsert("raced", "R2", JobSchedule.once(), null, null, 1);
            })).isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                assertThat(e.expectedVersion()).hasValue(0L);
                assertThat(e.actualVersion()).hasValue(1L);
            });
            assertThat(read(store, "raced").name()).isEqualTo("R");
        }
    }

    @Nested
    class Update {

        @Test
        void updateSetsEnabledConfigNextRunAndStatusInOneVersionedWrite(AgentStore store) {
            SchedulerJob before = store.fromTransaction(uow -> uow.schedulerJobs().schedule("u", "U", "0 * * * *",
                    null, 1));

            SchedulerJob after = store.fromTransaction(uow -> uow.schedulerJobs().update("u", JobUpdate.none()
                    .enabled(false).config(Json.parse("c", "{\"k\":[1,2]}")).nextRunAt(T0.plusSeconds(5))
                    .status(JobStatus.PAUSED).name("Renamed")));

            assertThat(after.enabled()).isFalse();
            assertThat(after.config()).isEqualTo(Json.parse("c", "{\"k\":[1,2]}"));
            assertThat(after.nextRunAt()).isEqualTo(T0.plusSeconds(5));
            assertThat(after.status()).isEqualTo(JobStatus.PAUSED);
            assertThat(after.name()).isEqualTo("Renamed");
            assertThat(after.version()).isEqualTo(before.version() + 1);
            assertThat(read(store, "u").config()).isEqualTo(Json.parse("c", "{\"k\":[1,2]}"));
            SchedulerJob unchanged = store.fromTransaction(uow -> uow.schedulerJobs().update("u",
                    JobUpdate.none().enabled(false)));
            assertThat(unchanged.version()).isEqualTo(after.version());
        }

        @Test
        void movingACompletedJobToPendingReArmsItAndMovingToFailedClearsTheNextRun(AgentStore store) {
            store.inTransaction(uow -> uow.schedulerJobs().create("rearm", "R", JobSchedule.once(), null, null, 2));
            runOnce(store, "rearm");

            SchedulerJob pending = store.fromTransaction(uow -> uow.schedulerJobs().update("rearm",
                    JobUpdate.none().status(JobStatus.PENDING)));
            assertThat(pending.status()).isEqualTo(JobStatus.PENDING);
            assertThat(pending.attempts()).isZero();
            assertThat(pending.nextRunAt()).isEqualTo(T0);

            SchedulerJob failed = store.fromTransaction(uow -> uow.schedulerJobs().update("rearm",
                    JobUpdate.none().status(JobStatus.FAILED)));
            assertThat(failed.nextRunAt()).isNull();
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().update("rearm",
                    JobUpdate.none().status(JobStatus.COMPLETED).nextRunAt(T0))))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("nextRunAt");
        }

        @Test
        void aRunningJobsStatusAndNextRunCannotBeUpdatedButItsFlagAndConfigCan(AgentStore store) {
            store.inTransaction(uow -> uow.schedulerJobs().create("leased", "L", JobSchedule.once(), Instant.EPOCH,
                    null, 1));
            store.inTransaction(uow -> uow.schedulerJobs().claimDue("w", 1, Duration.ofMinutes(1)));

            for (JobUpdate refused : List.of(JobUpdate.none().status(JobStatus.PAUSED),
                    JobUpdate.none().nextRunAt(T0))) {
                assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().update("leased", refused)))
                        .isInstanceOf(InvalidInputException.class).hasMessageContaining("RUNNING");
            }
            SchedulerJob disabled = store.fromTransaction(uow -> uow.schedulerJobs().update("leased",
                    JobUpdate.none().enabled(false)));
            assertThat(disabled.status()).isEqualTo(JobStatus.RUNNING);
            assertThat(disabled.enabled()).isFalse();
            assertThatThrownBy(() -> JobUpdate.none().status(JobStatus.RUNNING))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("status");
        }

        @Test
        void anUpdateAgainstAnOldVersionOrOfAMissingJobWritesNothing(AgentStore store) {
            SchedulerJob job = store.fromTransaction(uow -> uow.schedulerJobs().create("cas", "C", JobSchedule.once(),
                    null, null, 1));
            store.inTransaction(uow -> uow.schedulerJobs().disable("cas"));

            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().update("cas",
                    JobUpdate.none().name("lost"), job.version())))
                    .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                        assertThat(e.expectedVersion()).hasValue(job.version());
                        assertThat(e.actualVersion()).hasValue(job.version() + 1);
                    });
            assertThat(read(store, "cas").name()).isEqualTo("C");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().update("absent",
                    JobUpdate.none().enabled(true)))).isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().update("cas", null)))
                    .isInstanceOf(InvalidInputException.class);
        }
    }

    @Nested
    class Listing {

        @Test
        void listFiltersByTheEnabledFlagAloneOrWithAStatus(AgentStore store) {
            store.inTransaction(uow -> {
                uow.schedulerJobs().create("on-1", "A", JobSchedule.once(), T0.plusSeconds(1), null, 1);
                uow.schedulerJobs().create("off-1", "B", JobSchedule.once(), T0.plusSeconds(2), null, 1);
                uow.schedulerJobs().create("off-2", "C", JobSchedule.once(), T0.plusSeconds(3), null, 1);
                uow.schedulerJobs().disable("off-1");
                uow.schedulerJobs().disable("off-2");
                uow.schedulerJobs().pause("off-2");
            });

            Page<SchedulerJob> enabled = store.fromTransaction(uow -> uow.schedulerJobs().list(null, true,
                    PageRequest.of(0, 10)));
            Page<SchedulerJob> disabled = store.fromTransaction(uow -> uow.schedulerJobs().list(null, false,
                    PageRequest.of(0, 10)));
            Page<SchedulerJob> disabledPending = store.fromTransaction(uow -> uow.schedulerJobs()
                    .list(JobStatus.PENDING, false, PageRequest.of(0, 10)));
            Page<SchedulerJob> all = store.fromTransaction(uow -> uow.schedulerJobs().list(null, null,
                    PageRequest.of(0, 10)));

            assertThat(enabled.items()).extracting(SchedulerJob::id).containsExactly("on-1");
            assertThat(disabled.items()).extracting(SchedulerJob::id).containsExactly("off-1", "off-2");
            assertThat(disabled.total()).isEqualTo(2);
            assertThat(disabledPending.items()).extracting(SchedulerJob::id).containsExactly("off-1");
            assertThat(all.total()).isEqualTo(3);
        }
    }
}
