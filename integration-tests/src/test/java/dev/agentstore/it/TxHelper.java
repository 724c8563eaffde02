package dev.agentstore.it;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.transaction.Transactional;

import java.util.function.Supplier;

/** In-container test helper: a caller's JTA transaction around test code, and counting queries. */
@ApplicationScoped
public class TxHelper {

    @PersistenceContext(unitName = "agentstore")
    EntityManager em;

    /**
     * @param work runs in one transaction (joined, or new)
     * @param <T>  the result type
     * @return what work returned
     */
    @Transactional
    public <T> T inTransaction(Supplier<T> work) {
        return work.get();
    }

    /** @return the transaction's entity manager (call inside {@link #inTransaction}) */
    public EntityManager em() {
        return em;
    }

    /**
     * @param sql a {@code SELECT count(*)} with positional parameters
     * @param params the parameters
     * @return the count, read in its own transaction
     */
    @Transactional
    public long count(String sql, Object... params) {
        var q = em.createNativeQuery(sql);
        for (int i = 0; i < params.length; i++) {
            q.setParameter(i + 1, params[i]);
        }
        return ((Number) q.getSingleResult()).longValue();
    }
}
