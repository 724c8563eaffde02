package dev.agentstore.persistence.knowledge;

import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.migrations.IndexDefinition;
import dev.agentstore.migrations.IndexStatus;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.query.Filter;
import org.hibernate.Session;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Statement;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The plans of filtered and text reads of chunks at scale ({@value #CHUNKS} chunks, {@value #SOURCES} payload
 * sources): a B-tree index declared on a payload path ({@link IndexDefinition#chunkPayload}, Mastra's
 * {@code metadataIndexes}) serves filters on that path in listings and filtered searches, and the text search reads
 * the GIN index on {@code text_search}. Checked with {@code EXPLAIN} after {@code ANALYZE}.
 */
@ExtendWith(AgentStoreExtension.class)
class ChunkIndexPlanTest {

    private static final int CHUNKS = 20_000;
    private static final int SOURCES = 500;
    private static final String BASE = "plans";

    @BeforeAll
    static void fill(AgentStore store) {
        store.inTransaction(uow -> uow.knowledge().create(BASE, 2, Distance.COSINE, IndexSpec.hnsw()));
        store.inTransaction(uow -> uow.entityManager().unwrap(Session.class).doWork(c -> {
            try (Statement st = c.createStatement()) {
                // one chunk in 1,000 mentions "checkpointer"; each source holds 40 chunks
                st.execute("INSERT INTO chunks (knowledge_base, id, dimension, document_id, ordinal, content,"
                        + " content_hash, embedding, payload, created_at)"
                        + " SELECT '" + BASE + "', 'c' || i, 2, 'd' || (i / 10), i % 10,"
                        + " 'chunk ' || i || CASE WHEN i % 1000 = 0 THEN ' checkpointer' ELSE ' text' END,"
                        + " md5(i::text), CAST(ARRAY[1, i % 17] AS vector),"
                        + " jsonb_build_object('source', 'src-' || (i % " + SOURCES + "), 'n', i), now()"
                        + " FROM generate_series(1, " + CHUNKS + ") i");
            }
        }));
        List<IndexStatus> created = store.indexes().ensure(IndexDefinition.chunkPayload("chunks_source_idx", "source"));
        assertThat(created).extracting(IndexStatus::state).containsExactly(IndexStatus.State.CREATED);
        store.inTransaction(uow -> uow.entityManager().unwrap(Session.class).doWork(c -> {
            try (Statement st = c.createStatement()) {
                st.execute("ANALYZE chunks");
            }
        }));
    }

    @Test
    void aListingFilteredOnAnIndexedPayloadPathReadsItsIndex(AgentStore store) {
        ChunkFilters.Rendered f = ChunkFilters.render(Filter.in("payload.source", List.of("src-7", "src-8")));
        List<String> plan = store.fromTransaction(uow -> uow.entityManager().unwrap(Session.class)
                .doReturningWork(c -> KnowledgeSqlTestSupport.explain(c, jdbc(ChunkListing.listSql(false, f)),
                        BASE, "src-7", "src-8", 10)));

        assertThat(String.join("\n", plan)).contains("chunks_source_idx").doesNotContain("Seq Scan");
        assertThat(store.chunks().list(BASE, Filter.in("payload.source", List.of("src-7", "src-8")), null, 100)
                .chunks()).hasSize(80);
    }

    @Test
    void aFilteredVectorSearchCollectsItsMatchesFromThePayloadPathIndex(AgentStore store) {
        List<String> plan = store.chunks().explainSearch(BASE, new float[]{1, 3},
                SearchOptions.top(5).withFilter(Filter.in("payload.source", List.of("src-7", "src-8"))), false);

        assertThat(String.join("\n", plan)).contains("chunks_source_idx").doesNotContain("Seq Scan on chunks");
    }

    @Test
    void aTextSearchReadsTheGinIndexOfTheTextSearchVector(AgentStore store) {
        List<String> plan = store.chunks().explainSearch(BASE, "checkpointer", null,
                SearchOptions.top(5).withMode(SearchMode.TEXT), false);

        assertThat(String.join("\n", plan)).contains("chunks_text_search_idx").doesNotContain("Seq Scan on chunks");
        assertThat(store.chunks().search(BASE, "checkpointer", (float[]) null,
                SearchOptions.top(50).withMode(SearchMode.TEXT))).hasSize(CHUNKS / 1000);
    }

    @Test
    void aTextSearchParsesItsQueryTextOnceNotForEveryRowItRanks(AgentStore store) {
        List<String> plan = store.chunks().explainSearch(BASE, "checkpointer", null,
                SearchOptions.top(5).withMode(SearchMode.TEXT), false);

        assertThat(plan).filteredOn(line -> line.contains("ts_rank_cd")).isNotEmpty()
                .noneMatch(line -> line.contains("websearch_to_tsquery"));
        assertThat(plan).filteredOn(line -> line.contains("Index Cond") && line.contains("text_search @@"))
                .isNotEmpty().noneMatch(line -> line.contains("websearch_to_tsquery"));
        assertThat(plan).anyMatch(line -> line.contains("CTE text_query")); // parsed there, once
    }

    @Test
    void aHybridSearchReadsTheGinIndexForItsTextList(AgentStore store) {
        List<String> plan = store.chunks().explainSearch(BASE, "checkpointer", new float[]{1, 3},
                SearchOptions.top(5).withMode(SearchMode.HYBRID), false);

        assertThat(String.join("\n", plan)).contains("chunks_text_search_idx").doesNotContain("Seq Scan on chunks");
    }

    /** The statement with JDBC placeholders in the order {@code :base}, the filter's, {@code :limit}. */
    private static String jdbc(String sql) {
        return sql.replaceAll(":(base|limit|filter[0-9]+)\\b", "?");
    }
}
