package dev.agentstore.persistence.jakarta;

import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.TransientDataAccessException;
import dev.agentstore.persistence.support.PersistenceErrors;
import dev.agentstore.persistence.support.RetryPolicy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.persistence.PersistenceException;
import jakarta.transaction.Transactional;
import jakarta.transaction.TransactionalException;

import java.util.function.Supplier;

/**
 * The container's {@code store.fromTransactionWithRetry}: runs a unit of work in a new JTA transaction per attempt
 * and retries it, with {@link RetryPolicy}'s backoff, while an attempt ends in a retry-safe
 * {@link TransientDataAccessException}: a {@link ConcurrencyConflictException} (a lost {@code @Version} race, a
 * serialization failure or a deadlock), a lost connection, no connection within the pool timeout, a server shutdown,
 * a statement or lock timeout. A connection lost while
 * the commit was in flight leaves the outcome unknown: that failure is not retry-safe and is thrown at once.
 *
 * <pre>{@code
 * @Inject TransactionalRetry retry;
 * @Inject FlowRunRepository runs;
 *
 * FlowRun run = retry.execute(RetryPolicy.DEFAULT, () -> runs.update("etl", "run-1", patch));
 * }</pre>
 *
 * <p><b>Design.</b> A retry needs a fresh transaction per attempt: a transaction whose flush or commit lost a race
 * is marked for rollback and cannot be used again. So {@link #execute} must be called <em>outside</em> any
 * transaction ({@code @Transactional(NEVER)}: inside one the container throws a
 * {@link TransactionalException}, instead of committing attempts independently of the caller's transaction, or
 * waiting forever on a row the caller's own transaction locked); between attempts it holds no transaction and no
 * connection. Each attempt goes through this bean's own CDI proxy to {@link #inNewTransaction}
 * ({@code @Transactional(REQUIRES_NEW)}), which runs the work, flushes the {@code agentstore} persistence context
 * (so a stale {@code @Version} fails inside the attempt, as {@code ConcurrencyConflictException}, not as the
 * container's generic commit failure) and commits. A commit that still fails is translated by
 * {@link PersistenceErrors#translateOutcomeUnknown}, so failures are the same typed exceptions as standalone.
 *
 * <p>The work may run several times: it must re-read what it changes in each attempt (the repositories do) and
 * have no side effects outside the transaction.
 */
@ApplicationScoped
public class TransactionalRetry {

    @PersistenceContext(unitName = "agentstore")
    private EntityManager em;

    @Inject
    private TransactionalRetry self;

    /** For CDI; the container injects the entity manager and this bean's own proxy. */
    protected TransactionalRetry() {
    }

    /**
     * Runs {@code work} in a new transaction per attempt until an attempt commits, or the policy's attempts run out.
     *
     * @param policy attempts and backoff, for example {@link RetryPolicy#DEFAULT}
     * @param work   one unit of work; it may run several times
     * @param <T>    the result type
     * @return what the committed attempt returned
     * @throws ConcurrencyConflictException when every attempt conflicted (the last conflict is the cause)
     * @throws TransientDataAccessException when every attempt failed transiently (the message names the attempts),
     *                                      or at once when the connection was lost during the commit (not
     *                                      {@link TransientDataAccessException#retrySafe() retry-safe}: the outcome
     *                                      is unknown)
     * @throws AgentStoreException          (or a subclass) translated from a JPA/Hibernate exception of the work, or
     *                                      from a failed commit; any other exception of the work is rethrown
     *                                      unchanged after that attempt's rollback, without retrying
     * @throws TransactionalException       when called inside a transaction
     * @throws dev.agentstore.domain.InvalidInputException when {@code policy} or {@code work} is null
     */
    @Transactional(Transactional.TxType.NEVER)
    public <T> T execute(RetryPolicy policy, Supplier<T> work) {
        Check.notNull("policy", policy);
        Check.notNull("work", work);
        return policy.execute("container unit of work", () -> {
            try {
                return self.inNewTransaction(work);
            } catch (TransactionalException e) {
                // the commit itself failed (a conflict found only at commit, a deferred constraint, ...)
                throw PersistenceErrors.translateOutcomeUnknown("commit of container unit of work", e);
            } catch (PersistenceException e) {
                throw PersistenceErrors.translate("container unit of work", e);
            }
        });
    }

    /**
     * Runs {@code work} in a new transaction (suspending the caller's, if any) and flushes the {@code agentstore}
     * persistence context before the commit. Called by {@link #execute} through the CDI proxy; call it directly
     * only through an injected reference, for one attempt without retry.
     *
     * @param work the unit of work
     * @param <T>  the result type
     * @return what {@code work} returned, after the flush; the transaction commits when this returns
     * @throws RuntimeException what {@code work} or the flush threw; the transaction is rolled back
     */
    @Transactional(Transactional.TxType.REQUIRES_NEW)
    public <T> T inNewTransaction(Supplier<T> work) {
        T result = work.get();
        try {
            em.flush();
        } catch (PersistenceException e) {
            throw PersistenceErrors.translate("flush before commit", e);
        }
        return result;
    }
}
