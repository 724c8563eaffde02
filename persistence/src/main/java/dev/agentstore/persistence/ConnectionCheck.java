package dev.agentstore.persistence;

import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.persistence.health.HealthProbe;
import dev.agentstore.persistence.health.PoolSaturation;
import dev.agentstore.persistence.health.StoreHealth;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Checks, before a store is opened, that the database accepts the configured login and, when asked, that the
 * {@code vector} extension (pgvector) is usable in it; a failure says why in a {@link Problem}, so that a tool can
 * explain it to its user ({@code agentstore} prints a hint per problem and exits with a code per problem).
 *
 * <p>Opens one connection with the store's connection settings ({@link AgentStore#open(AgentStoreConfig)}'s, TLS and
 * timeouts included) and closes it. Thread-safe: it keeps no state.
 */
public final class ConnectionCheck {

    /** Why a check failed. */
    public enum Problem {
        /** The server refused the login: unknown user or wrong password (SQLSTATE 28000, 28P01). */
        LOGIN_REFUSED,
        /** The database named in the URL does not exist (SQLSTATE 3D000). */
        DATABASE_MISSING,
        /** No connection: the host is unknown, nothing listens at the port, or the connection broke (class 08). */
        UNREACHABLE,
        /** pgvector is not installed on the server ({@code pg_available_extensions} has no {@code vector}). */
        VECTOR_NOT_AVAILABLE,
        /** pgvector is installed on the server but not created in the database, and this user could not create it. */
        VECTOR_NOT_CREATED,
        /** Any other database error. */
        OTHER
    }

    /** A failed check: the {@link Problem}, and the server's or driver's message with every secret masked. */
    public static final class ConnectionCheckException extends AgentStoreException {

        private final Problem problem;

        ConnectionCheckException(Problem problem, String message, Throwable cause) {
            super(message, cause);
            this.problem = problem;
        }

        /** @return why the check failed */
        public Problem problem() {
            return problem;
        }
    }

    private ConnectionCheck() {
    }

    /**
     * Connects once; with {@code vector}, also makes sure the {@code vector} extension exists in the database,
     * creating it ({@code CREATE EXTENSION IF NOT EXISTS vector}) when the server has it and it is missing.
     *
     * @param config the settings
     * @param vector whether the {@code vector} extension is needed
     * @throws ConnectionCheckException when the login fails or the extension is not usable; its message is the
     *                                  server's or driver's (secrets masked, see {@link AgentStoreConfig}), without
     *                                  the URL, which the caller knows
     */
    public static void check(AgentStoreConfig config, boolean vector) {
        Objects.requireNonNull(config, "config");
        try (Connection c = StoreBootstrap.driverDataSource(config).getConnection()) {
            if (vector) {
                requireVector(c, config);
            }
        } catch (SQLException e) {
            throw new ConnectionCheckException(problem(e), config.connection().redact(e.getMessage()), e);
        }
    }

    /**
     * Checks the health of {@code config}'s database and schema without opening a store (no pool, no Hibernate):
     * {@link HealthProbe#check} over connections opened one at a time with the store's connection settings.
     *
     * @param config the settings
     * @return the health, without pool figures; never throws for a database failure, which is
     *         {@link StoreHealth.Status#DOWN}; the problems have every secret masked
     */
    public static StoreHealth health(AgentStoreConfig config) {
        Objects.requireNonNull(config, "config");
        return health(config, StoreBootstrap.driverDataSource(config), null);
    }

    /** {@link HealthProbe#check} with the problems' secrets masked; {@code pool} may be {@code null}. */
    static StoreHealth health(AgentStoreConfig config, DataSource dataSource, PoolSaturation pool) {
        StoreHealth h = HealthProbe.check(dataSource, config.schema(), pool);
        return new StoreHealth(h.status(), h.role(), h.replayLag(), h.pool(), h.pendingMigrations(),
                h.pgvectorVersion(), h.problems().stream().map(config.connection()::redact).toList());
    }

    private static void requireVector(Connection c, AgentStoreConfig config) throws SQLException {
        try (Statement st = c.createStatement()) {
            if (exists(st, "SELECT 1 FROM pg_extension WHERE extname = 'vector'")) {
                return;
            }
            if (!exists(st, "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")) {
                throw new ConnectionCheckException(Problem.VECTOR_NOT_AVAILABLE,
                        "the pgvector extension is not installed on the server", null);
            }
            try {
                st.execute("CREATE EXTENSION IF NOT EXISTS vector");
            } catch (SQLException e) {
                throw new ConnectionCheckException(Problem.VECTOR_NOT_CREATED, config.connection().redact(e.getMessage()), e);
            }
        }
    }

    private static boolean exists(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            return rs.next();
        }
    }

    private static Problem problem(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.equals("28P01") || state.equals("28000")) {
            return Problem.LOGIN_REFUSED;
        }
        if (state.equals("3D000")) {
            return Problem.DATABASE_MISSING;
        }
        if (state.startsWith("08") || hasCause(e, ConnectException.class) || hasCause(e, UnknownHostException.class)) {
            return Problem.UNREACHABLE;
        }
        return Problem.OTHER;
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}
