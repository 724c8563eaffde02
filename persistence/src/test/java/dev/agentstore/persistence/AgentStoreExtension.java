package dev.agentstore.persistence;

import net.ttddyy.dsproxy.support.ProxyDataSourceBuilder;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Gives each test class its own schema in the real PostgreSQL, migrated by the real changelog through
 * {@link AgentStore#open(AgentStoreConfig)}, and drops it afterwards, so test classes run in parallel without
 * seeing each other's rows. Resolves {@link AgentStore}, {@link MutableClock} and {@link AgentStoreConfig}
 * parameters (constructor, {@code @BeforeAll}, test methods). A {@code @Nested} class, at any depth, shares the
 * store, schema and clock of its top-level class: it opens nothing of its own.
 *
 * <p>The database comes from {@code AGENTSTORE_TEST_DB_URL}, {@code AGENTSTORE_TEST_DB_USER} and
 * {@code AGENTSTORE_TEST_DB_PASSWORD}, by default the role and database that {@code scripts/setup-postgres.sh}
 * creates: {@code jdbc:postgresql://127.0.0.1:5432/agentstore}, {@code agentstore}/{@code agentstore}.
 */
public final class AgentStoreExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(AgentStoreExtension.class);

    /** @return the JDBC URL of the test database */
    public static String testUrl() {
        return env("AGENTSTORE_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/agentstore");
    }

    /** @return a configuration for the test database and {@code schema}, with a small pool */
    public static AgentStoreConfig.Builder testConfig(String schema) {
        return AgentStoreConfig.builder()
                .url(testUrl())
                .user(env("AGENTSTORE_TEST_DB_USER", "agentstore"))
                .password(env("AGENTSTORE_TEST_DB_PASSWORD", "agentstore"))
                .schema(schema)
                .poolMaxSize(20)
                .poolMinIdle(0);
    }

    /**
     * @param testClass the test class
     * @return a fresh, unique schema name for it
     */
    public static String uniqueSchema(Class<?> testClass) {
        String base = testClass.getSimpleName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        if (base.length() > 40) {
            base = base.substring(0, 40);
        }
        return "t_" + base + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    }

    /**
     * Opens a second store on the same schema whose connections go through datasource-proxy, so that
     * Hypersistence Utils' {@code SQLStatementCountValidator} can count the statements a call sends.
     *
     * @param store an open store (its schema is already migrated)
     * @return a new store; close it in the test
     */
    public static AgentStore statementCountingStore(AgentStore store) {
        DataSource counting = ProxyDataSourceBuilder.create(store.dataSource()).countQuery().build();
        return AgentStore.open(AgentStoreConfig.builder()
                .url(testUrl()).user("unused").schema(store.config().schema())
                .clock(store.config().clock()).autoMigrate(false).build(), counting);
    }

    /**
     * Drops a schema and everything in it.
     *
     * @param dataSource a connection source
     * @param schema     the schema (a validated name)
     */
    public static void dropSchema(DataSource dataSource, String schema) {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        } catch (SQLException e) {
            throw new IllegalStateException("could not drop test schema " + schema, e);
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (classContext(context) != context) {
            return; // a @Nested class: its top-level class holds the store
        }
        MutableClock clock = new MutableClock();
        AgentStore store = AgentStore.open(testConfig(uniqueSchema(context.getRequiredTestClass())).clock(clock).build());
        ExtensionContext.Store s = context.getStore(NS);
        s.put(AgentStore.class, store);
        s.put(MutableClock.class, clock);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (classContext(context) != context) {
            return;
        }
        AgentStore store = context.getStore(NS).remove(AgentStore.class, AgentStore.class);
        if (store != null) {
            try {
                dropSchema(store.dataSource(), store.config().schema());
            } finally {
                store.close();
            }
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        Class<?> type = parameterContext.getParameter().getType();
        return type == AgentStore.class || type == MutableClock.class || type == AgentStoreConfig.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        Class<?> type = parameterContext.getParameter().getType();
        ExtensionContext.Store s = extensionContext.getRoot() == extensionContext
                ? extensionContext.getStore(NS) : classContext(extensionContext).getStore(NS);
        if (type == AgentStoreConfig.class) {
            return s.get(AgentStore.class, AgentStore.class).config();
        }
        return s.get(type, type);
    }

    private static ExtensionContext classContext(ExtensionContext context) {
        ExtensionContext c = context;
        while (c.getParent().isPresent() && c.getTestMethod().isPresent()) {
            c = c.getParent().get();
        }
        while (c.getParent().isPresent() && c.getParent().get().getTestClass().isPresent()) {
            c = c.getParent().get();
        }
        return c;
    }

    private static String env(String name, String fallback) {
        Map<String, String> env = System.getenv();
        String v = env.get(name);
        return v == null || v.isBlank() ? fallback : v;
    }
}
