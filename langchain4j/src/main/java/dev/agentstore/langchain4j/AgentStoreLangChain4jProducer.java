package dev.agentstore.langchain4j;

import dev.agentstore.persistence.knowledge.SearchMode;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.store.embedding.EmbeddingStore;
import dev.langchain4j.store.memory.chat.ChatMemoryStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;

import java.util.Locale;

/**
 * CDI producers for a Jakarta EE application (WildFly) that uses LangChain4j: inject
 * {@code ChatMemoryStore} and {@code EmbeddingStore<TextSegment>} and get agentstore's, on the container's
 * repositories and JTA transactions ({@link JtaStoreAccess}).
 *
 * <p>The embedding store works on the knowledge base named by the system property or environment variable
 * {@value #BASE_PROPERTY} ({@code AGENTSTORE_LANGCHAIN4J_KNOWLEDGE_BASE}), by default {@value #DEFAULT_BASE}; the base
 * must exist when the store is first used: create it once, for example with
 * {@code KnowledgeRepository.create(name, dimension, Distance.COSINE, IndexSpec.hnsw(), VectorType.HALFVEC)}, the base
 * {@link AgentStoreEmbeddingStore#create} makes. Its search mode is named by {@value #SEARCH_MODE_PROPERTY}
 * ({@code AGENTSTORE_LANGCHAIN4J_SEARCH_MODE}): {@code VECTOR} (the default), {@code HYBRID} or {@code TEXT} (see
 * {@link AgentStoreEmbeddingStore#withSearchMode}). An application that needs other bases, or several, declares its own
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
    /** The system property naming the produced embedding store's {@link SearchMode}, by default {@code VECTOR}. */
    public static final String SEARCH_MODE_PROPERTY = "agentstore.langchain4j.search-mode";

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

    /**
     * @return LangChain4j's embedding store on the knowledge base named by {@value #BASE_PROPERTY}, searching in the
     *         mode named by {@value #SEARCH_MODE_PROPERTY}
     * @throws IllegalArgumentException when {@value #SEARCH_MODE_PROPERTY} names no {@link SearchMode}
     */
    @Produces
    @ApplicationScoped
    public EmbeddingStore<TextSegment> embeddingStore() {
        String base = System.getProperty(BASE_PROPERTY, System.getenv("AGENTSTORE_LANGCHAIN4J_KNOWLEDGE_BASE"));
        return new AgentStoreEmbeddingStore(access, base == null || base.isBlank() ? DEFAULT_BASE : base)
                .withSearchMode(searchMode(System.getProperty(SEARCH_MODE_PROPERTY,
                        System.getenv("AGENTSTORE_LANGCHAIN4J_SEARCH_MODE"))));
    }

    /**
     * @param value a search mode's name, any case, or {@code null} / blank for the default
     * @return the mode, or {@code null} for the default
     * @throws IllegalArgumentException when it names no {@link SearchMode}
     */
    static SearchMode searchMode(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return SearchMode.valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(SEARCH_MODE_PROPERTY + " must be VECTOR, HYBRID or TEXT, was '"
                    + value + "'", e);
        }
    }
}
