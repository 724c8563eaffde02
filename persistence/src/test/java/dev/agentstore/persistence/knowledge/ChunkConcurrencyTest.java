package dev.agentstore.persistence.knowledge;

import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(AgentStoreExtension.class)
class ChunkConcurrencyTest {

    @Test
    void concurrentUpsertsOfOverlappingIdsInAnyOrderNeitherDeadlockNorDuplicate(AgentStore store) throws Exception {
        store.inTransaction(uow -> uow.knowledge().create("shared", 4, Distance.COSINE, IndexSpec.hnsw()));
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int seed = t;
            futures.add(pool.submit(() -> {
                List<NewChunk> chunks = new ArrayList<>();
                for (int i = 0; i < 300; i++) {
                    chunks.add(NewChunk.of("d", i, "writer " + seed, new float[]{seed + 1, i, 1, 1}).withId("c" + i));
                }
                Collections.shuffle(chunks, new Random(seed));
                start.await();
                store.inTransaction(uow -> uow.chunks().upsert("shared", chunks));
                return null;
            }));
        }
        start.countDown();
        for (Future<?> f : futures) {
            f.get(120, TimeUnit.SECONDS); // a deadlock would surface here as ConcurrencyConflictException
        }
        pool.shutdown();

        long count = store.fromTransaction(uow -> uow.chunks().count("shared"));
        assertThat(count).isEqualTo(300);
        // every row is one writer's complete version (content and embedding from the same upsert)
        for (String id : List.of("c0", "c150", "c299")) {
            var c = store.fromTransaction(uow -> uow.chunks().get("shared", id)).orElseThrow();
            int writer = Integer.parseInt(c.content().substring("writer ".length()));
            assertThat(c.embedding()[0]).isEqualTo(writer + 1f);
        }
    }
}
