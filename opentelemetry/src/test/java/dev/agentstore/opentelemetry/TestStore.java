package dev.agentstore.opentelemetry;

import dev.agentstore.domain.json.JsonLimits;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreConfig;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;

/**
 * A store on the real test database in a schema of its own (migrated on open, dropped on close), as the persistence
 * module's {@code AgentStoreExtension} makes them. The database comes from {@code AGENTSTORE_TEST_DB_URL/USER/PASSWORD}
 * (default: the one {@code scripts/setup-postgres.sh} makes).
 */
final class TestStore {

    private TestStore() {
    }

    static AgentStore open(Class<?> testClass) {
        return open(testClass, JsonLimits.DEFAULTS);
    }

    static AgentStore open(Class<?> testClass, JsonLimits limits) {
        String schema = "t_" + testClass.getSimpleName().toLowerCase(Locale.ROOT) + "_"
                + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        return AgentStore.open(AgentStoreConfig.builder()
                .url(env("AGENTSTORE_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/agentstore"))
                .user(env("AGENTSTORE_TEST_DB_USER", "agentstore"))
                .password(env("AGENTSTORE_TEST_DB_PASSWORD", "agentstore"))
                .schema(schema)
                .poolMaxSize(10)
                .poolMinIdle(0)
                .jsonLimits(limits)
                .build());
    }

    static void drop(AgentStore store) {
        try (Connection c = store.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + store.config().schema() + " CASCADE");
        } catch (SQLException e) {
            throw new IllegalStateException("could not drop test schema " + store.config().schema(), e);
        } finally {
            store.close();
        }
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }
}
