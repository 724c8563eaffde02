package dev.agentstore.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.flow.Flow;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.domain.scheduler.SchedulerJob;
import dev.agentstore.domain.trigger.Trigger;
import dev.agentstore.domain.trigger.TriggerType;
import dev.agentstore.persistence.flow.FlowRepository;
import dev.agentstore.persistence.flow.FlowRunRepository;
import dev.agentstore.persistence.jakarta.TransactionalRetry;
import dev.agentstore.persistence.knowledge.KnowledgeRepository;
import dev.agentstore.persistence.scheduler.SchedulerJobRepository;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.RetryPolicy;
import dev.agentstore.persistence.trigger.TriggerRepository;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.inject.Inject;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The natural read-modify-write of each versioned aggregate inside WildFly: 32 and 64 container threads each run 10
 * times {@code retry.execute(policy, () -> { read; write a value computed from the read; })}, every attempt its own
 * JTA transaction with the container's transaction-scoped {@code EntityManager}. Every increment must survive: the
 * write is checked against the version its transaction read ({@link ReadVersions}, one record per JTA transaction),
 * and {@link TransactionalRetry} retries the conflicts.
 */
@ExtendWith(ArquillianExtension.class)
class ContainerReadModifyWriteTest {

    /** Enough attempts for 64 writers of one row; the backoff keeps them from retrying in lockstep. */
    private static final RetryPolicy PATIENT = new RetryPolicy(1000, Duration.ofMillis(1), Duration.ofMillis(50));

    private static final int INCREMENTS_PER_THREAD = 10;

    /** Far in the future, so that no claim interferes. */
    private static final Instant T0 = Instant.parse("2100-01-01T00:00:00Z");

    @Deployment
    static WebArchive deployment() {
        return Deployments.withTests("read-modify-write-it.war", ContainerReadModifyWriteTest.class);
    }

    @Inject
    FlowRunRepository runs;

    @Inject
    FlowRepository flows;

    @Inject
    TriggerRepository triggers;

    @Inject
    SchedulerJobRepository jobs;

    @Inject
    KnowledgeRepository knowledge;

    @Inject
    TransactionalRetry retry;

    @Inject
    TxHelper tx;

    /** Real threads with the container's contexts: the managed executor may run fewer tasks at once than asked. */
    @Resource
    ManagedThreadFactory threads;

    // ------------------------------------------------------------------ ReadVersions in a JTA transaction

    @Test
    void readVersionsKeepsOneRecordPerJtaTransaction() {
        runs.start("it-rmw-versions", "r1");
        ReadVersions first = tx.inTransaction(() -> {
            runs.get("it-rmw-versions", "r1").orElseThrow();
            ReadVersions versions = ReadVersions.of(tx.em());
            assertThat(versions).as("the record a repository call made, seen by a later call of the transaction")
                    .isEqualTo(ReadVersions.of(tx.em()));
            assertThat(versions.expected("FlowRun", "it-rmw-versions/r1")).hasValue(0L);
            return versions;
        });
        tx.inTransaction(() -> {
            ReadVersions versions = ReadVersions.of(tx.em());
            assertThat(versions).as("a new transaction's record").isNotEqualTo(first);
            assertThat(versions.expected("FlowRun", "it-rmw-versions/r1")).isEqualTo(OptionalLong.empty());
            return null;
        });
    }

