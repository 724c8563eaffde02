package dev.agentstore.langchain4j;

import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.knowledge.Chunk;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.domain.knowledge.VectorType;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.knowledge.SearchMode;
import dev.langchain4j.data.document.Metadata;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.store.embedding.EmbeddingMatch;
import dev.langchain4j.store.embedding.EmbeddingSearchRequest;
import dev.langchain4j.store.embedding.filter.Filter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;

import static dev.langchain4j.store.embedding.filter.MetadataFilterBuilder.metadataKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** What the contract tests do not pin down: storage layout, scores at the edges, exact types, refusals. */
class AgentStoreEmbeddingStoreTest {

    private static AgentStore store;
    private static AgentStoreEmbeddingStore embeddings;

    @BeforeAll
    static void open() {
        store = TestStores.open(AgentStoreEmbeddingStoreTest.class);
        store.inTransaction(uow -> uow.knowledge().create("small", 3, Distance.COSINE, IndexSpec.hnsw()));
        embeddings = AgentStoreEmbeddingStore.of(store, "small");
    }

    @AfterAll
    static void close() {
        TestStores.close(store);
    }

    @BeforeEach
    void empty() {
        embeddings.removeAll();
    }

    private static List<EmbeddingMatch<TextSegment>> search(float[] query, double minScore, Filter filter) {
        return embeddings.search(EmbeddingSearchRequest.builder().queryEmbedding(Embedding.from(query))
                .maxResults(10).minScore(minScore).filter(filter).build()).matches();
    }

    @Nested
    class Create {

        @Test
        void makesACosineBaseWithAnHnswIndexOnHalfvecAndAStoreOnIt() {
            AgentStoreEmbeddingStore created = AgentStoreEmbeddingStore.create(store, "created", 3);
            KnowledgeBase kb = store.knowledge().find("created").orElseThrow();
            assertThat(kb.distance()).isEqualTo(Distance.COSINE);
            assertThat(kb.index()).isEqualTo(IndexSpec.hnsw());
            assertThat(kb.vectorType()).isEqualTo(VectorType.HALFVEC);
            assertThat(created.knowledgeBase()).isEqualTo("created");
            created.add("x", Embedding.from(new float[]{0.1f, 0.2f, 0.3f}));
            assertThat(created.search(EmbeddingSearchRequest.builder()
                    .queryEmbedding(Embedding.from(new float[]{0.1f, 0.2f, 0.3f})).maxResults(1).build()).matches())
                    .singleElement().satisfies(m -> {
                        assertThat(m.embeddingId()).isEqualTo("x");
                        assertThat(m.embedding().vector()).containsExactly(0.1f, 0.2f, 0.3f);
                        assertThat(m.score()).isCloseTo(1.0, within(1e-3));
                    });
        }

        @Test
        void refusesANameThatExists() {
            assertThatThrownBy(() -> AgentStoreEmbeddingStore.create(store, "small", 3))
                    .isInstanceOf(DuplicateException.class);
        }
    }

    @Nested
    class Scores {

        @Test
        void relevanceIsOnePlusCosineOverTwo() {
            embeddings.add("same", Embedding.from(new float[]{1, 0, 0}));
            embeddings.add("orthogonal", Embedding.from(new float[]{0, 1, 0}));
            embeddings.add("opposite", Embedding.from(new float[]{-1, 0, 0}));

            List<EmbeddingMatch<TextSegment>> all = search(new float[]{1, 0, 0}, 0, null);

            assertThat(all).extracting(EmbeddingMatch::embeddingId).containsExactly("same", "orthogonal", "opposite");
            assertThat(all.get(0).score()).isCloseTo(1.0, within(1e-9));
            assertThat(all.get(1).score()).isCloseTo(0.5, within(1e-9));
            assertThat(all.get(2).score()).isCloseTo(0.0, within(1e-9));
        }

        @Test
        void minScoreIsARelevanceScore() {
            embeddings.add("same", Embedding.from(new float[]{1, 0, 0}));
            embeddings.add("orthogonal", Embedding.from(new float[]{0, 1, 0}));
            embeddings.add("opposite", Embedding.from(new float[]{-1, 0, 0}));

            assertThat(search(new float[]{1, 0, 0}, 0.5, null)).extracting(EmbeddingMatch::embeddingId)
                    .containsExactly("same", "orthogonal");
            assertThat(search(new float[]{1, 0, 0}, 0.51, null)).extracting(EmbeddingMatch::embeddingId)
                    .containsExactly("same");
        }
    }

    @Nested
    class Storage {

