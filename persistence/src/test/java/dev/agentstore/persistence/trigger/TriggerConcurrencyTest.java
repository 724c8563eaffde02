package dev.agentstore.persistence.trigger;

import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.trigger.Trigger;
import dev.agentstore.domain.trigger.TriggerType;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.support.RetryPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Real threads, each running real transactions against one trigger. */
@ExtendWith(AgentStoreExtension.class)
class TriggerConcurrencyTest {

    private static final int THREADS = 8;

    /** Runs {@code work(threadIndex)} on {@value #THREADS} threads released together; rethrows the first failure. */
    private static void concurrently(ThreadWork work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    work.run(thread);
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(300, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @FunctionalInterface
    private interface ThreadWork {
        void run(int thread) throws Exception;
    }

    @Test
    void concurrentFiresAndFlowCountsLoseNothing(AgentStore store) throws Exception {
        store.inTransaction(uow -> uow.triggers().register("busy", TriggerType.EVENT));

        concurrently(thread -> {
            for (int i = 0; i < 50; i++) {
                int n = i;
                store.inTransaction(uow -> {
                    uow.triggers().fire("busy", Json.of("data", thread * 1000 + n));
                    uow.triggers().recordFlowsStarted("busy", 2);
                });
            }
        });

        Trigger t = store.fromTransaction(uow -> uow.triggers().get("busy"));
        long rows = store.fromTransaction(uow -> ((Number) uow.entityManager().createNativeQuery(
                "SELECT count(DISTINCT data) FROM trigger_events WHERE trigger_name = 'busy'").getSingleResult()).longValue());
        assertThat(t.totalFires()).isEqualTo(400);
        assertThat(t.flowsStarted()).isEqualTo(800);
        assertThat(rows).isEqualTo(400);
    }

    @Test
    void concurrentSubscriptionMergesWithRetryLoseNothing(AgentStore store) throws Exception {
        store.inTransaction(uow -> uow.triggers().register("merged", TriggerType.EVENT, Json.parse("s", "{\"base\":true}")));

        concurrently(thread -> {
            for (int i = 0; i < 5; i++) {
                String patch = "{\"by\":{\"t" + thread + "-" + i + "\":" + i + "}}";
                store.fromTransactionWithRetry(RetryPolicy.DEFAULT, uow -> uow.triggers().updateSubscriptions("merged",
                        Json.parse("patch", patch)));
            }
        });

        Trigger t = store.fromTransaction(uow -> uow.triggers().get("merged"));
        assertThat(t.subscriptions().get("base").asBoolean()).isTrue();
        assertThat(t.subscriptions().get("by").size()).isEqualTo(THREADS * 5);
        for (int thread = 0; thread < THREADS; thread++) {
            for (int i = 0; i < 5; i++) {
                assertThat(t.subscriptions().get("by").get("t" + thread + "-" + i).asInt()).isEqualTo(i);
            }
        }
        assertThat(t.version()).isEqualTo(THREADS * 5);
    }

    @Test
    void concurrentRegistrationsOfOneNameAllSucceed(AgentStore store) throws Exception {
        concurrently(thread -> store.inTransaction(uow -> uow.triggers().register("boot", TriggerType.WEBHOOK,
                Json.parse("s", "{\"by\":" + thread + "}"))));

        Trigger t = store.fromTransaction(uow -> uow.triggers().get("boot"));
        assertThat(t.version()).isEqualTo(THREADS - 1);
        assertThat(t.subscriptions().get("by").asInt()).isBetween(0, THREADS - 1);
    }
}
