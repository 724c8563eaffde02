package dev.agentstore.persistence.scheduler;

import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.scheduler.JobStatus;
import dev.agentstore.domain.scheduler.LeaseLostException;
import dev.agentstore.domain.scheduler.SchedulerJob;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.support.RetryPolicy;
import io.hypersistence.utils.jdbc.validator.SQLStatementCountValidator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static dev.agentstore.persistence.scheduler.SchedulerSql.dbNow;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The worker protocol: claims, heartbeats, completion, failure with backoff, lease recovery. Whether a job is due and
 * whether a lease expired is decided by the database clock, so due jobs get a next run time before the database's
 * now; the injected clock drives the next run times that the library computes.
 */
@ExtendWith(AgentStoreExtension.class)
class SchedulerJobLeaseTest {

    private static final Duration FIVE_MINUTES = Duration.ofMinutes(5);

    @BeforeEach
    void startFromAnEmptyTable(AgentStore store) {
        SchedulerSql.deleteAllJobs(store);
    }

    private static void scheduleDue(AgentStore store, String id, String cron, int maxAttempts, Duration ago) {
        Instant at = dbNow(store).minus(ago);
        store.inTransaction(uow -> uow.schedulerJobs().schedule(id, "Job " + id, cron, at, null, maxAttempts));
    }

    private static List<SchedulerJob> claim(AgentStore store, String worker, int limit, Duration lease) {
        return store.fromTransaction(uow -> uow.schedulerJobs().claimDue(worker, limit, lease));
    }

    private static SchedulerJob read(AgentStore store, String id) {
        return store.fromTransaction(uow -> uow.schedulerJobs().get(id)).orElseThrow();
    }

    @Nested
    class ClaimDue {

        @Test
        void claimDueLeasesDueJobsOldestFirstAndLeavesFutureJobsAlone(AgentStore store) {
            scheduleDue(store, "c-late", null, 3, Duration.ofSeconds(1));
            scheduleDue(store, "c-early", null, 3, Duration.ofSeconds(3));
            scheduleDue(store, "c-middle", "0 * * * *", 3, Duration.ofSeconds(2));
            Instant future = dbNow(store).plus(Duration.ofHours(1));
            store.inTransaction(uow -> uow.schedulerJobs().schedule("c-future", "F", null, future, null, 3));

            List<SchedulerJob> first = claim(store, "worker-a", 2, FIVE_MINUTES);
            assertThat(first).extracting(SchedulerJob::id).containsExactly("c-early", "c-middle");
            for (SchedulerJob job : first) {
                assertThat(job.status()).isEqualTo(JobStatus.RUNNING);
                assertThat(job.leaseOwner()).isEqualTo("worker-a");
                assertThat(job.attempts()).isEqualTo(1);
                assertThat(job.version()).isEqualTo(1);
                // one statement: lease and last run are both computed from the same database now()
                assertThat(job.leaseExpiresAt()).isEqualTo(job.lastRunAt().plus(FIVE_MINUTES));
            }
            assertThat(read(store, "c-early").status()).isEqualTo(JobStatus.RUNNING);

            assertThat(claim(store, "worker-b", 10, FIVE_MINUTES)).extracting(SchedulerJob::id).containsExactly("c-late");
            assertThat(claim(store, "worker-b", 10, FIVE_MINUTES)).isEmpty();
            assertThat(read(store, "c-future").status()).isEqualTo(JobStatus.PENDING);
        }

        @Test
        void claimDueIsOneStatement(AgentStore store) {
            scheduleDue(store, "one-stmt-1", null, 1, Duration.ofSeconds(1));
            scheduleDue(store, "one-stmt-2", null, 1, Duration.ofSeconds(1));
            try (AgentStore counting = AgentStoreExtension.statementCountingStore(store)) {
                List<SchedulerJob> claimed = counting.fromTransaction(uow -> {
                    SQLStatementCountValidator.reset();
                    List<SchedulerJob> jobs = uow.schedulerJobs().claimDue("counted", 10, FIVE_MINUTES);
                    SQLStatementCountValidator.assertTotalCount(1);
                    SQLStatementCountValidator.assertUpdateCount(1);
                    return jobs;
                });
                assertThat(claimed).hasSize(2);
            }
        }