        @Test
        void aSegmentIsAChunkWithItsMetadataInPayload() {
            embeddings.addAll(List.of("c1"), List.of(Embedding.from(new float[]{1, 2, 3})),
                    List.of(TextSegment.from("text", new Metadata().put("lang", "en").put("year", 2024))));

            Chunk c = store.chunks().get("small", "c1").orElseThrow();

            assertThat(c.content()).isEqualTo("text");
            assertThat(c.documentId()).isEqualTo("c1");
            assertThat(c.payload().path("lang").asText()).isEqualTo("en");
            assertThat(c.payload().path("year").asInt()).isEqualTo(2024);
            assertThat(c.embedding()).containsExactly(1, 2, 3);
        }

        @Test
        void metadataComesBackWithItsTypes() {
            UUID uuid = UUID.randomUUID();
            Metadata metadata = new Metadata().put("s", "1").put("u", uuid).put("i", 1).put("l", 1L)
                    .put("f", 1.1f).put("d", 1.1d).put("big", Long.MAX_VALUE).put("tiny", Double.MIN_VALUE);
            embeddings.add(Embedding.from(new float[]{1, 0, 0}), TextSegment.from("typed", metadata));

            TextSegment back = search(new float[]{1, 0, 0}, 0, null).get(0).embedded();

            assertThat(back.metadata()).isEqualTo(metadata);
            assertThat(back.metadata().toMap().get("l")).isInstanceOf(Long.class);
            assertThat(back.metadata().toMap().get("f")).isInstanceOf(Float.class);
        }

        @Test
        void upsertingAnIdReplacesIt() {
            embeddings.add("x", Embedding.from(new float[]{1, 0, 0}));
            embeddings.addAll(List.of("x"), List.of(Embedding.from(new float[]{0, 1, 0})),
                    List.of(TextSegment.from("now with text")));

            List<EmbeddingMatch<TextSegment>> all = search(new float[]{0, 1, 0}, 0, null);

            assertThat(all).hasSize(1);
            assertThat(all.get(0).embedded().text()).isEqualTo("now with text");
        }

        @Test
        void mismatchedSizesAreRefusedBeforeWriting() {
            assertThatThrownBy(() -> embeddings.addAll(List.of("a", "b"), List.of(Embedding.from(new float[]{1, 0, 0})),
                    null)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("same size");
            assertThat(store.chunks().count("small")).isZero();
        }
    }

    @Nested
    class Filters {

        @Test
        void containsStringEscapesLikeWildcards() {
            embeddings.add(Embedding.from(new float[]{1, 0, 0}), TextSegment.from("a", new Metadata().put("k", "100%_x")));
            embeddings.add(Embedding.from(new float[]{1, 0, 0}), TextSegment.from("b", new Metadata().put("k", "100ab")));

            assertThat(search(new float[]{1, 0, 0}, 0, metadataKey("k").containsString("0%_")))
                    .extracting(m -> m.embedded().text()).containsExactly("a");
        }

        @Test
        void anUnknownFilterClassFailsInsteadOfScanning() {
            Filter custom = object -> true;

            assertThatThrownBy(() -> search(new float[]{1, 0, 0}, 0, custom))
                    .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("not supported");
            assertThatThrownBy(() -> embeddings.removeAll(custom))
                    .isInstanceOf(UnsupportedOperationException.class);
        }

