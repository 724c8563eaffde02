package dev.agentstore.persistence.knowledge;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.domain.knowledge.VectorType;
import dev.agentstore.persistence.knowledge.KnowledgeBaseCache.Definition;
import dev.agentstore.persistence.knowledge.SearchStatement.Mode;
import dev.agentstore.persistence.query.Filter;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

/**
 * The search statement's text and parameters for the main combinations of options, without a database: the metric's
 * operator, the index (HNSW, IVFFlat, none) and its setting, exact or ANN, the filter, the threshold, k and MMR.
 */
class SearchStatementTest {

    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private static final float[] Q3 = {1, 0, 0};
    /** A named parameter, not a {@code ::} cast. */
    private static final Pattern PARAMETER = Pattern.compile("(?<![:\\w]):([A-Za-z][A-Za-z0-9]*)");

    private static Definition definition(String name, int dimension, Distance distance, IndexSpec index,
                                         VectorType type) {
        return new Definition(KnowledgeBase.of(name, dimension, distance, type, index, NOW, NOW, 2),
                "2 " + dimension + " " + distance, true);
    }

    private static Definition docs(Distance distance, IndexSpec index) {
        return definition("docs", 3, distance, index, VectorType.VECTOR);
    }

    /** @return the names of the named parameters in {@code sql}, in order of first occurrence */
    private static Set<String> parameterNames(String sql) {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = PARAMETER.matcher(sql);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** The text names exactly the parameters the statement binds, and has no positional placeholder. */
    private static void assertBindsWhatItNames(SearchStatement s, Mode mode) {
        String sql = s.sql(mode, "");
        assertThat(sql).doesNotContain("?");
        assertThat(parameterNames(sql)).containsExactlyInAnyOrderElementsOf(s.parameters(mode).keySet());
    }

    @Nested
    class TheMetricAndTheIndex {

        @Test
        void anHnswCosineSearchWithoutFilterAsksTheIndexForKRows() {
            SearchStatement s = SearchStatement.of(docs(Distance.COSINE, IndexSpec.hnsw()), Q3, SearchOptions.top(10));

            assertThat(s.mode()).isEqualTo(Mode.INDEX);
            String sql = s.sql(Mode.INDEX, "");
            assertThat(sql.split(";\n")).hasSize(3);
            assertThat(sql).startsWith(SearchStatement.SETTINGS + SearchStatement.HNSW_SETTINGS + ";\nWITH base AS (")
                    .endsWith(";\n" + SearchStatement.RESTORE)
                    .contains("set_config('hnsw.ef_search', :efSearch, true)")
                    .contains("SELECT id, (embedding::vector(3)) <=> (SELECT CAST(:query AS vector(3))) AS distance"
                            + " FROM chunks"
                            + " WHERE knowledge_base = 'docs' AND dimension = 3 AND (SELECT valid FROM base)"
                            + " ORDER BY distance LIMIT :fetch")
                    .contains("name = :base AND concat_ws(")
                    .contains("= :definition) AS valid")
                    .contains("best AS (SELECT id, distance, CAST(NULL AS float8) AS score,"
                            + " row_number() OVER (ORDER BY distance, id) AS vector_rank,"
                            + " CAST(NULL AS bigint) AS text_rank FROM nearest ORDER BY distance, id LIMIT :limit)")
                    .contains("CAST(NULL AS text) AS embedding_text")
                    .contains("c.knowledge_base = 'docs' AND c.id = b.id")
                    .doesNotContain(":bound", "matching", "OFFSET 0", "set_config('ivfflat");
            Map<String, Object> p = s.parameters(Mode.INDEX);
            assertThat(p).containsExactly(entry("efSearch", "40"), entry("base", "docs"),
                    entry("definition", "2 3 COSINE"), entry("query", p.get("query")), entry("fetch", 10),
                    entry("limit", 10));
            assertThat((float[]) p.get("query")).containsExactly(1f, 0f, 0f);
            assertBindsWhatItNames(s, Mode.INDEX);
        }

        @Test
        void eachMetricHasItsOperator() {
            assertThat(SearchStatement.of(docs(Distance.L2, IndexSpec.hnsw()), Q3, SearchOptions.top(1))
                    .sql(Mode.INDEX, "")).contains("(embedding::vector(3)) <-> (SELECT CAST(:query AS vector(3)))");
            assertThat(SearchStatement.of(docs(Distance.INNER_PRODUCT, IndexSpec.hnsw()), Q3, SearchOptions.top(1))
                    .sql(Mode.INDEX, "")).contains("(embedding::vector(3)) <#> (SELECT CAST(:query AS vector(3)))");
            assertThat(SearchStatement.of(docs(Distance.COSINE, IndexSpec.hnsw()), Q3, SearchOptions.top(1))
                    .sql(Mode.INDEX, "")).contains("(embedding::vector(3)) <=> (SELECT CAST(:query AS vector(3)))");
        }

        @Test
        void aHalfvecBaseCastsTheColumnAndTheQueryToHalfvec() {
            float[] q = new float[3000];
            q[0] = 1;
            SearchStatement s = SearchStatement.of(definition("large", 3000, Distance.COSINE, IndexSpec.hnsw(),
                    VectorType.HALFVEC), q, SearchOptions.top(5));

            assertThat(s.sql(Mode.INDEX, "")).contains(
                            "(embedding::halfvec(3000)) <=> (SELECT CAST(:query AS halfvec(3000)))")
                    .contains("knowledge_base = 'large' AND dimension = 3000");
        }

        @Test
        void anIvfflatBaseSetsItsProbesToTheRootOfItsListsUnlessGivenAndNeverAboveThem() {
            SearchStatement byDefault = SearchStatement.of(docs(Distance.L2, IndexSpec.ivfflat(100)), Q3,
                    SearchOptions.top(10));
            SearchStatement given = SearchStatement.of(docs(Distance.L2, IndexSpec.ivfflat(100)), Q3,
                    SearchOptions.top(10).withProbes(7));
            SearchStatement capped = SearchStatement.of(docs(Distance.L2, IndexSpec.ivfflat(4)), Q3,
                    SearchOptions.top(10).withProbes(9));

            assertThat(byDefault.sql(Mode.INDEX, "")).startsWith(SearchStatement.SETTINGS
                    + SearchStatement.IVFFLAT_SETTINGS).contains("set_config('ivfflat.probes', :probes, true)")
                    .doesNotContain("set_config('hnsw");
            assertThat(byDefault.parameters(Mode.INDEX)).containsEntry("probes", "10").doesNotContainKey("efSearch");
            assertThat(given.parameters(Mode.INDEX)).containsEntry("probes", "7");
            assertThat(capped.parameters(Mode.INDEX)).containsEntry("probes", "4");
            assertBindsWhatItNames(byDefault, Mode.INDEX);
        }

        @Test
        void efSearchIsAtLeast40AndAtLeastTheRowsWantedUnlessGiven() {
            assertThat(SearchStatement.of(docs(Distance.COSINE, IndexSpec.hnsw()), Q3, SearchOptions.top(100))
                    .parameters(Mode.INDEX)).containsEntry("efSearch", "100");
            assertThat(SearchStatement.of(docs(Distance.COSINE, IndexSpec.hnsw()), Q3,
                    SearchOptions.top(100).withEfSearch(12)).parameters(Mode.INDEX)).containsEntry("efSearch", "12");
        }

        @Test
        void aBaseWithoutIndexIsRankedExactlyWithoutIndexSettings() {
            SearchStatement s = SearchStatement.of(docs(Distance.COSINE, IndexSpec.none()), Q3, SearchOptions.top(3));

            assertThat(s.mode()).isEqualTo(Mode.EXACT);
            assertThat(s.sql(Mode.EXACT, "")).startsWith(SearchStatement.SETTINGS + ";\n")
                    .doesNotContain("set_config('hnsw", "set_config('ivfflat", ":fetch");
            assertThat(s.parameters(Mode.EXACT).keySet()).containsExactly("base", "definition", "query", "limit");
            assertBindsWhatItNames(s, Mode.EXACT);
        }
    }

    @Nested
    class ExactOrApproximate {

        @Test
        void anExactSearchRanksEveryRowOutsideAnOffset0SubqueryThatNoIndexServes() {
            SearchStatement s = SearchStatement.of(docs(Distance.COSINE, IndexSpec.hnsw()), Q3,
                    SearchOptions.top(7).withExactSearch());

            assertThat(s.mode()).isEqualTo(Mode.EXACT);
            assertThat(s.sql(Mode.EXACT, "")).contains("nearest AS MATERIALIZED (SELECT * FROM (SELECT id, "
                            + "(embedding::vector(3)) <=> (SELECT CAST(:query AS vector(3))) AS distance FROM chunks"
                            + " WHERE knowledge_base = 'docs' AND dimension = 3 AND (SELECT valid FROM base) OFFSET 0)"
                            + " AS s ORDER BY distance, id LIMIT :limit)")
                    .contains("SELECT count(*) AS candidates, true AS exact,");
            assertThat(s.parameters(Mode.EXACT)).containsEntry("efSearch", "40").containsEntry("limit", 7)
                    .doesNotContainKeys("fetch", "matches");
            assertBindsWhatItNames(s, Mode.EXACT);
        }

        @Test
        void theFallbackOfAnIndexSearchIsTheExactStatementWithTheSameValues() {
            SearchStatement s = SearchStatement.of(docs(Distance.COSINE, IndexSpec.hnsw()), Q3, SearchOptions.top(7));

            assertThat(s.mode()).isEqualTo(Mode.INDEX);
            assertThat(s.sql(Mode.EXACT, "")).contains("OFFSET 0) AS s ORDER BY distance, id LIMIT :limit");
            assertBindsWhatItNames(s, Mode.EXACT);
        }

        @Test
        void explainGoesBeforeTheSearchStatementOnly() {
            SearchStatement s = SearchStatement.of(docs(Distance.COSINE, IndexSpec.hnsw()), Q3, SearchOptions.top(7));

            String[] statements = s.sql(Mode.INDEX, "EXPLAIN (ANALYZE, BUFFERS) ").split(";\n");
            assertThat(statements[0]).startsWith("SELECT set_config");
            assertThat(statements[1]).startsWith("EXPLAIN (ANALYZE, BUFFERS) WITH base AS (");
            assertThat(statements[2]).isEqualTo(SearchStatement.RESTORE);
        }
    }

    @Nested
    class FiltersThresholdsAndK {

        @Test
        void aFilteredSearchOfAnIndexedBaseBranchesOnTheCountOfMatchesInSql() {
            SearchStatement s = SearchStatement.of(docs(Distance.COSINE, IndexSpec.hnsw()), Q3,
                    SearchOptions.top(10).withFilter(Filter.and(Filter.eq("payload.doc", 7),
                            Filter.eq("documentId", "d-1"))));

            assertThat(s.mode()).isEqualTo(Mode.FILTERED);
            String sql = s.sql(Mode.FILTERED, "");
            assertThat(sql).contains("matching AS MATERIALIZED (SELECT id, ").contains(" LIMIT :matches),")
                    .contains("few AS (SELECT count(*) < :matches AS exact FROM matching)")
                    .contains("(SELECT id, distance FROM matching WHERE (SELECT exact FROM few) ORDER BY distance, id"
                            + " LIMIT :limit)")
                    .contains(" AND NOT (SELECT exact FROM few) ORDER BY distance LIMIT :fetch)")
                    .contains(" AND payload @> CAST(:filter3 AS jsonb))")
                    .contains("(SELECT exact FROM few) AS exact");
            // the filter is in both scans, with the same parameters
            assertThat(sql.split(":filter1", -1)).hasSize(3);
            Map<String, Object> p = s.parameters(Mode.FILTERED);
            assertThat(p.keySet()).containsExactly("efSearch", "base", "definition", "query", "filter1", "filter2",
                    "filter3", "matches", "limit", "fetch");
            assertThat(p).containsEntry("filter1", new BigDecimal("7")).containsEntry("filter2", "d-1")
                    .containsEntry("filter3", "{\"doc\":7}").containsEntry("matches", 1_001)
                    .containsEntry("fetch", 40).containsEntry("limit", 10);
            assertBindsWhatItNames(s, Mode.FILTERED);
        }

        @Test
        void filterValuesAreBoundNeverInlined() {
            String evil = "x' OR '1'='1";
            SearchStatement s = SearchStatement.of(docs(Distance.COSINE, IndexSpec.none()), Q3,
                    SearchOptions.top(3).withFilter(Filter.eq("payload.k", evil)));

            assertThat(s.sql(Mode.EXACT, "")).doesNotContain(evil).doesNotContain("OR '1'");
            assertThat(s.parameters(Mode.EXACT)).containsEntry("filter1", evil);
            assertBindsWhatItNames(s, Mode.EXACT);
        }

        @Test
        void anIvfflatFilteredSearchAsksForAtLeast40MatchingRows() {
            SearchStatement s = SearchStatement.of(docs(Distance.L2, IndexSpec.ivfflat(9)), Q3,
                    SearchOptions.top(5).withFilter(Filter.gte("ordinal", 2)));

            assertThat(s.mode()).isEqualTo(Mode.FILTERED);
            assertThat(s.parameters(Mode.FILTERED)).containsEntry("fetch", 40).containsEntry("probes", "3")
                    .containsEntry("matches", 1_001);
            assertBindsWhatItNames(s, Mode.FILTERED);
        }

        @Test
        void theMinimumScoreIsADistanceBoundOfTheMetric() {
            SearchStatement cosine = SearchStatement.of(docs(Distance.COSINE, IndexSpec.hnsw()), Q3,
                    SearchOptions.top(4).withMinScore(0.75));
            SearchStatement l2 = SearchStatement.of(docs(Distance.L2, IndexSpec.hnsw()), Q3,
                    SearchOptions.top(4).withMinScore(-2.0));

            assertThat(cosine.sql(Mode.INDEX, ""))
                    .contains("best AS (SELECT id, distance, CAST(NULL AS float8) AS score,"
                            + " row_number() OVER (ORDER BY distance, id) AS vector_rank,"
                            + " CAST(NULL AS bigint) AS text_rank"
                            + " FROM nearest WHERE distance <= :bound ORDER BY distance, id LIMIT :limit)");
            assertThat(cosine.parameters(Mode.INDEX)).containsEntry("bound", Distance.COSINE.maxDistance(0.75));
            assertThat(l2.parameters(Mode.INDEX)).containsEntry("bound", 2.0);
            assertBindsWhatItNames(cosine, Mode.INDEX);
        }

        @Test
        void mmrFetchesItsCandidatesWithTheirEmbeddings() {
            SearchStatement mmr = SearchStatement.of(docs(Distance.COSINE, IndexSpec.hnsw()), Q3,
                    SearchOptions.top(5).withMmr(0.5, 8));
            SearchStatement embeddings = SearchStatement.of(docs(Distance.COSINE, IndexSpec.hnsw()), Q3,
                    SearchOptions.top(5).withEmbeddings());

            assertThat(mmr.limit()).isEqualTo(40);
            assertThat(mmr.parameters(Mode.INDEX)).containsEntry("limit", 40).containsEntry("fetch", 40)
                    .containsEntry("efSearch", "40");
            assertThat(mmr.sql(Mode.INDEX, "")).contains("CAST(c.embedding AS text) AS embedding_text");
            assertThat(embeddings.limit()).isEqualTo(5);
            assertThat(embeddings.sql(Mode.INDEX, "")).contains("CAST(c.embedding AS text) AS embedding_text");
        }

        @Test
        void aFilteredSearchCollectsAtLeastFourTimesTheRowsWantedBeforeChoosingTheIndex() {
            SearchStatement s = SearchStatement.of(docs(Distance.COSINE, IndexSpec.hnsw()), Q3,
                    SearchOptions.top(400).withFilter(Filter.eq("payload.lang", "en")));

            assertThat(s.parameters(Mode.FILTERED)).containsEntry("matches", 1_601).containsEntry("fetch", 400)
                    .containsEntry("efSearch", "400");
        }
    }

    @Nested
    class TextAndHybrid {

        private static final String TSQUERY = "(SELECT tsquery FROM text_query)";

        private static SearchOptions text(int k) {
            return SearchOptions.top(k).withMode(SearchMode.TEXT);
        }

        private static SearchOptions hybrid(int k) {
            return SearchOptions.top(k).withMode(SearchMode.HYBRID);
        }

        @Test
        void aTextSearchHasNoVectorPartAndRanksTheMatchesOfItsTsqueryWithTheBasesConfiguration() {
            Definition simple = new Definition(KnowledgeBase.of("docs", 3, Distance.COSINE, VectorType.VECTOR,
                    IndexSpec.hnsw(), "simple", NOW, NOW, 2), "2 3 COSINE simple", true);
            SearchStatement s = SearchStatement.of(simple, "vacuum full", null, text(7));

            String sql = s.sql(s.mode(), "");
            assertThat(sql).doesNotContain("<=>").doesNotContain("nearest")
                    .contains("text_query AS (SELECT websearch_to_tsquery(CAST(:textConfig AS regconfig), :text)"
                            + " AS tsquery),\n     textual AS MATERIALIZED (SELECT id, "
                            + SearchStatement.TEXT_RANK.formatted(TSQUERY)
                            + " AS text_score FROM chunks WHERE knowledge_base = 'docs' AND dimension = 3"
                            + " AND (SELECT valid FROM base) AND text_search @@ " + TSQUERY
                            + " ORDER BY text_score DESC, id LIMIT :limit)")
                    .contains("CAST('NaN' AS float8) AS distance")
                    .contains("row_number() OVER (ORDER BY text_score DESC, id) AS text_rank")
                    .endsWith("ORDER BY score DESC NULLS LAST, id;\n" + SearchStatement.RESTORE);
            assertThat(s.parameters(s.mode())).containsEntry("textConfig", "simple").containsEntry("text", "vacuum full")
                    .containsEntry("limit", 7).doesNotContainKey("query");
            assertThat(s.vectorLimit()).isZero();
            assertBindsWhatItNames(s, s.mode());
        }

        @Test
        void aTextSearchWithAQueryVectorComputesTheDistanceOfItsResults() {
            SearchStatement s = SearchStatement.of(docs(Distance.L2, IndexSpec.hnsw()), "wal", Q3, text(3));

            assertThat(s.sql(s.mode(), "")).contains(
                    "(c.embedding::vector(3)) <-> (SELECT CAST(:query AS vector(3))) AS distance");
            assertBindsWhatItNames(s, s.mode());
        }

        @Test
        void aHybridSearchFusesBothListsEachMaxKEfSearchDeepInOneStatement() {
            SearchStatement s = SearchStatement.of(docs(Distance.COSINE, IndexSpec.hnsw()), "vacuum", Q3,
                    hybrid(10).withRrf(30, 2.0, 0.5));

            assertThat(s.mode()).isEqualTo(Mode.INDEX);
            assertThat(s.vectorLimit()).isEqualTo(40);
            String sql = s.sql(Mode.INDEX, "");
            assertThat(sql.split(";\n")).hasSize(3);
            assertThat(sql).contains("nearest AS MATERIALIZED (SELECT id, (embedding::vector(3)) <=> (SELECT"
                            + " CAST(:query AS vector(3))) AS distance FROM chunks WHERE knowledge_base = 'docs'"
                            + " AND dimension = 3 AND (SELECT valid FROM base) ORDER BY distance LIMIT :fetch)")
                    .contains("text_search @@ " + TSQUERY + " ORDER BY text_score DESC, id LIMIT :depth)")
                    .contains("coalesce(CAST(:vectorWeight AS float8) / (:rrfK + v.vector_rank), 0)"
                            + " + coalesce(CAST(:textWeight AS float8) / (:rrfK + t.text_rank), 0) AS score")
                    .contains("FULL JOIN")
                    .contains("best AS (SELECT * FROM fused ORDER BY score DESC, id LIMIT :limit)")
                    .contains("coalesce(b.distance, (c.embedding::vector(3)) <=> (SELECT CAST(:query AS vector(3))))");
            assertThat(s.parameters(Mode.INDEX)).containsEntry("fetch", 40).containsEntry("depth", 40)
                    .containsEntry("limit", 10).containsEntry("rrfK", 30).containsEntry("vectorWeight", 2.0)
                    .containsEntry("textWeight", 0.5).containsEntry("textConfig", "english");
            for (Mode mode : Mode.values()) {
                assertBindsWhatItNames(s, mode);
            }
        }

        @Test
        void aFilterAppliesToBothListsWithTheSameBoundValues() {
            SearchStatement s = SearchStatement.of(docs(Distance.COSINE, IndexSpec.hnsw()), "vacuum", Q3,
                    hybrid(5).withFilter(Filter.eq("payload.lang", "en")));

            assertThat(s.mode()).isEqualTo(Mode.FILTERED);
            String sql = s.sql(Mode.FILTERED, "");
            String filter = ChunkFilters.render(Filter.eq("payload.lang", "en")).sql();
            assertThat(sql.split(java.util.regex.Pattern.quote(filter), -1)).hasSize(4); // matching, index, text
            assertBindsWhatItNames(s, Mode.FILTERED);
            assertBindsWhatItNames(s, Mode.EXACT);
        }

        @Test
        void theMinimumScoreIsOnTheTextRankOrTheFusedScoreNeverADistanceBound() {
            SearchStatement t = SearchStatement.of(docs(Distance.COSINE, IndexSpec.hnsw()), "wal", null,
                    text(5).withMinScore(0.1));
            SearchStatement h = SearchStatement.of(docs(Distance.COSINE, IndexSpec.hnsw()), "wal", Q3,
                    hybrid(5).withMinScore(0.02));

            assertThat(t.sql(t.mode(), "")).contains("FROM textual WHERE text_score >= :minScore");
            assertThat(h.sql(Mode.INDEX, "")).contains("best AS (SELECT * FROM fused WHERE score >= :minScore")
                    .doesNotContain(":bound");
            assertThat(h.parameters(Mode.INDEX)).containsEntry("minScore", 0.02).doesNotContainKey("bound");
            assertBindsWhatItNames(t, t.mode());
            assertBindsWhatItNames(h, Mode.INDEX);
        }

        @Test
        void whatAModeNeedsMustBeThere() {
            Definition d = docs(Distance.COSINE, IndexSpec.hnsw());

            assertThatThrownBy(() -> SearchStatement.of(d, null, Q3, hybrid(1)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("query text");
            assertThatThrownBy(() -> SearchStatement.of(d, "x", null, hybrid(1)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("query vector");
            assertThatThrownBy(() -> SearchStatement.of(d, "a\0b", null, text(1)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("U+0000");
            assertThatThrownBy(() -> SearchOptions.top(1).withRrf(0, 1, 1)).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> SearchOptions.top(1).withRrf(60, 0, 0)).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> SearchOptions.top(1).withRrf(60, -1, 1)).isInstanceOf(InvalidInputException.class);
        }
    }

    @Nested
    class RejectedInput {

        @Test
        void aQueryOfAnotherDimensionIsRefusedNamingBoth() {
            assertThatThrownBy(() -> SearchStatement.of(docs(Distance.COSINE, IndexSpec.hnsw()), new float[]{1, 0},
                    SearchOptions.top(1))).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("dimension 2").hasMessageContaining("expects dimension 3");
        }

        @Test
        void aFilterOnAnUnknownPathIsRefused() {
            assertThatThrownBy(() -> SearchStatement.of(docs(Distance.COSINE, IndexSpec.hnsw()), Q3,
                    SearchOptions.top(1).withFilter(Filter.eq("content", "x"))))
                    .isInstanceOf(InvalidInputException.class);
        }

        @Test
        void theQueryVectorIsCopied() {
            float[] q = {1, 0, 0};
            SearchStatement s = SearchStatement.of(docs(Distance.COSINE, IndexSpec.hnsw()), q, SearchOptions.top(1));
            q[0] = 5;

            assertThat((float[]) s.parameters(Mode.INDEX).get("query")).containsExactly(1f, 0f, 0f);
        }
    }
}
