package dev.agentstore.persistence.knowledge;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.knowledge.ChunkMatch;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.query.Filter;
import dev.agentstore.persistence.support.Sql;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Full-text and hybrid search against the real PostgreSQL: the text list's ranks, Reciprocal Rank Fusion recomputed
 * in Java from the two lists, filters on both lists, the threshold per mode, the base's text-search configuration,
 * query texts that parse to nothing, and the configuration's validation.
 */
@ExtendWith(AgentStoreExtension.class)
class HybridSearchTest {

    /** Twelve chunks on two pages: vectors spread over a circle, texts about vacuum, indexes and WAL. */
    private static final String[] TEXTS = {
            "VACUUM reclaims storage occupied by dead tuples; VACUUM FULL rewrites the table",
            "Autovacuum runs VACUUM and ANALYZE automatically",
            "The pg_stat_activity view shows one row per server process",
            "CREATE INDEX CONCURRENTLY builds an index without locking out writes",
            "A partial index covers only the rows that satisfy its predicate",
            "Write-ahead logging: WAL records are written before the data pages",
            "Checkpoints flush dirty pages and let old WAL segments be recycled",
            "The planner estimates the cost of each plan; vacuum keeps statistics fresh",
            "Running queries are listed in pg_stat_activity with their state",
            "GIN indexes serve full-text search over tsvector columns",
            "The the the of and a",
            "Indexes speed up queries but cost writes; vacuum cleans index entries too",
    };

    private static float[] vector(int i) {
        double angle = i * Math.PI / 9;
        return new float[]{(float) Math.cos(angle), (float) Math.sin(angle), 0.1f * i};
    }

    private static void load(AgentStore store, String base, String textConfig) {
        store.inTransaction(uow -> {
            uow.knowledge().create(base, 3, Distance.COSINE, IndexSpec.hnsw(), null, textConfig);
            List<NewChunk> chunks = new ArrayList<>();
            for (int i = 0; i < TEXTS.length; i++) {
                chunks.add(NewChunk.of(i < 6 ? "page-a" : "page-b", i, TEXTS[i], vector(i)).withId("c" + i)
                        .withPayload(dev.agentstore.domain.json.Json.parse("p", "{\"even\":" + (i % 2 == 0) + "}")));
            }
            uow.chunks().upsert(base, chunks);
        });
    }

    private static List<ChunkMatch> search(AgentStore store, String base, String text, float[] query,
                                           SearchOptions options) {
        return store.chunks().search(base, text, query, options);
    }

    private static List<String> ids(List<ChunkMatch> matches) {
        return matches.stream().map(ChunkMatch::id).toList();
    }

    /** The text list as PostgreSQL ranks it, straight from SQL: ids by ts_rank_cd(…, 1) descending, then id. */
    private static List<String> textRankedInSql(AgentStore store, String base, String config, String text) {
        return store.fromTransaction(uow -> Sql.call(uow.entityManager(), "rank", h -> h.createQuery("""
                        SELECT id FROM chunks
                         WHERE knowledge_base = :base
                           AND text_search @@ websearch_to_tsquery(CAST(:config AS regconfig), :text)
                         ORDER BY ts_rank_cd(to_tsvector(CAST(:config AS regconfig), content),
                                             websearch_to_tsquery(CAST(:config AS regconfig), :text), 1) DESC, id""")
                .bind("base", base).bind("config", config).bind("text", text).mapTo(String.class).list()));
    }

    @Nested
    class TextSearch {

        @Test
        void ranksTheMatchingChunksByTsRankCdWithTheirTextRank(AgentStore store) {
            load(store, "txt", "english");

            List<ChunkMatch> found = search(store, "txt", "vacuum", null, SearchOptions.top(10)
                    .withMode(SearchMode.TEXT));

            assertThat(ids(found)).containsExactlyElementsOf(textRankedInSql(store, "txt", "english", "vacuum"))
                    .contains("c0", "c1", "c7", "c11").doesNotContain("c2", "c3");
            for (int i = 0; i < found.size(); i++) {
                assertThat(found.get(i).textRank()).isEqualTo(i + 1);
                assertThat(found.get(i).vectorRank()).isNull();
                assertThat(found.get(i).distance()).isNaN();
            }
            assertThat(found).isSortedAccordingTo(Comparator.comparingDouble(ChunkMatch::score).reversed());
            assertThat(found.get(0).score()).isPositive();
        }

        @Test
        void withAQueryVectorTheResultsCarryTheirDistance(AgentStore store) {
            load(store, "txtd", "english");

            List<ChunkMatch> found = search(store, "txtd", "pg_stat_activity", vector(0), SearchOptions.top(5)
                    .withMode(SearchMode.TEXT));

            assertThat(ids(found)).containsExactlyInAnyOrder("c2", "c8");
            ChunkMatch c2 = found.stream().filter(m -> m.id().equals("c2")).findFirst().orElseThrow();
            assertThat(c2.distance()).isCloseTo(1 - cosine(vector(0), vector(2)), within(1e-5));
        }

