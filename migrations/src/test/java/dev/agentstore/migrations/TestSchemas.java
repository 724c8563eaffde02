package dev.agentstore.migrations;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Throwaway schemas on the test database for the migration tests: a pool, fresh schema names dropped by
 * {@link #close()}, statements and their rows as text, the schema's indexes from the catalog and its
 * {@code pg_dump --schema-only}.
 */
final class TestSchemas implements AutoCloseable {

    static final String URL = env("AGENTSTORE_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/agentstore");
    static final String USER = env("AGENTSTORE_TEST_DB_USER", "agentstore");
    static final String PASSWORD = env("AGENTSTORE_TEST_DB_PASSWORD", "agentstore");

    final HikariDataSource dataSource;
    private final List<String> schemas = new ArrayList<>();

    TestSchemas() {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(URL);
        hc.setUsername(USER);
        hc.setPassword(PASSWORD);
        hc.setMaximumPoolSize(4);
        hc.setMinimumIdle(0);
        dataSource = new HikariDataSource(hc);
    }

    /** @return a new schema name (the schema is not created), dropped on close */
    String fresh(String prefix) {
        String schema = prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        schemas.add(schema);
        return schema;
    }

    void execute(String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /** @return each row of {@code sql} as its columns (text, {@code null} as "null") joined by spaces */
    List<String> rows(String sql) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= columns; i++) {
                    row.append(i > 1 ? " " : "").append(rs.getString(i));
                }
                rows.add(row.toString());
            }
        }
        return rows;
    }

    /** @return the schema's indexes: name to {@code pg_get_indexdef} with the schema name replaced by {@code S} */
    Map<String, String> indexes(String schema) throws SQLException {
        Map<String, String> indexes = new TreeMap<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = ?")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    indexes.put(rs.getString(1), rs.getString(2).replace(schema + ".", "S."));
                }
            }
        }
        return indexes;
    }

    /**
     * @return the names of the schema's indexes that no constraint needs (neither primary key nor unique), without
     *         the indexes of partitions (PostgreSQL names and creates those with their partitioned table's index)
     */
    List<String> nonUniqueIndexes(String schema) throws SQLException {
        List<String> names = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                        + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE n.nspname = ? AND NOT i.indisunique AND NOT i.indisprimary"
                        + " AND NOT c.relispartition ORDER BY 1")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
        }
        return names;
    }

    /**
     * @return {@code pg_dump --schema-only} of {@code schema} without Liquibase's lock table, comments, {@code SET}
     *         lines and blank lines, the schema name replaced by {@code S}
     */
    String dump(String schema) throws IOException, InterruptedException {
        var matcher = Pattern.compile("jdbc:postgresql://([^:/]+):(\\d+)/([^?]+)").matcher(URL);
        if (!matcher.find()) {
            throw new IllegalStateException("cannot read host, port and database from " + URL);
        }
        ProcessBuilder pb = new ProcessBuilder("pg_dump", "--schema-only", "--no-owner", "--no-privileges",
                "-h", matcher.group(1), "-p", matcher.group(2), "-U", USER, "-n", schema,
                "-T", schema + ".databasechangeloglock", matcher.group(3));
        pb.environment().put("PGPASSWORD", PASSWORD);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = p.getInputStream()) {
            in.transferTo(out);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("pg_dump failed: " + text);
        }
        return text.lines()
                // pg_dump 15.14+ wraps the dump in restrict and unrestrict meta-commands with a random key
                .filter(l -> !l.isBlank() && !l.startsWith("--") && !l.startsWith("SET ") && !l.startsWith("\\")
                        && !l.startsWith("SELECT pg_catalog.set_config"))
                .map(l -> l.replace(schema, "S"))
                .collect(Collectors.joining("\n"));
    }

    @Override
    public void close() throws SQLException {
        try {
            for (String s : schemas) {
                execute("DROP SCHEMA IF EXISTS " + s + " CASCADE");
            }
        } finally {
            dataSource.close();
        }
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }
}
