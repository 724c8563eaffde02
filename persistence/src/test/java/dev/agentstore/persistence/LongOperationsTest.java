package dev.agentstore.persistence;

import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Operations that legitimately take long, index builds and migrations, are not cut by the pool's statement, lock
 * and socket timeouts. Each test makes the operation wait longer than those timeouts on a lock held by another
 * session, which is released after a while: the operation must then complete.
 */
class LongOperationsTest {

    private static final Duration HELD = Duration.ofSeconds(4);

    /** Short bounds: 1 s statement and lock timeouts, 2 s socket timeout. */
    private static AgentStoreConfig.Builder shortBounds(String schema) {
        return AgentStoreExtension.testConfig(schema).poolMaxSize(3).statementTimeout(Duration.ofSeconds(1))
                .lockTimeout(Duration.ofSeconds(1)).socketTimeout(Duration.ofSeconds(2));
    }

    /** Holds {@code lockSql} in a transaction of another session for {@link #HELD}, then rolls back. */
    private static CompletableFuture<Void> holdFor(AgentStore store, String lockSql) throws SQLException {
        Connection holder = store.dataSource().getConnection();
        holder.setAutoCommit(false);
        try (Statement st = holder.createStatement()) {
            st.execute(lockSql);
        }
        return CompletableFuture.runAsync(() -> {
            try (holder) {
                TimeUnit.MILLISECONDS.sleep(HELD.toMillis());
                holder.rollback();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void anIndexBuildIsNotCutByTheStatementOrSocketTimeout() throws Exception {
        String schema = AgentStoreExtension.uniqueSchema(LongOperationsTest.class);
        try (AgentStore store = AgentStore.open(shortBounds(schema).lockTimeout(Duration.ZERO).build())) {
            store.inTransaction(uow -> uow.knowledge().create("slow_build", 4, Distance.COSINE, IndexSpec.none()));
            // CREATE INDEX needs a SHARE lock on chunks: it waits for the holder longer than both timeouts
            CompletableFuture<Void> holder = holdFor(store, "LOCK TABLE chunks IN ROW EXCLUSIVE MODE");

            KnowledgeBase kb = store.fromTransaction(uow -> uow.knowledge().changeIndex("slow_build", IndexSpec.hnsw()));

            assertThat(kb.index()).isEqualTo(IndexSpec.hnsw());
            holder.get(30, TimeUnit.SECONDS);
            // the connection's bounds are back once the build is done
            Object statementTimeout = store.fromTransaction(uow -> uow.entityManager()
                    .createNativeQuery("SELECT current_setting('statement_timeout')").getSingleResult());
            assertThat(statementTimeout).isEqualTo("1s");
        } finally {
            try (AgentStore admin = AgentStore.open(AgentStoreExtension.testConfig(schema).autoMigrate(false).build())) {
                AgentStoreExtension.dropSchema(admin.dataSource(), schema);
            }
        }
    }

    @Test
    void aMigratorWaitingForAnotherOneIsNotCutByTheLockOrStatementTimeout() throws Exception {
        String schema = AgentStoreExtension.uniqueSchema(LongOperationsTest.class);
        try (AgentStore first = AgentStore.open(shortBounds(schema).build())) {
            // as a migrator running long would: Liquibase's lock table is held by another session
            CompletableFuture<Void> holder = holdFor(first,
                    "LOCK TABLE " + schema + ".databasechangeloglock IN ACCESS EXCLUSIVE MODE");

            try (AgentStore second = AgentStore.open(shortBounds(schema).build())) {
                assertThat(second.kv().get("nothing")).isEmpty();
                // the migrator's session restored the pool's bounds
                try (Connection c = second.dataSource().getConnection(); Statement st = c.createStatement();
                     var rs = st.executeQuery("SELECT current_setting('lock_timeout')")) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo("1s");
                    assertThat(c.getNetworkTimeout()).isEqualTo(2000);
                }
            }
            holder.get(30, TimeUnit.SECONDS);
            AgentStoreExtension.dropSchema(first.dataSource(), schema);
        }
    }
}