        @Test
        void aKeyThatIsNoFieldNameIsRefused() {
            assertThatThrownBy(() -> search(new float[]{1, 0, 0}, 0, metadataKey("file.name").isEqualTo("a")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("file.name");
        }

        @Test
        void removeAllByFilterDeletesOnlyMatches() {
            embeddings.add(Embedding.from(new float[]{1, 0, 0}), TextSegment.from("a", new Metadata().put("n", 1)));
            embeddings.add(Embedding.from(new float[]{1, 0, 0}), TextSegment.from("b", new Metadata().put("n", 2)));
            embeddings.add(Embedding.from(new float[]{1, 0, 0}));

            embeddings.removeAll(metadataKey("n").isLessThan(2));

            assertThat(search(new float[]{1, 0, 0}, 0, null)).hasSize(2);
        }
    }

    @Nested
    class IndexSettings {

        @Test
        void efSearchAndProbesAreValidatedAndKeepTheBase() {
            embeddings.add("a", Embedding.from(new float[]{1, 0, 0}));

            AgentStoreEmbeddingStore tuned = embeddings.withEfSearch(200).withProbes(4);

            assertThat(tuned.knowledgeBase()).isEqualTo("small");
            assertThat(tuned.search(EmbeddingSearchRequest.builder().queryEmbedding(Embedding.from(new float[]{1, 0, 0}))
                    .maxResults(5).build()).matches()).extracting(EmbeddingMatch::embeddingId).containsExactly("a");
            assertThatThrownBy(() -> embeddings.withEfSearch(0)).hasMessageContaining("efSearch");
            assertThatThrownBy(() -> embeddings.withProbes(0)).hasMessageContaining("probes");
        }
    }

    @Nested
    class HybridSearch {

        /** Vector order near, mid, far; only "far" has the query's words. */
        @BeforeEach
        void threeChunks() {
            embeddings.addAll(List.of("near", "mid", "far"),
                    List.of(Embedding.from(new float[]{1, 0, 0}), Embedding.from(new float[]{0, 1, 0}),
                            Embedding.from(new float[]{-1, 0, 0})),
                    List.of(TextSegment.from("apples and pears", new Metadata().put("shelf", "a")),
                            TextSegment.from("bananas", new Metadata().put("shelf", "b")),
                            TextSegment.from("the write-ahead log of postgres", new Metadata().put("shelf", "b"))));
        }

        private List<EmbeddingMatch<TextSegment>> search(AgentStoreEmbeddingStore s, String text, Filter filter,
                                                         double minScore) {
            return s.search(EmbeddingSearchRequest.builder().queryEmbedding(Embedding.from(new float[]{1, 0, 0}))
                    .query(text).maxResults(3).minScore(minScore).filter(filter).build()).matches();
        }

        @Test
        void fusesTheVectorAndTextListsByReciprocalRankFusion() {
            AgentStoreEmbeddingStore hybrid = embeddings.withSearchMode(SearchMode.HYBRID);

            List<EmbeddingMatch<TextSegment>> found = search(hybrid, "write-ahead log", null, 0);

            assertThat(hybrid.searchMode()).isEqualTo(SearchMode.HYBRID);
            assertThat(found).extracting(EmbeddingMatch::embeddingId).containsExactly("far", "near", "mid");
            assertThat(found.get(0).score()).isCloseTo(1.0 / (60 + 3) + 1.0 / (60 + 1), within(1e-9));
            assertThat(found.get(1).score()).isCloseTo(1.0 / (60 + 1), within(1e-9));
            assertThat(found.get(0).embedded().text()).isEqualTo("the write-ahead log of postgres");
            assertThat(found.get(0).embedding().vector()).containsExactly(-1, 0, 0);
            assertThat(search(embeddings, "write-ahead log", null, 0)).extracting(EmbeddingMatch::embeddingId)
                    .containsExactly("near", "mid", "far");
        }

        @Test
        void theFilterAppliesToBothListsAndMinScoreToTheFusedScore() {
            AgentStoreEmbeddingStore hybrid = embeddings.withSearchMode(SearchMode.HYBRID);

            assertThat(search(hybrid, "write-ahead log", metadataKey("shelf").isEqualTo("b"), 0))
                    .extracting(EmbeddingMatch::embeddingId).containsExactly("far", "mid");
            assertThat(search(hybrid, "write-ahead log", null, 1.0 / 61 + 0.001))
                    .extracting(EmbeddingMatch::embeddingId).containsExactly("far");
        }

        @Test
        void textModeRanksByTheWordsAlone() {
            List<EmbeddingMatch<TextSegment>> found = search(embeddings.withSearchMode(SearchMode.TEXT), "bananas",
                    null, 0);

            assertThat(found).singleElement().satisfies(m -> {
                assertThat(m.embeddingId()).isEqualTo("mid");
                assertThat(m.score()).isPositive();
            });
        }

        @Test
        void aBlankQueryIsRefusedNamingTheField() {
            AgentStoreEmbeddingStore hybrid = embeddings.withSearchMode(SearchMode.HYBRID);

            assertThatThrownBy(() -> search(hybrid, null, null, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("query");
            assertThatThrownBy(() -> search(hybrid, " ", null, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("query");
            assertThat(embeddings.withSearchMode(null).searchMode()).isEqualTo(SearchMode.VECTOR);
        }
    }

    @Nested
    class Bases {

        @Test
        void aBaseWithAnotherDistanceIsRefused() {
            store.inTransaction(uow -> uow.knowledge().create("euclid", 3, Distance.L2, IndexSpec.hnsw()));

            assertThatThrownBy(() -> AgentStoreEmbeddingStore.of(store, "euclid"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("COSINE");
        }
    }
}
