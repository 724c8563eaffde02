package dev.agentstore.persistence.knowledge;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.knowledge.ChunkMatch;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.Embedder;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.query.Filter;
import org.hibernate.Session;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.agentstore.persistence.knowledge.KnowledgeSqlTestSupport.randomVector;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

@ExtendWith(AgentStoreExtension.class)
class ChunkSearchTest {

    private static List<ChunkMatch> search(AgentStore store, String base, float[] q, SearchOptions options) {
        return store.fromTransaction(uow -> uow.chunks().search(base, q, options));
    }

    private static void compass(AgentStore store, String base, Distance distance, IndexSpec index) {
        store.inTransaction(uow -> {
            uow.knowledge().create(base, 2, distance, index);
            uow.chunks().upsert(base, List.of(
                    NewChunk.of("d", 0, "same", new float[]{1, 0}).withId("same"),
                    NewChunk.of("d", 1, "diagonal", new float[]{1, 1}).withId("diagonal"),
                    NewChunk.of("d", 2, "orthogonal", new float[]{0, 1}).withId("orthogonal"),
                    NewChunk.of("d", 3, "opposite", new float[]{-1, 0}).withId("opposite")));
        });
    }

    @Nested
    class Scores {

        @Test
        void cosineScoresAreOneMinusDistanceAndTheDefaultKeepsOrthogonalAndOppositeChunks(AgentStore store) {
            for (IndexSpec index : List.of(IndexSpec.hnsw(), IndexSpec.none())) {
                String base = "cos_" + index.type().name().toLowerCase();
                compass(store, base, Distance.COSINE, index);

                List<ChunkMatch> all = search(store, base, new float[]{2, 0}, SearchOptions.top(10));

                assertThat(all).extracting(ChunkMatch::id).as(base)
                        .containsExactly("same", "diagonal", "orthogonal", "opposite");
                assertThat(all.get(0).score()).isCloseTo(1.0, within(1e-6));
                assertThat(all.get(1).score()).isCloseTo(Math.sqrt(0.5), within(1e-6));
                assertThat(all.get(2).score()).isCloseTo(0.0, within(1e-6));
                assertThat(all.get(3).score()).isCloseTo(-1.0, within(1e-6));
                assertThat(all).allSatisfy(m -> assertThat(m.score()).isCloseTo(1 - m.distance(), within(1e-12)));

                assertThat(search(store, base, new float[]{2, 0}, SearchOptions.top(10).withMinScore(0.0)))
                        .extracting(ChunkMatch::id).containsExactly("same", "diagonal", "orthogonal");
                assertThat(search(store, base, new float[]{2, 0}, SearchOptions.top(10).withMinScore(0.5)))
                        .extracting(ChunkMatch::id).containsExactly("same", "diagonal");
                assertThat(search(store, base, new float[]{2, 0}, SearchOptions.top(10).withMinScore(1.5))).isEmpty();
            }
        }

        @Test
        void l2ScoresAreMinusTheEuclideanDistance(AgentStore store) {
            compass(store, "euclid", Distance.L2, IndexSpec.hnsw());

            List<ChunkMatch> all = search(store, "euclid", new float[]{1, 0}, SearchOptions.top(4));

            assertThat(all).extracting(ChunkMatch::id).containsExactly("same", "diagonal", "orthogonal", "opposite");
            assertThat(all).extracting(ChunkMatch::distance).containsExactly(0.0, 1.0, Math.sqrt(2), 2.0);
            assertThat(all).extracting(ChunkMatch::score).containsExactly(-0.0, -1.0, -Math.sqrt(2), -2.0);
            assertThat(search(store, "euclid", new float[]{1, 0}, SearchOptions.top(4).withMinScore(-1.0)))
                    .extracting(ChunkMatch::id).containsExactly("same", "diagonal");
        }

