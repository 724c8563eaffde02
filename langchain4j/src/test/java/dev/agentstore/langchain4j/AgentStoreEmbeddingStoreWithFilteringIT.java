package dev.agentstore.langchain4j;

import dev.agentstore.persistence.AgentStore;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.store.embedding.EmbeddingStore;
import dev.langchain4j.store.embedding.EmbeddingStoreWithFilteringIT;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;


/**
 * LangChain4j's own {@link EmbeddingStoreWithFilteringIT} (from {@code langchain4j-core}'s test jar) against
 * {@link AgentStoreEmbeddingStore} on the real PostgreSQL: all four contract classes' tests that a store with filters must pass (this class inherits EmbeddingStoreIT and EmbeddingStoreWithoutMetadataIT). Its own schema and knowledge base (cosine, HNSW,
 * 384 dimensions), emptied before each test.
 */
class AgentStoreEmbeddingStoreWithFilteringIT extends EmbeddingStoreWithFilteringIT {

    private static AgentStore store;
    private static AgentStoreEmbeddingStore embeddingStore;

    @BeforeAll
    static void open() {
        store = TestStores.open(AgentStoreEmbeddingStoreWithFilteringIT.class);
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

    /** ContainsString maps to a case-sensitive LIKE. */
    @Override
    protected boolean supportsContains() {
        return true;
    }
}
