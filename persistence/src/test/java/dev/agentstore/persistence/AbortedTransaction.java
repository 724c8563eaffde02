package dev.agentstore.persistence;

import org.hibernate.Session;

import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Makes a repository call fail inside the database, to test how the repository reports it. */
public final class AbortedTransaction {

    private AbortedTransaction() {
    }

    /**
     * Runs {@code read} in a transaction that PostgreSQL has already aborted (a statement failed on the same connection,
     * behind Hibernate's back, so Hibernate does not know), so the read's own query fails with SQL state 25P02, and
     * returns what the repository method itself threw: what a container caller, which has no {@code fromTransaction}
     * translating for it, would see.
     */
    public static Throwable thrownBy(AgentStore store, Consumer<UnitOfWork> read) {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Throwable outer = catchThrowable(() -> store.inTransaction(uow -> {
            uow.entityManager().unwrap(Session.class).doWork(connection -> {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("SELECT 1 / 0");
                } catch (SQLException expected) {
                    // division by zero: the PostgreSQL transaction is now aborted
                }
            });
            try {
                read.accept(uow);
            } catch (RuntimeException e) {
                thrown.set(e);
                throw e;
            }
        }));
        assertThat(thrown.get()).as("the read failed; the transaction threw %s", outer).isNotNull();
        return thrown.get();
    }
}