        @Test
        void invalidClaimArgumentsAreRejectedAndNothingIsClaimed(AgentStore store) {
            scheduleDue(store, "untouched", null, 1, Duration.ofSeconds(1));
            List<Consumer<SchedulerJobRepository>> bad = List.of(
                    jobs -> jobs.claimDue("w", 0, FIVE_MINUTES),
                    jobs -> jobs.claimDue("w", -1, FIVE_MINUTES),
                    jobs -> jobs.claimDue("w", 1001, FIVE_MINUTES),
                    jobs -> jobs.claimDue("w", 1, Duration.ofSeconds(-1)),
                    jobs -> jobs.claimDue("w", 1, Duration.ZERO),
                    jobs -> jobs.claimDue("w", 1, Duration.ofNanos(999_999)),
                    jobs -> jobs.claimDue("w", 1, Duration.ofDays(8)),
                    jobs -> jobs.claimDue("w", 1, null),
                    jobs -> jobs.claimDue(" ", 1, FIVE_MINUTES),
                    jobs -> jobs.claimDue("w".repeat(256), 1, FIVE_MINUTES));
            for (Consumer<SchedulerJobRepository> call : bad) {
                assertThatThrownBy(() -> store.inTransaction(uow -> call.accept(uow.schedulerJobs())))
                        .isInstanceOf(InvalidInputException.class)
                        .hasMessageMatching(".*(limit|leaseDuration|workerId).*");
            }
            SchedulerJob job = read(store, "untouched");
            assertThat(job.status()).isEqualTo(JobStatus.PENDING);
            assertThat(job.attempts()).isZero();
            assertThat(job.version()).isZero();
        }

        @Test
        void pausedDisabledCompletedAndFailedJobsAreNeverClaimed(AgentStore store) {
            scheduleDue(store, "paused", null, 1, Duration.ofSeconds(1));
            scheduleDue(store, "disabled", null, 1, Duration.ofSeconds(1));
            scheduleDue(store, "completed", null, 1, Duration.ofSeconds(1));
            scheduleDue(store, "failed", null, 1, Duration.ofSeconds(1));
            store.inTransaction(uow -> {
                uow.schedulerJobs().pause("paused");
                uow.schedulerJobs().disable("disabled");
            });
            SchedulerSql.update(store, "UPDATE scheduler_jobs SET status = 'COMPLETED' WHERE id = 'completed'");
            SchedulerSql.update(store, "UPDATE scheduler_jobs SET status = 'FAILED' WHERE id = 'failed'");

            assertThat(claim(store, "w", 100, FIVE_MINUTES)).isEmpty();

            store.inTransaction(uow -> {
                uow.schedulerJobs().resume("paused", dbNow(store).minusSeconds(1));
                uow.schedulerJobs().enable("disabled");
            });
            assertThat(claim(store, "w", 100, FIVE_MINUTES)).extracting(SchedulerJob::id)
                    .containsExactlyInAnyOrder("paused", "disabled");
        }

        @Test
        void aClaimReturnsCurrentStateEvenWhenTheJobWasLoadedEarlierInTheSameTransaction(AgentStore store) {
            scheduleDue(store, "preloaded", null, 1, Duration.ofSeconds(1));
            SchedulerJob claimed = store.fromTransaction(uow -> {
                SchedulerJob before = uow.schedulerJobs().get("preloaded").orElseThrow();
                assertThat(before.status()).isEqualTo(JobStatus.PENDING);
                List<SchedulerJob> jobs = uow.schedulerJobs().claimDue("w-pre", 1, FIVE_MINUTES);
                assertThat(jobs).hasSize(1);
                // the claim returns the row as written; the job read before it is a snapshot, not refreshed
                assertThat(jobs.get(0).id()).isEqualTo(before.id());
                assertThat(before.status()).isEqualTo(JobStatus.PENDING);
                return jobs.get(0);
            });
            assertThat(claimed.status()).isEqualTo(JobStatus.RUNNING);
            assertThat(claimed.leaseOwner()).isEqualTo("w-pre");
            assertThat(claimed.attempts()).isEqualTo(1);
            assertThat(claimed.version()).isEqualTo(1);
        }
    }

