package dev.agentstore.langgraph4j;

import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreConfig;
import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Stores for this module's tests: each test class opens its own schema in the real PostgreSQL (migrated by the real
 * changelog) and drops it afterwards.
 */
final class TestStores {

    private TestStores() {
    }

    /** What {@link #openCounting} records after a statement prepared in autocommit mode. */
    static final String AUTOCOMMIT = "<autocommit>";

    /**
     * @param testClass the test class
     * @return a store on a new schema of the test database
     */
    static AgentStore open(Class<?> testClass) {
        return AgentStore.open(config(testClass));
    }

    /**
     * A store whose connections record the SQL of every statement they prepare or create into {@code sql}, followed
     * by {@link #AUTOCOMMIT} when the statement is prepared in autocommit mode (it is then its own transaction, with
     * no {@code BEGIN} or {@code COMMIT} round trip).
     *
     * @param testClass the test class
     * @param sql       where statements are recorded
     * @return a store on a new schema of the test database
     */
    static AgentStore openCounting(Class<?> testClass, List<String> sql) {
        AgentStoreConfig config = config(testClass);
        PGSimpleDataSource pg = new PGSimpleDataSource();
        pg.setUrl(env("AGENTSTORE_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/agentstore"));
        pg.setUser(env("AGENTSTORE_TEST_DB_USER", "agentstore"));
        pg.setPassword(env("AGENTSTORE_TEST_DB_PASSWORD", "agentstore"));
        pg.setCurrentSchema(config.schema() + ",public");
        DataSource counting = (DataSource) Proxy.newProxyInstance(TestStores.class.getClassLoader(),
                new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                    Object result = invoke(method, pg, args);
                    return result instanceof Connection c ? recording(c, sql) : result;
                });
        return AgentStore.open(config, counting);
    }

    /** @return a fresh recording list */
    static List<String> recorder() {
        return new CopyOnWriteArrayList<>();
    }

    private static Connection recording(Connection connection, List<String> sql) {
        return (Connection) Proxy.newProxyInstance(TestStores.class.getClassLoader(),
                new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    String name = method.getName();
                    if ((name.equals("prepareStatement") || name.equals("prepareCall")) && args != null) {
                        sql.add((String) args[0]);
                        if (connection.getAutoCommit()) {
                            sql.add(AUTOCOMMIT);
                        }
                    } else if (name.equals("createStatement")) {
                        sql.add("<statement>");
                    }
                    return invoke(method, connection, args);
                });
    }

    private static Object invoke(java.lang.reflect.Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static AgentStoreConfig config(Class<?> testClass) {
        String name = testClass.getSimpleName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        String schema = "t_" + name.substring(0, Math.min(40, name.length())) + "_"
                + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        return AgentStoreConfig.builder()
                .url(env("AGENTSTORE_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/agentstore"))
                .user(env("AGENTSTORE_TEST_DB_USER", "agentstore"))
                .password(env("AGENTSTORE_TEST_DB_PASSWORD", "agentstore"))
                .schema(schema)
                .poolMaxSize(4)
                .poolMinIdle(0)
                .build();
    }

    /**
     * Drops the store's schema and closes it.
     *
     * @param store a store opened here, or {@code null}
     */
    static void close(AgentStore store) {
        if (store == null) {
            return;
        }
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
