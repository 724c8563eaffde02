package dev.agentstore.persistence;

import com.fasterxml.jackson.databind.JsonNode;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.TransientDataAccessException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.support.RetryPolicy;
import org.hibernate.Session;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Transient failures provoked for real on the shared PostgreSQL, without disturbing it (each in this class's own
 * schema, on this test's own connections): each becomes a {@link TransientDataAccessException} (or its subclass
 * {@link ConcurrencyConflictException}) that names the operation and says rightly whether retrying is safe, and the
 * retry helpers retry exactly the retry-safe ones.
 */
@ExtendWith(AgentStoreExtension.class)
class TransientFailureTest {

    private static final JsonNode SECRET_DATA = Json.parse("data", "{\"secret\": \"s3cret-value\"}");

    private final AgentStore store;

    TransientFailureTest(AgentStore store) {
        this.store = store;
    }

    /** Runs SQL on the unit of work's own connection. */
    private static void exec(UnitOfWork uow, String sql) {
        uow.entityManager().unwrap(Session.class).doWork(c -> {
            try (Statement st = c.createStatement()) {
                st.execute(sql);
            }
        });
    }

    private static long backendPid(UnitOfWork uow) {
        return uow.entityManager().unwrap(Session.class).doReturningWork(c -> {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /** A connection of the test's own, in a transaction, holding a row lock. */
    private Connection lockRow(String table, String column, String key) throws SQLException {
        Connection holder = store.dataSource().getConnection();
        holder.setAutoCommit(false);
        try (PreparedStatement ps = holder.prepareStatement("SELECT 1 FROM " + table + " WHERE " + column
                + " = ? FOR UPDATE")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).as("row %s to lock", key).isTrue();
            }
        }
        return holder;
    }

    private static void release(Connection holder) throws SQLException {
        holder.rollback();
        holder.close();
    }

    /** Waits until some backend is blocked by {@code holder}'s locks and returns its pid. */
    private long awaitBlockedBy(Connection holder) throws Exception {
        long holderPid = pidOf(holder);
        return await(() -> queryLong("SELECT pid FROM pg_stat_activity WHERE " + holderPid
                + " = ANY(pg_blocking_pids(pid))"));
    }

    /** Waits until some backend of this database runs {@code COMMIT} and sleeps in a deferred trigger. */
    private long awaitSleepingCommit() throws Exception {
        return await(() -> queryLong("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                + " AND wait_event = 'PgSleep' AND query = 'COMMIT'"));
    }

    private static long pidOf(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private Long queryLong(String sql) {
        try (Connection c = store.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getLong(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private void terminate(long pid) {
        assertThat(queryLong("SELECT CASE WHEN pg_terminate_backend(" + pid + ") THEN 1 ELSE 0 END")).isEqualTo(1L);
        await(() -> queryLong("SELECT CASE WHEN count(*) = 0 THEN 1 END FROM pg_stat_activity WHERE pid = " + pid));
    }

    /** Polls until {@code probe} gives a value; a hang guard of 30 s, not a speed assertion. */
    private static <T> T await(Supplier<T> probe) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            T value = probe.get();
            if (value != null) {
                return value;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 30 s");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    private static TransientDataAccessException transientFailure(Throwable thrown) {
        assertThat(thrown).isInstanceOf(TransientDataAccessException.class);
        return (TransientDataAccessException) thrown;
    }

    private long countRecords(String id) {
        return queryLong("SELECT count(*) FROM records WHERE id = '" + id + "'");
    }

    @Nested
    class Timeouts {

        @Test
        void aLockTimeoutIsRetrySafeAndNotAConflict() throws Exception {
            store.records().create("lock-1", Json.object(), null);
            Connection holder = lockRow("records", "id", "lock-1");
            try {
                Throwable thrown = catchThrowable(() -> store.fromTransaction(uow -> {
                    exec(uow, "SET LOCAL lock_timeout = '200ms'");
                    return uow.records().update("lock-1", SECRET_DATA, null);
                }));
                TransientDataAccessException e = transientFailure(thrown);
                assertThat(e).isNotInstanceOf(ConcurrencyConflictException.class);
                assertThat(e.retrySafe()).isTrue();
                assertThat(e.operation()).isEqualTo("update Record id=lock-1");
                assertThat(e.getMessage()).startsWith("update Record id=lock-1: lock timeout")
                        .contains("55P03").contains("retrying is safe")
                        .doesNotContain("s3cret-value").doesNotContainIgnoringCase("update records");
            } finally {
                release(holder);
            }
            assertThat(store.records().get("lock-1").orElseThrow().data()).isEqualTo(Json.object());
        }

        @Test
        void aStatementTimeoutIsRetrySafe() throws Exception {
            store.records().create("stmt-1", Json.object(), null);
            Connection holder = lockRow("records", "id", "stmt-1");
            try {
                Throwable thrown = catchThrowable(() -> store.fromTransaction(uow -> {
                    exec(uow, "SET LOCAL statement_timeout = '200ms'");
                    return uow.records().update("stmt-1", SECRET_DATA, null);
                }));
                TransientDataAccessException e = transientFailure(thrown);
                assertThat(e.retrySafe()).isTrue();
                assertThat(e.operation()).isEqualTo("update Record id=stmt-1");
                assertThat(e.getMessage()).contains("statement timeout").contains("57014")
                        .doesNotContain("s3cret-value");
            } finally {
                release(holder);
            }
        }

        @Test
        void aStatementTimeoutOfPgSleepInTheCallersOwnSqlNamesTheUnitOfWork() {
            Throwable thrown = catchThrowable(() -> store.inTransaction(uow -> {
                exec(uow, "SET LOCAL statement_timeout = '100ms'");
                exec(uow, "SELECT pg_sleep(5)");
            }));
            TransientDataAccessException e = transientFailure(thrown);
            assertThat(e.retrySafe()).isTrue();
            assertThat(e.operation()).isEqualTo("unit of work");
            assertThat(e.getMessage()).contains("57014").doesNotContain("pg_sleep");
        }
    }

    @Nested
    class Conflicts {

        @Test
        void aDeadlockIsARetrySafeConflict() throws Exception {
            store.records().create("dead-a", Json.object(), null);
            store.records().create("dead-b", Json.object(), null);
            CyclicBarrier bothLocked = new CyclicBarrier(2);
            List<Throwable> results = Race.run(2, i -> () -> catchThrowable(() -> store.inTransaction(uow -> {
                uow.records().update(i == 0 ? "dead-a" : "dead-b", Json.object(), null);
                try {
                    bothLocked.await(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                uow.records().update(i == 0 ? "dead-b" : "dead-a", Json.object(), null);
            })));
            List<Throwable> failures = results.stream().filter(Objects::nonNull).toList();
            assertThat(failures).hasSize(1);
            assertThat(failures.get(0)).isExactlyInstanceOf(ConcurrencyConflictException.class)
                    .hasMessageContaining("deadlock").hasMessageContaining("40P01");
            TransientDataAccessException e = (TransientDataAccessException) failures.get(0);
            assertThat(e.retrySafe()).isTrue();
            assertThat(e.operation()).matches("update Record id=dead-[ab]");
        }

        @Test
        void aSerializationFailureIsARetrySafeConflict() throws Exception {
            store.records().create("ser-a", Json.object(), null);
            store.records().create("ser-b", Json.object(), null);
            CyclicBarrier bothRead = new CyclicBarrier(2);
            // write skew: each reads one row and writes the other; SERIALIZABLE lets only one commit
            List<Throwable> results = Race.run(2, i -> () -> catchThrowable(() -> store.inTransaction(uow -> {
                exec(uow, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
                uow.records().get(i == 0 ? "ser-a" : "ser-b");
                try {
                    bothRead.await(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                uow.records().update(i == 0 ? "ser-b" : "ser-a", Json.object(), null);
            })));
            List<Throwable> failures = results.stream().filter(Objects::nonNull).toList();
            assertThat(failures).hasSize(1);
            assertThat(failures.get(0)).isExactlyInstanceOf(ConcurrencyConflictException.class)
                    .hasMessageContaining("serialization failure").hasMessageContaining("40001");
            assertThat(((TransientDataAccessException) failures.get(0)).retrySafe()).isTrue();
        }
    }

    @Nested
    class ConnectionLost {

        @Test
        void insideATransactionItIsRetrySafeAndThePoolRecovers() {
            store.records().create("lost-1", Json.object(), null);
            Throwable thrown = catchThrowable(() -> store.fromTransaction(uow -> {
                terminate(backendPid(uow));
                return uow.records().get("lost-1");
            }));
            TransientDataAccessException e = transientFailure(thrown);
            assertThat(e.retrySafe()).isTrue();
            assertThat(e.operation()).isEqualTo("get Record id=lost-1");
            assertThat(e.getMessage()).containsAnyOf("connection lost", "server shutting down")
                    .contains("retrying is safe");
            // the pool dropped the broken connection: the next call succeeds
            assertThat(store.records().get("lost-1")).isPresent();
        }

        @Test
        void duringAnAutocommitStatementTheOutcomeIsUnknown() throws Exception {
            store.kv().set("auto-1", Json.object());
            Connection holder = lockRow("kv_entries", "key", "auto-1");
            CompletableFuture<Throwable> call;
            try {
                call = CompletableFuture.supplyAsync(() -> catchThrowable(
                        () -> store.kv().set("auto-1", SECRET_DATA)));
                terminate(awaitBlockedBy(holder));
            } finally {
                release(holder);
            }
            TransientDataAccessException e = transientFailure(call.get(30, TimeUnit.SECONDS));
            assertThat(e.retrySafe()).isFalse();
            assertThat(e.operation()).contains("auto-1");
            assertThat(e.getMessage()).contains("the outcome is unknown: check before retrying")
                    .doesNotContain("retrying is safe").doesNotContain("s3cret-value");
            assertThat(store.kv().get("auto-1")).isPresent();
        }

        @Test
        void duringTheCommitTheOutcomeIsUnknownAndItIsNotRetried() throws Exception {
            // a deferred constraint trigger that sleeps keeps the COMMIT in flight long enough to lose its connection
            store.inTransaction(uow -> exec(uow, """
                    CREATE TABLE commit_probe (id int);
                    CREATE FUNCTION commit_probe_sleep() RETURNS trigger LANGUAGE plpgsql AS
                        $$ BEGIN PERFORM pg_sleep(30); RETURN NULL; END $$;
                    CREATE CONSTRAINT TRIGGER commit_probe_sleep AFTER INSERT ON commit_probe
                        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION commit_probe_sleep();
                    """));
            try {
                AtomicInteger attempts = new AtomicInteger();
                CompletableFuture<Throwable> call = CompletableFuture.supplyAsync(() -> catchThrowable(
                        () -> store.fromTransactionWithRetry(RetryPolicy.DEFAULT, uow -> {
                            attempts.incrementAndGet();
                            uow.records().create("commit-1", Json.object(), null);
                            exec(uow, "INSERT INTO commit_probe VALUES (1)");
                            return null;
                        })));
                terminate(awaitSleepingCommit());
                TransientDataAccessException e = transientFailure(call.get(30, TimeUnit.SECONDS));
                assertThat(e.retrySafe()).isFalse();
                assertThat(e.operation()).isEqualTo("commit of unit of work");
                assertThat(e.getMessage()).contains("the outcome is unknown: check before retrying");
                assertThat(attempts).hasValue(1);
            } finally {
                store.inTransaction(uow -> exec(uow, "DROP TABLE commit_probe; DROP FUNCTION commit_probe_sleep()"));
            }
        }

        @Test
        void aRetrySafeLossIsRetriedAndTheWorkIsDoneOnce() {
            AtomicInteger attempts = new AtomicInteger();
            String id = store.fromTransactionWithRetry(RetryPolicy.DEFAULT, uow -> {
                uow.records().create("retried-1", Json.object(), null);
                if (attempts.incrementAndGet() == 1) {
                    terminate(backendPid(uow)); // the insert above is rolled back with the connection
                }
                return uow.records().get("retried-1").orElseThrow().id();
            });
            assertThat(id).isEqualTo("retried-1");
            assertThat(attempts).hasValue(2);
            assertThat(countRecords("retried-1")).isEqualTo(1);
        }
    }

    /** A second store on this class's schema over a pool of one connection with a 250 ms pool timeout. */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class PoolOfOne {

        private HikariDataSource pool;
        private AgentStore small;

        @BeforeAll
        void open() {
            HikariConfig hc = new HikariConfig();
            hc.setPoolName("transient-failure-test");
            hc.setJdbcUrl(AgentStoreExtension.testUrl());
            hc.setUsername(store.config().user().orElse(null));
            hc.setPassword(store.config().password().orElse(null));
            hc.setMaximumPoolSize(1);
            hc.setConnectionTimeout(250);
            hc.setConnectionInitSql("SET lock_timeout = '200ms'");
            hc.addDataSourceProperty("currentSchema", store.config().schema() + ",public");
            pool = new HikariDataSource(hc);
            small = AgentStore.open(AgentStoreConfig.builder().url(AgentStoreExtension.testUrl()).user("unused")
                    .schema(store.config().schema()).autoMigrate(false).build(), pool);
        }

        @AfterAll
        void close() {
            small.close();
            pool.close();
        }

        @Test
        void noConnectionWithinThePoolTimeoutIsRetrySafeAndNamesTheCall() throws Exception {
            try (Connection held = pool.getConnection()) {
                Throwable thrown = catchThrowable(() -> small.records().get("pool-1"));
                TransientDataAccessException e = transientFailure(thrown);
                assertThat(e.retrySafe()).isTrue();
                assertThat(e.operation()).isEqualTo("RecordRepository.get");
                assertThat(e.getMessage()).contains("no connection available").contains("timed out");
            }
            assertThat(small.records().get("pool-1")).isEmpty();
        }

        @Test
        void aPoolTimeoutIsRetriedAndSucceedsOnceAConnectionIsFree() throws Exception {
            Connection held = pool.getConnection();
            CompletableFuture<Void> freeLater = CompletableFuture.runAsync(() -> {
                try {
                    Thread.sleep(600);
                    held.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            AtomicInteger attempts = new AtomicInteger();
            // at least 25 s of attempts (250 ms pool timeout each): the connection is freed after 600 ms, or later
            // on a loaded machine
            RetryPolicy patient = new RetryPolicy(100, Duration.ofMillis(50), Duration.ofMillis(200));
            String id = small.fromTransactionWithRetry(patient, uow -> {
                attempts.incrementAndGet();
                return uow.records().create("pool-2", Json.object(), null).id();
            });
            freeLater.get(30, TimeUnit.SECONDS);
            assertThat(id).isEqualTo("pool-2");
            assertThat(countRecords("pool-2")).isEqualTo(1);
            // the failed attempts never got a connection, so they never ran the work
            assertThat(attempts).hasValue(1);
        }

        @Test
        void aLockTimeoutOfAnAutocommitStatementIsRetrySafe() throws Exception {
            small.kv().set("auto-lock-1", Json.object());
            Connection holder = lockRow("kv_entries", "key", "auto-lock-1");
            try {
                Throwable thrown = catchThrowable(() -> small.kv().set("auto-lock-1", SECRET_DATA));
                TransientDataAccessException e = transientFailure(thrown);
                // PostgreSQL reported the error: the statement did not commit, whatever the autocommit mode
                assertThat(e.retrySafe()).isTrue();
                assertThat(e.getMessage()).contains("lock timeout").doesNotContain("s3cret-value");
            } finally {
                release(holder);
            }
            assertThat(small.kv().get("auto-lock-1")).contains(Json.object());
        }
    }
}
