package dev.agentstore.persistence;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.JsonLimits;
import dev.agentstore.migrations.SchemaNames;
import dev.agentstore.persistence.configuration.ConfigurationCache;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Connection and behaviour settings of a standalone {@link AgentStore}. Immutable; build one with
 * {@link #builder()} or read it from the environment with {@link #fromEnvironment()}.
 *
 * <p>The database is given either as a URL ({@link Builder#url(String)}: a JDBC URL
 * {@code jdbc:postgresql://host:5432/db} or a DSN {@code postgres://user:password@host:5432/db?sslmode=require})
 * or as discrete host, port, database, user and password. A URL wins over discrete host, port and database.
 *
 * <table>
 * <caption>Settings, defaults and environment variables</caption>
 * <tr><th>setting</th><th>default</th><th>environment variable</th></tr>
 * <tr><td>url</td><td>none</td><td>{@code AGENTSTORE_DB_URL}</td></tr>
 * <tr><td>host</td><td>{@code localhost}</td><td>{@code AGENTSTORE_DB_HOST}</td></tr>
 * <tr><td>port</td><td>{@code 5432}</td><td>{@code AGENTSTORE_DB_PORT}</td></tr>
 * <tr><td>database</td><td>none (required without url)</td><td>{@code AGENTSTORE_DB_NAME}</td></tr>
 * <tr><td>user</td><td>none (required unless in the url)</td><td>{@code AGENTSTORE_DB_USER}</td></tr>
 * <tr><td>password</td><td>none</td><td>{@code AGENTSTORE_DB_PASSWORD}</td></tr>
 * <tr><td>sslMode</td><td>the driver's ({@code prefer})</td><td>{@code AGENTSTORE_DB_SSLMODE}</td></tr>
 * <tr><td>schema</td><td>{@code public}</td><td>{@code AGENTSTORE_DB_SCHEMA}</td></tr>
 * <tr><td>poolMaxSize</td><td>10</td><td>{@code AGENTSTORE_POOL_MAX_SIZE}</td></tr>
 * <tr><td>poolMinIdle</td><td>2</td><td>{@code AGENTSTORE_POOL_MIN_IDLE}</td></tr>
 * <tr><td>autoMigrate</td><td>{@code true}</td><td>{@code AGENTSTORE_AUTO_MIGRATE}</td></tr>
 * <tr><td>configCacheMaxSize (entries)</td><td>1000</td><td>{@code AGENTSTORE_CONFIG_CACHE_MAX_SIZE}</td></tr>
 * <tr><td>configCacheTtl</td><td>600 s</td><td>{@code AGENTSTORE_CONFIG_CACHE_TTL_SECONDS} (seconds)</td></tr>
 * <tr><td>jsonLimits</td><td>{@link JsonLimits#DEFAULTS}</td><td>{@code AGENTSTORE_JSON_MAX_STRING_LENGTH},
 *     {@code _NUMBER_LENGTH}, {@code _NAME_LENGTH}, {@code _NESTING_DEPTH}, {@code _DOCUMENT_LENGTH}</td></tr>
 * </table>
 *
 * <p>The password is never part of {@link #toString()} or of any exception message.
 */
public final class AgentStoreConfig {

    /** Default PostgreSQL port. */
    public static final int DEFAULT_PORT = 5432;
    /** Default pool maximum size (connections). */
    public static final int DEFAULT_POOL_MAX_SIZE = 10;
    /** Default pool minimum idle connections. */
    public static final int DEFAULT_POOL_MIN_IDLE = 2;
    /** Default schema. */
    public static final String DEFAULT_SCHEMA = "public";

    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final SslMode sslMode;
    private final String schema;
    private final int poolMaxSize;
    private final int poolMinIdle;
    private final boolean autoMigrate;
    private final Clock clock;
    private final long configCacheMaxSize;
    private final Duration configCacheTtl;
    private final JsonLimits jsonLimits;

    private AgentStoreConfig(String jdbcUrl, String user, String password, SslMode sslMode, String schema,
                             int poolMaxSize, int poolMinIdle, boolean autoMigrate, Clock clock,
                             long configCacheMaxSize, Duration configCacheTtl, JsonLimits jsonLimits) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        this.sslMode = sslMode;
        this.schema = schema;
        this.poolMaxSize = poolMaxSize;
        this.poolMinIdle = poolMinIdle;
        this.autoMigrate = autoMigrate;
        this.clock = clock;
        this.configCacheMaxSize = configCacheMaxSize;
        this.configCacheTtl = configCacheTtl;
        this.jsonLimits = jsonLimits;
    }

    /** @return a builder with every setting at its default */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads the settings from the process environment ({@code AGENTSTORE_*} variables, see the table above).
     *
     * @return the configuration
     * @throws InvalidInputException when a variable is invalid or a required one is missing; the message names it
     */
    public static AgentStoreConfig fromEnvironment() {
        return builder().applyEnvironment(System.getenv()).build();
    }

    /** @return the JDBC URL the pool connects to, without user or password */
    public String jdbcUrl() {
        return jdbcUrl;
    }

    /** @return the database user, if set outside the URL */
    public Optional<String> user() {
        return Optional.ofNullable(user);
    }

    /** @return the password, if set; never logged */
    public Optional<String> password() {
        return Optional.ofNullable(password);
    }

    /** @return the TLS mode, if set; empty means the driver's default ({@code prefer}) or what the URL says */
    public Optional<SslMode> sslMode() {
        return Optional.ofNullable(sslMode);
    }

    /** @return the schema holding agentstore's tables */
    public String schema() {
        return schema;
    }

    /** @return the pool's maximum number of connections */
    public int poolMaxSize() {
        return poolMaxSize;
    }

    /** @return the pool's minimum number of idle connections */
    public int poolMinIdle() {
        return poolMinIdle;
    }

    /** @return whether {@link AgentStore#open(AgentStoreConfig)} applies pending migrations */
    public boolean autoMigrate() {
        return autoMigrate;
    }

    /** @return the clock repositories read the time from (TTL, timestamps); the system UTC clock by default */
    public Clock clock() {
        return clock;
    }

    /**
     * @return the most configuration identifiers the store's {@link ConfigurationCache} keeps (entries); 0 turns the
     *         cache off
     */
    public long configCacheMaxSize() {
        return configCacheMaxSize;
    }

    /**
     * @return how long the store's {@link ConfigurationCache} keeps a loaded configuration: the bound on how stale a
     *         configuration changed by another process can be; zero turns the cache off
     */
    public Duration configCacheTtl() {
        return configCacheTtl;
    }

    /**
     * @return the size limits every JSON value is checked against before it is written; {@code AgentStore} passes
     *         them to Hibernate as the properties {@code agentstore.json.max-*} ({@link JsonLimits#toProperties()})
     */
    public JsonLimits jsonLimits() {
        return jsonLimits;
    }

    @Override
    public String toString() {
        return "AgentStoreConfig[jdbcUrl=" + jdbcUrl + ", user=" + user + ", password=" + (password == null ? "<none>" : "****")
                + ", sslMode=" + (sslMode == null ? "<driver default>" : sslMode.value()) + ", schema=" + schema
                + ", poolMaxSize=" + poolMaxSize + ", poolMinIdle=" + poolMinIdle + ", autoMigrate=" + autoMigrate
                + ", configCacheMaxSize=" + configCacheMaxSize + ", configCacheTtl=" + configCacheTtl
                + ", jsonLimits=" + jsonLimits + "]";
    }

    /** Builds an {@link AgentStoreConfig}; every setter returns the builder. Not thread-safe. */
    public static final class Builder {
        private String url;
        private String host = "localhost";
        private Integer port = DEFAULT_PORT;
        private String database;
        private String user;
        private String password;
        private SslMode sslMode;
        private String schema = DEFAULT_SCHEMA;
        private int poolMaxSize = DEFAULT_POOL_MAX_SIZE;
        private int poolMinIdle = DEFAULT_POOL_MIN_IDLE;
        private boolean autoMigrate = true;
        private Clock clock = Clock.systemUTC();
        private long configCacheMaxSize = ConfigurationCache.DEFAULT_MAX_SIZE;
        private Duration configCacheTtl = ConfigurationCache.DEFAULT_TTL;
        private final Map<String, Object> jsonLimits = new HashMap<>();

        private Builder() {
        }

        /**
         * @param url a JDBC URL ({@code jdbc:postgresql://…}) or a DSN ({@code postgres://} or
         *            {@code postgresql://user:password@host:port/database?sslmode=…}); user, password and sslmode
         *            in a DSN, and {@code user} and {@code password} parameters of a JDBC URL, fill those settings
         *            unless they are set explicitly, and are removed from {@link AgentStoreConfig#jdbcUrl()}
         * @return this builder
         */
        public Builder url(String url) {
            this.url = url;
            return this;
        }

        /**
         * @param host the server host name or address; default {@code localhost}
         * @return this builder
         */
        public Builder host(String host) {
            this.host = host;
            return this;
        }

        /**
         * @param port the server port, 1–65535; default 5432
         * @return this builder
         */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /**
         * @param database the database name
         * @return this builder
         */
        public Builder database(String database) {
            this.database = database;
            return this;
        }

        /**
         * @param user the database user
         * @return this builder
         */
        public Builder user(String user) {
            this.user = user;
            return this;
        }

        /**
         * @param password the database password; never logged
         * @return this builder
         */
        public Builder password(String password) {
            this.password = password;
            return this;
        }

        /**
         * @param sslMode the TLS mode; {@code null} leaves the driver's default
         * @return this builder
         */
        public Builder sslMode(SslMode sslMode) {
            this.sslMode = sslMode;
            return this;
        }

        /**
         * @param schema the schema holding agentstore's tables; lower-case letters, digits and underscores, at most
         *               63 characters; default {@code public}
         * @return this builder
         */
        public Builder schema(String schema) {
            this.schema = schema;
            return this;
        }

        /**
         * @param poolMaxSize the pool's maximum number of connections, at least 1; default 10
         * @return this builder
         */
        public Builder poolMaxSize(int poolMaxSize) {
            this.poolMaxSize = poolMaxSize;
            return this;
        }

        /**
         * @param poolMinIdle minimum idle connections, 0 to poolMaxSize; default 2
         * @return this builder
         */
        public Builder poolMinIdle(int poolMinIdle) {
            this.poolMinIdle = poolMinIdle;
            return this;
        }

        /**
         * @param autoMigrate whether opening the store applies pending migrations; default true
         * @return this builder
         */
        public Builder autoMigrate(boolean autoMigrate) {
            this.autoMigrate = autoMigrate;
            return this;
        }

        /**
         * @param clock the clock repositories read the time from; default {@link Clock#systemUTC()}
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * @param configCacheMaxSize the most configuration identifiers cached (entries), 0 (no cache) to 1,000,000;
         *                           default 1,000
         * @return this builder
         */
        public Builder configCacheMaxSize(long configCacheMaxSize) {
            this.configCacheMaxSize = configCacheMaxSize;
            return this;
        }

        /**
         * @param configCacheTtl how long a loaded configuration is cached, 0 (no cache) to 1 day; default 10 minutes.
         *                       Configurations changed by other processes are seen at most this long after the change.
         * @return this builder
         */
        public Builder configCacheTtl(Duration configCacheTtl) {
            this.configCacheTtl = configCacheTtl;
            return this;
        }

        /**
         * @param jsonLimits the limits every JSON value is checked against before it is written; each at most its
         *                   ceiling ({@link JsonLimits#CEILINGS}); default {@link JsonLimits#DEFAULTS}
         * @return this builder
         */
        public Builder jsonLimits(JsonLimits jsonLimits) {
            this.jsonLimits.putAll(Objects.requireNonNull(jsonLimits, "jsonLimits").toProperties());
            return this;
        }

        /**
         * Overrides settings with the {@code AGENTSTORE_*} variables present in {@code env}; absent or empty
         * variables leave the setting as it is.
         *
         * @param env the environment, usually {@link System#getenv()}
         * @return this builder
         * @throws InvalidInputException when a numeric or boolean variable cannot be parsed; the message names it
         */
        public Builder applyEnvironment(Map<String, String> env) {
            value(env, "AGENTSTORE_DB_URL").ifPresent(this::url);
            value(env, "AGENTSTORE_DB_HOST").ifPresent(this::host);
            value(env, "AGENTSTORE_DB_PORT").ifPresent(v -> port(parseInt("AGENTSTORE_DB_PORT", v)));
            value(env, "AGENTSTORE_DB_NAME").ifPresent(this::database);
            value(env, "AGENTSTORE_DB_USER").ifPresent(this::user);
            value(env, "AGENTSTORE_DB_PASSWORD").ifPresent(this::password);
            value(env, "AGENTSTORE_DB_SSLMODE").ifPresent(v -> sslMode(SslMode.parse("AGENTSTORE_DB_SSLMODE", v)));
            value(env, "AGENTSTORE_DB_SCHEMA").ifPresent(this::schema);
            value(env, "AGENTSTORE_POOL_MAX_SIZE").ifPresent(v -> poolMaxSize(parseInt("AGENTSTORE_POOL_MAX_SIZE", v)));
            value(env, "AGENTSTORE_POOL_MIN_IDLE").ifPresent(v -> poolMinIdle(parseInt("AGENTSTORE_POOL_MIN_IDLE", v)));
            value(env, "AGENTSTORE_AUTO_MIGRATE").ifPresent(v -> autoMigrate(parseBoolean("AGENTSTORE_AUTO_MIGRATE", v)));
            value(env, "AGENTSTORE_CONFIG_CACHE_MAX_SIZE").ifPresent(v -> configCacheMaxSize(
                    parseInt("AGENTSTORE_CONFIG_CACHE_MAX_SIZE", v)));
            value(env, "AGENTSTORE_CONFIG_CACHE_TTL_SECONDS").ifPresent(v -> configCacheTtl(Duration.ofSeconds(
                    parseInt("AGENTSTORE_CONFIG_CACHE_TTL_SECONDS", v))));
            for (String property : JsonLimits.DEFAULTS.toProperties().keySet()) {
                String name = "AGENTSTORE_JSON_" + property.substring("agentstore.json.".length()).replace('-', '_')
                        .toUpperCase(Locale.ROOT);
                value(env, name).ifPresent(v -> jsonLimits.put(property, parseInt(name, v)));
            }
            return this;
        }

        /**
         * Validates the settings and builds the configuration.
         *
         * @return the configuration
         * @throws InvalidInputException naming the first invalid or missing setting (never its password)
         */
        public AgentStoreConfig build() {
            String effectiveUser = user;
            String effectivePassword = password;
            SslMode effectiveSsl = sslMode;
            String jdbcUrl;
            if (url != null && !url.isBlank()) {
                String u = url.trim();
                if (u.startsWith("jdbc:postgresql:")) {
                    // user and password as URL parameters move into the settings, so the URL can be shown safely
                    int q = u.indexOf('?');
                    StringBuilder kept = new StringBuilder(q < 0 ? u : u.substring(0, q));
                    if (q >= 0) {
                        char sep = '?';
                        for (String pair : u.substring(q + 1).split("&")) {
                            String[] kv = pair.split("=", 2);
                            String value = kv.length == 2 ? Dsn.decode(kv[1]) : "";
                            if (kv[0].equals("password")) {
                                effectivePassword = effectivePassword != null ? effectivePassword : value;
                            } else if (kv[0].equals("user")) {
                                effectiveUser = effectiveUser != null ? effectiveUser : value;
                            } else if (!pair.isEmpty()) {
                                kept.append(sep).append(pair);
                                sep = '&';
                            }
                        }
                    }
                    jdbcUrl = kept.toString();
                } else if (u.startsWith("postgres://") || u.startsWith("postgresql://")) {
                    Dsn dsn = Dsn.parse(u);
                    jdbcUrl = "jdbc:postgresql://" + dsn.hostAndPort + "/" + dsn.database;
                    effectiveUser = effectiveUser != null ? effectiveUser : dsn.user;
                    effectivePassword = effectivePassword != null ? effectivePassword : dsn.password;
                    effectiveSsl = effectiveSsl != null ? effectiveSsl : dsn.sslMode;
                } else {
                    throw new InvalidInputException("url (AGENTSTORE_DB_URL) must start with jdbc:postgresql:, postgres://"
                            + " or postgresql://");
                }
            } else {
                if (host == null || host.isBlank()) {
                    throw new InvalidInputException("host (AGENTSTORE_DB_HOST) must not be blank");
                }
                if (port == null || port < 1 || port > 65535) {
                    throw new InvalidInputException("port (AGENTSTORE_DB_PORT) must be between 1 and 65535, was " + port);
                }
                if (database == null || database.isBlank()) {
                    throw new InvalidInputException("database (AGENTSTORE_DB_NAME) is required when no url"
                            + " (AGENTSTORE_DB_URL) is given");
                }
                jdbcUrl = "jdbc:postgresql://" + host.trim() + ":" + port + "/" + database.trim();
                if (effectiveUser == null || effectiveUser.isBlank()) {
                    throw new InvalidInputException("user (AGENTSTORE_DB_USER) is required when no url"
                            + " (AGENTSTORE_DB_URL) is given");
                }
            }
            String validSchema;
            try {
                validSchema = SchemaNames.requireValid(schema);
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException("schema (AGENTSTORE_DB_SCHEMA): " + e.getMessage());
            }
            if (poolMaxSize < 1 || poolMaxSize > 1000) {
                throw new InvalidInputException("poolMaxSize (AGENTSTORE_POOL_MAX_SIZE) must be between 1 and 1000, was "
                        + poolMaxSize);
            }
            if (poolMinIdle < 0 || poolMinIdle > poolMaxSize) {
                throw new InvalidInputException("poolMinIdle (AGENTSTORE_POOL_MIN_IDLE) must be between 0 and poolMaxSize ("
                        + poolMaxSize + "), was " + poolMinIdle);
            }
            ConfigurationCache.requireMaxSize(configCacheMaxSize);
            ConfigurationCache.requireTtl(configCacheTtl);
            JsonLimits limits;
            try {
                limits = JsonLimits.fromProperties(jsonLimits);
            } catch (InvalidInputException e) {
                throw new InvalidInputException(e.getMessage() + " (jsonLimits, AGENTSTORE_JSON_MAX_* variables)", e);
            }
            return new AgentStoreConfig(jdbcUrl, effectiveUser, effectivePassword, effectiveSsl, validSchema,
                    poolMaxSize, poolMinIdle, autoMigrate, clock, configCacheMaxSize, configCacheTtl, limits);
        }

        private static Optional<String> value(Map<String, String> env, String name) {
            String v = env.get(name);
            return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
        }

        private static int parseInt(String name, String value) {
            try {
                return Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw new InvalidInputException(name + " must be an integer, was '" + value + "'");
            }
        }

        private static boolean parseBoolean(String name, String value) {
            if (value.equalsIgnoreCase("true")) {
                return true;
            }
            if (value.equalsIgnoreCase("false")) {
                return false;
            }
            throw new InvalidInputException(name + " must be true or false, was '" + value + "'");
        }
    }

    /** A parsed {@code postgres://} DSN. The password is kept out of every message. */
    private record Dsn(String hostAndPort, String database, String user, String password, SslMode sslMode) {

        static Dsn parse(String dsn) {
            URI uri;
            try {
                uri = new URI(dsn);
            } catch (URISyntaxException e) {
                // the input may hold a password: do not echo it
                throw new InvalidInputException("url (AGENTSTORE_DB_URL) is not a valid postgres:// URL (at index "
                        + e.getIndex() + ")");
            }
            if (uri.getHost() == null) {
                throw new InvalidInputException("url (AGENTSTORE_DB_URL) must name a host, as in postgres://user@host:5432/db");
            }
            String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
            if (path.isBlank()) {
                throw new InvalidInputException("url (AGENTSTORE_DB_URL) must name a database, as in postgres://user@host:5432/db");
            }
            String user = null;
            String password = null;
            if (uri.getRawUserInfo() != null) {
                String[] parts = uri.getRawUserInfo().split(":", 2);
                user = decode(parts[0]);
                password = parts.length > 1 ? decode(parts[1]) : null;
            }
            SslMode ssl = null;
            if (uri.getRawQuery() != null) {
                for (String pair : uri.getRawQuery().split("&")) {
                    String[] kv = pair.split("=", 2);
                    if (kv[0].equals("sslmode") && kv.length == 2) {
                        ssl = SslMode.parse("sslmode in url (AGENTSTORE_DB_URL)", decode(kv[1]));
                    }
                }
            }
            int port = uri.getPort() == -1 ? DEFAULT_PORT : uri.getPort();
            return new Dsn(uri.getHost() + ":" + port, decode(path), user, password, ssl);
        }

        private static String decode(String s) {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "Dsn[" + hostAndPort + "/" + database + "]";
        }
    }
}
