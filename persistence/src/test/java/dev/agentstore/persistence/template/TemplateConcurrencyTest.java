package dev.agentstore.persistence.template;

import dev.agentstore.domain.template.Template;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
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

import static org.assertj.core.api.Assertions.assertThat;

/** Revision numbering under real concurrent transactions: no retries needed, no duplicates, no gaps. */
@ExtendWith(AgentStoreExtension.class)
class TemplateConcurrencyTest {

    private static final int THREADS = 8;
    private static final int PER_THREAD = 15;

    @Test
    void eightThreadsDefiningOneTemplateGetRevisionsOneToNWithoutDuplicatesOrGaps(AgentStore store) throws Exception {
        List<Integer> returned = race(store, i -> "shared");

        int n = THREADS * PER_THREAD;
        assertThat(returned).hasSize(n).doesNotHaveDuplicates();
        assertThat(returned).containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, n).boxed().toList());
        List<Template> history = store.fromTransaction(uow -> uow.templates().history("shared"));
        assertThat(history).extracting(Template::revision)
                .containsExactlyElementsOf(IntStream.rangeClosed(1, n).map(r -> n + 1 - r).boxed().toList());
        assertThat(store.fromTransaction(uow -> uow.templates().latest("shared")).orElseThrow().revision())
                .isEqualTo(n);
    }

    @Test
    void threadsDefiningTwoTemplatesNumberEachIndependently(AgentStore store) throws Exception {
        List<Integer> returned = race(store, i -> i % 2 == 0 ? "even" : "odd");

        assertThat(returned).hasSize(THREADS * PER_THREAD);
        int perIdentifier = THREADS / 2 * PER_THREAD;
        for (String id : List.of("even", "odd")) {
            List<Template> history = store.fromTransaction(uow -> uow.templates().history(id));
            assertThat(history)
                    .extracting(Template::revision)
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, perIdentifier)
                            .map(r -> perIdentifier + 1 - r).boxed().toList());
        }
    }

    private static List<Integer> race(AgentStore store, java.util.function.IntFunction<String> identifier)
            throws Exception {
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
                        String content = "thread " + thread + " define " + k;
                        mine.add(store.fromTransaction(uow -> uow.templates()
                                .define(identifier.apply(thread), content)).revision());
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
