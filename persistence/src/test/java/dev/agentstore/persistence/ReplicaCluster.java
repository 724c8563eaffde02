package dev.agentstore.persistence;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;

/**
 * The primary (port 5442) and streaming replica (port 5443) that {@code scripts/setup-replica.sh} creates and starts,
 * for the read-replica tests: {@link #up()} runs the script (idempotent), {@link #stopReplica()} and
 * {@link #startReplica()} run its commands of those names, and {@link #superuserSql} runs SQL as the clusters'
 * superuser (trust on 127.0.0.1). The machine's main cluster (5432) is not touched. Tests are skipped, saying why,
 * only when PostgreSQL 15's server programs are not installed. Stateless.
 */
final class ReplicaCluster {

    static final String PRIMARY_URL = "jdbc:postgresql://127.0.0.1:5442/agentstore";
    static final String REPLICA_URL = "jdbc:postgresql://127.0.0.1:5443/agentstore";
    private static final Path SCRIPT = locateScript();

    private ReplicaCluster() {
    }

    /** Runs {@code setup-replica.sh up}; skips the test when PostgreSQL 15's server programs are missing. */
    static void up() {
        Assumptions.assumeTrue(Files.isExecutable(LocalCluster.BIN.resolve("pg_basebackup")),
                "read-replica tests skipped: " + LocalCluster.BIN + "/pg_basebackup is not installed"
                        + " (apt-get install postgresql-15)");
        run("up");
    }

    static void stopReplica() {
        run("stop-replica");
    }

    static void startReplica() {
        run("start-replica");
    }

    /**
     * @param url a JDBC URL of the primary or the replica
     * @param sql one statement
     * @return the first column of the first row, as text, or {@code null} when there is none
     */
    static String superuserSql(String url, String sql) {
        try (Connection c = DriverManager.getConnection(url, "postgres", "");
             Statement st = c.createStatement()) {
            if (!st.execute(sql)) {
                return null;
            }
            try (ResultSet rs = st.getResultSet()) {
                return rs.next() ? rs.getString(1) : null;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(sql + " on " + url + ": " + e.getMessage(), e);
        }
    }

    private static void run(String command) {
        try {
            Process p = new ProcessBuilder(SCRIPT.toString(), command).redirectErrorStream(true).start();
            boolean done = p.waitFor(180, TimeUnit.SECONDS);
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!done) {
                p.destroyForcibly();
                throw new IllegalStateException(SCRIPT + " " + command + " did not finish within 180 s:\n" + out);
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(SCRIPT + " " + command + " exited " + p.exitValue() + ":\n" + out);
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + SCRIPT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + SCRIPT, e);
        }
    }

    private static Path locateScript() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path script = dir.resolve("scripts/setup-replica.sh");
            if (Files.isRegularFile(script)) {
                return script;
            }
        }
        throw new IllegalStateException("scripts/setup-replica.sh not found above " + Path.of("").toAbsolutePath());
    }
}
