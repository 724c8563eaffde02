package dev.agentstore.persistence.support;

import dev.agentstore.domain.AgentStoreException;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.transaction.Transactional;

import java.time.Clock;
import java.util.Objects;

/**
 * What every agentstore repository holds: the unit of work's {@link EntityManager}, whose connection
 * {@link Sql} runs the statements on, and the {@link Clock} the repository takes the time from.
 *
 * <p>In a Jakarta EE container the subclasses are CDI beans: the container injects both fields (the entity manager
 * of the persistence unit {@code agentstore}, the clock from a producer that an application may replace), and every
 * public method is {@code @Transactional(REQUIRED)}, inherited from this class; agentstore's own exceptions do not
 * mark the transaction for rollback. Standalone, a subclass is built with its {@code (EntityManager, Clock)}
 * constructor, bound to one unit of work (see {@link dev.agentstore.persistence}).
 *
 * <p>A repository is as thread-safe as its entity manager: the container's is, a standalone unit of work's is not.
 */
@Transactional(dontRollbackOn = AgentStoreException.class)
public abstract class AbstractRepository {

    /** The unit of work's entity manager; never {@code null} once built or injected. */
    @PersistenceContext(unitName = "agentstore")
    protected EntityManager em;

    /** Where the time comes from; never {@code null} once built or injected. */
    @Inject
    protected Clock clock;

    /**
     * For CDI's proxies and injection: the container sets both fields. A subclass declares no constructor of its
     * own unless it holds more state; standalone, {@link #bind} sets the fields.
     */
    protected AbstractRepository() {
    }

    /**
     * Standalone use: bound to one entity manager (one transaction).
     *
     * @param em    the transaction's entity manager
     * @param clock where the time comes from
     */
    protected AbstractRepository(EntityManager em, Clock clock) {
        this.em = em;
        this.clock = clock;
    }

    /**
     * Standalone use: binds a repository made with its no-argument constructor to one unit of work's entity manager
     * (one transaction) and clock. {@link dev.agentstore.persistence.UnitOfWork} does this for every repository it
     * hands out; an application reaches repositories through it (or, in a container, by injection), not by this
     * method.
     *
     * @param repository a repository not bound yet
     * @param em         the transaction's entity manager
     * @param clock      where the time comes from
     * @param <R>        the repository's type
     * @return {@code repository}, bound
     * @throws NullPointerException when an argument is {@code null}
     */
    public static <R extends AbstractRepository> R bind(R repository, EntityManager em, Clock clock) {
        repository.em = Objects.requireNonNull(em, "em");
        repository.clock = Objects.requireNonNull(clock, "clock");
        return repository;
    }
}
