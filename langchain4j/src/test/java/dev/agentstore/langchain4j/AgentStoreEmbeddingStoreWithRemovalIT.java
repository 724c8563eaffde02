package dev.agentstore.langchain4j;

import dev.agentstore.persistence.AgentStore;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.store.embedding.EmbeddingStore;
import dev.langchain4j.store.embedding.EmbeddingStoreWithRemovalIT;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * LangChain4j's own {@link EmbeddingStoreWithRemovalIT} (from {@code langchain4j-core}'s test jar) against
 * {@link AgentStoreEmbeddingStore} on the real PostgreSQL: removal by id, ids, filter and all. Its own schema and knowledge base (cosine, HNSW,
 * 384 dimensions), emptied before each test.
 */
class AgentStoreEmbeddingStoreWithRemovalIT extends EmbeddingStoreWithRemovalIT {

    private static AgentStore store;
    private static AgentStoreEmbeddingStore embeddingStore;

    @BeforeAll
    static void open() {
        store = TestStores.open(AgentStoreEmbeddingStoreWithRemovalIT.class);
        embeddingStore = TestStores.embeddingStore(store, "lc4j");
    }

    @AfterAll
    static void close() {
        TestStores.close(store);
    }

    @Override
    protected EmbeddingStore<TextSegment> embeddingStore() {
        return embeddingStore;
    }

    @Override
    protected EmbeddingModel embeddingModel() {
        return TestStores.model();
    }

    @BeforeEach
    void clearStore() {
        embeddingStore.removeAll();
    }
}
