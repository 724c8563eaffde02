package dev.agentstore.cli;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.persistence.AgentStoreConfig;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Database connection options shared by every command. Precedence, lowest first: built-in defaults (the local
 * database that {@code scripts/setup-postgres.sh} prepares: 127.0.0.1:5432, database, user and password
 * {@code agentstore}, schema {@code agentstore}), a properties file ({@code --config}, keys {@code url host port
 * database user password sslmode schema}), the {@code AGENTSTORE_DB_*} environment variables, then these flags.
 */
public final class ConnectionOptions {

    /** The default schema of the CLI. */
    public static final String DEFAULT_SCHEMA = "agentstore";

    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with url, host, port, database, user, password, sslmode, schema.")
    Path config;

    @Option(names = "--url", paramLabel = "URL", description = "JDBC URL (jdbc:postgresql://host:5432/db) or postgres:// DSN.")
    String url;

    @Option(names = {"-H", "--host"}, description = "Database host (default 127.0.0.1).")
    String host;

    @Option(names = {"-p", "--port"}, description = "Database port (default 5432).")
    Integer port;

    @Option(names = {"-d", "--database"}, description = "Database name (default agentstore).")
    String database;

    @Option(names = {"-U", "--user"}, description = "Database user (default agentstore).")
    String user;

    @Option(names = "--password", description = "Database password (prefer AGENTSTORE_DB_PASSWORD or the config file).", arity = "0..1", interactive = true)
    String password;

    @Option(names = {"-s", "--schema"}, description = "Schema holding agentstore's tables (default agentstore).")
    String schema;

    /**
     * @param env         the environment
     * @param autoMigrate whether opening the store applies pending migrations
     * @return the resolved configuration
     * @throws CliException when the config file cannot be read or a setting is invalid (exit {@link ExitCodes#USAGE})
     */
    public AgentStoreConfig toConfig(Map<String, String> env, boolean autoMigrate) {
        Map<String, String> layered = new HashMap<>();
        layered.put("AGENTSTORE_DB_HOST", "127.0.0.1");
        layered.put("AGENTSTORE_DB_PORT", "5432");
        layered.put("AGENTSTORE_DB_NAME", "agentstore");
        layered.put("AGENTSTORE_DB_USER", "agentstore");
        layered.put("AGENTSTORE_DB_PASSWORD", "agentstore");
        layered.put("AGENTSTORE_DB_SCHEMA", DEFAULT_SCHEMA);
        if (config != null) {
            layered.putAll(readConfigFile(config));
        }
        env.forEach((k, v) -> {
            if (k.startsWith("AGENTSTORE_DB_") && v != null && !v.isBlank()) {
                layered.put(k, v);
            }
        });
        if (url != null) {
            layered.put("AGENTSTORE_DB_URL", url);
        }
        putIf(layered, "AGENTSTORE_DB_HOST", host);
        putIf(layered, "AGENTSTORE_DB_PORT", port == null ? null : port.toString());
        putIf(layered, "AGENTSTORE_DB_NAME", database);
        putIf(layered, "AGENTSTORE_DB_USER", user);
        putIf(layered, "AGENTSTORE_DB_PASSWORD", password);
        putIf(layered, "AGENTSTORE_DB_SCHEMA", schema);
        try {
            return AgentStoreConfig.builder().applyEnvironment(layered).poolMaxSize(8).poolMinIdle(0)
                    .autoMigrate(autoMigrate).build();
        } catch (InvalidInputException e) {
            throw new CliException(ExitCodes.USAGE, "invalid connection setting: " + e.getMessage(),
                    "check --url/--host/--port/--database/--user/--schema, AGENTSTORE_DB_* and the --config file", e);
        }
    }

    private static void putIf(Map<String, String> m, String key, String value) {
        if (value != null && !value.isBlank()) {
            m.put(key, value);
        }
    }

    private static Map<String, String> readConfigFile(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "cannot read config file " + file + ": " + e.getMessage(),
                    "pass a readable properties file with keys url, host, port, database, user, password, sslmode, schema", e);
        }
        Map<String, String> out = new HashMap<>();
        for (String key : p.stringPropertyNames()) {
            String k = key.trim().toLowerCase(Locale.ROOT);
            String env = switch (k) {
                case "url", "host", "port", "user", "password", "sslmode", "schema" -> "AGENTSTORE_DB_" + k.toUpperCase(Locale.ROOT);
                case "database", "name" -> "AGENTSTORE_DB_NAME";
                default -> throw new CliException(ExitCodes.USAGE, "unknown key '" + key + "' in config file " + file,
                        "use url, host, port, database, user, password, sslmode or schema", null);
            };
            out.put(env, p.getProperty(key).trim());
        }
        return out;
    }
}
