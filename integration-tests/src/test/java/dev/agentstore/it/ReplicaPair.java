package dev.agentstore.it;

import org.postgresql.ds.PGSimpleDataSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The integration tests' database: a primary and its streaming replica of their own, created and started by
 * {@code scripts/setup-replica.sh} with the {@code AGENTSTORE_REPLICA_*} variables of this module's build (database
 * {@code agentstore_it}, ports 5444 and 5445, under {@code /var/tmp/agentstore-replica-it}; see
 * {@code integration-tests/pom.xml}). WildFly's {@code AgentStoreDS} points at the primary and
 * {@code AgentStoreReplicaDS} at the replica (then the primary) through the same environment, which the server
 * inherits: usable from the test JVM and from inside the server. Stateless.
 */
final class ReplicaPair {

    private ReplicaPair() {
    }

    /** Runs {@code setup-replica.sh up}: creates what is missing, starts what is stopped (idempotent). */
    static void up() {
        run("up");
    }

    /** Stops the replica ({@code pg_ctl stop -m fast}): its connections break, new ones are refused. */
    static void stopReplica() {
        run("stop-replica");
    }

    /** Starts the replica again. */
    static void startReplica() {
        run("start-replica");
    }

    /** @return the primary's port, {@code AGENTSTORE_DB_PORT} */
    static int primaryPort() {
        return Integer.parseInt(env("AGENTSTORE_DB_PORT", "5432"));
    }

    /** @return the replica's port, {@code AGENTSTORE_DB_REPLICA_PORT} */
    static int replicaPort() {
        return Integer.parseInt(env("AGENTSTORE_DB_REPLICA_PORT", "5432"));
    }

    /**
     * Runs one statement as the clusters' superuser {@code postgres} (trust on 127.0.0.1).
     *
     * @param port     {@link #primaryPort()} or {@link #replicaPort()}
     * @param database the database to connect to
     * @param sql      one statement
     * @return the first column of the first row as text, {@code null} when there is none
     */
    static String superuserSql(int port, String database, String sql) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setServerNames(new String[]{"127.0.0.1"});
        ds.setPortNumbers(new int[]{port});
        ds.setDatabaseName(database);
        ds.setUser("postgres");
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            if (!st.execute(sql)) {
                return null;
            }
            try (ResultSet rs = st.getResultSet()) {
                return rs.next() ? rs.getString(1) : null;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(sql + " on port " + port + ": " + e.getMessage(), e);
        }
    }

    /**
     * Waits until the replica has replayed all WAL the primary has written so far.
     *
     * @throws AssertionError when it has not within 30 s
     */
    static void awaitReplayed() throws InterruptedException {
        String db = env("AGENTSTORE_DB_NAME", "agentstore");
        String lsn = superuserSql(primaryPort(), db, "SELECT pg_current_wal_lsn()");
        for (int i = 0; i < 300; i++) {
            if ("t".equals(superuserSql(replicaPort(), db, "SELECT pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn"))) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the replica did not replay up to " + lsn + " within 30 s");
    }

    private static void run(String command) {
        Path script = script();
        try {
            Process p = new ProcessBuilder(script.toString(), command).redirectErrorStream(true).start();
            boolean done = p.waitFor(180, TimeUnit.SECONDS);
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!done) {
                p.destroyForcibly();
                throw new IllegalStateException(script + " " + command + " did not finish within 180 s:\n" + out);
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(script + " " + command + " exited " + p.exitValue() + ":\n" + out);
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + script, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + script, e);
        }
    }

    /** The script, above the working directory (the test JVM) or above {@code jboss.home.dir} (inside the server). */
    private static Path script() {
        for (String start : new String[]{System.getProperty("jboss.home.dir"), ""}) {
            if (start == null) {
                continue;
            }
            for (Path dir = Path.of(start).toAbsolutePath(); dir != null; dir = dir.getParent()) {
                Path script = dir.resolve("scripts/setup-replica.sh");
                if (Files.isRegularFile(script)) {
                    return script;
                }
            }
        }
        throw new IllegalStateException("scripts/setup-replica.sh not found above " + Path.of("").toAbsolutePath());
    }

    private static String env(String name, String fallback) {
        return Objects.requireNonNullElse(System.getenv(name), fallback);
    }
}