    @Test
    void anUpdateAfterAConcurrentChangeFailsWithTheVersionsReadAndFound() {
        runs.start("it-rmw-conflict", "r1");
        assertThatThrownBy(() -> tx.inTransaction(() -> {
            FlowRun run = runs.get("it-rmw-conflict", "r1").orElseThrow();
            retry.inNewTransaction(() -> runs.update("it-rmw-conflict", "r1", counter(100)));
            return runs.update("it-rmw-conflict", "r1", counter(n(run.metadata()) + 1));
        }))
                .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                    assertThat(e.expectedVersion()).hasValue(0L);
                    assertThat(e.actualVersion()).hasValue(1L);
                });
        assertThat(n(runs.get("it-rmw-conflict", "r1").orElseThrow().metadata())).isEqualTo(100);
    }

    // ------------------------------------------------------------------ flow runs

    @Test
    void flowRunIncrementsOf32Threads() throws Exception {
        flowRunIncrements(32);
    }

    @Test
    void flowRunIncrementsOf64Threads() throws Exception {
        flowRunIncrements(64);
    }

    private void flowRunIncrements(int threadCount) throws Exception {
        String flow = "it-rmw-runs-" + threadCount;
        runs.start(flow, "r1");
        race(threadCount, () -> retry.execute(PATIENT, () -> {
            FlowRun run = runs.get(flow, "r1").orElseThrow();
            return runs.update(flow, "r1", counter(n(run.metadata()) + 1));
        }));
        assertThat(n(runs.get(flow, "r1").orElseThrow().metadata()))
                .isEqualTo((long) threadCount * INCREMENTS_PER_THREAD);
    }

    // ------------------------------------------------------------------ flows

    @Test
    void flowIncrementsOf32Threads() throws Exception {
        flowIncrements(32);
    }

    @Test
    void flowIncrementsOf64Threads() throws Exception {
        flowIncrements(64);
    }

    private void flowIncrements(int threadCount) throws Exception {
        String name = "it-rmw-flow-" + threadCount;
        flows.register(name, "RMW", 1);
        race(threadCount, () -> retry.execute(PATIENT, () -> {
            Flow flow = flows.get(name).orElseThrow();
            return flows.register(name, flow.displayName(), flow.flowVersion() + 1);
        }));
        assertThat(flows.get(name).orElseThrow().flowVersion()).isEqualTo(1 + threadCount * INCREMENTS_PER_THREAD);
    }

    // ------------------------------------------------------------------ triggers

    @Test
    void triggerIncrementsOf32Threads() throws Exception {
        triggerIncrements(32);
    }

    @Test
    void triggerIncrementsOf64Threads() throws Exception {
        triggerIncrements(64);
    }

    private void triggerIncrements(int threadCount) throws Exception {
        String name = "it-rmw-trigger-" + threadCount;
        triggers.register(name, TriggerType.EVENT);
        race(threadCount, () -> retry.execute(PATIENT, () -> {
            Trigger trigger = triggers.find(name).orElseThrow();
            return triggers.updateSubscriptions(name, counter(n(trigger.subscriptions()) + 1));
        }));
        assertThat(n(triggers.get(name).subscriptions())).isEqualTo((long) threadCount * INCREMENTS_PER_THREAD);
    }

    // ------------------------------------------------------------------ scheduler jobs

    @Test
    void schedulerJobIncrementsOf32Threads() throws Exception {
        schedulerJobIncrements(32);
    }

    @Test
    void schedulerJobIncrementsOf64Threads() throws Exception {
        schedulerJobIncrements(64);
    }

    private void schedulerJobIncrements(int threadCount) throws Exception {
        String id = "it-rmw-job-" + threadCount;
        jobs.schedule(id, id, null, T0, null, 1);
        race(threadCount, () -> retry.execute(PATIENT, () -> {
            SchedulerJob job = jobs.get(id).orElseThrow();
            return jobs.reschedule(id, null, job.nextRunAt().plusSeconds(1));
        }));
        assertThat(jobs.get(id).orElseThrow().nextRunAt())
                .isEqualTo(T0.plusSeconds((long) threadCount * INCREMENTS_PER_THREAD));
    }

    // ------------------------------------------------------------------ knowledge bases

    @Test
    void knowledgeBaseIncrementsOf32Threads() throws Exception {
        knowledgeBaseIncrements(32);
    }

    @Test
    void knowledgeBaseIncrementsOf64Threads() throws Exception {
        knowledgeBaseIncrements(64);
    }

    /** The base is empty, so that each index build is cheap. */
    private void knowledgeBaseIncrements(int threadCount) throws Exception {
        String name = "it_rmw_kb_" + threadCount;
        knowledge.create(name, 3, Distance.COSINE, IndexSpec.ivfflat(1));
        race(threadCount, () -> retry.execute(PATIENT, () -> {
            KnowledgeBase kb = knowledge.get(name);
            return knowledge.changeIndex(name, IndexSpec.ivfflat(kb.index().lists() + 1));
        }));
        assertThat(knowledge.get(name).index().lists()).isEqualTo(1 + threadCount * INCREMENTS_PER_THREAD);
    }

    // ------------------------------------------------------------------ helpers

    /** Runs {@code increment} {@value #INCREMENTS_PER_THREAD} times on each of {@code threadCount} threads at once. */
    private void race(int threadCount, Runnable increment) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threadCount, threads);
        try {
            CountDownLatch ready = new CountDownLatch(threadCount);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threadCount; t++) {
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    start.await();
                    for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                        increment.run();
                    }
                    return null;
                }));
            }
            assertThat(ready.await(60, TimeUnit.SECONDS)).as("all threads started").isTrue();
            start.countDown();
            for (Future<?> f : futures) {
                f.get(300, TimeUnit.SECONDS); // a hang guard, not a speed assertion
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static long n(JsonNode node) {
        return node == null || node.get("n") == null ? 0 : node.get("n").asLong();
    }

    private static JsonNode counter(long n) {
        return Json.parse("patch", "{\"n\": " + n + "}");
    }
}
