package dev.agentstore.cli;

import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreConfig;
import org.postgresql.ds.PGSimpleDataSource;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * Connects the CLI to PostgreSQL, turning the usual failures into {@link CliException}s with an exit code and a hint:
 * server unreachable, login refused or database missing ({@link ExitCodes#DB_UNREACHABLE}, the URL shown without the
 * password), pgvector missing ({@link ExitCodes#EXTENSION_MISSING}), migration failure ({@link ExitCodes#SCHEMA}).
 */
public final class Database {

    private Database() {
    }

    /**
     * Checks that the database accepts a login, then (when {@code needVector}) that pgvector is usable.
     *
     * @param config     the settings
     * @param needVector whether the command needs the {@code vector} extension
     * @throws CliException when not
     */
    public static void preflight(AgentStoreConfig config, boolean needVector) {
        try (Connection c = simpleDataSource(config).getConnection()) {
            if (needVector) {
                checkVector(c, config);
            }
        } catch (SQLException e) {
            throw unreachable(config, e);
        }
    }

    /**
     * Runs {@link #preflight} and opens the store (applying migrations when the config says so).
     *
     * @param config     the settings
     * @param needVector whether the command needs pgvector
     * @return the open store
     */
    public static AgentStore open(AgentStoreConfig config, boolean needVector) {
        preflight(config, needVector);
        try {
            return AgentStore.open(config);
        } catch (AgentStoreException e) {
            String m = e.getMessage() == null ? "" : e.getMessage();
            if (m.startsWith("could not connect")) {
                throw new CliException(ExitCodes.DB_UNREACHABLE, m, null, e);
            }
            throw new CliException(ExitCodes.SCHEMA, m,
                    "run `agentstore migrate status` to see the schema's state; `agentstore migrate up` applies migrations", e);
        }
    }

    /**
     * @param config the settings
     * @return an unpooled data source for short tasks (migrations, stats), with the schema first on the search_path
     */
    public static DataSource simpleDataSource(AgentStoreConfig config) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(config.jdbcUrl());
        config.user().ifPresent(ds::setUser);
        config.password().ifPresent(ds::setPassword);
        ds.setCurrentSchema(config.schema().equals("public") ? "public" : config.schema() + ",public");
        ds.setApplicationName("agentstore-cli");
        ds.setLogServerErrorDetail(false);
        ds.setConnectTimeout(10);
        return ds;
    }

    /**
     * @param config the settings
     * @return {@code url as user}, never the password
     */
    public static String describe(AgentStoreConfig config) {
        return config.jdbcUrl() + config.user().map(u -> " as user " + u).orElse("");
    }

    static CliException unreachable(AgentStoreConfig config, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String where = describe(config);
        if (state.equals("28P01") || state.equals("28000")) {
            return new CliException(ExitCodes.DB_UNREACHABLE, "PostgreSQL refused the login to " + where + ": " + e.getMessage(),
                    "check the user and password (--user, AGENTSTORE_DB_USER, AGENTSTORE_DB_PASSWORD or the --config file)", e);
        }
        if (state.equals("3D000")) {
            return new CliException(ExitCodes.DB_UNREACHABLE, "the database does not exist: " + where,
                    "create it (scripts/setup-postgres.sh creates database 'agentstore') or name another with --database / AGENTSTORE_DB_NAME", e);
        }
        if (state.startsWith("08") || hasCause(e, ConnectException.class) || hasCause(e, UnknownHostException.class)) {
            return new CliException(ExitCodes.DB_UNREACHABLE, "cannot reach PostgreSQL at " + where + ": " + e.getMessage(),
                    "is the server running and accepting TCP connections? scripts/setup-postgres.sh starts and prepares a"
                            + " local one; otherwise point --url or AGENTSTORE_DB_URL (or --host/--port) at your server", e);
        }
        return new CliException(ExitCodes.FAILURE, "database error on " + where + ": " + e.getMessage(), null, e);
    }

    private static void checkVector(Connection c, AgentStoreConfig config) throws SQLException {
        try (Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT 1 FROM pg_extension WHERE extname = 'vector'")) {
                if (rs.next()) {
                    return;
                }
            }
            boolean available;
            try (ResultSet rs = st.executeQuery("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")) {
                available = rs.next();
            }
            if (!available) {
                throw new CliException(ExitCodes.EXTENSION_MISSING,
                        "the pgvector extension is not installed on the server of " + describe(config),
                        "install it: scripts/setup-postgres.sh builds and installs it, or apt-get install"
                                + " postgresql-15-pgvector; then run CREATE EXTENSION vector in the database", null);
            }
            try {
                st.execute("CREATE EXTENSION IF NOT EXISTS vector");
            } catch (SQLException e) {
                throw new CliException(ExitCodes.EXTENSION_MISSING,
                        "the pgvector extension is installed but not created in " + describe(config)
                                + ", and this user may not create it: " + e.getMessage(),
                        "as a superuser, run CREATE EXTENSION vector; in that database (scripts/setup-postgres.sh does)", e);
            }
        }
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
