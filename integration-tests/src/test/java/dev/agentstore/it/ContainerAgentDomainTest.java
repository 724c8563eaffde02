package dev.agentstore.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.knowledge.Chunk;
import dev.agentstore.domain.knowledge.ChunkId;
import dev.agentstore.domain.knowledge.ChunkMatch;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.domain.memory.MemoryMessage;
import dev.agentstore.domain.memory.MessageRole;
import dev.agentstore.domain.memory.NewMessage;
import dev.agentstore.domain.record.Record;
import dev.agentstore.domain.template.Template;
import dev.agentstore.persistence.configuration.ConfigurationCache;
import dev.agentstore.persistence.configuration.ConfigurationRepository;
import dev.agentstore.persistence.knowledge.ChunkRepository;
import dev.agentstore.persistence.knowledge.KnowledgeRepository;
import dev.agentstore.persistence.knowledge.SearchOptions;
import dev.agentstore.persistence.memory.MemoryRepository;
import dev.agentstore.persistence.query.Filter;
import dev.agentstore.persistence.query.Query;
import dev.agentstore.persistence.query.Sort;
import dev.agentstore.persistence.record.RecordRepository;
import dev.agentstore.persistence.template.TemplateRepository;
import jakarta.inject.Inject;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The release 0.2 repositories (memory, records and the query language, templates, configurations with their
 * {@code @ApplicationScoped} cache, knowledge bases and pgvector search) injected as CDI beans inside WildFly, in
 * container JTA transactions, against the real PostgreSQL with pgvector. Runs in the server, deployed as the example
 * WAR (so its {@code WEB-INF/lib} — hibernate-vector, pgvector-java, Caffeine — and module dependencies are what is
 * tested) plus the test classes; one deployment for the class, distinct keys per test.
 */
@ExtendWith(ArquillianExtension.class)
class ContainerAgentDomainTest {

    private static final int DIMENSION = 8;
    private static final int CHUNKS = 50;

    @Deployment
    static WebArchive deployment() {
        return Deployments.withTests("agent-domain-it.war", ContainerAgentDomainTest.class);
    }

    @Inject
    MemoryRepository memories;

    @Inject
    RecordRepository records;

    @Inject
    TemplateRepository templates;

    @Inject
    ConfigurationRepository configurations;

    @Inject
    ConfigurationCache configurationCache;

    @Inject
    KnowledgeRepository knowledge;

    @Inject
    ChunkRepository chunks;

    @Inject
    TxHelper tx;

    // ------------------------------------------------------------------ memory

    @Test
    void threadMessagesSavedInOneContainerTransactionReadBackOldestFirst() {
        tx.inTransaction(() -> {
            memories.saveThread("it-thread", "it-user", "Support chat", json("{\"channel\":\"web\"}"));
            memories.saveMessages("it-thread", List.of(
                    NewMessage.of("m1", MessageRole.USER, json("{\"text\":\"hello\"}")),
                    NewMessage.of("m2", MessageRole.ASSISTANT, json("{\"text\":\"hi, how can I help?\"}"))));
            return memories.saveMessages("it-thread", List.of(
                    NewMessage.of("m3", MessageRole.USER, json("{\"text\":\"my order\"}")),
                    NewMessage.of("m4", MessageRole.ASSISTANT, json("{\"text\":\"which one?\",\"cost\":0.10}"))));
        });
        // a later call, its own transaction
        memories.saveMessages("it-thread", List.of(NewMessage.of("m5", MessageRole.USER, json("{\"text\":\"#42\"}"))));

        assertThat(memories.getThread("it-thread", "it-user").title()).isEqualTo("Support chat");
        List<MemoryMessage> last = memories.lastMessages("it-thread", 3);
        assertThat(last).extracting(MemoryMessage::id).containsExactly("m3", "m4", "m5");
        assertThat(last).extracting(MemoryMessage::seq).isSorted();
        assertThat(last.get(1).role()).isEqualTo(MessageRole.ASSISTANT);
        assertThat(last.get(1).content().get("text").asText()).isEqualTo("which one?");
        assertThat(Json.print(last.get(1).content().get("cost"))).as("exact decimal").isEqualTo("0.10");
        assertThat(last.get(2).resourceId()).as("a message without a resource gets the thread's").isEqualTo("it-user");
        assertThat(memories.lastMessages("it-thread", 10)).extracting(MemoryMessage::id)
                .containsExactly("m1", "m2", "m3", "m4", "m5");
    }

