package dev.agentstore.persistence;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.JsonLimits;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * Reads the {@code AGENTSTORE_*} variables of {@link AgentStoreConfig}'s table into a builder: absent or empty
 * variables leave a setting as it is, values are trimmed, and a value that does not parse fails naming the variable.
 * Stateless.
 */
final class EnvironmentVariables {

    /** The durations, each an integer number of milliseconds, and the builder setting each one sets. */
    private static final Map<String, BiConsumer<AgentStoreConfig.Builder, Duration>> MILLISECONDS = Map.of(
            "AGENTSTORE_DB_CONNECT_TIMEOUT_MS", AgentStoreConfig.Builder::connectTimeout,
            "AGENTSTORE_DB_SOCKET_TIMEOUT_MS", AgentStoreConfig.Builder::socketTimeout,
            "AGENTSTORE_DB_STATEMENT_TIMEOUT_MS", AgentStoreConfig.Builder::statementTimeout,
            "AGENTSTORE_DB_LOCK_TIMEOUT_MS", AgentStoreConfig.Builder::lockTimeout,
            "AGENTSTORE_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", AgentStoreConfig.Builder::idleInTransactionSessionTimeout,
            "AGENTSTORE_POOL_CONNECTION_TIMEOUT_MS", AgentStoreConfig.Builder::poolConnectionTimeout,
            "AGENTSTORE_DB_REPLICA_MAX_LAG_MS", AgentStoreConfig.Builder::replicaMaxLag);

    private EnvironmentVariables() {
    }

    /** See {@link AgentStoreConfig.Builder#applyEnvironment(Map)}. */
    static void apply(AgentStoreConfig.Builder b, Map<String, String> env) {
        value(env, "AGENTSTORE_DB_URL").ifPresent(b::url);
        value(env, "AGENTSTORE_DB_HOST").ifPresent(b::host);
        value(env, "AGENTSTORE_DB_PORT").ifPresent(v -> b.port(parseInt("AGENTSTORE_DB_PORT", v)));
        value(env, "AGENTSTORE_DB_NAME").ifPresent(b::database);
        value(env, "AGENTSTORE_DB_USER").ifPresent(b::user);
        value(env, "AGENTSTORE_DB_PASSWORD").ifPresent(b::password);
        value(env, "AGENTSTORE_DB_SSLMODE").ifPresent(v -> b.sslMode(SslMode.parse("AGENTSTORE_DB_SSLMODE", v)));
        MILLISECONDS.forEach((name, setter) -> value(env, name).ifPresent(v -> setter.accept(b, parseMillis(name, v))));
        value(env, "AGENTSTORE_DB_SCHEMA").ifPresent(b::schema);
        value(env, "AGENTSTORE_DB_REPLICA_URLS").ifPresent(v -> b.replicaUrls(v.split("\\s+")));
        value(env, "AGENTSTORE_VECTOR_SCHEMA").ifPresent(b::vectorSchema);
        value(env, "AGENTSTORE_DB_POOLER_MODE").ifPresent(v -> b.poolerMode(
                PoolerMode.parse("AGENTSTORE_DB_POOLER_MODE", v)));
        value(env, "AGENTSTORE_DB_DIRECT_URL").ifPresent(b::directUrl);
        value(env, "AGENTSTORE_POOL_MAX_SIZE").ifPresent(v -> b.poolMaxSize(parseInt("AGENTSTORE_POOL_MAX_SIZE", v)));
        value(env, "AGENTSTORE_POOL_MIN_IDLE").ifPresent(v -> b.poolMinIdle(parseInt("AGENTSTORE_POOL_MIN_IDLE", v)));
        value(env, "AGENTSTORE_AUTO_MIGRATE").ifPresent(v -> b.autoMigrate(
                parseBoolean("AGENTSTORE_AUTO_MIGRATE", v)));
        b.indexOptions(b.indexOptions.applyEnvironment(env));
        value(env, "AGENTSTORE_CONFIG_CACHE_MAX_SIZE").ifPresent(v -> b.configCacheMaxSize(
                parseInt("AGENTSTORE_CONFIG_CACHE_MAX_SIZE", v)));
        value(env, "AGENTSTORE_CONFIG_CACHE_TTL_SECONDS").ifPresent(v -> b.configCacheTtl(Duration.ofSeconds(
                parseInt("AGENTSTORE_CONFIG_CACHE_TTL_SECONDS", v))));
        for (String property : JsonLimits.DEFAULTS.toProperties().keySet()) {
            String name = "AGENTSTORE_JSON_" + property.substring("agentstore.json.".length()).replace('-', '_')
                    .toUpperCase(Locale.ROOT);
            value(env, name).ifPresent(v -> b.jsonLimits.put(property, parseInt(name, v)));
        }
    }

    private static Optional<String> value(Map<String, String> env, String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }

    private static int parseInt(String name, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new InvalidInputException(name + " must be an integer, was " + Check.describe(value));
        }
    }

    private static Duration parseMillis(String name, String value) {
        try {
            return Duration.ofMillis(Long.parseLong(value));
        } catch (NumberFormatException e) {
            throw new InvalidInputException(name + " must be an integer number of milliseconds, was "
                    + Check.describe(value));
        }
    }

    private static boolean parseBoolean(String name, String value) {
        if (value.equalsIgnoreCase("true")) {
            return true;
        }
        if (value.equalsIgnoreCase("false")) {
            return false;
        }
        throw new InvalidInputException(name + " must be true or false, was " + Check.describe(value));
    }
}
