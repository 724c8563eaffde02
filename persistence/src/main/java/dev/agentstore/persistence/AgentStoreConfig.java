package dev.agentstore.persistence;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.JsonLimits;
import dev.agentstore.migrations.SchemaNames;
import dev.agentstore.persistence.configuration.ConfigurationCache;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 * <tr><td>sslMode</td><td>the url's {@code sslmode}, else the driver's ({@code prefer})</td>
 *     <td>{@code AGENTSTORE_DB_SSLMODE}</td></tr>
 * <tr><td>connectTimeout</td><td>10 s</td><td>{@code AGENTSTORE_DB_CONNECT_TIMEOUT_MS} (milliseconds)</td></tr>
 * <tr><td>socketTimeout</td><td>120 s</td><td>{@code AGENTSTORE_DB_SOCKET_TIMEOUT_MS} (milliseconds)</td></tr>
 * <tr><td>statementTimeout</td><td>60 s</td><td>{@code AGENTSTORE_DB_STATEMENT_TIMEOUT_MS} (milliseconds)</td></tr>
 * <tr><td>lockTimeout</td><td>10 s</td><td>{@code AGENTSTORE_DB_LOCK_TIMEOUT_MS} (milliseconds)</td></tr>
 * <tr><td>idleInTransactionSessionTimeout</td><td>60 s</td>
 *     <td>{@code AGENTSTORE_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS} (milliseconds)</td></tr>
 * <tr><td>poolConnectionTimeout</td><td>10 s</td><td>{@code AGENTSTORE_POOL_CONNECTION_TIMEOUT_MS} (milliseconds)</td></tr>
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
 * <p><b>URL parameters.</b> Every query parameter of the URL reaches pgjdbc (a DSN's libpq names
 * {@code application_name} and {@code connect_timeout} are translated to pgjdbc's {@code ApplicationName} and
 * {@code connectTimeout}; percent-escapes are decoded as in a URI, so {@code +} stays {@code +}). Parameters that
 * are also settings of this class ({@code sslmode}, pgjdbc's {@code ssl}, {@code connectTimeout},
 * {@code socketTimeout}) fill the setting when it is not set explicitly (builder or environment); when both are
 * given and differ, {@link Builder#build()} fails naming both, so that a URL can never silently weaken the
 * configured TLS mode. The effective values are passed to the driver as connection properties, and removed from
 * the URL, whose parameters pgjdbc would otherwise let win.
 *
 * <p><b>Secrets.</b> The password and every parameter whose name contains {@code password} (such as pgjdbc's
 * {@code sslpassword}) are taken out of the URL and passed as connection properties: they are never part of
 * {@link #jdbcUrl()}, {@link #toString()}, an exception message or a log line of agentstore, HikariCP or pgjdbc.
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
    /** Default {@link #connectTimeout()}: 10 s. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Default {@link #socketTimeout()}: 120 s, twice the default statement timeout. */
    public static final Duration DEFAULT_SOCKET_TIMEOUT = Duration.ofSeconds(120);
    /** Default {@link #statementTimeout()}: 60 s. */
    public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(60);
    /** Default {@link #lockTimeout()}: 10 s. */
    public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(10);
    /** Default {@link #idleInTransactionSessionTimeout()}: 60 s. */
    public static final Duration DEFAULT_IDLE_IN_TRANSACTION_SESSION_TIMEOUT = Duration.ofSeconds(60);
    /** Default {@link #poolConnectionTimeout()}: 10 s. */
    public static final Duration DEFAULT_POOL_CONNECTION_TIMEOUT = Duration.ofSeconds(10);

    /** The PostgreSQL settings agentstore sets per connection; the URL's {@code options} must not set them. */
    private static final Pattern OWNED_GUC = Pattern.compile(
            "(?i)\\b(statement_timeout|lock_timeout|idle_in_transaction_session_timeout)\\s*=");

    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final SslMode sslMode;
    private final Map<String, String> driverProperties;
    private final Map<String, String> secretProperties;
    private final Duration connectTimeout;
    private final Duration socketTimeout;
    private final Duration statementTimeout;
    private final Duration lockTimeout;
    private final Duration idleInTransactionSessionTimeout;
    private final Duration poolConnectionTimeout;
    private final String schema;
    private final int poolMaxSize;
    private final int poolMinIdle;
    private final boolean autoMigrate;
    private final Clock clock;
    private final long configCacheMaxSize;
    private final Duration configCacheTtl;
    private final JsonLimits jsonLimits;

    private AgentStoreConfig(Builder b, String jdbcUrl, String user, String password, SslMode sslMode,
                             Map<String, String> driverProperties, Map<String, String> secretProperties,
                             Duration connectTimeout, Duration socketTimeout, String schema,
                             JsonLimits jsonLimits) {
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        this.sslMode = sslMode;
        this.driverProperties = Collections.unmodifiableMap(driverProperties);
        this.secretProperties = Collections.unmodifiableMap(secretProperties);
        this.connectTimeout = connectTimeout;
        this.socketTimeout = socketTimeout;
        this.statementTimeout = b.statementTimeout;
        this.lockTimeout = b.lockTimeout;
        this.idleInTransactionSessionTimeout = b.idleInTransactionSessionTimeout;
        this.poolConnectionTimeout = b.poolConnectionTimeout;
        this.schema = schema;
        this.poolMaxSize = b.poolMaxSize;
        this.poolMinIdle = b.poolMinIdle;
        this.autoMigrate = b.autoMigrate;
        this.clock = b.clock;
        this.configCacheMaxSize = b.configCacheMaxSize;
        this.configCacheTtl = b.configCacheTtl;
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

    /**
     * @return the JDBC URL the pool connects to: host, port, database and the URL's other parameters; without user,
     *         password, secret parameters ({@code sslpassword} …) and the parameters agentstore passes as
     *         connection properties ({@code sslmode}, {@code connectTimeout}, {@code socketTimeout},
     *         {@code options}); safe to print
     */
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

    /**
     * @return the effective TLS mode: the configured one (builder or {@code AGENTSTORE_DB_SSLMODE}) or the URL's
     *         ({@code sslmode}, or {@code verify-full} for pgjdbc's {@code ssl=true}); empty when neither says
     *         anything, which means pgjdbc's default, {@link SslMode#PREFER}
     */
    public Optional<SslMode> sslMode() {
        return Optional.ofNullable(sslMode);
    }

    /**
     * @return the most time to open a TCP connection to the server (pgjdbc {@code connectTimeout}, whole seconds);
     *         zero: no limit but the operating system's
     */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /**
     * @return the most time a call waits for the server's next bytes before the connection is abandoned and the
     *         call fails (pgjdbc {@code socketTimeout}, whole seconds): the bound on a frozen server or a silent
     *         network; zero: no limit. Longer than {@link #statementTimeout()}, so that a slow statement on a
     *         healthy server is cancelled by the server first.
     */
    public Duration socketTimeout() {
        return socketTimeout;
    }

    /**
     * @return PostgreSQL's {@code statement_timeout} for every pool connection (whole milliseconds); zero: agentstore
     *         sets none and the server's setting applies
     */
    public Duration statementTimeout() {
        return statementTimeout;
    }

    /**
     * @return PostgreSQL's {@code lock_timeout} for every pool connection: the most time a statement waits for a
     *         row, table or advisory lock (whole milliseconds); zero: agentstore sets none and the server's setting
     *         applies
     */
    public Duration lockTimeout() {
        return lockTimeout;
    }

    /**
     * @return PostgreSQL's {@code idle_in_transaction_session_timeout} for every pool connection: a session left idle
     *         inside a transaction longer than this is ended by the server, releasing its locks (whole
     *         milliseconds); zero: agentstore sets none and the server's setting applies
     */
    public Duration idleInTransactionSessionTimeout() {
        return idleInTransactionSessionTimeout;
    }

    /**
     * @return the most time a call waits for a connection from the pool (HikariCP {@code connectionTimeout}); zero:
     *         no limit
     */
    public Duration poolConnectionTimeout() {
        return poolConnectionTimeout;
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
     * The pgjdbc connection properties of every pool connection, secrets included: {@code sslmode},
     * {@code connectTimeout}, {@code socketTimeout}, {@code options} (with the PostgreSQL timeouts) and the
     * secret URL parameters. Not the user and password, which the pool passes itself.
     */
    Properties connectionProperties() {
        Properties p = new Properties();
        p.putAll(driverProperties);
        p.putAll(secretProperties);
        return p;
    }

    /**
     * @param text a message that may quote connection details
     * @return {@code text} with the password and every secret parameter value (of 4 characters or more) masked
     */
    String redact(String text) {
        if (text == null) {
            return null;
        }
        List<String> secrets = new ArrayList<>(secretProperties.values());
        if (password != null) {
            secrets.add(password);
        }
        String out = text;
        for (String secret : secrets) {
            if (secret.length() >= 4) {
                out = out.replace(secret, "****");
            }
        }
        return out;
    }

    /** @return the effective TLS mode as a sentence part, for messages: {@code verify-full} or {@code prefer (driver default)} */
    String sslModeDescription() {
        return sslMode == null ? "prefer (driver default)" : sslMode.value();
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
                + (secretProperties.isEmpty() ? "" : ", " + String.join("=****, ", secretProperties.keySet()) + "=****")
                + ", sslMode=" + sslModeDescription() + ", connectTimeout=" + format(connectTimeout)
                + ", socketTimeout=" + format(socketTimeout) + ", statementTimeout=" + format(statementTimeout)
                + ", lockTimeout=" + format(lockTimeout) + ", idleInTransactionSessionTimeout="
                + format(idleInTransactionSessionTimeout) + ", poolConnectionTimeout=" + format(poolConnectionTimeout)
                + ", schema=" + schema + ", poolMaxSize=" + poolMaxSize + ", poolMinIdle=" + poolMinIdle
                + ", autoMigrate=" + autoMigrate + ", configCacheMaxSize=" + configCacheMaxSize
                + ", configCacheTtl=" + configCacheTtl + ", jsonLimits=" + jsonLimits + "]";
    }

    private static String format(Duration d) {
        long ms = d.toMillis();
        return ms == 0 ? "none" : ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
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
        private Duration connectTimeout;
        private Duration socketTimeout;
        private Duration statementTimeout = DEFAULT_STATEMENT_TIMEOUT;
        private Duration lockTimeout = DEFAULT_LOCK_TIMEOUT;
        private Duration idleInTransactionSessionTimeout = DEFAULT_IDLE_IN_TRANSACTION_SESSION_TIMEOUT;
        private Duration poolConnectionTimeout = DEFAULT_POOL_CONNECTION_TIMEOUT;
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
         *            {@code postgresql://user:password@host:port,host2:port2/database?param=value&…}); user and
         *            password in a DSN, and {@code user} and {@code password} parameters, fill those settings
         *            unless they are set explicitly; see the class comment for the other parameters
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
         * @param sslMode the TLS mode; {@code null} leaves it to the URL's {@code sslmode}, else to the driver's
         *                default ({@code prefer}). A URL whose {@code sslmode} differs makes {@link #build()} fail.
         * @return this builder
         */
        public Builder sslMode(SslMode sslMode) {
            this.sslMode = sslMode;
            return this;
        }

        /**
         * @param connectTimeout the most time to open a TCP connection, whole seconds, 0 (no limit) to
         *                       2,147,483 s; default 10 s, or the URL's {@code connectTimeout}
         * @return this builder
         */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
            return this;
        }

        /**
         * @param socketTimeout the most time a call waits for the server's next bytes, whole seconds, 0 (no limit)
         *                      to 2,147,483 s, longer than the statement timeout when both are set; default 120 s,
         *                      or the URL's {@code socketTimeout}
         * @return this builder
         */
        public Builder socketTimeout(Duration socketTimeout) {
            this.socketTimeout = Objects.requireNonNull(socketTimeout, "socketTimeout");
            return this;
        }

        /**
         * @param statementTimeout PostgreSQL's {@code statement_timeout}, whole milliseconds, 0 (the server's
         *                         setting) to 2,147,483,647 ms; default 60 s
         * @return this builder
         */
        public Builder statementTimeout(Duration statementTimeout) {
            this.statementTimeout = Objects.requireNonNull(statementTimeout, "statementTimeout");
            return this;
        }

        /**
         * @param lockTimeout PostgreSQL's {@code lock_timeout}, whole milliseconds, 0 (the server's setting) to
         *                    2,147,483,647 ms; default 10 s
         * @return this builder
         */
        public Builder lockTimeout(Duration lockTimeout) {
            this.lockTimeout = Objects.requireNonNull(lockTimeout, "lockTimeout");
            return this;
        }

        /**
         * @param idleInTransactionSessionTimeout PostgreSQL's {@code idle_in_transaction_session_timeout}, whole
         *                                        milliseconds, 0 (the server's setting) to 2,147,483,647 ms;
         *                                        default 60 s
         * @return this builder
         */
        public Builder idleInTransactionSessionTimeout(Duration idleInTransactionSessionTimeout) {
            this.idleInTransactionSessionTimeout = Objects.requireNonNull(idleInTransactionSessionTimeout,
                    "idleInTransactionSessionTimeout");
            return this;
        }

        /**
         * @param poolConnectionTimeout the most time a call waits for a pool connection, 0 (no limit) or 250 ms to
         *                              2,147,483,647 ms; default 10 s
         * @return this builder
         */
        public Builder poolConnectionTimeout(Duration poolConnectionTimeout) {
            this.poolConnectionTimeout = Objects.requireNonNull(poolConnectionTimeout, "poolConnectionTimeout");
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
            value(env, "AGENTSTORE_DB_CONNECT_TIMEOUT_MS").ifPresent(v -> connectTimeout(
                    parseMillis("AGENTSTORE_DB_CONNECT_TIMEOUT_MS", v)));
            value(env, "AGENTSTORE_DB_SOCKET_TIMEOUT_MS").ifPresent(v -> socketTimeout(
                    parseMillis("AGENTSTORE_DB_SOCKET_TIMEOUT_MS", v)));
            value(env, "AGENTSTORE_DB_STATEMENT_TIMEOUT_MS").ifPresent(v -> statementTimeout(
                    parseMillis("AGENTSTORE_DB_STATEMENT_TIMEOUT_MS", v)));
            value(env, "AGENTSTORE_DB_LOCK_TIMEOUT_MS").ifPresent(v -> lockTimeout(
                    parseMillis("AGENTSTORE_DB_LOCK_TIMEOUT_MS", v)));
            value(env, "AGENTSTORE_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS").ifPresent(v -> idleInTransactionSessionTimeout(
                    parseMillis("AGENTSTORE_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", v)));
            value(env, "AGENTSTORE_POOL_CONNECTION_TIMEOUT_MS").ifPresent(v -> poolConnectionTimeout(
                    parseMillis("AGENTSTORE_POOL_CONNECTION_TIMEOUT_MS", v)));
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
         * @throws InvalidInputException naming the first invalid or missing setting (never a password), or both
         *                               settings when the URL and a setting disagree (for example {@code sslmode})
         */
        public AgentStoreConfig build() {
            Url parsed;
            if (url != null && !url.isBlank()) {
                parsed = Url.parse(url.trim());
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
                if (user == null || user.isBlank()) {
                    throw new InvalidInputException("user (AGENTSTORE_DB_USER) is required when no url"
                            + " (AGENTSTORE_DB_URL) is given");
                }
                parsed = new Url("jdbc:postgresql://" + host.trim() + ":" + port + "/" + encodePath(database.trim()),
                        null, null, new LinkedHashMap<>());
            }
            String effectiveUser = user != null ? user : parsed.user;
            String effectivePassword = password != null ? password : parsed.password;

            Map<String, String> kept = new LinkedHashMap<>();
            Map<String, String> secrets = new LinkedHashMap<>();
            SslMode urlSsl = null;
            String sslParameter = null;
            Duration urlConnect = null;
            Duration urlSocket = null;
            String options = null;
            for (Map.Entry<String, String> p : parsed.parameters.entrySet()) {
                String name = p.getKey();
                String value = p.getValue();
                if (name.equals("user")) {
                    effectiveUser = user != null ? user : value;
                } else if (name.equals("password")) {
                    effectivePassword = password != null ? password : value;
                } else if (name.toLowerCase(Locale.ROOT).contains("password")) {
                    secrets.put(name, value);
                } else if (name.equals("sslmode")) {
                    urlSsl = SslMode.parse("sslmode in the url (AGENTSTORE_DB_URL)", value);
                } else if (name.equals("ssl")) {
                    sslParameter = value;
                } else if (name.equals("connectTimeout")) {
                    urlConnect = parseUrlSeconds("connectTimeout", value);
                } else if (name.equals("socketTimeout")) {
                    urlSocket = parseUrlSeconds("socketTimeout", value);
                } else if (name.equals("options")) {
                    Matcher m = OWNED_GUC.matcher(value);
                    if (m.find()) {
                        String guc = m.group(1).toLowerCase(Locale.ROOT);
                        throw new InvalidInputException("the url (AGENTSTORE_DB_URL) sets " + guc + " in options; set "
                                + settingOf(guc) + " instead");
                    }
                    options = value;
                } else if (name.equals("currentSchema")) {
                    throw new InvalidInputException("the url (AGENTSTORE_DB_URL) sets currentSchema; set schema"
                            + " (AGENTSTORE_DB_SCHEMA) instead");
                } else {
                    kept.put(name, value);
                }
            }

            // pgjdbc: sslmode wins over ssl; ssl=true (or a bare ssl) without sslmode means verify-full
            if (urlSsl == null && sslParameter != null
                    && (sslParameter.isEmpty() || sslParameter.equalsIgnoreCase("true"))) {
                urlSsl = SslMode.VERIFY_FULL;
            }
            if (sslMode != null && urlSsl != null && sslMode != urlSsl) {
                throw new InvalidInputException("sslMode (AGENTSTORE_DB_SSLMODE) is " + sslMode.value()
                        + " but the url (AGENTSTORE_DB_URL) says sslmode=" + urlSsl.value()
                        + "; remove one of them or make them agree");
            }
            SslMode effectiveSsl = sslMode != null ? sslMode : urlSsl;
            if (effectiveSsl != null && effectiveSsl.verifiesCertificate()
                    && "org.postgresql.ssl.NonValidatingFactory".equals(kept.get("sslfactory"))) {
                throw new InvalidInputException("sslfactory=org.postgresql.ssl.NonValidatingFactory in the url"
                        + " (AGENTSTORE_DB_URL) turns off the certificate check that sslMode " + effectiveSsl.value()
                        + " asks for; remove it");
            }
            Duration effectiveConnect = agree("connectTimeout", "AGENTSTORE_DB_CONNECT_TIMEOUT_MS", connectTimeout,
                    urlConnect, DEFAULT_CONNECT_TIMEOUT);
            Duration effectiveSocket = agree("socketTimeout", "AGENTSTORE_DB_SOCKET_TIMEOUT_MS", socketTimeout,
                    urlSocket, DEFAULT_SOCKET_TIMEOUT);
            requireSeconds("connectTimeout", "AGENTSTORE_DB_CONNECT_TIMEOUT_MS", effectiveConnect);
            requireSeconds("socketTimeout", "AGENTSTORE_DB_SOCKET_TIMEOUT_MS", effectiveSocket);
            requireMillis("statementTimeout", "AGENTSTORE_DB_STATEMENT_TIMEOUT_MS", statementTimeout);
            requireMillis("lockTimeout", "AGENTSTORE_DB_LOCK_TIMEOUT_MS", lockTimeout);
            requireMillis("idleInTransactionSessionTimeout", "AGENTSTORE_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS",
                    idleInTransactionSessionTimeout);
            requireMillis("poolConnectionTimeout", "AGENTSTORE_POOL_CONNECTION_TIMEOUT_MS", poolConnectionTimeout);
            if (!poolConnectionTimeout.isZero() && poolConnectionTimeout.toMillis() < 250) {
                throw new InvalidInputException("poolConnectionTimeout (AGENTSTORE_POOL_CONNECTION_TIMEOUT_MS) must be 0"
                        + " (no limit) or at least 250 ms, was " + poolConnectionTimeout.toMillis() + " ms");
            }
            if (!effectiveSocket.isZero() && !statementTimeout.isZero()
                    && effectiveSocket.compareTo(statementTimeout) <= 0) {
                throw new InvalidInputException("socketTimeout (AGENTSTORE_DB_SOCKET_TIMEOUT_MS, "
                        + effectiveSocket.toMillis() + " ms) must be longer than statementTimeout"
                        + " (AGENTSTORE_DB_STATEMENT_TIMEOUT_MS, " + statementTimeout.toMillis() + " ms), so that the"
                        + " server cancels a slow statement before the client gives up the connection; or 0");
            }

            Map<String, String> driver = new LinkedHashMap<>();
            if (effectiveSsl != null) {
                driver.put("sslmode", effectiveSsl.value());
            }
            driver.put("connectTimeout", Long.toString(effectiveConnect.toSeconds()));
            driver.put("socketTimeout", Long.toString(effectiveSocket.toSeconds()));
            List<String> gucs = new ArrayList<>();
            if (options != null && !options.isBlank()) {
                gucs.add(options.trim());
            }
            addGuc(gucs, "statement_timeout", statementTimeout);
            addGuc(gucs, "lock_timeout", lockTimeout);
            addGuc(gucs, "idle_in_transaction_session_timeout", idleInTransactionSessionTimeout);
            if (!gucs.isEmpty()) {
                driver.put("options", String.join(" ", gucs));
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

            StringBuilder jdbcUrl = new StringBuilder(parsed.base);
            char sep = '?';
            for (Map.Entry<String, String> p : kept.entrySet()) {
                jdbcUrl.append(sep).append(p.getKey()).append('=').append(encode(p.getValue()));
                sep = '&';
            }
            JsonLimits limits;
            try {
                limits = JsonLimits.fromProperties(jsonLimits);
            } catch (InvalidInputException e) {
                throw new InvalidInputException(e.getMessage() + " (jsonLimits, AGENTSTORE_JSON_MAX_* variables)", e);
            }
            return new AgentStoreConfig(this, jdbcUrl.toString(), effectiveUser, effectivePassword, effectiveSsl,
                    driver, secrets, effectiveConnect, effectiveSocket, validSchema, limits);
        }

        private static String settingOf(String guc) {
            return switch (guc) {
                case "statement_timeout" -> "statementTimeout (AGENTSTORE_DB_STATEMENT_TIMEOUT_MS)";
                case "lock_timeout" -> "lockTimeout (AGENTSTORE_DB_LOCK_TIMEOUT_MS)";
                default -> "idleInTransactionSessionTimeout (AGENTSTORE_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS)";
            };
        }

        private static void addGuc(List<String> gucs, String name, Duration value) {
            if (!value.isZero()) {
                gucs.add("-c " + name + "=" + value.toMillis());
            }
        }

        private static Duration agree(String setting, String variable, Duration configured, Duration fromUrl,
                                      Duration fallback) {
            if (configured != null && fromUrl != null && !configured.equals(fromUrl)) {
                throw new InvalidInputException(setting + " (" + variable + ") is " + configured.toMillis()
                        + " ms but the url (AGENTSTORE_DB_URL) says " + setting + "=" + fromUrl.toSeconds()
                        + " (seconds); remove one of them or make them agree");
            }
            return configured != null ? configured : fromUrl != null ? fromUrl : fallback;
        }

        private static Duration parseUrlSeconds(String name, String value) {
            try {
                return Duration.ofSeconds(Integer.parseInt(value.trim()));
            } catch (NumberFormatException e) {
                throw new InvalidInputException(name + " in the url (AGENTSTORE_DB_URL) must be whole seconds, was "
                        + Check.describe(value));
            }
        }

        private static void requireMillis(String setting, String variable, Duration value) {
            if (value.isNegative() || value.compareTo(Duration.ofMillis(Integer.MAX_VALUE)) > 0
                    || value.getNano() % 1_000_000 != 0) {
                throw new InvalidInputException(setting + " (" + variable + ") must be whole milliseconds from 0 to "
                        + Integer.MAX_VALUE + " ms, was " + value);
            }
        }

        private static void requireSeconds(String setting, String variable, Duration value) {
            requireMillis(setting, variable, value);
            if (value.getNano() != 0) {
                throw new InvalidInputException(setting + " (" + variable + ") must be whole seconds (pgjdbc's unit),"
                        + " was " + value.toMillis() + " ms");
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

    /**
     * Encodes a URL parameter value the way pgjdbc decodes it ({@link URLDecoder}, form encoding); {@code /},
     * {@code :} and {@code ,} stay as they are, so that file paths stay readable.
     */
    private static String encode(String value) {
        return encodePath(value).replace("%2F", "/").replace("%3A", ":").replace("%2C", ",");
    }

    /** Encodes a database name for the path of a JDBC URL, which pgjdbc decodes with {@link URLDecoder}. */
    private static String encodePath(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /**
     * A parsed URL: the JDBC URL without query, the user and password of a DSN, and the decoded parameters in order.
     * The password is kept out of every message.
     */
    private record Url(String base, String user, String password, Map<String, String> parameters) {

        static Url parse(String url) {
            if (url.startsWith("jdbc:postgresql:")) {
                int q = url.indexOf('?');
                Map<String, String> parameters = new LinkedHashMap<>();
                if (q >= 0) {
                    for (String pair : url.substring(q + 1).split("&")) {
                        if (!pair.isEmpty()) {
                            String[] kv = pair.split("=", 2);
                            // pgjdbc decodes parameter values with URLDecoder (form decoding: '+' is a space)
                            parameters.put(kv[0], kv.length == 2 ? decode(kv[0], kv[1], false) : "");
                        }
                    }
                }
                return new Url(q < 0 ? url : url.substring(0, q), null, null, parameters);
            }
            if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
                return parseDsn(url.substring(url.indexOf("://") + 3));
            }
            throw new InvalidInputException("url (AGENTSTORE_DB_URL) must start with jdbc:postgresql:, postgres://"
                    + " or postgresql://");
        }

        /** libpq's URI form: {@code [user[:password]@]host[:port][,host[:port]…]/database[?name=value&…]}. */
        private static Url parseDsn(String rest) {
            if (rest.indexOf('#') >= 0 || rest.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
                // never quote the input: it may hold a password
                throw new InvalidInputException("url (AGENTSTORE_DB_URL) must not contain '#', spaces or control"
                        + " characters; percent-encode them (%23, %20)");
            }
            int q = rest.indexOf('?');
            String query = q < 0 ? null : rest.substring(q + 1);
            String beforeQuery = q < 0 ? rest : rest.substring(0, q);
            int slash = beforeQuery.indexOf('/');
            String authority = slash < 0 ? beforeQuery : beforeQuery.substring(0, slash);
            String path = slash < 0 ? "" : beforeQuery.substring(slash + 1);
            int at = authority.lastIndexOf('@');
            String userInfo = at < 0 ? null : authority.substring(0, at);
            String hostList = authority.substring(at + 1);
            if (hostList.isEmpty()) {
                throw new InvalidInputException("url (AGENTSTORE_DB_URL) must name a host, as in postgres://user@host:5432/db");
            }
            List<String> hosts = new ArrayList<>();
            for (String h : hostList.split(",", -1)) {
                int colon = h.lastIndexOf(':');
                boolean hasPort = colon >= 0 && colon > h.lastIndexOf(']');
                String name = hasPort ? h.substring(0, colon) : h;
                String port = hasPort ? h.substring(colon + 1) : Integer.toString(DEFAULT_PORT);
                if (!name.matches("[A-Za-z0-9._\\-]+|\\[[0-9A-Fa-f:.%a-z]+]")
                        || !port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                    // the host part never holds the password (that is before the '@'), so it can be quoted
                    throw new InvalidInputException("url (AGENTSTORE_DB_URL) has an invalid host or port '" + h
                            + "'; expected host[:port], as in postgres://user@host:5432/db");
                }
                hosts.add(name + ":" + port);
            }
            String database = decode("database", path, true);
            if (database.isBlank()) {
                throw new InvalidInputException("url (AGENTSTORE_DB_URL) must name a database, as in postgres://user@host:5432/db");
            }
            String user = null;
            String password = null;
            if (userInfo != null) {
                int colon = userInfo.indexOf(':');
                user = decode("user", colon < 0 ? userInfo : userInfo.substring(0, colon), true);
                password = colon < 0 ? null : decode("password", userInfo.substring(colon + 1), true);
            }
            Map<String, String> parameters = new LinkedHashMap<>();
            if (query != null) {
                for (String pair : query.split("&")) {
                    if (!pair.isEmpty()) {
                        String[] kv = pair.split("=", 2);
                        String name = decode("a parameter name", kv[0], true);
                        String value = kv.length == 2 ? decode(name, kv[1], true) : "";
                        parameters.put(switch (name) {
                            case "application_name" -> "ApplicationName";
                            case "connect_timeout" -> "connectTimeout";
                            default -> name;
                        }, value);
                    }
                }
            }
            return new Url("jdbc:postgresql://" + String.join(",", hosts) + "/" + encodePath(database), user, password,
                    parameters);
        }

        /**
         * @param what  what is decoded, for the message (never the value: it may be a secret)
         * @param uri   true for URI percent-decoding ({@code +} stays {@code +}), false for pgjdbc's form decoding
         */
        private static String decode(String what, String value, boolean uri) {
            try {
                return URLDecoder.decode(uri ? value.replace("+", "%2B") : value, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException("url (AGENTSTORE_DB_URL) has a malformed %-escape in " + what);
            }
        }

        @Override
        public String toString() {
            return "Url[" + base + "]";
        }
    }
}
