package dev.agentstore.persistence.scheduler;

import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.scheduler.SchedulerJob;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.Race;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The natural read-modify-write of a {@link SchedulerJob}: read it, reschedule it to {@code nextRunAt + 1 s}. Run by
 * many threads at once every increment must survive: the write is checked against the version read.
 */
@ExtendWith(AgentStoreExtension.class)
class SchedulerJobReadModifyWriteTest {

    private static final int INCREMENTS_PER_THREAD = 10;

    /** Far in the future, so that no claim interferes. */
    private static final Instant T0 = Instant.parse("2100-01-01T00:00:00Z");

    private static SchedulerJob schedule(AgentStore store, String id) {
        return store.fromTransaction(uow -> uow.schedulerJobs().schedule(id, id, null, T0, null, 1));
    }

    private static Instant stored(AgentStore store, String id) {
        return store.fromTransaction(uow -> uow.schedulerJobs().get(id)).orElseThrow().nextRunAt();
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {32, 64})
    void everyIncrementReadThenRescheduledSurvives(int threads, AgentStore store) throws Exception {
        String id = "rmw-" + threads;
        schedule(store, id);
        Race.run(threads, t -> () -> {
            for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                store.fromTransactionWithRetry(Race.PATIENT, uow -> {
                    SchedulerJob job = uow.schedulerJobs().get(id).orElseThrow();
                    return uow.schedulerJobs().reschedule(id, null, job.nextRunAt().plusSeconds(1));
                });
            }
            return null;
        });
        assertThat(stored(store, id)).isEqualTo(T0.plusSeconds((long) threads * INCREMENTS_PER_THREAD));
    }

    @Test
    void aRescheduleAfterAConcurrentChangeFailsWithTheVersionsReadAndFound(AgentStore store) throws Exception {
        schedule(store, "rmw-conflict");
        CountDownLatch read = new CountDownLatch(1);
        CountDownLatch changed = new CountDownLatch(1);
        Thread other = new Thread(() -> {
            Race.await(read);
            store.inTransaction(uow -> uow.schedulerJobs().reschedule("rmw-conflict", null, T0.plusSeconds(100)));
            changed.countDown();
        });
        other.start();
        assertThatThrownBy(() -> store.inTransaction(uow -> {
            SchedulerJob job = uow.schedulerJobs().get("rmw-conflict").orElseThrow();
            read.countDown();
            Race.await(changed);
            uow.schedulerJobs().reschedule("rmw-conflict", null, job.nextRunAt().plusSeconds(1));
        }))
                .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                    assertThat(e.expectedVersion()).hasValue(0L);
                    assertThat(e.actualVersion()).hasValue(1L);
                    assertThat(e.getMessage()).contains("SchedulerJob", "rmw-conflict", "expected version 0",
                            "found version 1");
                });
        other.join();
        assertThat(stored(store, "rmw-conflict")).isEqualTo(T0.plusSeconds(100));
    }

    @Test
    void anExpectedVersionFromAnEarlierCallGuardsTheReschedule(AgentStore store) {
        SchedulerJob scheduled = schedule(store, "rmw-cas");
        store.inTransaction(uow -> uow.schedulerJobs().reschedule("rmw-cas", null, T0.plusSeconds(1),
                scheduled.version()));
        assertThatThrownBy(() -> store.inTransaction(uow -> uow.schedulerJobs().reschedule("rmw-cas", null,
                T0.plusSeconds(2), scheduled.version())))
                .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                    assertThat(e.expectedVersion()).hasValue(scheduled.version());
                    assertThat(e.actualVersion()).hasValue(scheduled.version() + 1);
                });
        assertThat(stored(store, "rmw-cas")).isEqualTo(T0.plusSeconds(1));
    }

    @Test
    void aRowLockedReadQueuesWritersInsteadOfFailingThem(AgentStore store) throws Exception {
        // fewer threads than the pool has connections: the writers queue on the row lock, not for a connection
        int threads = 16;
        schedule(store, "rmw-lock");
        Race.run(threads, t -> () -> {
            for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                store.inTransaction(uow -> {
                    SchedulerJob job = uow.schedulerJobs().getForUpdate("rmw-lock").orElseThrow();
                    uow.schedulerJobs().reschedule("rmw-lock", null, job.nextRunAt().plusSeconds(1));
                });
            }
            return null;
        });
        assertThat(stored(store, "rmw-lock")).isEqualTo(T0.plusSeconds((long) threads * INCREMENTS_PER_THREAD));
    }

    @Test
    void writingTwiceInOneUnitOfWorkAfterAReadDoesNotConflictWithItself(AgentStore store) {
        schedule(store, "rmw-twice");
        SchedulerJob last = store.fromTransaction(uow -> {
            SchedulerJob job = uow.schedulerJobs().get("rmw-twice").orElseThrow();
            Instant next = job.nextRunAt();
            uow.schedulerJobs().reschedule("rmw-twice", null, next.plusSeconds(1));
            uow.schedulerJobs().pause("rmw-twice");
            uow.schedulerJobs().resume("rmw-twice", next.plusSeconds(2));
            return uow.schedulerJobs().reschedule("rmw-twice", null, next.plusSeconds(3));
        });
        assertThat(last.nextRunAt()).isEqualTo(T0.plusSeconds(3));
        assertThat(stored(store, "rmw-twice")).isEqualTo(T0.plusSeconds(3));
    }

    @Test
    void aWorkersClaimBetweenAReadAndAnOperatorActionMakesTheActionConflict(AgentStore store) {
        store.inTransaction(uow -> uow.schedulerJobs().schedule("rmw-claimed", "rmw", null, Instant.EPOCH, null, 1));
        assertThatThrownBy(() -> store.inTransaction(uow -> {
            SchedulerJob job = uow.schedulerJobs().get("rmw-claimed").orElseThrow();
            List<SchedulerJob> claimed = store.fromTransaction(
                    w -> w.schedulerJobs().claimDue("worker-1", 1, Duration.ofMinutes(1)));
            assertThat(claimed).hasSize(1);
            uow.schedulerJobs().reschedule("rmw-claimed", null, job.nextRunAt().plusSeconds(1));
        }))
                .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                    assertThat(e.expectedVersion()).hasValue(0L);
                    assertThat(e.actualVersion()).hasValue(1L);
                });
        assertThat(stored(store, "rmw-claimed")).isEqualTo(Instant.EPOCH);
    }
}
