package dev.agentstore.persistence.memory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.memory.MemoryMessage;
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

/**
 * Recall and include context read the index {@code (memory_id, seq DESC)} and never sort or scan the table, checked
 * with {@code EXPLAIN (ANALYZE)} on a large table ({@value #THREADS} threads of {@value #PER_THREAD} messages by
 * default; {@code -Dagentstore.memory.planThreads=10000} makes it a million rows). The plan node that reads
 * the index returns exactly the requested rows, so the cost does not grow with the table (a
 * {@code ROW_NUMBER()} over every message would).
 */
@ExtendWith(AgentStoreExtension.class)
class MemoryRecallPlanTest {

    private static final int THREADS = 1000;
    private static final int PER_THREAD = 100;

    @BeforeAll
    static void fill(AgentStore store) {
        int threads = Integer.getInteger("agentstore.memory.planThreads", THREADS);
        store.inTransaction(uow -> uow.entityManager().unwrap(Session.class).doWork(c -> {
            try (Statement st = c.createStatement()) {
                st.execute("INSERT INTO memories (id, last_seq, created_at, updated_at)"
                        + " SELECT 'bulk-' || t, " + PER_THREAD + ", now(), now() FROM generate_series(1, " + threads + ") t");
                st.execute("INSERT INTO memory_messages (id, memory_id, seq, role, content, resource_id, created_at)"
                        + " SELECT 'bm-' || t || '-' || s, 'bulk-' || t, s, 'USER', jsonb_build_object('text', 'm' || s),"
                        + " 'r', now() FROM generate_series(1, " + threads + ") t, generate_series(1, " + PER_THREAD + ") s");
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
