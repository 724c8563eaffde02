package dev.agentstore.persistence.memory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.memory.MemoryMessage;
import dev.agentstore.domain.memory.RecalledMessage;
import dev.agentstore.domain.memory.SemanticRecall;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.support.Sql;
import org.hibernate.Session;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Recall, semantic recall and include context read the indexes {@code (memory_id, seq DESC)} and
 * {@code (resource_id, created_at, memory_id, seq)} and never scan the table, checked
 * with {@code EXPLAIN (ANALYZE)} on a large table ({@value #THREADS} threads of {@value #PER_THREAD} messages by
 * default; {@code -Dagentstore.memory.planThreads=10000} makes it a million rows). The plan node that reads
 * the index returns exactly the requested rows, so the cost does not grow with the table (a
 * {@code ROW_NUMBER()} over every message would).
 */
@ExtendWith(AgentStoreExtension.class)
class MemoryRecallPlanTest {

    private static final int THREADS = 1000;
    private static final int PER_THREAD = 100;
    private static final int RESOURCES = 100;
    private static int threadsPerResource;

    @BeforeAll
    static void fill(AgentStore store) {
        int threads = Integer.getInteger("agentstore.memory.planThreads", THREADS);
        threadsPerResource = threads / RESOURCES;
        store.inTransaction(uow -> uow.entityManager().unwrap(Session.class).doWork(c -> {
            try (Statement st = c.createStatement()) {
                st.execute("INSERT INTO memories (id, last_seq, created_at, updated_at)"
                        + " SELECT 'bulk-' || t, " + PER_THREAD + ", now(), now() FROM generate_series(1, " + threads + ") t");
                // every message embedded (3 dimensions); RESOURCES resources of threads/RESOURCES threads each
                st.execute("INSERT INTO memory_messages (id, memory_id, seq, role, content, resource_id, created_at,"
                        + " embedding) SELECT 'bm-' || t || '-' || s, 'bulk-' || t, s, 'USER',"
                        + " jsonb_build_object('text', 'm' || s), 'r-' || (t % " + RESOURCES + "), now(),"
                        + " CAST(ARRAY[s % 7, t % 5, 1] AS vector)"
                        + " FROM generate_series(1, " + threads + ") t, generate_series(1, " + PER_THREAD + ") s");
            }
        }));
        store.inTransaction(uow -> uow.entityManager().unwrap(Session.class).doWork(c -> {
            try (Statement st = c.createStatement()) {
                st.execute("ANALYZE memories");
                st.execute("ANALYZE memory_messages");
            }
        }));
    }

    @Test
    void recallOfTheLastMessagesIsABoundedIndexScanWithoutSort(AgentStore store) {
        JsonNode plan = explain(store, MessageReadSql.LAST_MESSAGES, Map.of("memoryId", "bulk-77", "limit", 20));

        List<JsonNode> nodes = nodes(plan);
        assertThat(nodes).extracting(n -> n.get("Node Type").asText())
                .doesNotContain("Sort", "Seq Scan", "Bitmap Heap Scan", "WindowAgg", "Incremental Sort");
        JsonNode scan = nodes.stream().filter(n -> n.get("Node Type").asText().startsWith("Index"))
                .findFirst().orElseThrow();
        assertThat(scan.get("Index Name").asText()).isEqualTo("memory_messages_memory_seq_idx");
        assertThat(scan.get("Actual Rows").asLong()).as("index entries read").isEqualTo(20);

        List<MemoryMessage> recalled = store.fromTransaction(uow -> uow.memories().lastMessages("bulk-77", 20));
        assertThat(recalled).extracting(MemoryMessage::seq).first().isEqualTo((long) PER_THREAD - 19);
        assertThat(recalled).extracting(MemoryMessage::seq).last().isEqualTo((long) PER_THREAD);
    }

    @Test
    void includeContextReadsOnlyTheIndexRangesAroundEachTarget(AgentStore store) {
        String includes = "[{\"id\":\"bm-5-50\",\"previous\":3,\"next\":2},{\"id\":\"bm-1999-1\",\"previous\":2,\"next\":2}]";
        Map<String, Object> parameters = new HashMap<>();
        parameters.put("includes", includes);
        parameters.put("resourceId", null);
        JsonNode plan = explain(store, MessageReadSql.INCLUDED, parameters);

        List<JsonNode> nodes = nodes(plan);
        assertThat(nodes).filteredOn(n -> n.get("Node Type").asText().equals("Seq Scan"))
                .allSatisfy(n -> assertThat(n.path("Relation Name").asText()).isNotEqualTo("memory_messages"));
        assertThat(nodes).extracting(n -> n.get("Node Type").asText()).doesNotContain("Sort", "Hash Join");
        long rowsFromMessages = nodes.stream().filter(n -> "memory_messages".equals(n.path("Relation Name").asText()))
                .mapToLong(n -> n.get("Actual Rows").asLong() * n.get("Actual Loops").asLong()).sum();
        assertThat(rowsFromMessages).as("rows read from memory_messages").isLessThanOrEqualTo(2 + 4 + 2 + 3 + 2);
    }

    @Test
    void semanticRecallInAThreadReadsOnlyThatThreadAndTheNeighboursFromTheIndex(AgentStore store) {
        // the thread's rows, then 4 hits x (2 before + the hit + 1 after)
        assertRecallReadsOnly(store, MessageRecallSql.RECALL_THREAD, "bulk-77", "memory_messages_memory_seq_idx",
                PER_THREAD + 4 * (2 + 1 + 1));
    }

    @Test
    void semanticRecallOverAResourceReadsOnlyThatResourcesMessages(AgentStore store) {
        assertRecallReadsOnly(store, MessageRecallSql.RECALL_RESOURCE, "r-7", "memory_messages_resource_idx",
                (long) threadsPerResource * PER_THREAD + 4 * (2 + 1 + 1));

        List<RecalledMessage> recalled = store.memories().semanticRecall(new float[]{3, 2, 1},
                SemanticRecall.resource("r-7").messageRange(2, 1));
        assertThat(recalled).filteredOn(RecalledMessage::match).hasSize(4)
                .allSatisfy(r -> assertThat(r.distance()).isCloseTo(0.0, within(1e-6)));
    }

    /**
     * Explains a recall statement (top 4, 2 before, 1 after) for {@code scopeId}: no sequential scan of
     * memory_messages, {@code index} read, at most {@code maxRows} rows read from memory_messages.
     */
    private static void assertRecallReadsOnly(AgentStore store, String sql, String scopeId, String index,
                                              long maxRows) {
        List<JsonNode> nodes = nodes(explain(store, sql, Map.of("query", "[3,2,1]", "dimension", 3,
                "scopeId", scopeId, "topK", 4, "before", 2, "after", 1)));
        assertThat(nodes).filteredOn(n -> "memory_messages".equals(n.path("Relation Name").asText()))
                .allSatisfy(n -> assertThat(n.get("Node Type").asText()).isNotEqualTo("Seq Scan"));
        assertThat(nodes).extracting(n -> n.path("Index Name").asText()).contains(index);
        assertThat(rowsFromMessages(nodes)).as("rows read from memory_messages").isLessThanOrEqualTo(maxRows);
    }

    /** Rows the plan's nodes on memory_messages returned, over all loops. */
    private static long rowsFromMessages(List<JsonNode> nodes) {
        return nodes.stream().filter(n -> "memory_messages".equals(n.path("Relation Name").asText()))
                .mapToLong(n -> n.get("Actual Rows").asLong() * n.get("Actual Loops").asLong()).sum();
    }

    /** EXPLAIN (ANALYZE, FORMAT JSON) of a repository statement, with its named parameters bound. */
    private static JsonNode explain(AgentStore store, String sql, Map<String, Object> parameters) {
        return store.fromTransaction(uow -> Sql.call(uow.entityManager(), "explain", h -> h
                .createQuery("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
                .bindMap(parameters)
                .map((rs, ctx) -> Json.parse("plan", rs.getString(1)).get(0).get("Plan"))
                .one()));
    }

    private static List<JsonNode> nodes(JsonNode plan) {
        List<JsonNode> all = new ArrayList<>();
        all.add(plan);
        for (JsonNode child : plan.path("Plans")) {
            all.addAll(nodes(child));
        }
        return all;
    }
}
