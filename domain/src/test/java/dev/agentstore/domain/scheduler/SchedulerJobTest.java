package dev.agentstore.domain.scheduler;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SchedulerJobTest {

    private static final Instant NOW = Instant.parse("2030-01-01T10:17:00Z");
    private static final CronSchedule HOURLY = CronSchedule.parse("0 * * * *");

    private static SchedulerJob oneShot(int maxAttempts) {
        return new SchedulerJob("job-1", "Job one", null, NOW, null, maxAttempts, NOW);
    }

    private static SchedulerJob hourly(int maxAttempts) {
        return new SchedulerJob("job-2", "Hourly", HOURLY, HOURLY.nextAfter(NOW), null, maxAttempts, NOW);
    }

    @Nested
    class ANewJob {

        @Test
        void aNewJobIsPendingEnabledAndUntried() {
            SchedulerJob job = hourly(3);
            assertThat(job.status()).isEqualTo(JobStatus.PENDING);
            assertThat(job.enabled()).isTrue();
            assertThat(job.attempts()).isZero();
            assertThat(job.maxAttempts()).isEqualTo(3);
            assertThat(job.schedule()).isEqualTo("0 * * * *");
            assertThat(job.isRecurring()).isTrue();
            assertThat(job.nextRunAt()).isEqualTo("2030-01-01T11:00:00Z");
            assertThat(job.config()).isEqualTo(Json.object());
            assertThat(job.leaseOwner()).isNull();
            assertThat(oneShot(1).isRecurring()).isFalse();
        }

        @Test
        void invalidArgumentsAreRejectedNamingTheParameter() {
            assertThatThrownBy(() -> new SchedulerJob(" ", "n", null, NOW, null, 1, NOW))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("id");
            assertThatThrownBy(() -> new SchedulerJob("id", "n".repeat(256), null, NOW, null, 1, NOW))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("name");
            assertThatThrownBy(() -> new SchedulerJob("id", "n", null, NOW, JsonNodeFactory.instance.arrayNode(), 1, NOW))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("config must be a JSON object");
            assertThatThrownBy(() -> new SchedulerJob("id", "n", null, NOW, null, 0, NOW))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("maxAttempts");
            assertThatThrownBy(() -> new SchedulerJob("id", "n", null, null, null, 1, NOW))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("nextRunAt");
        }

        @Test
        void configIsCopiedInAndOut() {
            ObjectNode config = Json.object().put("flow", "etl");
            SchedulerJob job = new SchedulerJob("id", "n", null, NOW, config, 1, NOW);
            config.put("flow", "changed");
            ((ObjectNode) job.config()).put("flow", "changed too");
            assertThat(job.config()).isEqualTo(Json.object().put("flow", "etl"));
        }
    }

    @Nested
    class LeaseCompleteAndFail {

        @Test
        void leasingMakesTheJobRunningAndCountsTheAttempt() {
            SchedulerJob job = oneShot(3);
            job.lease("w1", NOW.plusSeconds(60), NOW);
            assertThat(job.status()).isEqualTo(JobStatus.RUNNING);
            assertThat(job.leaseOwner()).isEqualTo("w1");
            assertThat(job.leaseExpiresAt()).isEqualTo(NOW.plusSeconds(60));
            assertThat(job.attempts()).isEqualTo(1);
            assertThat(job.lastRunAt()).isEqualTo(NOW);
            assertThat(job.isLeasedBy("w1")).isTrue();
            assertThat(job.isLeasedBy("w2")).isFalse();
            assertThatThrownBy(() -> job.lease("w2", NOW.plusSeconds(60), NOW))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("RUNNING (leased by w1)");
        }

        @Test
        void completingARecurringJobSchedulesItsNextFireTimeAndResetsItsAttempts() {
            SchedulerJob job = hourly(3);
            job.lease("w1", NOW.plusSeconds(60), NOW);
            job.fail("w1", "boom", NOW);
            job.lease("w1", NOW.plusSeconds(60), NOW);
            job.complete("w1", Instant.parse("2030-01-01T11:00:30Z"));
            assertThat(job.status()).isEqualTo(JobStatus.PENDING);
            assertThat(job.nextRunAt()).isEqualTo("2030-01-01T12:00:00Z");
            assertThat(job.attempts()).isZero();
            assertThat(job.lastError()).isNull();
            assertThat(job.leaseOwner()).isNull();
            assertThat(job.leaseExpiresAt()).isNull();
        }

        @Test
        void completingAOneShotJobMarksItCompleted() {
            SchedulerJob job = oneShot(3);
            job.lease("w1", NOW.plusSeconds(60), NOW);
            job.complete("w1", NOW.plusSeconds(5));
            assertThat(job.status()).isEqualTo(JobStatus.COMPLETED);
            assertThat(job.nextRunAt()).isNull();
            assertThat(job.attempts()).isEqualTo(1);
            assertThat(job.leaseOwner()).isNull();
        }

        @Test
        void onlyTheLeaseOwnerCanCompleteOrFail() {
            SchedulerJob job = oneShot(3);
            assertThatThrownBy(() -> job.complete("w1", NOW)).isInstanceOf(LeaseLostException.class)
                    .isNotInstanceOf(ConcurrencyConflictException.class)
                    .hasMessageContaining("job-1").hasMessageContaining("w1").hasMessageContaining("no current lease owner");
            job.lease("w1", NOW.plusSeconds(60), NOW);
            assertThatThrownBy(() -> job.complete("w2", NOW)).isInstanceOf(LeaseLostException.class)
                    .hasMessageContaining("job-1").hasMessageContaining("worker w2").hasMessageContaining("leased by w1");
            assertThatThrownBy(() -> job.fail("w2", "e", NOW)).isInstanceOf(LeaseLostException.class)
                    .hasMessageContaining("worker w2").hasMessageContaining("leased by w1");
            assertThat(job.status()).isEqualTo(JobStatus.RUNNING);
            assertThat(job.attempts()).isEqualTo(1);
        }

        @Test
        void longErrorsAreTruncated() {
            SchedulerJob job = oneShot(2);
            job.lease("w1", NOW.plusSeconds(60), NOW);
            job.fail("w1", "x".repeat(SchedulerJob.MAX_ERROR_LENGTH + 10), NOW);
            assertThat(job.lastError()).hasSize(SchedulerJob.MAX_ERROR_LENGTH);
        }
    }

    @Nested
    class Retries {

        @Test
        void retryDelayDoublesFromOneSecondAndIsCappedAtOneHour() {
            assertThat(SchedulerJob.retryDelay(1)).isEqualTo(Duration.ofSeconds(1));
            assertThat(SchedulerJob.retryDelay(2)).isEqualTo(Duration.ofSeconds(2));
            assertThat(SchedulerJob.retryDelay(3)).isEqualTo(Duration.ofSeconds(4));
            assertThat(SchedulerJob.retryDelay(12)).isEqualTo(Duration.ofSeconds(2048));
            assertThat(SchedulerJob.retryDelay(13)).isEqualTo(Duration.ofHours(1));
            assertThat(SchedulerJob.retryDelay(500)).isEqualTo(Duration.ofHours(1));
        }

        @Test
        void aFailedOneShotJobIsRetriedWithBackoffUntilItsAttemptsAreUsedUpThenFails() {
            SchedulerJob job = oneShot(3);
            job.lease("w1", NOW.plusSeconds(60), NOW);
            job.fail("w1", "first", NOW);
            assertThat(job.status()).isEqualTo(JobStatus.PENDING);
            assertThat(job.nextRunAt()).isEqualTo(NOW.plusSeconds(1));
            job.lease("w1", NOW.plusSeconds(60), NOW);
            job.fail("w1", "second", NOW);
            assertThat(job.nextRunAt()).isEqualTo(NOW.plusSeconds(2));
            job.lease("w1", NOW.plusSeconds(60), NOW);
            job.fail("w1", "third", NOW);
            assertThat(job.status()).isEqualTo(JobStatus.FAILED);
            assertThat(job.nextRunAt()).isNull();
            assertThat(job.attempts()).isEqualTo(3);
            assertThat(job.lastError()).isEqualTo("third");
        }

        @Test
        void aRecurringJobThatUsesUpItsAttemptsWaitsForItsNextFireTime() {
            SchedulerJob job = hourly(1);
            job.lease("w1", NOW.plusSeconds(60), NOW);
            job.fail("w1", "boom", NOW);
            assertThat(job.status()).isEqualTo(JobStatus.PENDING);
            assertThat(job.nextRunAt()).isEqualTo("2030-01-01T11:00:00Z");
            assertThat(job.attempts()).isZero();
            assertThat(job.lastError()).isEqualTo("boom");
        }
    }

    @Nested
    class OperatorActions {

        @Test
        void onlyAPendingJobCanBePausedAndPausingTwiceIsHarmless() {
            SchedulerJob job = oneShot(1);
            job.pause(NOW);
            job.pause(NOW);
            assertThat(job.status()).isEqualTo(JobStatus.PAUSED);
            assertThatThrownBy(() -> job.lease("w1", NOW.plusSeconds(1), NOW)).isInstanceOf(InvalidInputException.class);

            SchedulerJob running = hourly(1);
            running.lease("w1", NOW.plusSeconds(60), NOW);
            assertThatThrownBy(() -> running.pause(NOW)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("cannot pause SchedulerJob id=job-2: it is RUNNING");
        }

        @Test
        void resumingRearmsPausedCompletedAndFailedJobsWithFreshAttempts() {
            SchedulerJob job = oneShot(1);
            job.lease("w1", NOW.plusSeconds(60), NOW);
            job.fail("w1", "boom", NOW);
            assertThat(job.status()).isEqualTo(JobStatus.FAILED);
            job.resume(NOW.plusSeconds(30), NOW);
            assertThat(job.status()).isEqualTo(JobStatus.PENDING);
            assertThat(job.nextRunAt()).isEqualTo(NOW.plusSeconds(30));
            assertThat(job.attempts()).isZero();

            job.resume(NOW.plusSeconds(99), NOW); // already pending: unchanged
            assertThat(job.nextRunAt()).isEqualTo(NOW.plusSeconds(30));

            job.lease("w1", NOW.plusSeconds(60), NOW);
            assertThatThrownBy(() -> job.resume(NOW, NOW)).isInstanceOf(InvalidInputException.class);
        }

        @Test
        void aDisabledJobCannotBeLeasedButKeepsItsStatus() {
            SchedulerJob job = oneShot(1);
            job.disable(NOW);
            assertThat(job.enabled()).isFalse();
            assertThat(job.status()).isEqualTo(JobStatus.PENDING);
            assertThatThrownBy(() -> job.lease("w1", NOW.plusSeconds(1), NOW))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("disabled");
            job.enable(NOW);
            job.lease("w1", NOW.plusSeconds(1), NOW);
            assertThat(job.status()).isEqualTo(JobStatus.RUNNING);
        }

        @Test
        void reschedulingARunningJobKeepsItsNextRunUntilItCompletes() {
            SchedulerJob job = hourly(1);
            job.lease("w1", NOW.plusSeconds(60), NOW);
            Instant before = job.nextRunAt();
            job.reschedule(CronSchedule.parse("30 * * * *"), NOW, NOW);
            assertThat(job.schedule()).isEqualTo("30 * * * *");
            assertThat(job.nextRunAt()).isEqualTo(before);
            job.complete("w1", NOW);
            assertThat(job.nextRunAt()).isEqualTo("2030-01-01T10:30:00Z");

            job.reschedule(null, NOW.plusSeconds(5), NOW);
            assertThat(job.isRecurring()).isFalse();
            assertThat(job.nextRunAt()).isEqualTo(NOW.plusSeconds(5));
        }
    }
}