        @Test
        void aChangedContentGetsANewTsvector(AgentStore store) {
            load(store, "txtu", "english");
            store.inTransaction(uow -> uow.chunks().upsert("txtu", List.of(
                    NewChunk.of("page-b", 9, "Checksums detect corruption", vector(9)).withId("c9"))));

            assertThat(ids(search(store, "txtu", "checksums", null, SearchOptions.top(5).withMode(SearchMode.TEXT))))
                    .containsExactly("c9");
            assertThat(search(store, "txtu", "tsvector", null, SearchOptions.top(5).withMode(SearchMode.TEXT)))
                    .isEmpty();
        }
    }

    @Nested
    class HybridFusion {

        @Test
        void theFusedOrderIsReciprocalRankFusionOfTheTwoListsComputedInJava(AgentStore store) {
            load(store, "hyb", "english");
            String text = "vacuum index";
            float[] q = vector(3);
            int depth = 40; // max(k, ef_search 40)
            List<ChunkMatch> vector = search(store, "hyb", null, q, SearchOptions.top(depth));
            List<ChunkMatch> textual = search(store, "hyb", text, null, SearchOptions.top(depth)
                    .withMode(SearchMode.TEXT));
            assertThat(textual).isNotEmpty();

            for (double[] w : new double[][]{{1, 1}, {1, 3}, {2, 0.5}}) {
                SearchOptions options = SearchOptions.top(5).withMode(SearchMode.HYBRID).withRrf(60, w[0], w[1]);
                List<ChunkMatch> hybrid = search(store, "hyb", text, q, options);

                Map<String, Double> fused = new HashMap<>();
                for (int i = 0; i < vector.size(); i++) {
                    fused.merge(vector.get(i).id(), w[0] / (60 + i + 1), Double::sum);
                }
                for (int i = 0; i < textual.size(); i++) {
                    fused.merge(textual.get(i).id(), w[1] / (60 + i + 1), Double::sum);
                }
                List<String> expected = fused.entrySet().stream()
                        .sorted(Map.Entry.<String, Double>comparingByValue().reversed()
                                .thenComparing(Map.Entry.comparingByKey()))
                        .map(Map.Entry::getKey).limit(5).toList();
                assertThat(ids(hybrid)).as("weights %s", w).containsExactlyElementsOf(expected);
                for (ChunkMatch m : hybrid) {
                    assertThat(m.score()).isCloseTo(fused.get(m.id()), within(1e-12));
                    assertThat(m.vectorRank()).isEqualTo(rank(vector, m.id()));
                    assertThat(m.textRank()).isEqualTo(rank(textual, m.id()));
                    assertThat(m.distance()).isCloseTo(1 - cosine(q, vector(Integer.parseInt(m.id().substring(1)))),
                            within(1e-5));
                }
            }
        }

        @Test
        void aHitInOnlyOneListSaysSo(AgentStore store) {
            load(store, "hyb1", "english");

            List<ChunkMatch> hybrid = search(store, "hyb1", "checkpoints", vector(0), SearchOptions.top(12)
                    .withMode(SearchMode.HYBRID));

            assertThat(hybrid).hasSize(12);
            ChunkMatch c6 = hybrid.stream().filter(m -> m.id().equals("c6")).findFirst().orElseThrow();
            assertThat(c6.textRank()).isEqualTo(1);
            assertThat(hybrid.stream().filter(m -> !m.id().equals("c6")))
                    .allSatisfy(m -> assertThat(m.textRank()).isNull())
                    .allSatisfy(m -> assertThat(m.vectorRank()).isNotNull());
        }

        @Test
        void theFilterAppliesToBothLists(AgentStore store) {
            load(store, "hybf", "english");
            Filter even = Filter.eq("payload.even", true);

            List<ChunkMatch> hybrid = search(store, "hybf", "vacuum", vector(1), SearchOptions.top(10)
                    .withMode(SearchMode.HYBRID).withFilter(even));
            List<ChunkMatch> text = search(store, "hybf", "vacuum", null, SearchOptions.top(10)
                    .withMode(SearchMode.TEXT).withFilter(Filter.eq("documentId", "page-b")));

            assertThat(ids(hybrid)).hasSize(6).allSatisfy(id -> assertThat(Integer.parseInt(id.substring(1)) % 2)
                    .isZero());
            assertThat(ids(text)).containsExactlyInAnyOrder("c7", "c11");
        }

        @Test
        void mmrReranksTheFusedCandidates(AgentStore store) {
            load(store, "hybm", "english");

            List<ChunkMatch> mmr = search(store, "hybm", "index", vector(4), SearchOptions.top(3)
                    .withMode(SearchMode.HYBRID).withMmr(0.5, 4));

            assertThat(mmr).hasSize(3).allSatisfy(m -> assertThat(m.embedding()).isNull());
        }
    }

    @Nested
    class ThresholdPerMode {

