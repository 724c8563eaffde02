package dev.agentstore.langchain4j;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.store.embedding.EmbeddingStore;
import dev.langchain4j.store.memory.chat.ChatMemoryStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;

/**
 * CDI producers for a Jakarta EE application (WildFly) that uses LangChain4j: inject
 * {@code ChatMemoryStore} and {@code EmbeddingStore<TextSegment>} and get agentstore's, on the container's
 * repositories and JTA transactions ({@link JtaStoreAccess}).
 *
 * <p>The embedding store works on the knowledge base named by the system property or environment variable
 * {@value #BASE_PROPERTY} ({@code AGENTSTORE_LANGCHAIN4J_KNOWLEDGE_BASE}), by default {@value #DEFAULT_BASE}; the base
 * must exist when the store is first used: create it once, for example with
 * {@code KnowledgeRepository.create(name, dimension, Distance.COSINE, IndexSpec.hnsw(), VectorType.HALFVEC)}, the base
 * {@link AgentStoreEmbeddingStore#create} makes. An application that needs other bases, or several, declares its own
 * producer, for example
 * {@code new AgentStoreEmbeddingStore(access, "products")} with an injected {@link JtaStoreAccess}. Both products are
 * application-scoped and thread-safe.
 */
@ApplicationScoped
public class AgentStoreLangChain4jProducer {

    /** The system property naming the knowledge base of the produced embedding store. */
    public static final String BASE_PROPERTY = "agentstore.langchain4j.knowledge-base";
    /** The knowledge base used when {@value #BASE_PROPERTY} is not set. */
    public static final String DEFAULT_BASE = "langchain4j";

    private StoreAccess access;

    /** For CDI's proxy. */
    protected AgentStoreLangChain4jProducer() {
    }

    /** @param access the container's repositories and transactions */
    @Inject
    public AgentStoreLangChain4jProducer(JtaStoreAccess access) {
        this.access = access;
    }

    /** @return LangChain4j's chat memory store on agentstore memory */
    @Produces
    @ApplicationScoped
    public ChatMemoryStore chatMemoryStore() {
        return new AgentStoreChatMemoryStore(access);
    }

    /** @return LangChain4j's embedding store on the knowledge base named by {@value #BASE_PROPERTY} */
    @Produces
    @ApplicationScoped
    public EmbeddingStore<TextSegment> embeddingStore() {
        String base = System.getProperty(BASE_PROPERTY, System.getenv("AGENTSTORE_LANGCHAIN4J_KNOWLEDGE_BASE"));
        return new AgentStoreEmbeddingStore(access, base == null || base.isBlank() ? DEFAULT_BASE : base);
    }
}
