package dev.agentstore.langchain4j;

import dev.agentstore.persistence.knowledge.ChunkRepository;
import dev.agentstore.persistence.knowledge.KnowledgeRepository;
import dev.agentstore.persistence.memory.MemoryRepository;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.util.function.Function;

/**
 * {@link StoreAccess} in a Jakarta EE container: agentstore's CDI repositories, and a JTA transaction
 * ({@code @Transactional}: joining the caller's when there is one, rolled back when the work throws) for work of
 * several calls. Application-scoped and
 * thread-safe; {@link AgentStoreLangChain4jProducer} uses it.
 */
@ApplicationScoped
public class JtaStoreAccess implements StoreAccess {

    private Repositories repositories;

    /** For CDI's proxy. */
    protected JtaStoreAccess() {
    }

    /**
     * @param knowledge the container's knowledge repository
     * @param chunks    the container's chunk repository
     * @param memories  the container's memory repository
     */
    @Inject
    public JtaStoreAccess(KnowledgeRepository knowledge, ChunkRepository chunks, MemoryRepository memories) {
        this.repositories = new Repositories(knowledge, chunks, memories);
    }

    @Override
    public Repositories perCall() {
        return repositories;
    }

    @Override
    @Transactional
    public <T> T inTransaction(Function<Repositories, T> work) {
        return work.apply(repositories);
    }
}
