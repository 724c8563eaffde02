package dev.agentstore.langgraph4j;

import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.flow.CheckpointRepository;
import dev.agentstore.persistence.flow.FlowRepository;
import dev.agentstore.persistence.flow.FlowRunRepository;

import java.util.function.Function;

/**
 * How {@link AgentStoreCheckpointSaver} reaches agentstore's repositories: each call on its own, or several in one
 * transaction. Two implementations: {@link #of(AgentStore)} for an application that opened an {@link AgentStore}
 * itself, and {@link JtaSaverAccess} in a Jakarta EE container (CDI beans and JTA transactions). Implementations are
 * thread-safe.
 */
public interface SaverAccess {

    /**
     * The repositories the saver uses.
     *
     * @param flows       registered flows (the saver's graph)
     * @param runs        flow runs (its threads)
     * @param checkpoints their checkpoints
     */
    record Repositories(FlowRepository flows, FlowRunRepository runs, CheckpointRepository checkpoints) {
    }

    /**
     * @return repositories each of whose calls is its own unit of work (or, in a container, joins the caller's JTA
     *         transaction)
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
     * @return access through {@code store.checkpoints()}-style per-call repositories and {@code store.fromTransaction}
     * @throws IllegalArgumentException when {@code store} is {@code null}
     */
    static SaverAccess of(AgentStore store) {
        if (store == null) {
            throw new IllegalArgumentException("store must not be null");
        }
        Repositories perCall = new Repositories(store.flows(), store.flowRuns(), store.checkpoints());
        return new SaverAccess() {
            @Override
            public Repositories perCall() {
                return perCall;
            }

            @Override
            public <T> T inTransaction(Function<Repositories, T> work) {
                return store.fromTransaction(uow ->
                        work.apply(new Repositories(uow.flows(), uow.flowRuns(), uow.checkpoints())));
            }
        };
    }
}
