package dev.agentstore.persistence.health;

import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.ds.PGSimpleDataSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code store.health()} and {@link HealthProbe} against the real PostgreSQL. */
@ExtendWith(AgentStoreExtension.class)
class HealthProbeTest {

    private static PGSimpleDataSource dataSource(String url) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(url);
        ds.setUser("agentstore");
        ds.setPassword("agentstore");
        ds.setConnectTimeout(2);
        return ds;
    }

    @Nested
    class Store {

        @Test
        void aMigratedStoreOnThePrimaryIsUpWithItsPoolAndPgvectorVersion(AgentStore store) throws Exception {
            StoreHealth health = store.health();

            assertThat(health.status()).as(health.problems().toString()).isEqualTo(StoreHealth.Status.UP);
            assertThat(health.connected()).isTrue();
            assertThat(health.role()).isEqualTo(StoreHealth.Role.PRIMARY);
            assertThat(health.replayLag()).as("no replay lag on the primary").isNull();
            assertThat(health.pendingMigrations()).isZero();
            assertThat(health.problems()).isEmpty();
            try (Connection c = store.dataSource().getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT extversion FROM pg_extension WHERE extname = 'vector'")) {
                assertThat(rs.next()).isTrue();
                assertThat(health.pgvectorVersion()).isEqualTo(rs.getString(1));
            }
            PoolSaturation pool = health.pool();
            assertThat(pool).isNotNull();
            assertThat(pool.max()).isEqualTo(20);
            assertThat(pool.total()).isEqualTo(pool.active() + pool.idle());
            assertThat(pool.waiting()).isZero();
        }

        @Test
        void theSaturationCountsTheConnectionsLentOut(AgentStore store) throws Exception {
            List<Connection> held = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    held.add(store.dataSource().getConnection());
                }
                assertThat(store.health().pool().active()).isGreaterThanOrEqualTo(3);
            } finally {
                for (Connection c : held) {
                    c.close();
                }
            }
        }
    }

    @Nested
    class Probe {

        @Test
        void anUnmigratedSchemaIsDegradedWithItsPendingChangeSets() {
            StoreHealth health = HealthProbe.check(dataSource(AgentStoreExtension.testUrl()),
                    AgentStoreExtension.uniqueSchema(HealthProbeTest.class), null);

            assertThat(health.status()).isEqualTo(StoreHealth.Status.DEGRADED);
            assertThat(health.connected()).isTrue();
            assertThat(health.pendingMigrations()).isPositive();
            assertThat(health.pool()).isNull();
            assertThat(health.problems()).singleElement().asString().contains("migration change set(s) pending");
        }

        @Test
        void noServerIsDownAndSaysWhyWithoutThrowing() {
            StoreHealth health = HealthProbe.check(dataSource("jdbc:postgresql://127.0.0.1:1/agentstore"), "public",
                    null);

            assertThat(health.status()).isEqualTo(StoreHealth.Status.DOWN);
            assertThat(health.connected()).isFalse();
            assertThat(health.role()).isEqualTo(StoreHealth.Role.UNKNOWN);
            assertThat(health.pendingMigrations()).isEqualTo(-1);
            assertThat(health.problems()).singleElement().asString().startsWith("no connection: ")
                    .doesNotContain("agentstore/agentstore");
        }

        @Test
        void callersWaitingForAPoolConnectionMakeItDegraded(AgentStore store) {
            StoreHealth health = HealthProbe.check(store.dataSource(), store.config().schema(),
                    new PoolSaturation(10, 0, 10, 4, 10));

            assertThat(health.status()).isEqualTo(StoreHealth.Status.DEGRADED);
            assertThat(health.problems()).singleElement().asString()
                    .isEqualTo("4 caller(s) waiting for a pool connection (10 of 10 in use)");
        }
    }
}
