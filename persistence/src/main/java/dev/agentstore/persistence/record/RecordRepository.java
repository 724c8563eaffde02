package dev.agentstore.persistence.record;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;

import java.time.Clock;

/** STUB (generic JSONB records and their query): to be replaced by the full repository. */
@ApplicationScoped
public class RecordRepository {

    @PersistenceContext(unitName = "agentstore")
    private EntityManager em;
    private Clock clock = Clock.systemUTC();

    /** For CDI's proxy; the container injects the entity manager. */
    protected RecordRepository() {
    }

    /**
     * Standalone use: a repository bound to one entity manager (one transaction).
     *
     * @param em    the transaction's entity manager
     * @param clock where the time comes from
     */
    public RecordRepository(EntityManager em, Clock clock) {
        this.em = em;
        this.clock = clock;
    }
}
