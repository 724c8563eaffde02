package dev.agentstore.cli;

import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.migrations.Migrations;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreConfig;
import dev.agentstore.persistence.ConnectionCheck;
import dev.agentstore.persistence.ConnectionCheck.ConnectionCheckException;

/**
 * Connects the CLI to PostgreSQL, turning the usual failures into {@link CliException}s with an exit code and a hint:
 * server unreachable, login refused or database missing ({@link ExitCodes#DB_UNREACHABLE}, the URL shown without the
 * password), pgvector missing ({@link ExitCodes#EXTENSION_MISSING}), migration failure ({@link ExitCodes#SCHEMA}).
 * The checks are the library's {@link ConnectionCheck}.
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
        try {
            ConnectionCheck.check(config, needVector);
        } catch (ConnectionCheckException e) {
            throw explain(config, e);
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
     * Runs {@link #preflight} (without pgvector) and returns the schema's migrations, which connect on their own.
     *
     * @param config the settings
     * @return the migrations of {@code config}'s schema
     */
    public static Migrations migrations(AgentStoreConfig config) {
        preflight(config, false);
        return AgentStore.migrations(config);
    }

    /**
     * @param config the settings
     * @return {@code url as user}, never the password
     */
    public static String describe(AgentStoreConfig config) {
        return config.jdbcUrl() + config.user().map(u -> " as user " + u).orElse("");
    }

    private static CliException explain(AgentStoreConfig config, ConnectionCheckException e) {
        String where = describe(config);
        return switch (e.problem()) {
            case LOGIN_REFUSED -> new CliException(ExitCodes.DB_UNREACHABLE,
                    "PostgreSQL refused the login to " + where + ": " + e.getMessage(),
                    "check the user and password (--user, AGENTSTORE_DB_USER, AGENTSTORE_DB_PASSWORD or the --config file)", e);
            case DATABASE_MISSING -> new CliException(ExitCodes.DB_UNREACHABLE, "the database does not exist: " + where,
                    "create it (scripts/setup-postgres.sh creates database 'agentstore') or name another with --database / AGENTSTORE_DB_NAME", e);
            case UNREACHABLE -> new CliException(ExitCodes.DB_UNREACHABLE, "cannot reach PostgreSQL at " + where + ": " + e.getMessage(),
                    "is the server running and accepting TCP connections? scripts/setup-postgres.sh starts and prepares a"
                            + " local one; otherwise point --url or AGENTSTORE_DB_URL (or --host/--port) at your server", e);
            case VECTOR_NOT_AVAILABLE -> new CliException(ExitCodes.EXTENSION_MISSING,
                    "the pgvector extension is not installed on the server of " + where,
                    "install it: scripts/setup-postgres.sh builds and installs it, or apt-get install"
                            + " postgresql-15-pgvector; then run CREATE EXTENSION vector in the database", null);
            case VECTOR_NOT_CREATED -> new CliException(ExitCodes.EXTENSION_MISSING,
                    "the pgvector extension is installed but not created in " + where
                            + ", and this user may not create it: " + e.getMessage(),
                    "as a superuser, run CREATE EXTENSION vector; in that database (scripts/setup-postgres.sh does)", e);
            case OTHER -> new CliException(ExitCodes.FAILURE, "database error on " + where + ": " + e.getMessage(), null, e);
        };
    }
}
