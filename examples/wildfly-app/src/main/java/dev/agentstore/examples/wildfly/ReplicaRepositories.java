package dev.agentstore.examples.wildfly;

import dev.agentstore.persistence.flow.FlowRunRepository;
import dev.agentstore.persistence.jakarta.ReadReplica;
import dev.agentstore.persistence.knowledge.ChunkRepository;
import dev.agentstore.persistence.kv.KvRepository;
import dev.agentstore.persistence.support.AbstractRepository;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.enterprise.inject.spi.InterceptionFactory;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;

import java.time.Clock;

/**
 * Produces repositories qualified {@link ReadReplica}: bound to the persistence unit {@code agentstore-replica} (the
 * datasource {@code AgentStoreReplicaDS}: the replica, or the primary while the replica does not accept connections;
 * read-only either way). Inject them for reads that may be a little stale; the unqualified repositories stay on the
 * primary for writes and read-your-writes.
 *
 * <p>Each produced repository is wrapped by CDI's {@link InterceptionFactory}, so it keeps the injected
 * repositories' {@code @Transactional(REQUIRED)}: called outside a transaction, each call is one JTA transaction on
 * the replica's datasource. It also gets {@link BoundedStaleness}: a read method runs on the primary's repository
 * instead while the replica's replay lag is over the configured bound ({@link BoundedStalenessInterceptor}, default
 * 1 s). Call them outside a transaction that also uses the primary: two non-XA datasources in one
 * JTA transaction are refused (ARJUNA016019). Writes and row locks through them fail with an
 * {@code AgentStoreException} ({@code cannot execute … in a read-only transaction}). {@code @Dependent}: one
 * repository per injection point; thread-safe, as the container's entity manager is.
 */
@ApplicationScoped
public class ReplicaRepositories {

    @PersistenceContext(unitName = "agentstore-replica")
    EntityManager replica;

    @Inject
    Clock clock;

    /**
     * @param factory applies the repository's interceptor bindings ({@code @Transactional}) and
     *                {@link BoundedStaleness}
     * @return the key-value repository on the replica
     */
    @Produces
    @ReadReplica
    KvRepository kv(InterceptionFactory<KvRepository> factory) {
        return bounded(factory).createInterceptedInstance(AbstractRepository.bind(new KvRepository(), replica, clock));
    }

    /**
     * @param factory applies the repository's interceptor bindings ({@code @Transactional}) and
     *                {@link BoundedStaleness}
     * @return the chunk repository (listings and vector searches) on the replica
     */
    @Produces
    @ReadReplica
    ChunkRepository chunks(InterceptionFactory<ChunkRepository> factory) {
        return bounded(factory).createInterceptedInstance(
                AbstractRepository.bind(new ChunkRepository(), replica, clock));
    }

    /**
     * @param factory applies the repository's interceptor bindings ({@code @Transactional}) and
     *                {@link BoundedStaleness}
     * @return the run repository on the replica
     */
    @Produces
    @ReadReplica
    FlowRunRepository flowRuns(InterceptionFactory<FlowRunRepository> factory) {
        return bounded(factory).createInterceptedInstance(
                AbstractRepository.bind(new FlowRunRepository(), replica, clock));
    }

    /** Adds {@link BoundedStaleness} to the repository the factory will wrap. */
    private static <T> InterceptionFactory<T> bounded(InterceptionFactory<T> factory) {
        factory.configure().add(BoundedStaleness.Literal.INSTANCE);
        return factory;
    }
}
