package dev.agentstore.persistence.support;

import jakarta.persistence.EntityManager;

/**
 * Transaction boundaries inside repository methods marked {@link SingleStatement}.
 */
public final class Transactions {

    private Transactions() {
    }

    /**
     * Makes the statements that follow part of one transaction. A {@link SingleStatement} method that tried its one
     * statement, found that it wrote nothing (for example an {@code UPDATE ... WHERE status = 'RUNNING'} that matched
     * no row) and goes on with a read-modify-write ({@code SELECT ... FOR UPDATE}, then a write) calls this first: when
     * a per-call repository runs the method in autocommit mode, autocommit is switched off here, so pgjdbc sends
     * {@code BEGIN} with the next statement and the call commits (or rolls back) as a whole. In a unit of work or a
     * container the connection is already in a transaction and nothing happens.
     *
     * @param em the method's entity manager
     * @throws dev.agentstore.domain.AgentStoreException when the driver refuses (the connection is broken)
     */
    public static void requireTransaction(EntityManager em) {
        Sql.run(em, "begin a transaction", Sql::requireTransaction);
    }
}
