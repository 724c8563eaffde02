package dev.agentstore.persistence.flow;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.flow.Flow;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.domain.flow.FlowStat;
import dev.agentstore.domain.flow.FlowStats;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.support.RetryPolicy;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Real threads running real transactions against one flow or run; nothing may be lost or counted twice. */
@ExtendWith(AgentStoreExtension.class)
class FlowConcurrencyTest {

    /**
     * Runs {@code threads} copies of {@code work} (given the thread index) released together by a start gate.
     *
     * @return each thread's result, in thread order
     */
    private static <T> List<T> concurrently(int threads, ThreadWork<T> work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch gate = new CountDownLatch(1);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                Callable<T> task = () -> {
                    gate.await();
                    return work.run(thread);
                };
                futures.add(pool.submit(task));
            }
            gate.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get(300, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    @FunctionalInterface
    private interface ThreadWork<T> {
        T run(int thread) throws Exception;
    }

    private static FlowStats stats(AgentStore store, String flow) {
        Optional<Flow> found = store.fromTransaction(uow -> uow.flows().get(flow));
        return found.orElseThrow().stats();
    }

    private static FlowRun run(AgentStore store, String flow, String run) {
        Optional<FlowRun> found = store.fromTransaction(uow -> uow.flowRuns().get(flow, run));
        return found.orElseThrow();
    }

    @Nested
    class StatsAndCounters {

        @Test
        void sixteenThreadsIncrementingAStatEndAtExactly8000WithDistinctReturnedValues(AgentStore store) throws Exception {
            store.inTransaction(uow -> uow.flows().register("hot-flow", "x", 1));

            List<List<Long>> returned = concurrently(16, thread -> {
                List<Long> values = new ArrayList<>();
                for (int i = 0; i < 500; i++) {
                    values.add(store.fromTransaction(uow -> uow.flows().incrementStat("hot-flow", FlowStat.TOTAL, 1)));
                }
                return values;
            });

            Set<Long> distinct = new HashSet<>();
            returned.forEach(distinct::addAll);
            assertThat(distinct).hasSize(8000);
            assertThat(distinct).allMatch(v -> v >= 1 && v <= 8000);
            Flow flow = store.fromTransaction(uow -> uow.flows().get("hot-flow")).orElseThrow();
            assertThat(flow.stat(FlowStat.TOTAL)).isEqualTo(8000);
            assertThat(flow.version()).as("counter moves leave the version alone").isZero();
        }

        @Test
        void concurrentStepCompletionsAreAllCounted(AgentStore store) throws Exception {
            store.inTransaction(uow -> uow.flowRuns().start("step-flow", "r1"));

            List<List<Integer>> returned = concurrently(16, thread -> {
                List<Integer> values = new ArrayList<>();
                for (int i = 0; i < 25; i++) {
                    values.add(store.fromTransaction(uow -> uow.flowRuns().completeStep("step-flow", "r1")));
                }
                return values;
            });

            Set<Integer> distinct = new HashSet<>();
            returned.forEach(distinct::addAll);
            assertThat(distinct).hasSize(400);
            FlowRun run = run(store, "step-flow", "r1");
            assertThat(run.completedSteps()).isEqualTo(400);
            assertThat(run.version()).isEqualTo(400);
        }

        @Test
        void sixteenThreadsStartingTheSameRunsInsertAndCountEachOnce(AgentStore store) throws Exception {
            store.inTransaction(uow -> uow.flows().register("start-race", "x", 1));

            List<List<Long>> ids = concurrently(16, thread -> {
                List<Long> seen = new ArrayList<>();
                for (int r = 0; r < 20; r++) {
                    String runId = "r" + r;
                    seen.add(store.fromTransaction(uow -> uow.flowRuns().start("start-race", runId)).id());
                }
                return seen;
            });

            for (List<Long> seen : ids) {
                assertThat(seen).isEqualTo(ids.get(0)); // every thread got the one stored run of each id
            }
            assertThat(new HashSet<>(ids.get(0))).hasSize(20);
            assertThat(stats(store, "start-race")).isEqualTo(new FlowStats(20, 0, 0, 20, 0, 0));
        }

        @Test
        void concurrentStartsAndCompletionsKeepTheFlowStatsEqualToTheRunStatuses(AgentStore store) throws Exception {
            store.inTransaction(uow -> uow.flows().register("busy-flow", "x", 1));
            var completed = Json.object().put("status", "completed");
            var failed = Json.object().put("status", "failed");

            concurrently(8, thread -> {
                for (int i = 0; i < 50; i++) {
                    String runId = "t" + thread + "-" + i;
                    var outcome = i % 2 == 0 ? completed : failed;
                    store.inTransaction(uow -> uow.flowRuns().start("busy-flow", runId));
                    if (i % 5 == 0) {
                        store.inTransaction(uow -> uow.flowRuns().transition("busy-flow", runId, FlowRunStatus.AWAITING));
                    } else {
                        store.inTransaction(uow -> uow.flowRuns().update("busy-flow", runId, outcome));
                    }
                }
                return null;
            });

            FlowStats stats = stats(store, "busy-flow");
            assertThat(stats).isEqualTo(new FlowStats(400, 160, 160, 0, 80, 0));
            java.util.Map<FlowStat, Long> rowsByStat = new java.util.EnumMap<>(FlowStat.class);
            for (FlowRunStatus status : FlowRunStatus.values()) {
                long rows = store.fromTransaction(uow -> ((Number) uow.entityManager()
                        .createNativeQuery("SELECT count(*) FROM flow_runs WHERE flow_name = 'busy-flow' AND status = ?1")
                        .setParameter(1, status.name()).getSingleResult()).longValue());
                if (status.stat() != null) {
                    rowsByStat.merge(status.stat(), rows, Long::sum); // SUSPENDED counts as awaiting, TIMED_OUT as failure
                }
            }
            rowsByStat.forEach((stat, rows) -> assertThat(stats.get(stat)).as(stat.name()).isEqualTo(rows));
        }
    }

    @Nested
    class Merges {

        @Test
        void eightWritersMergingAHundredKeysEachThroughTheRetryLoopLoseNothing(AgentStore store) throws Exception {
            store.inTransaction(uow -> uow.flowRuns().start("retry-flow", "r1"));

            concurrently(8, writer -> {
                for (int k = 0; k < 100; k++) {
                    var patch = Json.object();
                    patch.putObject("emittedEvents").put("w" + writer + "-k" + k, true);
                    store.fromTransactionWithRetry(RetryPolicy.DEFAULT,
                            uow -> uow.flowRuns().update("retry-flow", "r1", patch));
                }
                return null;
            });

            FlowRun run = run(store, "retry-flow", "r1");
            Set<String> keys = new HashSet<>();
            run.emittedEvents().fieldNames().forEachRemaining(keys::add);
            assertThat(keys).hasSize(800);
            for (int w = 0; w < 8; w++) {
                for (int k = 0; k < 100; k++) {
                    assertThat(keys).contains("w" + w + "-k" + k);
                }
            }
            assertThat(run.version()).isEqualTo(800); // started at 0, one version per committed update
        }

        @Test
        void sixteenThreadsMergingStepResultsIntoAMissingRunLoseNothing(AgentStore store) throws Exception {
            store.inTransaction(uow -> uow.flows().register("snap-flow", "x", 1));

            concurrently(16, thread -> {
                for (int s = 0; s < 10; s++) {
                    var patch = Json.object();
                    patch.putObject("context").putObject("t" + thread + "-s" + s)
                            .put("status", "success").put("output", thread * 100 + s);
                    store.inTransaction(uow -> uow.flowRuns().mergeSnapshot("snap-flow", "r1", patch));
                }
                return null;
            });

            FlowRun run = run(store, "snap-flow", "r1");
            Set<String> steps = new HashSet<>();
            run.snapshot().get("context").fieldNames().forEachRemaining(steps::add);
            assertThat(steps).hasSize(160);
            assertThat(run.snapshot().get("context").get("t15-s9").get("output").intValue()).isEqualTo(1509);
            assertThat(run.version()).isEqualTo(159); // inserted once at 0, then 159 merges
            // the run came into existence exactly once, so it was counted exactly once
            assertThat(stats(store, "snap-flow")).isEqualTo(new FlowStats(1, 0, 0, 1, 0, 0));
        }

        @Test
        void eightWritersMovingAndMergingOneRunLoseNoMergeAndKeepItsGaugeEqualToItsStatus(AgentStore store)
                throws Exception {
            store.inTransaction(uow -> uow.flows().register("toggle-flow", "x", 1));
            store.inTransaction(uow -> uow.flowRuns().start("toggle-flow", "r1"));

            concurrently(8, writer -> {
                for (int i = 0; i < 50; i++) {
                    // even steps: a status-only patch (one statement, or the read-modify-write when it is no move);
                    // odd steps: a status and a merge (the read-modify-write)
                    var patch = Json.object().put("status", (writer + i / 2) % 2 == 0 ? "awaiting" : "running");
                    if (i % 2 == 1) {
                        patch.putObject("emittedEvents").put("w" + writer + "-" + i, true);
                    }
                    store.fromTransactionWithRetry(RetryPolicy.DEFAULT,
                            uow -> uow.flowRuns().update("toggle-flow", "r1", patch));
                }
                return null;
            });

            FlowRun run = run(store, "toggle-flow", "r1");
            assertThat(run.emittedEvents().size()).isEqualTo(200);
            FlowStats expected = run.status() == FlowRunStatus.RUNNING
                    ? new FlowStats(1, 0, 0, 1, 0, 0) : new FlowStats(1, 0, 0, 0, 1, 0);
            assertThat(stats(store, "toggle-flow")).isEqualTo(expected);
        }
    }

    @Nested
    class Transitions {

        @Test
        void racingTerminalTransitionsLetExactlyOneWinAndCountItOnce(AgentStore store) throws Exception {
            store.inTransaction(uow -> uow.flows().register("race-flow", "x", 1));
            store.inTransaction(uow -> uow.flowRuns().start("race-flow", "r1"));
            FlowRunStatus[] targets = {FlowRunStatus.COMPLETED, FlowRunStatus.FAILED, FlowRunStatus.CANCELLED};

            List<FlowRunStatus> winners = concurrently(12, thread -> {
                FlowRunStatus target = targets[thread % targets.length];
                try {
                    store.fromTransactionWithRetry(RetryPolicy.DEFAULT,
                            uow -> uow.flowRuns().transition("race-flow", "r1", target));
                    return target;
                } catch (InvalidInputException alreadyTerminal) {
                    return null;
                }
            });

            List<FlowRunStatus> won = winners.stream().filter(w -> w != null).toList();
            assertThat(won).hasSize(1);
            FlowRunStatus winner = won.get(0);
            assertThat(run(store, "race-flow", "r1").status()).isEqualTo(winner);
            FlowStats stats = stats(store, "race-flow");
            assertThat(stats.running()).isZero();
            assertThat(stats.success() + stats.failure() + stats.cancelled()).isEqualTo(1);
            assertThat(stats.get(winner.stat())).isEqualTo(1);
        }
    }
}