        @Test
        void innerProductScoresAreTheInnerProduct(AgentStore store) {
            compass(store, "inner", Distance.INNER_PRODUCT, IndexSpec.hnsw());

            List<ChunkMatch> all = search(store, "inner", new float[]{3, 1}, SearchOptions.top(4));

            assertThat(all).extracting(ChunkMatch::id).containsExactly("diagonal", "same", "orthogonal", "opposite");
            assertThat(all).extracting(ChunkMatch::score).containsExactly(4.0, 3.0, 1.0, -3.0);
            assertThat(all).extracting(ChunkMatch::distance).containsExactly(-4.0, -3.0, -1.0, 3.0);
            assertThat(search(store, "inner", new float[]{3, 1}, SearchOptions.top(4).withMinScore(3.0)))
                    .extracting(ChunkMatch::id).containsExactly("diagonal", "same");
        }

        @Test
        void equalDistancesAreOrderedById(AgentStore store) {
            store.inTransaction(uow -> {
                uow.knowledge().create("ties", 2, Distance.COSINE, IndexSpec.none());
                uow.chunks().upsert("ties", List.of(NewChunk.of("d", 0, "x", new float[]{1, 0}).withId("b"),
                        NewChunk.of("d", 1, "x", new float[]{2, 0}).withId("c"),
                        NewChunk.of("d", 2, "x", new float[]{3, 0}).withId("a")));
            });

            assertThat(search(store, "ties", new float[]{1, 0}, SearchOptions.top(3)))
                    .extracting(ChunkMatch::id).containsExactly("a", "b", "c");
        }
    }

    @Nested
    class Options {

        @Test
        void aQueryOfTheWrongDimensionNamesExpectedAndActual(AgentStore store) {
            compass(store, "wrong_dims", Distance.COSINE, IndexSpec.hnsw());

            assertThatThrownBy(() -> search(store, "wrong_dims", new float[]{1, 2, 3}, SearchOptions.top(1)))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("query vector has dimension 3").hasMessageContaining("expects dimension 2");
            assertThatThrownBy(() -> search(store, "wrong_dims", null, SearchOptions.top(1)))
                    .isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> search(store, "wrong_dims", new float[]{1, Float.POSITIVE_INFINITY}, SearchOptions.top(1)))
                    .isInstanceOf(InvalidInputException.class);
        }

