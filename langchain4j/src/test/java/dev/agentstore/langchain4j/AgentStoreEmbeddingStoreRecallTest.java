package dev.agentstore.langchain4j;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
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
import java.util.function.IntPredicate;
import java.util.stream.IntStream;

import static dev.langchain4j.store.embedding.filter.MetadataFilterBuilder.metadataKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The adapter's default search against a brute-force top k computed here, on uniformly random unit vectors (the
 * hardest case for an approximate index): 3,000 chunks of 64 dimensions in an HNSW base, metadata
 * {@code doc = i % 100} and {@code half = i % 2}.
 */
class AgentStoreEmbeddingStoreRecallTest {

    private static final int DIM = 64;
    private static final int N = 3_000;
    private static final int K = 10;
    private static final int QUERIES = 20;

    private static AgentStore store;
    private static AgentStoreEmbeddingStore embeddings;
    private static float[][] data;
    private static float[][] queries;

    @BeforeAll
    static void fill() {
        store = TestStores.open(AgentStoreEmbeddingStoreRecallTest.class);
        store.inTransaction(uow -> uow.knowledge().create("random", DIM, Distance.COSINE, IndexSpec.hnsw()));
        embeddings = AgentStoreEmbeddingStore.of(store, "random");
        Random rng = new Random(42);
        data = vectors(rng, N);
        queries = vectors(rng, QUERIES);
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
    }

    @AfterAll
    static void close() {
        TestStores.close(store);
    }

    @Nested
    class Default {

        @Test
        void isExactBelowTenMillionComponents() {
            assertThat(embeddings.exactBelow()).isEqualTo(10_000_000L / DIM);
        }

        @Test
        void returnsTheExactTopK() {
            for (int q = 0; q < QUERIES; q++) {
                assertThat(ids(embeddings, queries[q], null)).as("query " + q)
                        .containsExactlyElementsOf(bruteForce(queries[q], i -> true));
            }
        }

        @Test
        void returnsTheExactTopKOfAFilter() {
            for (int q = 0; q < QUERIES; q++) {
                int doc = q * 5;
                assertThat(ids(embeddings, queries[q], metadataKey("doc").isEqualTo(doc))).as("query " + q)
                        .containsExactlyElementsOf(bruteForce(queries[q], i -> i % 100 == doc));
            }
        }

        @Test
        void returnsFewerOnlyWhenFewerMatch() {  // 30 chunks have doc 7
            Filter doc7 = metadataKey("doc").isEqualTo(7);
            assertThat(embeddings.search(EmbeddingSearchRequest.builder().queryEmbedding(Embedding.from(queries[0]))
                    .maxResults(50).filter(doc7).build()).matches()).extracting(EmbeddingMatch::embeddingId)
                    .containsExactlyElementsOf(bruteForce(queries[0], i -> i % 100 == 7, 50));
        }
    }

    @Nested
    class ThroughTheIndex {

        @Test
        void aSmallEfSearchMissesSomeOfTheTopK() {  // so the exact default above is what makes recall 1.0
            AgentStoreEmbeddingStore fast = embeddings.withEfSearch(10);
            int hits = 0;
            for (int q = 0; q < QUERIES; q++) {
                List<String> exact = bruteForce(queries[q], i -> true);
                hits += (int) ids(fast, queries[q], null).stream().filter(exact::contains).count();
            }
            assertThat(hits).isLessThan(QUERIES * K);
        }

        @Test
        void aFilterMatchingHalfTheBaseStillReturnsK() {  // more matches than are ranked exactly: iterative scan
            AgentStoreEmbeddingStore indexed = embeddings.withExactBelow(0);
            for (int q = 0; q < QUERIES; q++) {
                assertThat(ids(indexed, queries[q], metadataKey("half").isEqualTo(q % 2))).as("query " + q)
                        .hasSize(K);
            }
        }

        @Test
        void exactBelowCannotBeNegative() {
            assertThatThrownBy(() -> embeddings.withExactBelow(-1)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("exactBelow");
        }
    }

    private static List<String> ids(AgentStoreEmbeddingStore s, float[] query, Filter filter) {
        return s.search(EmbeddingSearchRequest.builder().queryEmbedding(Embedding.from(query)).maxResults(K)
                .filter(filter).build()).matches().stream().map(EmbeddingMatch::embeddingId).toList();
    }

    /**
     * The ids of the k chunks most cosine-similar to {@code query} (LangChain4j's {@code CosineSimilarity}) among
     * those {@code matching} keeps, best first.
     */
    private static List<String> bruteForce(float[] query, IntPredicate matching) {
        return bruteForce(query, matching, K);
    }

    private static List<String> bruteForce(float[] query, IntPredicate matching, int k) {
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
}
