package dev.agentstore.langchain4j;

import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreConfig;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;

/**
 * Stores for this module's tests: each test class opens its own schema in the real PostgreSQL (migrated by the real
 * changelog) and drops it afterwards; the embedding model is LangChain4j's in-process all-MiniLM-L6-v2 (quantized,
 * 384 dimensions), shared.
 */
final class TestStores {

    /** all-MiniLM-L6-v2's dimension. */
    static final int DIMENSION = 384;

    private static EmbeddingModel model;

    private TestStores() {
    }

    /** @return the shared in-process embedding model, loaded on first use */
    static synchronized EmbeddingModel model() {
        if (model == null) {
            System.setProperty("DJL_OFFLINE", "true");
            System.setProperty("ai.djl.offline", "true");
            System.setProperty("OPT_OUT_TRACKING", "true");
            model = new AllMiniLmL6V2QuantizedEmbeddingModel();
        }
        return model;
    }

    /**
     * @param testClass the test class
     * @return a store on a new schema of the test database
     */
    static AgentStore open(Class<?> testClass) {
        String name = testClass.getSimpleName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        String schema = "t_" + name.substring(0, Math.min(40, name.length())) + "_"
                + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        return AgentStore.open(AgentStoreConfig.builder()
                .url(env("AGENTSTORE_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/agentstore"))
                .user(env("AGENTSTORE_TEST_DB_USER", "agentstore"))
                .password(env("AGENTSTORE_TEST_DB_PASSWORD", "agentstore"))
                .schema(schema)
                .poolMaxSize(8)
                .poolMinIdle(0)
                .build());
    }

    /**
     * @param store a store
     * @param name  the base's name
     * @return an embedding store on a new base of {@link #DIMENSION} dimensions made by the adapter's
     *         {@link AgentStoreEmbeddingStore#create} (cosine, HNSW on {@code halfvec}), so LangChain4j's contract
     *         suites run on the base a user gets
     */
    static AgentStoreEmbeddingStore embeddingStore(AgentStore store, String name) {
        return AgentStoreEmbeddingStore.create(store, name, DIMENSION);
    }

    /**
     * Drops the store's schema and closes it.
     *
     * @param store a store opened by {@link #open}, or {@code null}
     */
    static void close(AgentStore store) {
        if (store == null) {
            return;
        }
        try (Connection c = store.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + store.config().schema() + " CASCADE");
        } catch (SQLException e) {
            throw new IllegalStateException("could not drop test schema " + store.config().schema(), e);
        } finally {
            store.close();
        }
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }
}
