package dev.agentstore.langchain4j;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.VectorType;
import dev.agentstore.persistence.AgentStore;
import dev.langchain4j.data.document.Metadata;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.store.embedding.CosineSimilarity;
import dev.langchain4j.store.embedding.EmbeddingMatch;
import dev.langchain4j.store.embedding.EmbeddingSearchRequest;
import dev.langchain4j.store.embedding.filter.Filter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.function.BiPredicate;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;

import static dev.langchain4j.store.embedding.filter.MetadataFilterBuilder.metadataKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The adapter's default search against a brute-force top k computed here, in two HNSW bases of 3,000 chunks of 64
 * dimensions, metadata {@code doc = i % 100} and {@code half = i % 2}: uniformly random unit vectors (the hardest case
 * for an approximate index) and clustered ones (30 centres, each chunk a centre plus noise, as text embeddings are);
 * and the random vectors once more in a base made by {@link AgentStoreEmbeddingStore#create} (index on
 * {@code halfvec}).
 */
class AgentStoreEmbeddingStoreRecallTest {

    private static final int DIM = 64;
    private static final int N = 3_000;
    private static final int K = 10;
    private static final int QUERIES = 20;

    private static AgentStore store;
    private static AgentStoreEmbeddingStore embeddings;
    private static AgentStoreEmbeddingStore clusteredEmbeddings;
    private static AgentStoreEmbeddingStore halfvecEmbeddings;
    private static float[][] data;
    private static float[][] queries;
    private static float[][] clustered;
    private static float[][] clusteredQueries;

    @BeforeAll
    static void fill() {
        store = TestStores.open(AgentStoreEmbeddingStoreRecallTest.class);
        Random rng = new Random(42);
        data = vectors(rng, N);
        queries = vectors(rng, QUERIES);
        float[][] centres = vectors(rng, 30);
        clustered = clustered(rng, centres, N);
        clusteredQueries = clustered(rng, centres, QUERIES);
        embeddings = fill("random", data, VectorType.VECTOR);
        clusteredEmbeddings = fill("clustered", clustered, VectorType.VECTOR);
        halfvecEmbeddings = fill("random_halfvec", data, VectorType.HALFVEC);
    }

    /** A {@code vector} base made with {@code KnowledgeRepository.create}, or a {@code halfvec} one by the adapter. */
    private static AgentStoreEmbeddingStore fill(String base, float[][] data, VectorType type) {
        AgentStoreEmbeddingStore embeddings;
        if (type == VectorType.HALFVEC) {
            embeddings = AgentStoreEmbeddingStore.create(store, base, DIM);
        } else {
            store.inTransaction(uow -> uow.knowledge().create(base, DIM, Distance.COSINE, IndexSpec.hnsw(), type));
            embeddings = AgentStoreEmbeddingStore.of(store, base);
        }
        List<String> ids = new ArrayList<>(N);
        List<Embedding> vectors = new ArrayList<>(N);
        List<TextSegment> segments = new ArrayList<>(N);
        for (int i = 0; i < N; i++) {
            ids.add(id(i));
            vectors.add(Embedding.from(data[i]));
            segments.add(TextSegment.from("v" + i, new Metadata().put("doc", i % 100).put("half", i % 2)));
        }
        for (int from = 0; from < N; from += 500) {
            embeddings.addAll(ids.subList(from, from + 500), vectors.subList(from, from + 500),
                    segments.subList(from, from + 500));
        }
        return embeddings;
    }

    @AfterAll
    static void close() {
        TestStores.close(store);
    }

    @Nested
    class Default {

        @Test
        void findsAtLeast95PercentOfTheTrueTopKOfRandomVectors() {
            assertThat(recall(embeddings, data, queries, i -> true)).isGreaterThanOrEqualTo(0.95);
        }

        @Test
        void findsAtLeast95PercentOfTheTrueTopKOfClusteredVectors() {
            assertThat(recall(clusteredEmbeddings, clustered, clusteredQueries, i -> true))
                    .isGreaterThanOrEqualTo(0.95);
        }

        @Test
        void returnsTheExactTopKOfAFilterMatchingFewChunks() {  // 30 match: ranked exactly
            for (int q = 0; q < QUERIES; q++) {
                int doc = q * 5;
                assertThat(ids(embeddings, queries[q], metadataKey("doc").isEqualTo(doc))).as("query " + q)
                        .containsExactlyElementsOf(bruteForce(data, queries[q], i -> i % 100 == doc, K));
            }
        }

        @Test
        void returnsKOfAFilterMatchingHalfTheBase() {  // more matches than are ranked exactly: iterative index scan
            for (int q = 0; q < QUERIES; q++) {
                assertThat(ids(embeddings, queries[q], metadataKey("half").isEqualTo(q % 2))).as("query " + q)
                        .hasSize(K);
            }
            assertThat(recall(embeddings, data, queries, q -> metadataKey("half").isEqualTo(q % 2),
                    (q, i) -> i % 2 == q % 2)).isGreaterThanOrEqualTo(0.95);
        }

