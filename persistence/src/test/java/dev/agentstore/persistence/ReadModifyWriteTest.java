package dev.agentstore.persistence;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.json.Json;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The natural read-modify-write of each versioned aggregate: read it in a unit of work, compute the new value from
 * what was read, write it. Run by many threads at once, every increment must survive: a write is checked against
 * the version the unit of work read, and {@code fromTransactionWithRetry} retries the conflicts.
 */
@ExtendWith(AgentStoreExtension.class)
class ReadModifyWriteTest {

    static final int INCREMENTS_PER_THREAD = 10;

    static long n(JsonNode node) {
        return node == null || node.get("n") == null ? 0 : node.get("n").asLong();
    }

    static JsonNode counter(long n) {
        return Json.parse("patch", "{\"n\": " + n + "}");
    }

    @Nested
    class FlowRuns {

        @ParameterizedTest(name = "{0} threads")
        @ValueSource(ints = {32, 64})
        void everyIncrementReadThenUpdatedSurvives(int threads, AgentStore store) throws Exception {
            String flow = "rmw-" + threads;
            store.flowRuns().start(flow, "run-1");
            Race.run(threads, t -> () -> {
                for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                    store.fromTransactionWithRetry(Race.PATIENT, uow -> {
                        FlowRun run = uow.flowRuns().get(flow, "run-1").orElseThrow();
                        return uow.flowRuns().update(flow, "run-1", counter(n(run.metadata()) + 1));
                    });
                }
                return null;
            });
            assertThat(n(store.flowRuns().get(flow, "run-1").orElseThrow().metadata()))
                    .isEqualTo((long) threads * INCREMENTS_PER_THREAD);
        }

        @Test
        void anUpdateAfterAConcurrentChangeFailsWithTheVersionsReadAndFound(AgentStore store) throws Exception {
            store.flowRuns().start("rmw-conflict", "run-1");
            CountDownLatch read = new CountDownLatch(1);
            CountDownLatch changed = new CountDownLatch(1);
            Thread other = new Thread(() -> {
                Race.await(read);
                store.flowRuns().update("rmw-conflict", "run-1", counter(100));
                changed.countDown();
            });
            other.start();
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                FlowRun run = uow.flowRuns().get("rmw-conflict", "run-1").orElseThrow();
                read.countDown();
                Race.await(changed);
                uow.flowRuns().update("rmw-conflict", "run-1", counter(n(run.metadata()) + 1));
            }))
                    .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                        assertThat(e.expectedVersion()).hasValue(0L);
                        assertThat(e.actualVersion()).hasValue(1L);
                        assertThat(e.getMessage()).contains("FlowRun", "rmw-conflict/run-1", "expected version 0",
                                "found version 1");
                    });
            other.join();
            assertThat(n(store.flowRuns().get("rmw-conflict", "run-1").orElseThrow().metadata())).isEqualTo(100);
        }

        @Test
        void anExpectedVersionFromAnEarlierCallGuardsTheUpdate(AgentStore store) {
            FlowRun started = store.flowRuns().start("rmw-cas", "run-1");
            store.flowRuns().update("rmw-cas", "run-1", counter(1), started.version());
            assertThatThrownBy(() -> store.flowRuns().update("rmw-cas", "run-1", counter(2), started.version()))
                    .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                        assertThat(e.expectedVersion()).hasValue(started.version());
                        assertThat(e.actualVersion()).hasValue(started.version() + 1);
                    });
            assertThat(n(store.flowRuns().get("rmw-cas", "run-1").orElseThrow().metadata())).isEqualTo(1);
        }

        @ParameterizedTest(name = "{0} threads")
        // fewer threads than the pool has connections: the writers queue on the row lock, not for a connection
        @ValueSource(ints = {16})
        void aRowLockedReadQueuesWritersInsteadOfFailingThem(int threads, AgentStore store) throws Exception {
            String flow = "rmw-lock-" + threads;
            store.flowRuns().start(flow, "run-1");
            Race.run(threads, t -> () -> {
                for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                    store.inTransaction(uow -> {
                        FlowRun run = uow.flowRuns().getForUpdate(flow, "run-1").orElseThrow();
                        uow.flowRuns().update(flow, "run-1", counter(n(run.metadata()) + 1));
                    });
                }
                return null;
            });
            assertThat(n(store.flowRuns().get(flow, "run-1").orElseThrow().metadata()))
                    .isEqualTo((long) threads * INCREMENTS_PER_THREAD);
        }

        @Test
        void updatingTwiceInOneUnitOfWorkAfterAReadDoesNotConflictWithItself(AgentStore store) {
            store.flowRuns().start("rmw-twice", "run-1");
            FlowRun last = store.fromTransaction(uow -> {
                FlowRun run = uow.flowRuns().get("rmw-twice", "run-1").orElseThrow();
                uow.flowRuns().update("rmw-twice", "run-1", counter(n(run.metadata()) + 1));
                uow.flowRuns().completeStep("rmw-twice", "run-1");
                uow.flowRuns().transition("rmw-twice", "run-1", dev.agentstore.domain.flow.FlowRunStatus.AWAITING);
                return uow.flowRuns().update("rmw-twice", "run-1", counter(n(run.metadata()) + 2));
            });
            assertThat(n(last.metadata())).isEqualTo(2);
        }
    }
}
