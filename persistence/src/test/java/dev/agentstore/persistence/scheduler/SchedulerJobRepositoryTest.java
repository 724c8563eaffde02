package dev.agentstore.persistence.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.scheduler.JobStatus;
import dev.agentstore.domain.scheduler.SchedulerJob;
import dev.agentstore.persistence.AbortedTransaction;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.UnitOfWork;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import static dev.agentstore.persistence.scheduler.SchedulerSql.jobCount;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Scheduling, reading, listing, deleting, and the operator actions (pause, resume, enable, disable, reschedule). */
@ExtendWith(AgentStoreExtension.class)
class SchedulerJobRepositoryTest {

    private static final Instant T0 = Instant.parse("2030-01-01T10:17:00Z");

    @BeforeEach
    void startFromAnEmptyTableAtAFixedTime(AgentStore store, MutableClock clock) {
        SchedulerSql.deleteAllJobs(store);
        clock.set(T0);
    }

    private static SchedulerJob read(AgentStore store, String id) {
        return store.fromTransaction(uow -> uow.schedulerJobs().get(id)).orElseThrow();
    }

    @Test
    void readsAndTheLookupsOfOperatorActionsTranslateDatabaseFailuresNamingTheJob(AgentStore store) {
        store.inTransaction(uow -> uow.schedulerJobs().schedule("translated", "T", null, null, 1));
        for (Consumer<UnitOfWork> read : List.<Consumer<UnitOfWork>>of(
                uow -> uow.schedulerJobs().get("translated"),
                uow -> uow.schedulerJobs().delete("translated"),
                uow -> uow.schedulerJobs().pause("translated"))) {
            assertThat(AbortedTransaction.thrownBy(store, read)).isExactlyInstanceOf(AgentStoreException.class)
                    .hasMessageContaining("SchedulerJob id=translated").hasMessageContaining("25P02");
        }
        assertThat(AbortedTransaction.thrownBy(store, uow -> uow.schedulerJobs().list(PageRequest.of(1, 10))))
                .isExactlyInstanceOf(AgentStoreException.class)
                .hasMessageContaining("list SchedulerJobs").hasMessageContaining("25P02");
        assertThat(AbortedTransaction.thrownBy(store,
                uow -> uow.schedulerJobs().list(JobStatus.PAUSED, PageRequest.of(1, 10))))
                .isExactlyInstanceOf(AgentStoreException.class)
                .hasMessageContaining("list SchedulerJobs with status PAUSED").hasMessageContaining("25P02");
        assertThat(read(store, "translated").status()).isEqualTo(JobStatus.PENDING);
    }

    @Nested
    class Schedule {

        @Test
        void aRecurringJobIsStoredPendingAtTheNextCronFireTimeAfterTheClocksNow(AgentStore store) {
            JsonNode config = Json.parse("config", "{\"flow\":\"etl\",\"n\":0,\"on\":false,\"s\":\"\",\"x\":null,\"deep\":{\"a\":[1,2]}}");
            store.inTransaction(uow -> uow.schedulerJobs().schedule("hourly-etl", "Hourly ETL", "0 * * * *", config, 5));

            SchedulerJob job = read(store, "hourly-etl");
            assertThat(job.name()).isEqualTo("Hourly ETL");
            assertThat(job.schedule()).isEqualTo("0 * * * *");
            assertThat(job.status()).isEqualTo(JobStatus.PENDING);
            assertThat(job.enabled()).isTrue();
            assertThat(job.nextRunAt()).isEqualTo("2030-01-01T11:00:00Z");
            assertThat(job.config()).isEqualTo(config);
            assertThat(job.attempts()).isZero();
            assertThat(job.maxAttempts()).isEqualTo(5);
            assertThat(job.lastRunAt()).isNull();
            assertThat(job.leaseOwner()).isNull();
            assertThat(job.createdAt()).isEqualTo(T0);
            assertThat(job.version()).isZero();
        }

