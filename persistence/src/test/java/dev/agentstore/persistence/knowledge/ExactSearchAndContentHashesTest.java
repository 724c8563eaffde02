package dev.agentstore.persistence.knowledge;

import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.knowledge.Chunk;
import dev.agentstore.domain.knowledge.ChunkMatch;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.query.Filter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(AgentStoreExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExactSearchAndContentHashesTest {

    private static final int ROWS = 400;
    private static final int DIMENSION = 8;
    private final List<float[]> vectors = new ArrayList<>();

    @BeforeAll
    void indexedBase(AgentStore store) {
        Random random = new Random(7);
        List<NewChunk> chunks = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            float[] v = new float[DIMENSION];
            for (int d = 0; d < DIMENSION; d++) {
                v[d] = (float) random.nextGaussian();
            }
            vectors.add(v);
            chunks.add(NewChunk.of("doc-" + i / 10, i % 10, "text " + i, v).withId("c" + i)
                    .withPayload(Json.parse("payload", "{\"group\":\"" + (i % 4 == 0 ? "a" : "b") + "\"}")));
        }
        store.inTransaction(uow -> {
            uow.knowledge().create("exact", DIMENSION, Distance.COSINE, IndexSpec.hnsw());
            uow.chunks().upsert("exact", chunks);
        });
    }

    /** The ids of the k chunks nearest to {@code query} by cosine distance, ranked in Java, ties by id. */
    private List<String> bruteForce(float[] query, int k, boolean onlyGroupA) {
        List<Integer> rows = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            if (!onlyGroupA || i % 4 == 0) {
                rows.add(i);
            }
        }
        Map<Integer, Double> distance = new HashMap<>();
        rows.forEach(i -> distance.put(i, cosineDistance(query, vectors.get(i))));
        return rows.stream().sorted(Comparator.comparingDouble(distance::get).thenComparing(i -> "c" + i))
                .limit(k).map(i -> "c" + i).toList();
    }

    private static double cosineDistance(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return 1 - dot / Math.sqrt(na * nb);
    }

    @Nested
    class ExactSearch {

        @Test
        void returnsTheExactNearestChunksOfAnIndexedBase(AgentStore store) {
            Random random = new Random(11);
            for (int q = 0; q < 20; q++) {
                float[] query = new float[DIMENSION];
                for (int d = 0; d < DIMENSION; d++) {
                    query[d] = (float) random.nextGaussian();
                }
                List<ChunkMatch> hits = store.chunks().search("exact", query,
                        SearchOptions.top(10).withEfSearch(1).withExactSearch());
                assertThat(hits).extracting(ChunkMatch::id).containsExactlyElementsOf(bruteForce(query, 10, false));
            }
        }

        @Test
        void ranksEveryChunkThatPassesTheFilter(AgentStore store) {
            float[] query = vectors.get(3);
            List<ChunkMatch> hits = store.chunks().search("exact", query, SearchOptions.top(25)
                    .withExactSearch().withFilter(Filter.eq("payload.group", "a")));
            assertThat(hits).extracting(ChunkMatch::id).containsExactlyElementsOf(bruteForce(query, 25, true));
        }

        @Test
        void doesNotUseTheBasesIndexWhileTheDefaultSearchDoes(AgentStore store) {
            String index = "Index Scan using " + KnowledgeRepository.INDEX_PREFIX + "exact";
            String exact = String.join("\n", store.chunks().explainSearch("exact", vectors.get(0),
                    SearchOptions.top(10).withExactSearch(), false));
            String indexed = String.join("\n", store.chunks().explainSearch("exact", vectors.get(0),
                    SearchOptions.top(10), false));
            assertThat(indexed).contains(index);
            assertThat(exact).doesNotContain(index);
        }

        @Test
        void convertsTheQueryVectorOnceInAnInitPlanNotForEveryRowItRanks(AgentStore store) {
            String exact = String.join("\n", store.chunks().explainSearch("exact", vectors.get(0),
                    SearchOptions.top(10).withExactSearch(), false));
            String indexed = String.join("\n", store.chunks().explainSearch("exact", vectors.get(0),
                    SearchOptions.top(10), false));
            // the scalar subquery (SELECT CAST(:query AS vector(8))) is an InitPlan over a Result node; inline, the
            // generic plan had no such node and cast the bound real[] again for every row
            assertThat(exact).containsPattern("InitPlan \\d+ \\(returns \\$\\d+\\)\\n\\s+->  Result");
            assertThat(indexed).containsPattern("InitPlan \\d+ \\(returns \\$\\d+\\)\\n\\s+->  Result")
                    .containsPattern("Order By: .*<=> \\$\\d+\\)");
        }

        @Test
        void survivesEveryOtherWither() {
            SearchOptions options = SearchOptions.top(5).withExactSearch().withMinScore(0.1)
                    .withFilter(Filter.eq("payload.group", "a")).withEfSearch(10).withProbes(2).withMmr()
                    .withEmbeddings();
            assertThat(options.exactSearch()).isTrue();
            assertThat(SearchOptions.top(5).exactSearch()).isFalse();
            assertThat(options.toString()).contains("exactSearch=true");
        }
    }

    @Nested
    class ContentHashes {

        @Test
        void mapEveryChunkIdToTheHashOfItsContent(AgentStore store) {
            Map<String, String> hashes = store.chunks().contentHashes("exact");
            assertThat(hashes).hasSize(ROWS);
            for (int i = 0; i < ROWS; i++) {
                assertThat(hashes).containsEntry("c" + i, Chunk.contentHash("text " + i));
            }
        }

        @Test
        void followAnUpsertThatChangesTheContent(AgentStore store) {
            store.inTransaction(uow -> {
                uow.knowledge().create("hashes", 2, Distance.COSINE, IndexSpec.none());
                uow.chunks().upsert("hashes", List.of(NewChunk.of("d", 0, "old", new float[]{1, 0}).withId("d#0")));
            });
            store.chunks().upsert("hashes", List.of(NewChunk.of("d", 0, "new", new float[]{1, 0}).withId("d#0")));
            assertThat(store.chunks().contentHashes("hashes")).containsExactly(Map.entry("d#0", Chunk.contentHash("new")));
            store.chunks().deleteAll("hashes");
            assertThat(store.chunks().contentHashes("hashes")).isEmpty();
        }

        @Test
        void ofAMissingBaseIsNotFound(AgentStore store) {
            assertThatThrownBy(() -> store.chunks().contentHashes("no_such_base")).isInstanceOf(NotFoundException.class);
        }
    }
}