    // ------------------------------------------------------------------ records and the query language

    @Test
    void recordsAreFoundWithAFilterAndSortedNumerically() {
        tx.inTransaction(() -> {
            for (int i = 1; i <= 12; i++) {
                records.create("it-rec-" + i, json("{\"kind\":\"it-order\",\"n\":" + i + ",\"status\":\""
                        + (i % 3 == 0 ? "open" : "closed") + "\"}"), json("{\"source\":\"it\"}"));
            }
            return records.create(json("{\"kind\":\"it-other\",\"n\":3,\"status\":\"open\"}"));
        });

        Filter openOrders = Filter.and(Filter.eq("data.kind", "it-order"), Filter.eq("data.status", "open"));
        List<Record> found = records.search(Query.where(openOrders).orderBy(Sort.by("data.n").numeric().descending()));
        assertThat(found).extracting(Record::id).containsExactly("it-rec-12", "it-rec-9", "it-rec-6", "it-rec-3");
        assertThat(found.get(0).metadata()).isEqualTo(json("{\"source\":\"it\"}"));
        assertThat(records.count(Filter.and(Filter.eq("data.kind", "it-order"), Filter.gt("data.n", 10)))).isEqualTo(2);
        assertThat(records.search(Query.where(Filter.in("data.kind", List.of("it-order", "it-other"))).limit(5)))
                .hasSize(5);
    }

    // ------------------------------------------------------------------ templates

    @Test
    void templateDefinitionsAreNumberedAndTheLatestWins() {
        Template first = templates.define("it-greeting", "Hello {{name}}");
        Template second = tx.inTransaction(() -> templates.define("it-greeting", "Hi {{name}}!"));
        assertThat(first.revision()).isEqualTo(1);
        assertThat(second.revision()).isEqualTo(2);

        Template latest = templates.latest("it-greeting").orElseThrow();
        assertThat(latest.revision()).isEqualTo(2);
        assertThat(latest.content()).isEqualTo("Hi {{name}}!");
        assertThat(templates.get("it-greeting", 1).orElseThrow().content()).isEqualTo("Hello {{name}}");
        assertThat(templates.latest("it-absent")).isEmpty();
    }

    // ------------------------------------------------------------------ configurations and the injected cache

    @Test
    void configurationLoadsAreServedByTheApplicationScopedCacheAndADefineReplacesTheValue() {
        assertThat(configurationCache.enabled()).isTrue();
        configurations.define("it-llm", json("{\"model\":\"small\",\"temperature\":0.20}"));
        assertThat(configurations.loadRaw("it-llm")).contains(json("{\"model\":\"small\",\"temperature\":0.20}"));

        // a hit: the cached value, although the row changed behind the repository's back
        changeBehindTheRepositorysBack("it-llm", "{\"model\":\"sneaky\"}");
        assertThat(configurations.loadRaw("it-llm")).contains(json("{\"model\":\"small\",\"temperature\":0.20}"));

        // a define (in the caller's transaction) invalidates it when it writes and when the transaction ends
        tx.inTransaction(() -> configurations.define("it-llm", json("{\"model\":\"large\",\"temperature\":0.70}")));
        assertThat(configurations.load("it-llm", LlmSettings.class)).contains(new LlmSettings("large", 0.70));
        changeBehindTheRepositorysBack("it-llm", "{\"model\":\"sneaky\"}");
        assertThat(configurations.load("it-llm", LlmSettings.class))
                .as("a hit after the define returns the new value").contains(new LlmSettings("large", 0.70));
        assertThat(configurations.latest("it-llm").orElseThrow().revision()).isEqualTo(2);
    }

