package dev.agentstore.persistence;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * Test databases of their own, next to the shared {@code agentstore} database, for setups a schema cannot give:
 * pgvector created in another schema (as Supabase installs it in {@code extensions}), or a role default
 * {@code search_path} (what a transaction pooler needs). pgvector is not a trusted extension, so the database and
 * the extension are created as a superuser: {@code AGENTSTORE_TEST_SUPERUSER} (default {@code postgres}, password
 * {@code AGENTSTORE_TEST_SUPERUSER_PASSWORD}, none by default) on the server of {@code AGENTSTORE_TEST_DB_URL}.
 * Idempotent; databases are kept between runs (each test drops and recreates its own schema).
 */
public final class ExtensionDatabases {

    private ExtensionDatabases() {
    }

    /** @return the JDBC URL of {@code database} on the test server (the test URL with another database name) */
    public static String url(String database) {
        String base = AgentStoreExtension.testUrl();
        int query = base.indexOf('?');
        String noQuery = query < 0 ? base : base.substring(0, query);
        return noQuery.substring(0, noQuery.lastIndexOf('/') + 1) + database;
    }

    /**
     * Creates {@code database} owned by the test role when missing, with the schema {@code vectorSchema} (usable by
     * the test role) holding the {@code vector} extension.
     *
     * @param database     a valid database name
     * @param vectorSchema a valid schema name
     */
    public static void ensure(String database, String vectorSchema) throws SQLException {
        String owner = System.getenv().getOrDefault("AGENTSTORE_TEST_DB_USER", "agentstore");
        try (Connection c = superuser("postgres")) {
            boolean exists;
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
                ps.setString(1, database);
                try (ResultSet rs = ps.executeQuery()) {
                    exists = rs.next();
                }
            }
            if (!exists) {
                try (Statement st = c.createStatement()) {
                    st.execute("CREATE DATABASE " + database + " OWNER " + owner);
                } catch (SQLException e) {
                    if (!"42P04".equals(e.getSQLState())) { // created meanwhile by another test JVM
                        throw e;
                    }
                }
            }
        }
        try (Connection c = superuser(database); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS " + vectorSchema);
            st.execute("GRANT USAGE ON SCHEMA " + vectorSchema + " TO " + owner);
            st.execute("CREATE EXTENSION IF NOT EXISTS vector SCHEMA " + vectorSchema);
        }
    }

    /** @return a direct connection to {@code database} as the test role */
    public static Connection owner(String database) throws SQLException {
        return DriverManager.getConnection(url(database),
                System.getenv().getOrDefault("AGENTSTORE_TEST_DB_USER", "agentstore"),
                System.getenv().getOrDefault("AGENTSTORE_TEST_DB_PASSWORD", "agentstore"));
    }

    private static Connection superuser(String database) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", System.getenv().getOrDefault("AGENTSTORE_TEST_SUPERUSER", "postgres"));
        String password = System.getenv("AGENTSTORE_TEST_SUPERUSER_PASSWORD");
        if (password != null) {
            p.setProperty("password", password);
        }
        return DriverManager.getConnection(url(database), p);
    }
}
