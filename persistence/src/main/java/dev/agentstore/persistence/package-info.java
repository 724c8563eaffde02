/**
 * agentstore's persistence layer: {@link dev.agentstore.persistence.AgentStore} (the standalone entry point),
 * {@link dev.agentstore.persistence.AgentStoreConfig}, and one repository per aggregate in the sub-packages
 * ({@code flow}, {@code trigger}, {@code scheduler}, {@code kv}, {@code template}, {@code configuration},
 * {@code record}, {@code memory}, {@code knowledge}).
 *
 * <h2>Transactions</h2>
 * Every repository method runs inside a transaction; which one depends on how the repository was obtained.
 * <ul>
 *   <li><b>Standalone</b>, the repositories of a {@link dev.agentstore.persistence.UnitOfWork} run in the unit of
 *       work's transaction ({@link dev.agentstore.persistence.AgentStore#inTransaction},
 *       {@link dev.agentstore.persistence.AgentStore#fromTransaction}); the per-call repositories of
 *       {@link dev.agentstore.persistence.AgentStore} ({@code store.kv()}, {@code store.flows()}, ...) run each call
 *       as its own unit of work, in autocommit mode when the method is marked
 *       {@link dev.agentstore.persistence.support.SingleStatement}.</li>
 *   <li><b>In a Jakarta EE container</b> the repositories are {@code @ApplicationScoped} beans and every method is
 *       {@code @Transactional(REQUIRED)}: it joins the caller's JTA transaction, or runs in one of its own when called
 *       outside any (one call, one unit of work).</li>
 * </ul>
 * In both, agentstore's own exceptions ({@link dev.agentstore.domain.AgentStoreException} and its subclasses) do not
 * mark the transaction for rollback: a caught {@link dev.agentstore.domain.NotFoundException} leaves it usable. JPA
 * and Hibernate errors still do (Hibernate marks the transaction). To retry a unit of work that failed with a
 * {@link dev.agentstore.domain.TransientDataAccessException} whose {@code retrySafe()} is true, use
 * {@link dev.agentstore.persistence.support.RetryPolicy} standalone and
 * {@link dev.agentstore.persistence.jakarta.TransactionalRetry} in a container; both retry the whole transaction,
 * never one statement of it.
 *
 * <h2>Thread-safety</h2>
 * {@link dev.agentstore.persistence.AgentStore}, its per-call repositories and the container's beans are
 * thread-safe. A {@link dev.agentstore.persistence.UnitOfWork} and its repositories, like the {@code EntityManager}
 * under them, belong to the thread that runs the unit of work.
 *
 * <h2>Errors</h2>
 * Bad input is an {@link dev.agentstore.domain.InvalidInputException} naming the parameter, thrown before anything is
 * written. Database errors are translated in one place into agentstore's typed exceptions, which name the entity and
 * key and never carry other values or secrets.
 */
package dev.agentstore.persistence;
