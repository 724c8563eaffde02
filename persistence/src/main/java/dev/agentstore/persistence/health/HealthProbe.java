package dev.agentstore.persistence.health;

import dev.agentstore.migrations.MigrationException;
import dev.agentstore.migrations.Migrations;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Checks the database behind a {@link DataSource}: the one way {@code AgentStore.health()}, the CLI's
 * {@code agentstore health} and a container's health check (the WildFly example's MicroProfile Health check) find
 * out whether agentstore can work. Never throws for a database failure: that is the answer, {@link StoreHealth.Status#DOWN}.
 *
 * <p>Cost: one pool connection for one read-only statement ({@code pg_is_in_recovery()}, the replay position, the
 * {@code vector} extension's version), then Liquibase's status read of the changelog against the schema's
 * {@code databasechangelog} table (a second connection, tens of milliseconds; no lock taken, nothing written). Waits
 * for a connection at most as long as the pool's connection timeout. Thread-safe: it keeps no state.
 */
public final class HealthProbe {

    private static final String SERVER = """
            SELECT pg_is_in_recovery() AS replica,
                   CASE WHEN NOT pg_is_in_recovery() THEN NULL
                        WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                        ELSE (EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000)::bigint
                   END AS lag_ms,
                   (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS vector""";

    private HealthProbe() {
    }

    /**
     * @param dataSource where connections come from (the store's pool, or the container's datasource)
     * @param schema     the schema holding agentstore's tables, whose migrations are checked
     * @param pool       the pool's connections now, {@code null} when not known; callers waiting for a connection
     *                   make the result {@link StoreHealth.Status#DEGRADED}
     * @return the health: DOWN when the statement could not run (the problem says why, with the driver's message),
     *         DEGRADED when migrations are pending or unreadable, pgvector is not created, or callers wait on the
     *         pool; else UP
     */
    public static StoreHealth check(DataSource dataSource, String schema, PoolSaturation pool) {
        Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(schema, "schema");
        Server server;
        try {
            server = Jdbi.create(dataSource).withHandle(h -> h.createQuery(SERVER).map(HealthProbe::server).one());
        } catch (RuntimeException e) {
            return new StoreHealth(StoreHealth.Status.DOWN, StoreHealth.Role.UNKNOWN, null, pool, -1, null,
                    List.of("no connection: " + rootMessage(e)));
        }
        List<String> problems = new ArrayList<>();
        int pending = pendingMigrations(dataSource, schema, problems);
        if (server.vector() == null) {
            problems.add("the vector extension (pgvector) is not created in the database");
        }
        if (pool != null && pool.waiting() > 0) {
            problems.add(pool.waiting() + " caller(s) waiting for a pool connection (" + pool.active() + " of "
                    + pool.max() + " in use)");
        }
        return new StoreHealth(problems.isEmpty() ? StoreHealth.Status.UP : StoreHealth.Status.DEGRADED,
                server.replica() ? StoreHealth.Role.REPLICA : StoreHealth.Role.PRIMARY, server.lag(), pool, pending,
                server.vector(), problems);
    }

    private static int pendingMigrations(DataSource dataSource, String schema, List<String> problems) {
        try {
            int pending = new Migrations(dataSource, schema).status().size();
            if (pending > 0) {
                problems.add(pending + " migration change set(s) pending in schema " + schema);
            }
            return pending;
        } catch (MigrationException | IllegalArgumentException e) {
            problems.add("migration status unreadable: " + rootMessage(e));
            return -1;
        }
    }

    private static Server server(ResultSet rs, StatementContext ctx) throws SQLException {
        long lagMs = rs.getLong("lag_ms");
        Duration lag = rs.wasNull() ? null : Duration.ofMillis(lagMs);
        return new Server(rs.getBoolean("replica"), lag, rs.getString("vector"));
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }

    private record Server(boolean replica, Duration lag, String vector) {
    }
}