    @Nested
    class HeartbeatCompleteAndFail {

        @Test
        void heartbeatExtendsTheLeaseOnlyForItsOwner(AgentStore store) {
            scheduleDue(store, "hb", null, 1, Duration.ofSeconds(1));
            SchedulerJob claimed = claim(store, "hb-owner", 1, Duration.ofMinutes(1)).get(0);

            boolean byOwner = store.fromTransaction(uow -> uow.schedulerJobs().heartbeat("hb", "hb-owner", Duration.ofMinutes(30)));
            assertThat(byOwner).isTrue();
            SchedulerJob extended = read(store, "hb");
            assertThat(extended.leaseExpiresAt()).isAfter(claimed.leaseExpiresAt().plus(Duration.ofMinutes(28)));
            assertThat(extended.version()).isEqualTo(claimed.version() + 1);

            boolean byOther = store.fromTransaction(uow -> uow.schedulerJobs().heartbeat("hb", "intruder", Duration.ofHours(2)));
            assertThat(byOther).isFalse();
            assertThat(read(store, "hb").leaseExpiresAt()).isEqualTo(extended.leaseExpiresAt());
            assertThat(read(store, "hb").leaseOwner()).isEqualTo("hb-owner");

            boolean unknown = store.fromTransaction(uow -> uow.schedulerJobs().heartbeat("no-such-job", "hb-owner", FIVE_MINUTES));
            assertThat(unknown).isFalse();
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.schedulerJobs().heartbeat("hb", "hb-owner", Duration.ZERO)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("leaseDuration");
        }

        @Test
        void completingARecurringJobComputesItsNextCronRunFromTheClock(AgentStore store, MutableClock clock) {
            scheduleDue(store, "cron-job", "0 * * * *", 3, Duration.ofSeconds(1));
            claim(store, "cw", 1, FIVE_MINUTES);
            clock.set(Instant.parse("2030-01-01T10:17:00Z"));

            SchedulerJob returned = store.fromTransaction(uow -> uow.schedulerJobs().complete("cron-job", "cw"));
            assertThat(returned.nextRunAt()).isEqualTo("2030-01-01T11:00:00Z");
            SchedulerJob job = read(store, "cron-job");
            assertThat(job.status()).isEqualTo(JobStatus.PENDING);
            assertThat(job.nextRunAt()).isEqualTo("2030-01-01T11:00:00Z");
            assertThat(job.attempts()).isZero();
            assertThat(job.leaseOwner()).isNull();
            assertThat(job.leaseExpiresAt()).isNull();
            assertThat(job.lastRunAt()).isNotNull();
            assertThat(claim(store, "cw", 1, FIVE_MINUTES)).isEmpty();
        }

        @Test
        void completingAOneShotJobMarksItCompletedForGood(AgentStore store) {
            scheduleDue(store, "once", null, 3, Duration.ofSeconds(1));
            claim(store, "ow", 1, FIVE_MINUTES);
            store.inTransaction(uow -> uow.schedulerJobs().complete("once", "ow"));
            SchedulerJob job = read(store, "once");
            assertThat(job.status()).isEqualTo(JobStatus.COMPLETED);
            assertThat(job.nextRunAt()).isNull();
            assertThat(job.leaseOwner()).isNull();
            assertThat(claim(store, "ow", 1, FIVE_MINUTES)).isEmpty();
        }