        @Test
        void returnsFewerOnlyWhenFewerMatch() {  // 30 chunks have doc 7
            Filter doc7 = metadataKey("doc").isEqualTo(7);
            assertThat(embeddings.search(EmbeddingSearchRequest.builder().queryEmbedding(Embedding.from(queries[0]))
                    .maxResults(50).filter(doc7).build()).matches()).extracting(EmbeddingMatch::embeddingId)
                    .containsExactlyElementsOf(bruteForce(data, queries[0], i -> i % 100 == 7, 50));
        }
    }

    @Nested
    class WithASmallerEfSearch {

        @Test
        void missesSomeOfTheTopKOfRandomVectors() {  // so the index is used, and the default's ef_search matters
            assertThat(recall(embeddings.withEfSearch(10), data, queries, i -> true)).isLessThan(0.95);
        }

        @Test
        void stillReturnsKOfAFilterMatchingHalfTheBase() {
            for (int q = 0; q < QUERIES; q++) {
                assertThat(ids(embeddings.withEfSearch(10), queries[q], metadataKey("half").isEqualTo(q % 2)))
                        .as("query " + q).hasSize(K);
            }
        }

        @Test
        void isRefusedOutOfRange() {
            assertThatThrownBy(() -> embeddings.withEfSearch(1_001)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("efSearch");
        }
    }

    @Nested
    class OnAHalfvecIndex {

        @Test
        void findsAtLeast95PercentOfTheTrueTopKOfRandomVectors() {
            assertThat(recall(halfvecEmbeddings, data, queries, i -> true)).isGreaterThanOrEqualTo(0.95);
        }

        @Test
        void returnsKOfAFilterMatchingHalfTheBase() {
            for (int q = 0; q < QUERIES; q++) {
                assertThat(ids(halfvecEmbeddings, queries[q], metadataKey("half").isEqualTo(q % 2)))
                        .as("query " + q).hasSize(K);
            }
        }

        @Test
        void returnsTheStoredEmbeddingsInFullPrecision() {  // the column is untyped vector; only the index is halfvec
            EmbeddingMatch<TextSegment> best = halfvecEmbeddings.search(EmbeddingSearchRequest.builder()
                    .queryEmbedding(Embedding.from(data[17])).maxResults(1).build()).matches().get(0);
            assertThat(best.embeddingId()).isEqualTo(id(17));
            assertThat(best.embedding().vector()).containsExactly(data[17]);
        }

        @Test
        void ranksAFilterMatchingFewChunksOnHalfPrecisionDistances() {  // exact ranking, in halfvec precision
            assertThat(recall(halfvecEmbeddings, data, queries, q -> metadataKey("doc").isEqualTo(q * 5),
                    (q, i) -> i % 100 == q * 5)).isGreaterThanOrEqualTo(0.95);
        }
    }

    /** Mean recall@K of the store's search against brute force, over the queries. */
    private static double recall(AgentStoreEmbeddingStore s, float[][] data, float[][] queries,
                                 IntPredicate matching) {
        return recall(s, data, queries, null, (q, i) -> matching.test(i));
    }

    private static double recall(AgentStoreEmbeddingStore s, float[][] data, float[][] queries,
                                 IntFunction<Filter> filter, BiPredicate<Integer, Integer> matching) {
        int hits = 0;
        for (int q = 0; q < queries.length; q++) {
            int query = q;
            List<String> exact = bruteForce(data, queries[q], i -> matching.test(query, i), K);
            hits += (int) ids(s, queries[q], filter == null ? null : filter.apply(q)).stream()
                    .filter(exact::contains).count();
        }
        return hits / (double) (queries.length * K);
    }

    private static List<String> ids(AgentStoreEmbeddingStore s, float[] query, Filter filter) {
        return s.search(EmbeddingSearchRequest.builder().queryEmbedding(Embedding.from(query)).maxResults(K)
                .filter(filter).build()).matches().stream().map(EmbeddingMatch::embeddingId).toList();
    }

    /**
     * The ids of the k chunks most cosine-similar to {@code query} (LangChain4j's {@code CosineSimilarity}) among
     * those {@code matching} keeps, best first.
     */
    private static List<String> bruteForce(float[][] data, float[] query, IntPredicate matching, int k) {
        return IntStream.range(0, N).filter(matching).boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> -CosineSimilarity.between(Embedding.from(query),
                        Embedding.from(data[i]))).thenComparing(i -> id(i)))
                .limit(k).map(AgentStoreEmbeddingStoreRecallTest::id).toList();
    }

    private static String id(int i) {
        return String.format("c%05d", i);
    }

    private static float[][] vectors(Random rng, int n) {
        float[][] v = new float[n][DIM];
        for (float[] row : v) {
            for (int d = 0; d < DIM; d++) {
                row[d] = (float) rng.nextGaussian();
            }
        }
        return v;
    }

    /** Each vector a random one of the centres plus Gaussian noise of 0.1 per component (about 0.8 in norm). */
    private static float[][] clustered(Random rng, float[][] centres, int n) {
        float[][] v = new float[n][DIM];
        for (float[] row : v) {
            float[] centre = centres[rng.nextInt(centres.length)];
            for (int d = 0; d < DIM; d++) {
                row[d] = centre[d] + (float) (0.1 * rng.nextGaussian());
            }
        }
        return v;
    }
}
