package dev.agentstore.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.memory.Memory;
import dev.agentstore.domain.memory.MemoryResource;
import dev.agentstore.domain.record.Record;
import dev.agentstore.persistence.jakarta.TransactionalRetry;
import dev.agentstore.persistence.kv.KvRepository;
import dev.agentstore.persistence.memory.MemoryRepository;
import dev.agentstore.persistence.record.RecordRepository;
import dev.agentstore.persistence.support.RetryPolicy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.inject.Inject;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The natural read-modify-write of KV entries, records, memory threads and resources inside WildFly: 32 and 64
 * managed threads (all running at once) each run 10 units of work through {@link TransactionalRetry} that read the aggregate and write
 * {@code n + 1} computed from what they read (container-managed entity manager, JTA transactions). Every increment
 * must survive: the write is checked against the version the transaction read, and conflicts are retried.
 */
@ExtendWith(ArquillianExtension.class)
class ContainerReadModifyWriteKvRecordMemoryTest {

    /** Enough attempts for 64 writers of one row; the backoff keeps them from retrying in lockstep. */
    private static final RetryPolicy PATIENT = new RetryPolicy(1000, Duration.ofMillis(1), Duration.ofMillis(50));

    private static final int INCREMENTS_PER_TASK = 10;

    @Deployment
    static WebArchive deployment() {
        return Deployments.withTests("read-modify-write-kv-record-memory-it.war",
                ContainerReadModifyWriteKvRecordMemoryTest.class);
    }

    @Inject
    KvRepository kv;

    @Inject
    RecordRepository records;

    @Inject
    MemoryRepository memories;

    @Inject
    TransactionalRetry retry;

    /** Threads with the container's context: the default managed executor runs only a few tasks at once. */
    @Resource
    ManagedThreadFactory threads;

    @Test
    void everyKvIncrementReadThenSetSurvives() throws Exception {
        for (int tasks : new int[] {32, 64}) {
            String key = "it-rmw-kv-" + tasks;
            race(tasks, () -> retry.execute(PATIENT, () -> {
                long n = kv.get(key).map(JsonNode::asLong).orElse(0L);
                kv.set(key, n + 1);
                return null;
            }));
            assertThat(kv.get(key).orElseThrow().asLong()).as("%d tasks", tasks)
                    .isEqualTo((long) tasks * INCREMENTS_PER_TASK);
        }
    }

    @Test
    void everyRecordIncrementReadThenUpdatedSurvives() throws Exception {
        for (int tasks : new int[] {32, 64}) {
            String id = "it-rmw-record-" + tasks;
            records.create(id, counter(0), null);
            race(tasks, () -> retry.execute(PATIENT, () -> {
                Record r = records.get(id).orElseThrow();
                return records.update(id, counter(n(r.data()) + 1), null);
            }));
            assertThat(n(records.get(id).orElseThrow().data())).as("%d tasks", tasks)
                    .isEqualTo((long) tasks * INCREMENTS_PER_TASK);
        }
    }

    @Test
    void everyThreadIncrementReadThenUpdatedSurvives() throws Exception {
        for (int tasks : new int[] {32, 64}) {
            String id = "it-rmw-thread-" + tasks;
            memories.saveThread(id, "it-user", "0", null);
            race(tasks, () -> retry.execute(PATIENT, () -> {
                Memory m = memories.findThread(id).orElseThrow();
                return memories.updateThread(id, String.valueOf(Long.parseLong(m.title()) + 1),
                        counter(n(m.metadata()) + 1));
            }));
            Memory last = memories.getThread(id);
            assertThat(last.title()).as("%d tasks", tasks).isEqualTo(String.valueOf(tasks * INCREMENTS_PER_TASK));
            assertThat(n(last.metadata())).as("%d tasks", tasks).isEqualTo((long) tasks * INCREMENTS_PER_TASK);
        }
    }

    @Test
    void everyAppendToAResourcesWorkingMemorySurvives() throws Exception {
        for (int tasks : new int[] {32, 64}) {
            String id = "it-rmw-resource-" + tasks;
            race(tasks, () -> retry.execute(PATIENT, () -> {
                String wm = memories.getResource(id).map(MemoryResource::workingMemory).orElse("");
                return memories.updateResource(id, wm + "x", null);
            }));
            assertThat(memories.getResource(id).orElseThrow().workingMemory()).as("%d tasks", tasks)
                    .hasSize(tasks * INCREMENTS_PER_TASK);
        }
    }

    /**
     * Runs {@code increment} {@value #INCREMENTS_PER_TASK} times in each of {@code tasks} managed threads, released
     * together by a start gate.
     */
    private void race(int tasks, Runnable increment) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(tasks, threads);
        try {
            CountDownLatch ready = new CountDownLatch(tasks);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < tasks; t++) {
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    ready.await(60, TimeUnit.SECONDS);
                    for (int i = 0; i < INCREMENTS_PER_TASK; i++) {
                        increment.run();
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(300, TimeUnit.SECONDS); // a hang guard, not a speed assertion
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static long n(JsonNode object) {
        return object.path("n").asLong();
    }

    private static JsonNode counter(long n) {
        return Json.parse("counter", "{\"n\": " + n + "}");
    }
}
