package dev.agentstore.langchain4j;

import dev.agentstore.persistence.AgentStore;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.store.embedding.EmbeddingStore;
import dev.langchain4j.store.embedding.EmbeddingStoreIT;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;


/**
 * LangChain4j's own {@link EmbeddingStoreIT} (from {@code langchain4j-core}'s test jar) against
 * {@link AgentStoreEmbeddingStore} on the real PostgreSQL: the minimum set of tests every store must pass, with metadata. Its own schema and knowledge base (cosine, HNSW,
 * 384 dimensions), emptied before each test.
 */
class AgentStoreEmbeddingStoreIT extends EmbeddingStoreIT {

    private static AgentStore store;
    private static AgentStoreEmbeddingStore embeddingStore;

    @BeforeAll
    static void open() {
        store = TestStores.open(AgentStoreEmbeddingStoreIT.class);
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

    @Override
    protected void clearStore() {
        embeddingStore.removeAll();
    }
}
