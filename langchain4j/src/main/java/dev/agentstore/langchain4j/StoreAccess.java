package dev.agentstore.langchain4j;

import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.knowledge.ChunkRepository;
import dev.agentstore.persistence.knowledge.KnowledgeRepository;
import dev.agentstore.persistence.memory.MemoryRepository;

import java.util.function.Function;

/**
 * How the adapters reach agentstore's repositories: each call on its own, or several in one transaction. Two
 * implementations: {@link #of(AgentStore)} for an application that opened an {@link AgentStore} itself, and
 * {@link JtaStoreAccess} in a Jakarta EE container (CDI beans and JTA transactions). Implementations are
 * thread-safe.
 */
public interface StoreAccess {

    /**
     * The repositories the adapters use.
     *
     * @param knowledge knowledge bases
     * @param chunks    their chunks and search
     * @param memories  conversational memory
     */
    record Repositories(KnowledgeRepository knowledge, ChunkRepository chunks, MemoryRepository memories) {
    }

    /**
     * @return repositories each of whose calls is its own unit of work (or, in a container, joins the caller's
     *         JTA transaction)
     */
    Repositories perCall();

    /**
     * Runs {@code work} in one transaction: committed when it returns, rolled back when it throws.
     *
     * @param work what to do with the transaction's repositories
     * @param <T>  the result type
     * @return what {@code work} returns
     */
    <T> T inTransaction(Function<Repositories, T> work);

    /**
     * @param store an open store
     * @return access through {@code store.chunks()}-style per-call repositories and {@code store.fromTransaction}
     */
    static StoreAccess of(AgentStore store) {
        if (store == null) {
            throw new IllegalArgumentException("store cannot be null");
        }
        Repositories perCall = new Repositories(store.knowledge(), store.chunks(), store.memories());
        return new StoreAccess() {
            @Override
            public Repositories perCall() {
                return perCall;
            }

            @Override
            public <T> T inTransaction(Function<Repositories, T> work) {
                return store.fromTransaction(uow -> work.apply(
                        new Repositories(uow.knowledge(), uow.chunks(), uow.memories())));
            }
        };
    }
}
