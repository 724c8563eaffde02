package dev.agentstore.persistence;

import dev.agentstore.persistence.support.PersistenceErrors;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityTransaction;
import jakarta.persistence.PersistenceException;
import org.hibernate.Session;
import org.hibernate.SessionFactory;

import java.util.function.Function;

/**
 * One standalone unit of work on a session factory: begin, the work, flush, commit; rollback when anything throws,
 * with JPA's and Hibernate's exceptions translated into agentstore's typed ones (the work's own exceptions pass
 * unchanged) and a failed commit reported as of unknown outcome. Used by {@link AgentStore} for the primary's
 * transactions and the read-only ones on the primary or a replica. Stateless.
 */
final class Units {

    private Units() {
    }

    /**
     * @param factory   the primary's or a replica's session factory
     * @param units     makes the unit of work's repositories over its entity manager
     * @param operation named in the exceptions of the begin, flush and commit
     * @param readOnly  whether the transaction is {@code READ ONLY}
     */
    static <T> T run(SessionFactory factory, Function<EntityManager, UnitOfWork> units, String operation,
                     boolean readOnly, Function<UnitOfWork, T> work) {
        EntityManager em = factory.createEntityManager();
        EntityTransaction tx = em.getTransaction();
        boolean committing = false;
        try {
            tx.begin();
            if (readOnly) {
                // nothing was sent yet: pgjdbc starts the transaction with BEGIN READ ONLY; HikariCP resets the flag
                em.unwrap(Session.class).doWork(c -> c.setReadOnly(true));
            }
            T result = work.apply(units.apply(em));
            // flush first, so that a failure of commit() is the COMMIT's own (whose outcome may be unknown)
            em.flush();
            committing = true;
            tx.commit();
            return result;
        } catch (RuntimeException e) {
            if (tx.isActive()) {
                try {
                    tx.rollback();
                } catch (RuntimeException rollbackFailure) {
                    e.addSuppressed(rollbackFailure);
                }
            }
            if (committing) {
                throw PersistenceErrors.translateOutcomeUnknown("commit of " + operation, e);
            }
            // JPA's and Hibernate's exceptions become typed ones; the work's own exceptions pass unchanged
            throw e instanceof PersistenceException ? PersistenceErrors.translate(operation, e) : e;
        } finally {
            em.close();
        }
    }
}
