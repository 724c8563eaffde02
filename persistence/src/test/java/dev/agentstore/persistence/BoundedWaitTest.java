package dev.agentstore.persistence;

import com.fasterxml.jackson.databind.node.IntNode;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.agentstore.persistence.BoundedWaitAssertions.assertFailsWithin;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Calls end within the configured timeouts instead of waiting as long as a lock is held, a statement runs or the
 * server is frozen. Runs on a private cluster, since one test freezes the server (SIGSTOP). Bounds are the timeout
 * plus a generous margin: they show that the call does not hang, not how fast it fails.
 */
class BoundedWaitTest {

    private static final String PASSWORD = "Db-Secret-4711";
    /** Covers a loaded machine's scheduling delays while staying below HikariCP's default 30 s and the 30 s sleeps. */
    private static final Duration MARGIN = Duration.ofSeconds(10);

    private static LocalCluster cluster;

    @BeforeAll
    static void start() {
        cluster = LocalCluster.start();
        cluster.createDatabase("waits");
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    private static AgentStoreConfig.Builder config() {
        return AgentStoreConfig.builder().url(cluster.jdbcUrl("waits")).user(LocalCluster.SUPERUSER).password(PASSWORD)
                .schema(AgentStoreExtension.uniqueSchema(BoundedWaitTest.class)).poolMinIdle(0);
    }

    private static Connection superuser(String schema) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", LocalCluster.SUPERUSER);
        props.setProperty("currentSchema", schema);
        return DriverManager.getConnection(cluster.jdbcUrl("waits"), props);
    }

    @Test
    void aCallWaitingForARowLockedByAnotherTransactionFailsAfterTheLockTimeout() throws Exception {
        Duration lockTimeout = Duration.ofSeconds(1);
        try (AgentStore store = AgentStore.open(config().lockTimeout(lockTimeout).build());
             Connection holder = superuser(store.config().schema())) {
            store.kv().set("locked", IntNode.valueOf(1));
            holder.setAutoCommit(false);
            try (Statement st = holder.createStatement()) {
                st.execute("SELECT * FROM kv_entries WHERE key = 'locked' FOR UPDATE");
            }

            assertFailsWithin(lockTimeout.plus(MARGIN), () -> store.kv().set("locked", IntNode.valueOf(2)), PASSWORD);

            holder.rollback();
            store.kv().set("locked", IntNode.valueOf(3));
            assertThat(store.kv().get("locked")).contains(IntNode.valueOf(3));
        }
    }

    @Test
    void aStatementRunningLongerThanTheStatementTimeoutIsCancelled() throws Exception {
        Duration statementTimeout = Duration.ofSeconds(1);
        try (AgentStore store = AgentStore.open(config().statementTimeout(statementTimeout).build());
             Connection admin = superuser(store.config().schema()); Statement st = admin.createStatement()) {
            // every write to kv_entries now takes 30 s
            st.execute("CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS"
                    + " $$ BEGIN PERFORM pg_sleep(30); RETURN NEW; END $$");
            st.execute("CREATE TRIGGER slow BEFORE INSERT OR UPDATE ON kv_entries FOR EACH ROW EXECUTE FUNCTION slow()");

            assertFailsWithin(statementTimeout.plus(MARGIN), () -> store.kv().set("slow", IntNode.valueOf(1)), PASSWORD);

            st.execute("DROP TRIGGER slow ON kv_entries");
            store.kv().set("slow", IntNode.valueOf(2));
            assertThat(store.kv().get("slow")).contains(IntNode.valueOf(2));
        }
    }

    /** Waits until the store's pool of one has lent its connection out; a hang guard of 30 s. */
    private static void awaitLentOut(AgentStore store) throws InterruptedException {
        HikariPoolMXBean pool = ((HikariDataSource) store.dataSource()).getHikariPoolMXBean();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (pool.getActiveConnections() < 1) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the first call took no connection within 30 s");
            }
            TimeUnit.MILLISECONDS.sleep(10);
        }
    }

    @Test
    void whenTheServerFreezesCallsFailAfterTheSocketTimeoutAndWaitersAfterThePoolTimeout() throws Exception {
        Duration socketTimeout = Duration.ofSeconds(2);
        Duration poolTimeout = Duration.ofSeconds(3);
        AgentStoreConfig config = config().poolMaxSize(1).socketTimeout(socketTimeout).statementTimeout(Duration.ofSeconds(1))
                .connectTimeout(Duration.ofSeconds(2)).poolConnectionTimeout(poolTimeout).build();
        try (AgentStore store = AgentStore.open(config)) {
            store.kv().set("k", IntNode.valueOf(1));
            cluster.freeze();
            try {
                // the one pool connection is taken by the first call, which waits for the frozen server
                CompletableFuture<Void> first = CompletableFuture.runAsync(() ->
                        assertFailsWithin(socketTimeout.plus(MARGIN), () -> store.kv().get("k"), PASSWORD));
                awaitLentOut(store);
                // a second caller waits for a connection: at most the pool timeout, not HikariCP's default 30 s
                assertFailsWithin(poolTimeout.plus(MARGIN), () -> store.kv().get("other"), PASSWORD);
                first.get(30, TimeUnit.SECONDS);
            } finally {
                cluster.thaw();
            }
            // the pool recovers by itself once the server answers again
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                try {
                    assertThat(store.kv().get("k")).contains(IntNode.valueOf(1));
                    break;
                } catch (RuntimeException e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                    TimeUnit.MILLISECONDS.sleep(200);
                }
            }
        }
    }
}