        @Test
        void aOneShotJobWithoutAFirstRunTimeIsDueAtTheClocksNow(AgentStore store) {
            store.inTransaction(uow -> uow.schedulerJobs().schedule("once", "Once", null, null, 1));
            SchedulerJob job = read(store, "once");
            assertThat(job.schedule()).isNull();
            assertThat(job.isRecurring()).isFalse();
            assertThat(job.nextRunAt()).isEqualTo(T0);
            assertThat(job.config()).isEqualTo(Json.object());
        }

        @Test
        void anExplicitFirstRunTimeWinsOverTheCronSchedule(AgentStore store) {
            Instant first = Instant.parse("2030-06-01T08:00:00Z");
            store.inTransaction(uow -> uow.schedulerJobs().schedule("explicit", "E", "0 * * * *", first, null, 3));
            assertThat(read(store, "explicit").nextRunAt()).isEqualTo(first);
        }

        @Test
        void schedulingAnExistingIdThrowsDuplicateAndKeepsTheOriginal(AgentStore store) {
            store.inTransaction(uow -> uow.schedulerJobs().schedule("dup", "Original", null, null, 1));
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().schedule("dup", "Copy", "0 * * * *", null, 1)))
                    .isInstanceOf(DuplicateException.class)
                    .hasMessageContaining("SchedulerJob id=dup");
            assertThat(read(store, "dup").name()).isEqualTo("Original");
            assertThat(jobCount(store)).isEqualTo(1);
        }

        @Test
        void anInvalidCronIsRejectedNamingTheSettingAndTheFormatAndNothingIsWritten(AgentStore store) {
            for (String cron : new String[]{"0 0 * * * * *", "61 * * * *", "every hour", "", "0 0 30 2 *"}) {
                assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().schedule("bad-cron", "B", cron, null, 1)))
                        .as(cron)
                        .isInstanceOf(InvalidInputException.class)
                        .hasMessageContaining("cron expression")
                        .hasMessageContaining("5 fields 'minute hour day-of-month month day-of-week'");
            }
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().schedule("bad-cron", "B", "0 0 * * * * *", null, 1)))
                    .hasMessageContaining("cron").hasMessageNotContaining("'0 0 * * * * *'");
            assertThat(jobCount(store)).isZero();
        }

        @Test
        void blankOrOversizedIdsAndNamesAreRejectedAndNothingIsWritten(AgentStore store) {
            String long256 = "x".repeat(256);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().schedule(" ", "N", null, null, 1)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("id must not be blank");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().schedule(null, "N", null, null, 1)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("id");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().schedule(long256, "N", null, null, 1)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("id must be at most 255");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().schedule("ok-id", "", null, null, 1)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("name must not be blank");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().schedule("ok-id", long256, null, null, 1)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("name must be at most 255");
            assertThat(store.fromTransaction(uow -> uow.schedulerJobs().schedule("x".repeat(255), "n".repeat(255), null, null, 1)).id())
                    .hasSize(255);
            assertThat(jobCount(store)).isEqualTo(1);
        }

        @Test
        void aConfigThatIsNotAJsonObjectIsRejectedAndNothingIsWritten(AgentStore store) {
            for (JsonNode config : List.of(JsonNodeFactory.instance.arrayNode().add(1), TextNode.valueOf("x"), NullNode.instance,
                    JsonNodeFactory.instance.numberNode(0))) {
                assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().schedule("cfg", "C", null, config, 1)))
                        .as(config.toString())
                        .isInstanceOf(InvalidInputException.class)
                        .hasMessageContaining("config must be a JSON object");
            }
            assertThat(jobCount(store)).isZero();
        }

        @Test
        void maxAttemptsOutsideOneToAThousandIsRejected(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().schedule("m", "M", null, null, 0)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("maxAttempts");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().schedule("m", "M", null, null, 1001)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("maxAttempts");
            assertThat(jobCount(store)).isZero();
        }
    }

    @Nested
    class GetListAndDelete {

        @Test
        void getReturnsEmptyForAnUnknownIdAndRejectsABlankOne(AgentStore store) {
            Optional<SchedulerJob> none = store.fromTransaction(uow -> uow.schedulerJobs().get("nope"));
            assertThat(none).isEmpty();
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.schedulerJobs().get("")))
                    .isInstanceOf(InvalidInputException.class);
        }

        @Test
        void listPagesByNextRunTimeWithAnIdTiebreakAndFiltersByStatus(AgentStore store) {
            store.inTransaction(uow -> {
                var jobs = uow.schedulerJobs();
                jobs.schedule("c", "C", null, T0.plusSeconds(10), null, 1);
                jobs.schedule("b", "B", null, T0.plusSeconds(10), null, 1);
                jobs.schedule("a", "A", null, T0.plusSeconds(20), null, 1);
                jobs.schedule("d", "D", null, T0, null, 1);
                jobs.schedule("e", "E", null, T0.plusSeconds(5), null, 1);
            });
            store.inTransaction(uow -> uow.schedulerJobs().pause("e"));

            Page<SchedulerJob> first = store.fromTransaction(uow -> uow.schedulerJobs().list(PageRequest.of(0, 3)));
            assertThat(first.items()).extracting(SchedulerJob::id).containsExactly("d", "e", "b");
            assertThat(first.total()).isEqualTo(5);
            assertThat(first.hasMore()).isTrue();
            Page<SchedulerJob> second = store.fromTransaction(uow -> uow.schedulerJobs().list(PageRequest.of(1, 3)));
            assertThat(second.items()).extracting(SchedulerJob::id).containsExactly("c", "a");
            assertThat(second.hasMore()).isFalse();

            Page<SchedulerJob> paused = store.fromTransaction(uow -> uow.schedulerJobs().list(JobStatus.PAUSED, PageRequest.first()));
            assertThat(paused.items()).extracting(SchedulerJob::id).containsExactly("e");
            assertThat(paused.total()).isEqualTo(1);
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.schedulerJobs().list(null)))
                    .isInstanceOf(InvalidInputException.class);
        }

        @Test
        void deleteRemovesTheJobAndSaysWhetherItExisted(AgentStore store) {
            store.inTransaction(uow -> uow.schedulerJobs().schedule("gone", "G", "0 * * * *", null, 1));
            boolean first = store.fromTransaction(uow -> uow.schedulerJobs().delete("gone"));
            boolean second = store.fromTransaction(uow -> uow.schedulerJobs().delete("gone"));
            Optional<SchedulerJob> after = store.fromTransaction(uow -> uow.schedulerJobs().get("gone"));
            assertThat(first).isTrue();
            assertThat(second).isFalse();
            assertThat(after).isEmpty();
        }
    }

    @Nested
    class OperatorActions {

        @Test
        void pauseAndResumeArePersistedAndResumeDefaultsToTheNextCronFireTime(AgentStore store, MutableClock clock) {
            store.inTransaction(uow -> uow.schedulerJobs().schedule("pr", "PR", "*/15 * * * *", null, 1));
            assertThat(store.fromTransaction(uow -> uow.schedulerJobs().pause("pr")).status()).isEqualTo(JobStatus.PAUSED);
            assertThat(read(store, "pr").status()).isEqualTo(JobStatus.PAUSED);

            clock.set(Instant.parse("2030-01-01T12:31:00Z"));
            store.inTransaction(uow -> uow.schedulerJobs().resume("pr"));
            SchedulerJob resumed = read(store, "pr");
            assertThat(resumed.status()).isEqualTo(JobStatus.PENDING);
            assertThat(resumed.nextRunAt()).isEqualTo("2030-01-01T12:45:00Z");

            store.inTransaction(uow -> uow.schedulerJobs().pause("pr"));
            Instant explicit = Instant.parse("2031-01-01T00:00:00Z");
            store.inTransaction(uow -> uow.schedulerJobs().resume("pr", explicit));
            assertThat(read(store, "pr").nextRunAt()).isEqualTo(explicit);
        }

        @Test
        void enableAndDisableToggleClaimabilityWithoutChangingTheStatus(AgentStore store) {
            store.inTransaction(uow -> uow.schedulerJobs().schedule("toggle", "T", null, null, 1));
            store.inTransaction(uow -> uow.schedulerJobs().disable("toggle"));
            SchedulerJob disabled = read(store, "toggle");
            assertThat(disabled.enabled()).isFalse();
            assertThat(disabled.status()).isEqualTo(JobStatus.PENDING);
            store.inTransaction(uow -> uow.schedulerJobs().enable("toggle"));
            assertThat(read(store, "toggle").enabled()).isTrue();
            assertThat(read(store, "toggle").version()).isEqualTo(2);
        }

        @Test
        void operatorActionsOnAnUnknownJobThrowNotFound(AgentStore store) {
            for (String action : List.of("pause", "resume", "enable", "disable", "reschedule")) {
                assertThatThrownBy(() -> store.inTransaction(uow -> {
                    var jobs = uow.schedulerJobs();
                    switch (action) {
                        case "pause" -> jobs.pause("missing");
                        case "resume" -> jobs.resume("missing");
                        case "enable" -> jobs.enable("missing");
                        case "disable" -> jobs.disable("missing");
                        default -> jobs.reschedule("missing", "0 * * * *", null);
                    }
                })).as(action).isInstanceOf(NotFoundException.class).hasMessageContaining("SchedulerJob").hasMessageContaining("missing");
            }
        }

        @Test
        void aCompletedJobCannotBePausedButCanBeResumed(AgentStore store) {
            store.inTransaction(uow -> uow.schedulerJobs().schedule("done", "D", null, null, 1));
            SchedulerSql.update(store, "UPDATE scheduler_jobs SET status = 'COMPLETED', next_run_at = NULL WHERE id = 'done'");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().pause("done")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("it is COMPLETED");
            store.inTransaction(uow -> uow.schedulerJobs().resume("done"));
            SchedulerJob job = read(store, "done");
            assertThat(job.status()).isEqualTo(JobStatus.PENDING);
            assertThat(job.nextRunAt()).isEqualTo(T0);
        }
    }

    @Nested
    class Reschedule {

        @Test
        void rescheduleChangesTheCronAndMovesTheNextRun(AgentStore store) {
            store.inTransaction(uow -> uow.schedulerJobs().schedule("re", "R", "0 * * * *", null, 1));
            store.inTransaction(uow -> uow.schedulerJobs().reschedule("re", "30 2 * * *", null));
            SchedulerJob job = read(store, "re");
            assertThat(job.schedule()).isEqualTo("30 2 * * *");
            assertThat(job.nextRunAt()).isEqualTo("2030-01-02T02:30:00Z");

            Instant explicit = Instant.parse("2030-03-03T03:03:00Z");
            store.inTransaction(uow -> uow.schedulerJobs().reschedule("re", null, explicit));
            assertThat(read(store, "re").schedule()).isNull();
            assertThat(read(store, "re").nextRunAt()).isEqualTo(explicit);
        }

        @Test
        void reschedulingWithAnInvalidCronChangesNothing(AgentStore store) {
            store.inTransaction(uow -> uow.schedulerJobs().schedule("keep", "K", "0 * * * *", null, 1));
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().reschedule("keep", "* * *", null)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("cron").hasMessageNotContaining("'* * *'");
            SchedulerJob job = read(store, "keep");
            assertThat(job.schedule()).isEqualTo("0 * * * *");
            assertThat(job.version()).isZero();
        }
    }
}