        @Test
        void onlyTheLeaseOwnerCanCompleteOrFailAndAnUnknownJobIsNotFound(AgentStore store) {
            scheduleDue(store, "owned", null, 3, Duration.ofSeconds(1));
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().complete("owned", "ow")))
                    .isInstanceOf(LeaseLostException.class).isNotInstanceOf(ConcurrencyConflictException.class)
                    .hasMessageContaining("owned").hasMessageContaining("worker ow")
                    .hasMessageContaining("does not hold the lease").hasMessageContaining("no current lease owner");
            claim(store, "ow", 1, FIVE_MINUTES);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().complete("owned", "other")))
                    .isInstanceOf(LeaseLostException.class)
                    .hasMessageContaining("owned").hasMessageContaining("worker other").hasMessageContaining("leased by ow");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().fail("owned", "other", "x")))
                    .isInstanceOf(LeaseLostException.class)
                    .hasMessageContaining("owned").hasMessageContaining("worker other").hasMessageContaining("leased by ow");
            SchedulerJob job = read(store, "owned");
            assertThat(job.status()).isEqualTo(JobStatus.RUNNING);
            assertThat(job.leaseOwner()).isEqualTo("ow");
            assertThat(job.version()).isEqualTo(1);

            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().complete("ghost", "ow")))
                    .isInstanceOf(NotFoundException.class).hasMessageContaining("ghost");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().fail("ghost", "ow", "x")))
                    .isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().complete("owned", "")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("workerId");
        }

        @Test
        void aLostLeaseIsNotRetriedByFromTransactionWithRetry(AgentStore store) {
            scheduleDue(store, "lost-lease", null, 3, Duration.ofSeconds(1));
            claim(store, "the-owner", 1, FIVE_MINUTES);

            AtomicInteger attempts = new AtomicInteger();
            assertThatThrownBy(() -> store.fromTransactionWithRetry(RetryPolicy.DEFAULT, uow -> {
                attempts.incrementAndGet();
                return uow.schedulerJobs().complete("lost-lease", "not-the-owner");
            })).isInstanceOf(LeaseLostException.class).isNotInstanceOf(ConcurrencyConflictException.class)
                    .hasMessageContaining("lost-lease").hasMessageContaining("worker not-the-owner")
                    .hasMessageContaining("leased by the-owner");
            assertThat(attempts).hasValue(1);

            AtomicInteger failAttempts = new AtomicInteger();
            assertThatThrownBy(() -> store.fromTransactionWithRetry(RetryPolicy.DEFAULT, uow -> {
                failAttempts.incrementAndGet();
                return uow.schedulerJobs().fail("lost-lease", "not-the-owner", "late");
            })).isInstanceOf(LeaseLostException.class).hasMessageContaining("leased by the-owner");
            assertThat(failAttempts).hasValue(1);

            SchedulerJob job = read(store, "lost-lease");
            assertThat(job.status()).isEqualTo(JobStatus.RUNNING);
            assertThat(job.leaseOwner()).isEqualTo("the-owner");
            assertThat(job.lastError()).isNull();
        }
    }

    @Nested
    class Retries {

        @Test
        void aFailingOneShotJobIsRetriedWithBackoffThenEndsFailedAfterMaxAttempts(AgentStore store,
                MutableClock clock) {
            scheduleDue(store, "flaky", null, 3, Duration.ofSeconds(1));
            for (int attempt = 1; attempt <= 2; attempt++) {
                assertThat(claim(store, "fw", 5, FIVE_MINUTES)).extracting(SchedulerJob::id).containsExactly("flaky");
                // the backoff is computed from the injected clock; an hour back makes the retry due by the database clock
                Instant failedAt = dbNow(store).minus(Duration.ofHours(1));
                clock.set(failedAt);
                String error = "boom " + attempt;
                store.inTransaction(uow -> uow.schedulerJobs().fail("flaky", "fw", error));
                SchedulerJob job = read(store, "flaky");
                assertThat(job.status()).isEqualTo(JobStatus.PENDING);
                assertThat(job.attempts()).isEqualTo(attempt);
                assertThat(job.nextRunAt()).isEqualTo(failedAt.plus(Duration.ofSeconds(1L << (attempt - 1))));
                assertThat(job.lastError()).isEqualTo(error);
                assertThat(job.leaseOwner()).isNull();
            }
            assertThat(claim(store, "fw", 5, FIVE_MINUTES)).extracting(SchedulerJob::attempts).containsExactly(3);
            store.inTransaction(uow -> uow.schedulerJobs().fail("flaky", "fw", "boom 3"));
            SchedulerJob job = read(store, "flaky");
            assertThat(job.status()).isEqualTo(JobStatus.FAILED);
            assertThat(job.attempts()).isEqualTo(3);
            assertThat(job.nextRunAt()).isNull();
            assertThat(job.lastError()).isEqualTo("boom 3");
            assertThat(claim(store, "fw", 5, FIVE_MINUTES)).isEmpty();
        }

        @Test
        void aRetryIsNotClaimedBeforeItsBackoffHasPassed(AgentStore store, MutableClock clock) {
            scheduleDue(store, "backoff", null, 3, Duration.ofSeconds(1));
            claim(store, "bw", 1, FIVE_MINUTES);
            clock.set(dbNow(store).plus(Duration.ofMinutes(10)));
            store.inTransaction(uow -> uow.schedulerJobs().fail("backoff", "bw", "later"));
            assertThat(claim(store, "bw", 1, FIVE_MINUTES)).isEmpty();
        }

        @Test
        void aRecurringJobThatUsesUpItsAttemptsWaitsForItsNextCronRun(AgentStore store, MutableClock clock) {
            scheduleDue(store, "cron-fails", "*/10 * * * *", 1, Duration.ofSeconds(1));
            claim(store, "rw", 1, FIVE_MINUTES);
            clock.set(Instant.parse("2030-01-01T10:17:00Z"));
            store.inTransaction(uow -> uow.schedulerJobs().fail("cron-fails", "rw", "bad hour"));
            SchedulerJob job = read(store, "cron-fails");
            assertThat(job.status()).isEqualTo(JobStatus.PENDING);
            assertThat(job.nextRunAt()).isEqualTo("2030-01-01T10:20:00Z");
            assertThat(job.attempts()).isZero();
            assertThat(job.lastError()).isEqualTo("bad hour");
        }
    }

    @Nested
    class ExpiredLeases {

        @Test
        void anExpiredLeaseIsRecoveredAndClaimableByAnotherWorkerWhileALiveLeaseIsNot(AgentStore store) {
            scheduleDue(store, "dead-worker-job", null, 5, Duration.ofSeconds(2));
            scheduleDue(store, "live-worker-job", null, 5, Duration.ofSeconds(1));
            assertThat(claim(store, "w1", 2, FIVE_MINUTES)).hasSize(2);
            // w1 "dies": its lease on one job runs out (test-only: moved into the past on the database clock)
            SchedulerSql.update(store,
                    "UPDATE scheduler_jobs SET lease_expires_at = now() - interval '1 second' WHERE id = 'dead-worker-job'");

            assertThat(claim(store, "w2", 10, FIVE_MINUTES)).isEmpty();
            int recovered = store.fromTransaction(uow -> uow.schedulerJobs().recoverExpiredLeases());
            assertThat(recovered).isEqualTo(1);
            SchedulerJob pending = read(store, "dead-worker-job");
            assertThat(pending.status()).isEqualTo(JobStatus.PENDING);
            assertThat(pending.leaseOwner()).isNull();
            assertThat(pending.leaseExpiresAt()).isNull();
            assertThat(pending.lastError()).contains("w1").contains("expired");
            assertThat(read(store, "live-worker-job").status()).isEqualTo(JobStatus.RUNNING);

            List<SchedulerJob> taken = claim(store, "w2", 10, FIVE_MINUTES);
            assertThat(taken).extracting(SchedulerJob::id).containsExactly("dead-worker-job");
            assertThat(taken.get(0).leaseOwner()).isEqualTo("w2");
            assertThat(taken.get(0).attempts()).isEqualTo(2);

            // the old owner finds out that it lost the lease
            boolean heartbeat = store.fromTransaction(uow -> uow.schedulerJobs().heartbeat("dead-worker-job", "w1", FIVE_MINUTES));
            assertThat(heartbeat).isFalse();
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().complete("dead-worker-job", "w1")))
                    .isInstanceOf(LeaseLostException.class).hasMessageContaining("dead-worker-job")
                    .hasMessageContaining("worker w1").hasMessageContaining("leased by w2");
            // while the live lease still works
            store.inTransaction(uow -> uow.schedulerJobs().complete("live-worker-job", "w1"));
            store.inTransaction(uow -> uow.schedulerJobs().complete("dead-worker-job", "w2"));
            assertThat(read(store, "dead-worker-job").status()).isEqualTo(JobStatus.COMPLETED);
            int none = store.fromTransaction(uow -> uow.schedulerJobs().recoverExpiredLeases());
            assertThat(none).isZero();
        }

        @Test
        void aOneShotJobWhoseLastAttemptLostItsLeaseEndsFailedInsteadOfLoopingForEver(AgentStore store) {
            scheduleDue(store, "crashes-its-worker", null, 2, Duration.ofSeconds(1));
            for (int attempt = 1; attempt <= 2; attempt++) {
                assertThat(claim(store, "doomed-" + attempt, 1, FIVE_MINUTES)).hasSize(1);
                SchedulerSql.update(store, "UPDATE scheduler_jobs SET lease_expires_at = now() - interval '1 second'"
                        + " WHERE id = 'crashes-its-worker'");
                int recovered = store.fromTransaction(uow -> uow.schedulerJobs().recoverExpiredLeases());
                assertThat(recovered).isEqualTo(1);
            }
            SchedulerJob job = read(store, "crashes-its-worker");
            assertThat(job.status()).isEqualTo(JobStatus.FAILED);
            assertThat(job.attempts()).isEqualTo(2);
            assertThat(job.lastError()).contains("doomed-2");
            assertThat(claim(store, "next", 1, FIVE_MINUTES)).isEmpty();
        }

        @Test
        void aShortLeaseRunsOutByTheDatabaseClock(AgentStore store) throws InterruptedException {
            scheduleDue(store, "short-lease", null, 5, Duration.ofSeconds(1));
            claim(store, "sw", 1, Duration.ofMillis(200));
            Thread.sleep(400);
            int recovered = store.fromTransaction(uow -> uow.schedulerJobs().recoverExpiredLeases());
            assertThat(recovered).isEqualTo(1);
            assertThat(claim(store, "sw2", 1, FIVE_MINUTES)).extracting(SchedulerJob::id).containsExactly("short-lease");
        }

        @Test
        void aWorkerWhoseLeaseExpiredButWasNotRecoveredCanStillComplete(AgentStore store) {
            scheduleDue(store, "late-but-ok", null, 5, Duration.ofSeconds(1));
            claim(store, "slow", 1, FIVE_MINUTES);
            SchedulerSql.update(store,
                    "UPDATE scheduler_jobs SET lease_expires_at = now() - interval '1 second' WHERE id = 'late-but-ok'");
            boolean renewed = store.fromTransaction(uow -> uow.schedulerJobs().heartbeat("late-but-ok", "slow", FIVE_MINUTES));
            assertThat(renewed).isTrue();
            int none = store.fromTransaction(uow -> uow.schedulerJobs().recoverExpiredLeases());
            assertThat(none).isZero();
            store.inTransaction(uow -> uow.schedulerJobs().complete("late-but-ok", "slow"));
            assertThat(read(store, "late-but-ok").status()).isEqualTo(JobStatus.COMPLETED);
        }
    }

    @Nested
    class OperatorActionsOnARunningJob {

        @Test
        void aDeletedRunningJobIsNotFoundForItsWorker(AgentStore store) {
            scheduleDue(store, "deleted-while-running", null, 5, Duration.ofSeconds(1));
            claim(store, "dw", 1, FIVE_MINUTES);
            store.inTransaction(uow -> uow.schedulerJobs().delete("deleted-while-running"));
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().complete("deleted-while-running", "dw")))
                    .isInstanceOf(NotFoundException.class);
            boolean heartbeat = store.fromTransaction(uow -> uow.schedulerJobs().heartbeat("deleted-while-running", "dw", FIVE_MINUTES));
            assertThat(heartbeat).isFalse();
        }

        @Test
        void aRunningJobCannotBePausedButCanBeDisabledAndItsWorkerStillCompletesIt(AgentStore store) {
            scheduleDue(store, "busy", "0 * * * *", 5, Duration.ofSeconds(1));
            claim(store, "bw", 1, FIVE_MINUTES);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().pause("busy")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("RUNNING (leased by bw)");
            store.inTransaction(uow -> uow.schedulerJobs().disable("busy"));
            store.inTransaction(uow -> uow.schedulerJobs().complete("busy", "bw"));
            SchedulerJob job = read(store, "busy");
            assertThat(job.status()).isEqualTo(JobStatus.PENDING);
            assertThat(job.enabled()).isFalse();
            SchedulerSql.update(store, "UPDATE scheduler_jobs SET next_run_at = now() - interval '1 second' WHERE id = 'busy'");
            assertThat(claim(store, "bw", 1, FIVE_MINUTES)).isEmpty();
        }
    }
}