        @Test
        void searchOptionsRejectOutOfRangeValues() {
            assertThatThrownBy(() -> SearchOptions.top(0)).isInstanceOf(InvalidInputException.class).hasMessageContaining("k");
            assertThatThrownBy(() -> SearchOptions.top(1001)).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> SearchOptions.top(1).withEfSearch(0)).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> SearchOptions.top(1).withEfSearch(1001)).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> SearchOptions.top(1).withMinScore(Double.NaN)).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> SearchOptions.top(1).withMmr(1.5, 8)).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> SearchOptions.top(1).withMmr(0.5, 0)).isInstanceOf(InvalidInputException.class);
            assertThat(SearchOptions.top(1000).withMmr().k()).isEqualTo(1000);
        }

        @Test
        void searchByTextEmbedsWithTheEmbedder(AgentStore store) {
            compass(store, "by_text", Distance.COSINE, IndexSpec.hnsw());
            Embedder east = new Embedder() {
                @Override
                public float[] embed(String text) {
                    return text.equals("east") ? new float[]{1, 0} : new float[]{0, 1};
                }

                @Override
                public int dimension() {
                    return 2;
                }
            };
            Embedder wide = new Embedder() {
                @Override
                public float[] embed(String text) {
                    return new float[3];
                }

                @Override
                public int dimension() {
                    return 3;
                }
            };

            List<ChunkMatch> hits = store.fromTransaction(uow -> uow.chunks().search("by_text", "east", east, SearchOptions.top(1)));
            List<ChunkMatch> north = store.fromTransaction(uow -> uow.chunks().search("by_text", "north", east, SearchOptions.top(1)));

            assertThat(hits).extracting(ChunkMatch::id).containsExactly("same");
            assertThat(north).extracting(ChunkMatch::id).containsExactly("orthogonal");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.chunks().search("by_text", "east", wide, SearchOptions.top(1))))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("embedder has dimension 3")
                    .hasMessageContaining("expects dimension 2");
            assertThat(east.embedAll(List.of("east", "x"))).hasSize(2);
        }

        @Test
        void mmrPrefersDiverseChunksOverNearDuplicates(AgentStore store) {
            store.inTransaction(uow -> {
                uow.knowledge().create("diverse", 3, Distance.COSINE, IndexSpec.hnsw());
                uow.chunks().upsert("diverse", List.of(
                        NewChunk.of("d", 0, "dup", new float[]{1f, 0.10f, 0.10f}).withId("dup1"),
                        NewChunk.of("d", 1, "dup", new float[]{1f, 0.11f, 0.10f}).withId("dup2"),
                        NewChunk.of("d", 2, "dup", new float[]{1f, 0.10f, 0.11f}).withId("dup3"),
                        NewChunk.of("d", 3, "y", new float[]{0.7f, 0.7f, 0f}).withId("towards_y"),
                        NewChunk.of("d", 4, "z", new float[]{0.7f, 0f, 0.7f}).withId("towards_z")));
            });
            float[] q = {1f, 0.2f, 0.2f};

            List<ChunkMatch> plain = search(store, "diverse", q, SearchOptions.top(3));
            List<ChunkMatch> mmr = search(store, "diverse", q, SearchOptions.top(3).withMmr());
            List<ChunkMatch> relevanceOnly = search(store, "diverse", q, SearchOptions.top(3).withMmr(1.0, 8));

            assertThat(plain).extracting(ChunkMatch::id).containsExactlyInAnyOrder("dup1", "dup2", "dup3");
            assertThat(mmr).extracting(ChunkMatch::id).hasSize(3).contains("towards_y", "towards_z");
            assertThat(mmr.get(0).id()).startsWith("dup");
            assertThat(relevanceOnly).extracting(ChunkMatch::id).containsExactlyElementsOf(
                    plain.stream().map(ChunkMatch::id).toList());
        }

        @Test
        void resultsCarryEmbeddingsOnlyWhenAsked(AgentStore store) {
            compass(store, "with_vectors", Distance.COSINE, IndexSpec.hnsw());

            List<ChunkMatch> without = search(store, "with_vectors", new float[]{1, 0}, SearchOptions.top(1));
            List<ChunkMatch> with = search(store, "with_vectors", new float[]{1, 0}, SearchOptions.top(1).withEmbeddings());
            List<ChunkMatch> mmrWith = search(store, "with_vectors", new float[]{1, 0},
                    SearchOptions.top(1).withMmr().withEmbeddings());

            assertThat(without.get(0).embedding()).isNull();
            assertThat(with.get(0).embedding()).containsExactly(1f, 0f);
            assertThat(mmrWith.get(0).embedding()).containsExactly(1f, 0f);
            assertThat(with.get(0).contentHash()).hasSize(64);
            assertThat(with.get(0).payload()).isEqualTo(Json.object());
        }
    }

    @Nested
    class Indexes {

        @Test
        void filteredSearchesReturnKWhenKChunksMatch(AgentStore store) {
            Random random = new Random(7);
            store.inTransaction(uow -> uow.knowledge().create("needles", 8, Distance.COSINE, IndexSpec.none()));
            List<NewChunk> chunks = new ArrayList<>();
            float[] query = new float[]{1, 1, 1, 1, 1, 1, 1, 1};
            for (int i = 0; i < 3_000; i++) {
                boolean needle = i % 150 == 0; // 20 needles
                float[] v = randomVector(random, 8);
                if (needle) {
                    for (int d = 0; d < 8; d++) {
                        v[d] = -Math.abs(v[d]); // far from the query: an unfiltered search never reaches them
                    }
                }
                chunks.add(NewChunk.of("doc" + i % 7, i, "c" + i, v).withId("c" + i)
                        .withPayload(Json.parse("p", "{\"kind\":\"" + (needle ? "needle" : "hay") + "\"}")));
            }
            store.inTransaction(uow -> uow.chunks().upsert("needles", chunks));
            store.inTransaction(uow -> uow.knowledge().changeIndex("needles", IndexSpec.hnsw()));

            for (Filter filter : List.of(Filter.eq("payload.kind", "needle"), Filter.contains("payload.kind", "needle"))) {
                List<ChunkMatch> twenty = search(store, "needles", query, SearchOptions.top(20).withFilter(filter));
                List<ChunkMatch> asked30 = search(store, "needles", query, SearchOptions.top(30).withFilter(filter));
                List<ChunkMatch> five = search(store, "needles", query, SearchOptions.top(5).withFilter(filter).withEfSearch(10));

                assertThat(twenty).hasSize(20).allSatisfy(m -> assertThat(m.payload().get("kind").asText()).isEqualTo("needle"));
                assertThat(asked30).hasSize(20);
                assertThat(five).hasSize(5).extracting(ChunkMatch::id)
                        .containsExactlyElementsOf(twenty.subList(0, 5).stream().map(ChunkMatch::id).toList());
            }
            List<ChunkMatch> byDocument = search(store, "needles", query,
                    SearchOptions.top(1000).withFilter(Filter.eq("documentId", "doc3")));
            assertThat(byDocument).hasSize(3_000 / 7 + 1).allSatisfy(m -> assertThat(m.documentId()).isEqualTo("doc3"));
        }

        @Test
        void anIvfflatIndexBuiltBeforeTheDataStillReturnsK(AgentStore store) {
            Random random = new Random(11);
            store.inTransaction(uow -> uow.knowledge().create("stale_lists", 16, Distance.L2, IndexSpec.ivfflat(20)));
            List<NewChunk> chunks = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                chunks.add(NewChunk.of("d", i, "c" + i, randomVector(random, 16)));
            }
            store.inTransaction(uow -> uow.chunks().upsert("stale_lists", chunks));

            List<ChunkMatch> hits = search(store, "stale_lists", randomVector(random, 16), SearchOptions.top(25).withProbes(1));

            assertThat(hits).hasSize(25);
            assertThat(hits).extracting(ChunkMatch::distance).isSorted();
        }

        @Test
        void indexSettingsAreTransactionLocalAndTheSearchStatementsOwnSettingsAreRestored(AgentStore store) {
            compass(store, "settings", Distance.COSINE, IndexSpec.hnsw());

            String[] inside = store.fromTransaction(uow -> {
                uow.chunks().search("settings", new float[]{1, 0}, SearchOptions.top(1).withEfSearch(123));
                return settings(uow.entityManager().unwrap(Session.class));
            });
            String[] afterJitOff = store.fromTransaction(uow -> {
                uow.entityManager().createNativeQuery("SELECT set_config('jit', 'off', true)").getSingleResult();
                uow.chunks().search("settings", new float[]{1, 0}, SearchOptions.top(1).withFilter(Filter.eq("ordinal", 1)));
                return settings(uow.entityManager().unwrap(Session.class));
            });
            String[] after = store.fromTransaction(uow -> settings(uow.entityManager().unwrap(Session.class)));

            assertThat(inside).containsExactly("123", "relaxed_order", "on", "on", "auto");
            assertThat(afterJitOff).containsExactly("40", "relaxed_order", "on", "off", "auto");
            assertThat(after[0]).isIn("40", null); // null: a pooled connection that has not loaded pgvector yet
            assertThat(after[2]).isEqualTo("on");
            assertThat(after[3]).isEqualTo("on");
            assertThat(after[4]).isEqualTo("auto");
        }
    }

    private static String[] settings(Session session) {
        return session.doReturningWork(c -> {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT current_setting('hnsw.ef_search', true),"
                    + " current_setting('hnsw.iterative_scan', true), current_setting('enable_sort'), current_setting('jit'),"
                    + " current_setting('plan_cache_mode')")) {
                rs.next();
                return new String[]{rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)};
            }
        });
    }
}