    @Test
    void aRolledBackDefineIsNeitherServedNorStopsTheCache() {
        configurations.define("it-flags", json("{\"beta\":false}"));
        assertThat(configurations.loadRaw("it-flags")).contains(json("{\"beta\":false}"));

        assertThatThrownBy(() -> tx.inTransaction(() -> {
            configurations.define("it-flags", json("{\"beta\":true}"));
            assertThat(configurations.loadRaw("it-flags")).as("its own write").contains(json("{\"beta\":true}"));
            throw new IllegalStateException("boom");
        })).isInstanceOf(IllegalStateException.class);

        assertThat(configurations.loadRaw("it-flags")).contains(json("{\"beta\":false}"));
        // the rollback ended the pending write (a Hibernate after-completion callback under JTA): values are cached again
        changeBehindTheRepositorysBack("it-flags", "{\"beta\":\"sneaky\"}");
        assertThat(configurations.loadRaw("it-flags")).contains(json("{\"beta\":false}"));
    }

    /** The mapped form of a configuration. */
    public record LlmSettings(String model, double temperature) {
    }

    /** Plain JDBC on the transaction's connection: JPA itself refuses writes to agentstore's tables. */
    private void changeBehindTheRepositorysBack(String identifier, String content) {
        tx.inTransaction(() -> {
            tx.em().unwrap(org.hibernate.Session.class).doWork(connection -> {
                try (java.sql.PreparedStatement ps = connection.prepareStatement(
                        "UPDATE configurations SET content = CAST(? AS jsonb) WHERE identifier = ?")) {
                    ps.setString(1, content);
                    ps.setString(2, identifier);
                    ps.executeUpdate();
                }
            });
            return null;
        });
    }

    // ------------------------------------------------------------------ knowledge bases and vector search

    @Test
    void chunksUpsertedIntoAnHnswBaseAreSearchedNearestFirstWithAndWithoutAPayloadFilter() {
        List<NewChunk> batch = vectors(7);
        knowledge.create("it_vectors", DIMENSION, Distance.COSINE, IndexSpec.hnsw());
        assertThat(chunks.upsert("it_vectors", batch)).hasSize(CHUNKS);
        // an upsert of existing ids replaces them (one statement), in the caller's transaction
        tx.inTransaction(() -> chunks.upsert("it_vectors", batch.subList(0, 10)));
        assertThat(chunks.count("it_vectors")).isEqualTo(CHUNKS);

        float[] query = batch.get(17).embedding();
        query[0] += 0.01f;
        List<ChunkMatch> top = chunks.search("it_vectors", query, SearchOptions.top(5));
        assertThat(top).extracting(ChunkMatch::id).containsExactlyElementsOf(nearest(batch, query, 5, c -> true));
        assertThat(top.get(0).id()).isEqualTo("c-17");
        assertThat(top.get(0).score()).isCloseTo(1.0, within(0.01));
        assertThat(top).extracting(ChunkMatch::score).isSortedAccordingTo(Comparator.reverseOrder());

        SearchOptions german = SearchOptions.top(5).withFilter(Filter.eq("payload.lang", "de"));
        List<ChunkMatch> filtered = chunks.search("it_vectors", query, german);
        assertThat(filtered).extracting(ChunkMatch::id)
                .containsExactlyElementsOf(nearest(batch, query, 5, c -> c.payload().get("lang").asText().equals("de")));
        assertThat(filtered).allSatisfy(m -> assertThat(m.payload().get("lang").asText()).isEqualTo("de"));

        assertThat(String.join("\n", chunks.explainSearch("it_vectors", query, german, false)))
                .as("the base's HNSW index serves the search").contains("chunks_ann_it_vectors");
    }

    @Test
    void theChunkEntityAndHqlVectorFunctionsWorkThroughWildFlysHibernate() {
        List<NewChunk> batch = vectors(11);
        knowledge.create("it_hql", DIMENSION, Distance.COSINE, IndexSpec.hnsw());
        chunks.upsert("it_hql", batch);
        float[] query = batch.get(3).embedding();

        List<String> ids = tx.inTransaction(() -> tx.em().createQuery("""
                        SELECT c.id FROM Chunk c WHERE c.knowledgeBase = :base
                        ORDER BY cosine_distance(c.embedding, :query), c.id""", String.class)
                .setParameter("base", "it_hql")
                .setParameter("query", query)
                .setMaxResults(5)
                .getResultList());
        assertThat(ids).containsExactlyElementsOf(nearest(batch, query, 5, c -> true));
        // JPA's function() syntax, which strict query compliance (WildFly's default) accepts too
        List<String> viaFunction = tx.inTransaction(() -> tx.em().createQuery("""
                        SELECT c.id FROM Chunk c WHERE c.knowledgeBase = :base
                        ORDER BY function('cosine_distance', c.embedding, :query), c.id""", String.class)
                .setParameter("base", "it_hql")
                .setParameter("query", query)
                .setMaxResults(5)
                .getResultList());
        assertThat(viaFunction).isEqualTo(ids);

        Chunk loaded = tx.inTransaction(() -> tx.em().find(Chunk.class, new ChunkId("it_hql", "c-3")));
        assertThat(loaded.embedding()).containsExactly(batch.get(3).embedding());
    }

