package dev.agentstore.it;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;

/**
 * Before any test (and so before WildFly starts): brings up the tests' primary and streaming replica
 * ({@link ReplicaPair#up()}, {@code scripts/setup-replica.sh}), then drops the container datasource's schema
 * ({@code AGENTSTORE_DB_SCHEMA}, {@code agentstore_it} in this module's build) so that the first deployment migrates
 * a fresh schema. Connects as the datasource does, from the same {@code AGENTSTORE_DB_*} variables and defaults.
 * Does nothing for the default schema {@code public}.
 */
public class FreshSchema implements LauncherSessionListener {

    /** Created by the JUnit launcher (ServiceLoader). */
    public FreshSchema() {
    }

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        ReplicaPair.up();
        String schema = env("AGENTSTORE_DB_SCHEMA", "public");
        if (schema.equals("public") || !schema.matches("[a-z_][a-z0-9_]{0,62}")) {
            return;
        }
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            s.execute("DROP SCHEMA IF EXISTS " + schema + "_unmigrated CASCADE");
        } catch (SQLException e) {
            throw new IllegalStateException("could not drop schema " + schema + ": " + e.getMessage(), e);
        }
    }

    /** @return a connection to the database the container datasource uses (as its yaml defaults) */
    static Connection connect() throws SQLException {
        String url = "jdbc:postgresql://" + env("AGENTSTORE_DB_HOST", "localhost") + ":" + env("AGENTSTORE_DB_PORT", "5432")
                + "/" + env("AGENTSTORE_DB_NAME", "agentstore");
        return DriverManager.getConnection(url, env("AGENTSTORE_DB_USER", "agentstore"),
                env("AGENTSTORE_DB_PASSWORD", "agentstore"));
    }

    private static String env(String name, String fallback) {
        return Objects.requireNonNullElse(System.getenv(name), fallback);
    }
}