        @Test
        void textKeepsRanksAtLeastTheMinimumAndHybridFusedScoresAtLeastIt(AgentStore store) {
            load(store, "thr", "english");
            List<ChunkMatch> all = search(store, "thr", "vacuum", null, SearchOptions.top(10)
                    .withMode(SearchMode.TEXT));
            double cut = all.get(1).score();

            List<ChunkMatch> text = search(store, "thr", "vacuum", null, SearchOptions.top(10)
                    .withMode(SearchMode.TEXT).withMinScore(cut));
            List<ChunkMatch> hybrid = search(store, "thr", "vacuum", vector(0), SearchOptions.top(10)
                    .withMode(SearchMode.HYBRID).withMinScore(1.5 / 61));

            assertThat(text).allSatisfy(m -> assertThat(m.score()).isGreaterThanOrEqualTo(cut))
                    .hasSizeBetween(2, all.size() - 1);
            // 1.5 / 61 needs both lists: 1/(60 + a) + 1/(60 + b) for small ranks
            assertThat(hybrid).isNotEmpty().allSatisfy(m -> {
                assertThat(m.score()).isGreaterThanOrEqualTo(1.5 / 61);
                assertThat(m.vectorRank()).isNotNull();
                assertThat(m.textRank()).isNotNull();
            });
        }
    }

    @Nested
    class TextConfiguration {

        @Test
        void englishStemsAndDropsStopWordsSimpleDoesNeither(AgentStore store) {
            load(store, "eng", "english");
            load(store, "smp", "simple");

            assertThat(ids(search(store, "eng", "running", null, SearchOptions.top(5).withMode(SearchMode.TEXT))))
                    .containsExactlyInAnyOrder("c1", "c8"); // runs, Running
            assertThat(ids(search(store, "smp", "running", null, SearchOptions.top(5).withMode(SearchMode.TEXT))))
                    .containsExactly("c8");
            assertThat(ids(search(store, "smp", "the", null, SearchOptions.top(20).withMode(SearchMode.TEXT))))
                    .contains("c10", "c2");
            assertThat(ids(search(store, "smp", "the", null, SearchOptions.top(20).withMode(SearchMode.TEXT))))
                    .containsExactlyElementsOf(textRankedInSql(store, "smp", "simple", "the"));
            assertThat(store.fromTransaction(uow -> uow.knowledge().get("smp")).textConfig()).isEqualTo("simple");
        }

        @Test
        void anUnknownOrMalformedConfigurationIsRefusedAndNothingIsWritten(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.knowledge().create("bad1", 3, Distance.COSINE,
                    IndexSpec.none(), null, "klingon")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("klingon")
                    .hasMessageContaining("pg_ts_config");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.knowledge().create("bad2", 3, Distance.COSINE,
                    IndexSpec.none(), null, "english'; drop")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("textConfig");
            boolean bad1 = store.fromTransaction(uow -> uow.knowledge().find("bad1").isPresent());
            assertThat(bad1).isFalse();
            boolean bad2 = store.fromTransaction(uow -> uow.knowledge().find("bad2").isPresent());
            assertThat(bad2).isFalse();
        }

        @Test
        void aBaseCreatedWithoutOneHasTheDefault(AgentStore store) {
            store.inTransaction(uow -> uow.knowledge().create("dflt", 3, Distance.COSINE, IndexSpec.none()));

            assertThat(store.fromTransaction(uow -> uow.knowledge().get("dflt")).textConfig())
                    .isEqualTo(dev.agentstore.domain.knowledge.KnowledgeBase.DEFAULT_TEXT_CONFIG);
        }
    }

    @Nested
    class QueryTextThatParsesToNothing {

        @Test
        void stopWordsOnlyOrOperatorsOnlyMatchNothingWithoutError(AgentStore store) {
            load(store, "bad", "english");

            for (String text : List.of("the of and", "-", "\"\"", "or", "& | ! : * ( )", "'",
                    "\\", "<->", "vacuum:*")) {
                List<ChunkMatch> textOnly = search(store, "bad", text, null, SearchOptions.top(5)
                        .withMode(SearchMode.TEXT));
                List<ChunkMatch> hybrid = search(store, "bad", text, vector(0), SearchOptions.top(5)
                        .withMode(SearchMode.HYBRID));
                assertThat(hybrid).as(text).hasSize(5).allSatisfy(m -> assertThat(m.vectorRank()).isNotNull());
                if (!text.equals("vacuum:*")) {
                    assertThat(textOnly).as(text).isEmpty();
                }
            }
        }

        @Test
        void aMissingBlankOrOverlongTextIsRefused(AgentStore store) {
            load(store, "badt", "english");
            SearchOptions text = SearchOptions.top(5).withMode(SearchMode.TEXT);

            assertThatThrownBy(() -> search(store, "badt", null, null, text))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("query text");
            assertThatThrownBy(() -> search(store, "badt", "  ", vector(0), text.withMode(SearchMode.HYBRID)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("query text");
            assertThatThrownBy(() -> search(store, "badt", "x".repeat(10_001), null, text))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("10000");
            assertThatThrownBy(() -> search(store, "badt", "vacuum", null, text.withMode(SearchMode.HYBRID)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("query vector");
            assertThatThrownBy(() -> search(store, "badt", "vacuum", null, text.withMmr()))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("MMR");
        }
    }

    private static Integer rank(List<ChunkMatch> list, String id) {
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i).id().equals(id)) {
                return i + 1;
            }
        }
        return null;
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
