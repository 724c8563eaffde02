package dev.agentstore.cli;

import dev.agentstore.domain.knowledge.Embedder;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Runs CLI commands in process against the real test database, in a schema of its own, capturing output.
 * The database comes from {@code AGENTSTORE_TEST_DB_URL/USER/PASSWORD} (default: the one setup-postgres.sh makes).
 */
final class CliRunner implements AutoCloseable {

    static final String URL = env("AGENTSTORE_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/agentstore");
    static final String USER = env("AGENTSTORE_TEST_DB_USER", "agentstore");
    static final String PASSWORD = env("AGENTSTORE_TEST_DB_PASSWORD", "agentstore");

    /** The result of one command. */
    record Result(int exitCode, String out, String err) {
    }

    final String schema;
    private final Map<String, String> env = new HashMap<>();
    private Supplier<Embedder> embedder;

    CliRunner(Class<?> testClass) {
        this(testClass, FakeEmbedder::new);
    }

    CliRunner(Class<?> testClass, Supplier<Embedder> embedder) {
        this.schema = "t_cli_" + testClass.getSimpleName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "")
                + "_" + UUID.randomUUID().toString().substring(0, 8);
        this.embedder = embedder;
        env.put("AGENTSTORE_DB_URL", URL);
        env.put("AGENTSTORE_DB_USER", USER);
        env.put("AGENTSTORE_DB_PASSWORD", PASSWORD);
        env.put("AGENTSTORE_DB_SCHEMA", schema);
    }

    CliRunner embedder(Supplier<Embedder> embedder) {
        this.embedder = embedder;
        return this;
    }

    Map<String, String> env() {
        return env;
    }

    Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            int code = AgentStoreCli.execute(new CliContext(o, e, Map.copyOf(env), embedder), args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }
    }

    long queryLong(String sql) {
        try (Connection c = DriverManager.getConnection(URL, USER, PASSWORD); Statement st = c.createStatement()) {
            st.execute("SET search_path = " + schema + ", public");
            try (ResultSet rs = st.executeQuery(sql)) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    String queryText(String sql) {
        try (Connection c = DriverManager.getConnection(URL, USER, PASSWORD); Statement st = c.createStatement()) {
            st.execute("SET search_path = " + schema + ", public");
            try (ResultSet rs = st.executeQuery(sql)) {
                rs.next();
                return rs.getString(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    void execute(String sql) {
        try (Connection c = DriverManager.getConnection(URL, USER, PASSWORD); Statement st = c.createStatement()) {
            st.execute("SET search_path = " + schema + ", public");
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try (Connection c = DriverManager.getConnection(URL, USER, PASSWORD); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? dflt : v;
    }
}
