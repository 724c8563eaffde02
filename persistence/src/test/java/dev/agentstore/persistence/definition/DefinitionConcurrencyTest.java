package dev.agentstore.persistence.definition;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.definition.Definition;
import dev.agentstore.domain.definition.DefinitionVersion;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.Race;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static dev.agentstore.domain.definition.DefinitionKind.AGENT;
import static dev.agentstore.persistence.definition.DefinitionRepositoryTest.agent;
import static org.assertj.core.api.Assertions.assertThat;

/** Version numbering under real concurrent transactions: no retries needed, no duplicates, no gaps. */
@ExtendWith(AgentStoreExtension.class)
class DefinitionConcurrencyTest {

    private static final int THREADS = 8;
    private static final int PER_THREAD = 10;

    @Test
    void eightThreadsCreatingVersionsOfOneDefinitionGetTwoToNWithoutDuplicatesOrGaps(AgentStore store)
            throws Exception {
        store.definitions().create(AGENT, "race", agent("v1"), null, null, null);
        List<Integer> numbers = race(store, "race", false);

        int n = THREADS * PER_THREAD + 1;
        assertThat(numbers).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(2, n).boxed().toList());
        assertThat(store.definitions().countVersions(AGENT, "race")).isEqualTo(n);
        assertThat(store.definitions().get(AGENT, "race").orElseThrow().latestVersion()).isEqualTo(n);
    }

    @Test
    void rolledBackCreationsGiveTheirNumbersBackSoNoneIsSkipped(AgentStore store) throws Exception {
        store.definitions().create(AGENT, "rollback", agent("v1"), null, null, null);
        List<Integer> committed = race(store, "rollback", true);

        List<Integer> stored = store.definitions().listVersions(AGENT, "rollback", null, 1000).stream()
                .map(DefinitionVersion::number).toList();
        int n = committed.size() + 1;
        assertThat(stored).containsExactlyElementsOf(IntStream.rangeClosed(1, n).map(i -> n + 1 - i).boxed().toList());
    }

    @Test
    void concurrentReadModifyWritesOfTheMetadataLoseNoUpdateWithRetries(AgentStore store) throws Exception {
        store.definitions().create(AGENT, "counter", agent("v1"), Json.parse("m", "{\"n\":0}"), null, null);

        Race.run(THREADS, t -> () -> store.fromTransactionWithRetry(Race.PATIENT, uow -> {
            Definition read = uow.definitions().get(AGENT, "counter").orElseThrow();
            ObjectNode next = (ObjectNode) read.metadata();
            next.put("n", next.get("n").asInt() + 1);
            return uow.definitions().update(AGENT, "counter", next, null); // checked against the version read
        }));

        Definition last = store.definitions().get(AGENT, "counter").orElseThrow();
        assertThat(last.metadata().get("n").asInt()).isEqualTo(THREADS);
        assertThat(last.version()).isEqualTo(THREADS);
    }

    /** Each thread creates versions in its own transactions; with {@code abortHalf}, every other one rolls back. */
    private static List<Integer> race(AgentStore store, String id, boolean abortHalf) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<List<Integer>>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    List<Integer> mine = new ArrayList<>();
                    for (int k = 0; k < PER_THREAD; k++) {
                        boolean abort = abortHalf && k % 2 == 1;
                        try {
                            mine.add(store.fromTransaction(uow -> {
                                int number = uow.definitions().createVersion(AGENT, id,
                                        agent("t" + thread + " k" + abort), null, null).number();
                                if (abort) {
                                    throw new IllegalStateException("roll back");
                                }
                                return number;
                            }));
                        } catch (RuntimeException e) {
                            if (!abort) {
                                throw e;
                            }
                        }
                    }
                    return mine;
                }));
            }
            start.countDown();
            List<Integer> all = new ArrayList<>();
            for (Future<List<Integer>> f : futures) {
                all.addAll(f.get(300, TimeUnit.SECONDS));
            }
            return all;
        } finally {
            pool.shutdownNow();
        }
    }
}
