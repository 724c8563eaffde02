package dev.agentstore.persistence.dataset;

import dev.agentstore.domain.dataset.DatasetVersion;
import dev.agentstore.domain.dataset.ItemChange;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.Race;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static dev.agentstore.persistence.dataset.DatasetRepositoryTest.add;
import static dev.agentstore.persistence.dataset.DatasetRepositoryTest.json;
import static dev.agentstore.persistence.dataset.DatasetRepositoryTest.newDataset;
import static org.assertj.core.api.Assertions.assertThat;

/** Version numbering under real concurrent transactions: no retries needed, no duplicates, no gaps. */
@ExtendWith(AgentStoreExtension.class)
class DatasetConcurrencyTest {

    private static final int THREADS = 8;
    private static final int PER_THREAD = 10;

    @Test
    void concurrentChangesOfOneDatasetGetVersionsOneToNWithoutDuplicatesOrGaps(AgentStore store) throws Exception {
        String id = newDataset(store);

        List<List<Integer>> perThread = Race.run(THREADS, t -> () -> {
            List<Integer> mine = new ArrayList<>();
            for (int k = 0; k < PER_THREAD; k++) {
                String item = "t" + t + "-" + k;
                DatasetVersion v = k % 3 == 2
                        ? store.datasets().importJsonLines(id, new StringReader("{\"id\":\"" + item + "\",\"input\":1}"))
                        : store.fromTransaction(uow -> uow.datasets().apply(id, List.of(add(item, "q", null))));
                mine.add(v.version());
                if (k % 2 == 1) {
                    mine.add(store.datasets().apply(id, List.of(ItemChange.update(item, json("2"), null, null)))
                            .version());
                }
            }
            return mine;
        });

        List<Integer> all = perThread.stream().flatMap(List::stream).toList();
        int n = all.size();
        assertThat(all).containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, n).boxed().toList());
        assertThat(store.datasets().get(id).orElseThrow().version()).isEqualTo(n);
        assertThat(store.datasets().versions(id, null, 1000)).extracting(DatasetVersion::version)
                .containsExactlyElementsOf(IntStream.rangeClosed(1, n).map(i -> n + 1 - i).boxed().toList());
        assertThat(store.datasets().countItems(id, n)).isEqualTo(THREADS * PER_THREAD);
        for (List<Integer> mine : perThread) {
            assertThat(mine).isSorted();
        }
    }

    @Test
    void aChangeThatRollsBackLeavesNoGap(AgentStore store) throws Exception {
        String id = newDataset(store);

        Race.run(THREADS, t -> () -> {
            for (int k = 0; k < PER_THREAD; k++) {
                String item = "r" + t + "-" + k;
                try {
                    store.inTransaction(uow -> {
                        uow.datasets().apply(id, List.of(add(item, "q", null)));
                        if (item.hashCode() % 2 == 0) {
                            throw new IllegalStateException("roll back");
                        }
                    });
                } catch (IllegalStateException expected) {
                    // rolled back with its version number
                }
            }
            return null;
        });

        int current = store.datasets().get(id).orElseThrow().version();
        assertThat(store.datasets().versions(id, null, 1000)).extracting(DatasetVersion::version)
                .containsExactlyElementsOf(IntStream.rangeClosed(1, current).map(i -> current + 1 - i).boxed()
                        .toList());
        assertThat(store.datasets().countItems(id, current)).isEqualTo(current);
    }
}
