package dev.agentstore.persistence.knowledge;

import dev.agentstore.domain.json.Json;
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
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Approximate search against exact search on a generated clustered dataset: 10,000 vectors of 64 dimensions in 50
 * Gaussian clusters (seeded), loaded without index, then indexed with HNSW (m = 16, ef_construction = 64).
 */
@ExtendWith(AgentStoreExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChunkRecallTest {

    private static final String BASE = "clustered";
    private static final int N = 10_000;
    private static final int DIM = 64;
    private static final int CLUSTERS = 50;
    private static final int QUERIES = 30;
    private static final int K = 10;

    private final float[][] data = new float[N][];
    private final float[][] queries = new float[QUERIES][];

    @BeforeAll
    void load(AgentStore store) {
        Random random = new Random(20_240_611L);
        float[][] centers = new float[CLUSTERS][DIM];
        for (float[] c : centers) {
            for (int d = 0; d < DIM; d++) {
                c[d] = (float) random.nextGaussian();
            }
        }
        for (int i = 0; i < N; i++) {
            data[i] = around(centers[i % CLUSTERS], random, 0.35);
        }
        for (int q = 0; q < QUERIES; q++) {
            queries[q] = around(centers[random.nextInt(CLUSTERS)], random, 0.35);
        }
        store.inTransaction(uow -> uow.knowledge().create(BASE, DIM, Distance.COSINE, IndexSpec.none()));
        for (int from = 0; from < N; from += 2_500) {
            int start = from;
            store.inTransaction(uow -> {
                List<NewChunk> batch = new ArrayList<>();
                for (int i = start; i < start + 2_500; i++) {
                    batch.add(NewChunk.of("doc-" + i / 20, i % 20, "chunk " + i, data[i]).withId(Integer.toString(i))
                            .withPayload(Json.parse("p", "{\"bucket\":" + bucket(i) + ",\"rare\":" + rare(i)
                                    + ",\"tag\":\"t" + tag(i) + "\",\"half\":" + (i % 2) + ",\"ten\":" + (i % 1000 == 7)
                                    + "}")));
                }
                uow.chunks().upsert(BASE, batch);
            });
        }
        store.inTransaction(uow -> uow.knowledge().changeIndex(BASE, IndexSpec.hnsw(16, 64)));
        store.inTransaction(uow -> uow.entityManager().createNativeQuery("ANALYZE chunks").executeUpdate());
    }

    /** Ten buckets, independent of the cluster (point i is in cluster i % 50): a 10% filter. */
    private static int bucket(int i) {
        return (i / CLUSTERS) % 10;
    }

    /** One point of each cluster: a 0.5% filter. */
    private static boolean rare(int i) {
        return i / CLUSTERS == 3;
    }

    /** Fifty tags of 200 points each, independent of the cluster: a 2% filter, on a text value. */
    private static int tag(int i) {
        return (i / CLUSTERS) % 50;
    }

    private static float[] around(float[] center, Random random, double sd) {
        float[] v = new float[DIM];
        for (int d = 0; d < DIM; d++) {
            v[d] = (float) (center[d] + random.nextGaussian() * sd);
        }
        return v;
    }

    /** Exact top-k by cosine distance, in Java. */
    private List<String> exact(float[] q, int k, IntPredicate matches) {
        double[] distance = new double[N];
        for (int i = 0; i < N; i++) {
            distance[i] = 1 - Mmr.cosine(q, data[i]);
        }
        return IntStream.range(0, N).filter(matches).boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> distance[i]).thenComparing(String::valueOf))
                .limit(k).map(String::valueOf).toList();
    }

    private static double recall(List<String> truth, List<ChunkMatch> got) {
        Set<String> t = new HashSet<>(truth);
        return got.stream().filter(m -> t.contains(m.id())).count() / (double) truth.size();
    }

    @Nested
    class Recall {

        @Test
        void unfilteredRecallAt10IsAtLeast95Percent(AgentStore store) {
            double total = 0;
            for (float[] q : queries) {
                List<ChunkMatch> got = store.fromTransaction(uow -> uow.chunks().search(BASE, q, SearchOptions.top(K)));
                assertThat(got).hasSize(K);
                total += recall(exact(q, K, i -> true), got);
            }
            assertThat(total / QUERIES).isGreaterThanOrEqualTo(0.95);
        }

        @Test
        void filteredRecallAt10IsAtLeast95PercentAndEveryQueryReturnsK(AgentStore store) {
            double total = 0;
            for (int n = 0; n < QUERIES; n++) {
                float[] q = queries[n];
                int b = n % 10;
                List<ChunkMatch> got = store.fromTransaction(uow -> uow.chunks().search(BASE, q,
                        SearchOptions.top(K).withFilter(Filter.eq("payload.bucket", b))));
                assertThat(got).hasSize(K).allSatisfy(m -> assertThat(m.payload().get("bucket").intValue()).isEqualTo(b));
                total += recall(exact(q, K, i -> bucket(i) == b), got);
            }
            assertThat(total / QUERIES).isGreaterThanOrEqualTo(0.95);
        }

        @Test
        void aThresholdKeepsOnlyScoresAtOrAboveIt(AgentStore store) {
            float[] q = queries[1];
            List<ChunkMatch> unbounded = store.fromTransaction(uow -> uow.chunks().search(BASE, q, SearchOptions.top(50)));
            double cut = unbounded.get(19).score();

            List<ChunkMatch> bounded = store.fromTransaction(uow -> uow.chunks().search(BASE, q,
                    SearchOptions.top(50).withMinScore(cut)));

            assertThat(bounded).hasSizeBetween(20, 21).allSatisfy(m -> assertThat(m.score()).isGreaterThanOrEqualTo(cut));
            assertThat(bounded).extracting(ChunkMatch::id)
                    .containsExactlyElementsOf(unbounded.subList(0, bounded.size()).stream().map(ChunkMatch::id).toList());
        }

        @Test
        void mmrReturnsKDistinctCandidatesFromTheNearest(AgentStore store) {
            float[] q = queries[3];
            List<ChunkMatch> plain = store.fromTransaction(uow -> uow.chunks().search(BASE, q, SearchOptions.top(80)));
            List<ChunkMatch> mmr = store.fromTransaction(uow -> uow.chunks().search(BASE, q, SearchOptions.top(K).withMmr()));

            assertThat(mmr).hasSize(K).extracting(ChunkMatch::id).doesNotHaveDuplicates()
                    .isSubsetOf(plain.stream().map(ChunkMatch::id).toList());
            assertThat(mmr.get(0).id()).isEqualTo(plain.get(0).id());
            assertThat(mmr).allSatisfy(m -> assertThat(m.embedding()).isNull());
        }
    }

    @Nested
    class PlanChoice {

        @Test
        void aVerySelectiveFilterStillReturnsKExactMatches(AgentStore store) {
            for (int n = 0; n < 5; n++) {
                float[] q = queries[n];
                List<ChunkMatch> got = store.fromTransaction(uow -> uow.chunks().search(BASE, q,
                        SearchOptions.top(K).withFilter(Filter.eq("payload.rare", true))));
                assertThat(got).extracting(ChunkMatch::id).containsExactlyElementsOf(exact(q, K, ChunkRecallTest::rare));
            }
            List<ChunkMatch> all = store.fromTransaction(uow -> uow.chunks().search(BASE, queries[0],
                    SearchOptions.top(100).withFilter(Filter.eq("payload.rare", true))));
            assertThat(all).hasSize(CLUSTERS);
        }

        @Test
        void aSelectiveFilterRanksEveryMatchExactlyWithoutTheVectorIndex(AgentStore store) {
            for (int n = 0; n < 10; n++) {
                float[] q = queries[n];
                int t = (n * 7) % 50;
                List<ChunkMatch> got = store.fromTransaction(uow -> uow.chunks().search(BASE, q,
                        SearchOptions.top(K).withFilter(Filter.eq("payload.tag", "t" + t))));
                assertThat(got).extracting(ChunkMatch::id).as("tag t%d", t)
                        .containsExactlyElementsOf(exact(q, K, i -> tag(i) == t));
            }
            List<ChunkMatch> ten = store.fromTransaction(uow -> uow.chunks().search(BASE, queries[0],
                    SearchOptions.top(K).withFilter(Filter.eq("payload.ten", true))));
            assertThat(ten).extracting(ChunkMatch::id).containsExactlyElementsOf(exact(queries[0], K, i -> i % 1000 == 7));

            List<String> lines = store.fromTransaction(uow -> uow.chunks().explainSearch(BASE, queries[0],
                    SearchOptions.top(K).withFilter(Filter.eq("payload.tag", "t3")), true));
            String plan = String.join("\n", lines);
            assertThat(plan).contains("Bitmap Index Scan on chunks_payload_idx")
                    .containsPattern("Index Scan using " + KnowledgeRepository.INDEX_PREFIX + BASE + " .*never executed");
        }

        @Test
        void anUnselectiveFilterWalksTheVectorIndexAndStillReturnsKMatches(AgentStore store) {
            double total = 0;
            for (int n = 0; n < QUERIES; n++) {
                float[] q = queries[n];
                int half = n % 2;
                List<ChunkMatch> got = store.fromTransaction(uow -> uow.chunks().search(BASE, q,
                        SearchOptions.top(K).withEfSearch(100).withFilter(Filter.eq("payload.half", half))));
                assertThat(got).hasSize(K).allSatisfy(m -> assertThat(m.payload().get("half").intValue()).isEqualTo(half));
                assertThat(got).extracting(ChunkMatch::distance).isSorted();
                total += recall(exact(q, K, i -> i % 2 == half), got);
            }
            assertThat(total / QUERIES).isGreaterThanOrEqualTo(0.95);

            List<String> lines = store.fromTransaction(uow -> uow.chunks().explainSearch(BASE, queries[0],
                    SearchOptions.top(K).withFilter(Filter.eq("payload.half", 1)), true));
            String plan = String.join("\n", lines);
            assertThat(plan).containsPattern("CTE Scan on matching \\S+ .*never executed")
                    .containsPattern("Index Scan using " + KnowledgeRepository.INDEX_PREFIX + BASE + " .*actual time")
                    .doesNotContainPattern("Index Scan using " + KnowledgeRepository.INDEX_PREFIX + BASE
                            + " .*never executed");
        }

        @Test
        void explainShowsTheHnswIndexForEveryShapeAndTheGinIndexForFilters(AgentStore store) {
            float[] q = queries[2];
            String index = KnowledgeRepository.INDEX_PREFIX + BASE;
            List<SearchOptions> shapes = List.of(
                    SearchOptions.top(K),
                    SearchOptions.top(K).withMinScore(0.8),
                    SearchOptions.top(K).withFilter(Filter.eq("payload.bucket", 3)),
                    SearchOptions.top(K).withFilter(Filter.contains("payload.bucket", 3)).withMinScore(0.5),
                    SearchOptions.top(K).withMmr());
            for (SearchOptions options : shapes) {
                List<String> plan = store.fromTransaction(uow -> uow.chunks().explainSearch(BASE, q, options, false));
                assertThat(String.join("\n", plan)).as(options.toString()).contains("Index Scan using " + index);
                if (options.filter() != null) {
                    // the matching chunks are collected through the payload's GIN index, for equality and containment
                    assertThat(String.join("\n", plan)).as(options.toString())
                            .contains("Bitmap Index Scan on chunks_payload_idx");
                }
            }
        }
    }
}