    /** {@value #CHUNKS} chunks {@code c-0…} with random 8-dimensional embeddings, payload lang "en" or "de". */
    private static List<NewChunk> vectors(long seed) {
        Random random = new Random(seed);
        List<NewChunk> list = new ArrayList<>();
        for (int i = 0; i < CHUNKS; i++) {
            float[] e = new float[DIMENSION];
            for (int d = 0; d < DIMENSION; d++) {
                e[d] = random.nextFloat() * 2 - 1;
            }
            list.add(NewChunk.of("doc-" + i / 10, i % 10, "chunk " + i, e).withId("c-" + i)
                    .withPayload(json("{\"lang\":\"" + (i % 2 == 0 ? "en" : "de") + "\"}")));
        }
        return list;
    }

    /** @return the ids of the {@code k} chunks nearest to {@code query} by cosine distance, computed in Java */
    private static List<String> nearest(List<NewChunk> chunks, float[] query, int k, Predicate<NewChunk> filter) {
        return chunks.stream().filter(filter)
                .sorted(Comparator.comparingDouble(c -> cosineDistance(c.embedding(), query)))
                .limit(k).map(NewChunk::id).toList();
    }

    private static double cosineDistance(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return 1 - dot / (Math.sqrt(na) * Math.sqrt(nb));
    }

    // ------------------------------------------------------------------ the caller's transaction

    @Test
    void aRuntimeExceptionInTheCallersTransactionLeavesNoRowsOfTheAgentDomain() {
        assertThatThrownBy(() -> tx.inTransaction(() -> {
            memories.saveThread("it-rollback", "it-user", null, null);
            memories.saveMessages("it-rollback", List.of(NewMessage.of("it-rb-m1", MessageRole.USER, json("{}"))));
            records.create("it-rollback", json("{\"a\":1}"), null);
            templates.define("it-rollback", "text");
            configurations.define("it-rollback", json("{\"a\":1}"));
            knowledge.create("it_rollback", DIMENSION, Distance.L2, IndexSpec.hnsw());
            chunks.upsert("it_rollback", vectors(3).subList(0, 5));
            throw new IllegalStateException("boom");
        })).isInstanceOf(IllegalStateException.class).hasMessage("boom");

        assertThat(tx.count("SELECT count(*) FROM memories WHERE id = ?1", "it-rollback")).isZero();
        assertThat(tx.count("SELECT count(*) FROM memory_messages WHERE id = ?1", "it-rb-m1")).isZero();
        assertThat(tx.count("SELECT count(*) FROM records WHERE id = ?1", "it-rollback")).isZero();
        assertThat(tx.count("SELECT count(*) FROM templates WHERE identifier = ?1", "it-rollback")).isZero();
        assertThat(tx.count("SELECT count(*) FROM configurations WHERE identifier = ?1", "it-rollback")).isZero();
        assertThat(tx.count("SELECT count(*) FROM knowledge_bases WHERE name = ?1", "it_rollback")).isZero();
        assertThat(tx.count("SELECT count(*) FROM chunks WHERE knowledge_base = ?1", "it_rollback")).isZero();
        assertThat(tx.count("SELECT count(*) FROM pg_indexes WHERE indexname = ?1", "chunks_ann_it_rollback"))
                .as("the base's index (DDL in the same transaction)").isZero();
        assertThat(configurations.loadRaw("it-rollback")).isEmpty();
        assertThat(knowledge.find("it_rollback")).isEmpty();
    }

    private static JsonNode json(String text) {
        return Json.parse("json", text);
    }
}
