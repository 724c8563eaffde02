package dev.agentstore.persistence;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.JsonLimits;
import dev.agentstore.persistence.blob.BlobRepository;
import dev.agentstore.persistence.configuration.ConfigurationCache;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
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
 * <p>Each setting has a {@link Builder} method that states its range and default, and most have an
 * {@code AGENTSTORE_*} environment variable read by {@link Builder#applyEnvironment(Map)} and
 * {@link #fromEnvironment()}; the table of settings, defaults and variables is the README's "Configuration" section
 * (milliseconds for the {@code _MS} variables, seconds for {@code _SECONDS}). Without configuration a store has no
 * read replicas, no meters and no spans.
 *
 * <p><b>URL parameters and secrets.</b> Every query parameter of the URL reaches pgjdbc; a parameter that is also a
 * setting here must agree with it, and no password or {@code *password*} parameter is ever part of {@link #jdbcUrl()},
 * {@link #toString()}, a message or a log line: see {@code docs/reliability.md} for the rules.
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

    private final ConnectionSettings connection;
    private final ConnectionSettings direct;
    private final StoreSettings store;
    private final Telemetry telemetry;
    /** The read replicas; package-private for {@link Replicas#open}. */
    final ReplicaSettings replicas;

    private AgentStoreConfig(ConnectionSettings connection, ConnectionSettings direct, StoreSettings store,
                             Telemetry telemetry, ReplicaSettings replicas) {
        this.connection = connection;
        this.direct = direct;
        this.store = store;
        this.telemetry = telemetry;
        this.replicas = replicas;
    }

    /** @return a builder with every setting at its default */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads the settings from the process environment ({@code AGENTSTORE_*} variables, listed in the README's "Configuration" section).
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
        return connection.jdbcUrl();
    }

    /** @return the database user, if set outside the URL */
    public Optional<String> user() {
        return Optional.ofNullable(connection.user());
    }

    /** @return the password, if set; never logged */
    public Optional<String> password() {
        return Optional.ofNullable(connection.password());
    }

    /**
     * @return the effective TLS mode: the configured one (builder or {@code AGENTSTORE_DB_SSLMODE}) or the URL's
     *         ({@code sslmode}, or {@code verify-full} for pgjdbc's {@code ssl=true}); empty when neither says
     *         anything, which means pgjdbc's default, {@link SslMode#PREFER}
     */
    public Optional<SslMode> sslMode() {
        return Optional.ofNullable(connection.sslMode());
    }

    /** @return the most time to open a TCP connection (pgjdbc {@code connectTimeout}, whole seconds); 0: the OS's */
    public Duration connectTimeout() {
        return connection.connectTimeout();
    }

    /**
     * @return the most time a call waits for the server's next bytes before the connection is abandoned and the
     *         call fails (pgjdbc {@code socketTimeout}, whole seconds): the bound on a frozen server or a silent
     *         network; zero: no limit. Longer than {@link #statementTimeout()}, so that a slow statement on a
     *         healthy server is cancelled by the server first.
     */
    public Duration socketTimeout() {
        return connection.socketTimeout();
    }

    /**
     * @return PostgreSQL's {@code statement_timeout} for every pool connection (whole milliseconds); zero: agentstore
     *         sets none and the server's setting applies
     */
    public Duration statementTimeout() {
        return connection.statementTimeout();
    }

    /**
     * @return PostgreSQL's {@code lock_timeout} for every pool connection: the most time a statement waits for a
     *         row, table or advisory lock (whole milliseconds); zero: agentstore sets none and the server's setting
     *         applies
     */
    public Duration lockTimeout() {
        return connection.lockTimeout();
    }

    /**
     * @return PostgreSQL's {@code idle_in_transaction_session_timeout} for every pool connection: a session left idle
     *         inside a transaction longer than this is ended by the server, releasing its locks (whole
     *         milliseconds); zero: agentstore sets none and the server's setting applies
     */
    public Duration idleInTransactionSessionTimeout() {
        return connection.idleInTransactionSessionTimeout();
    }

    /** @return the most time a call waits for a pooled connection (HikariCP {@code connectionTimeout}); 0: no limit */
    public Duration poolConnectionTimeout() {
        return store.poolConnectionTimeout();
    }

    /** @return the schema holding agentstore's tables */
    public String schema() {
        return store.schema();
    }

    /**
     * @return the schema the pgvector extension was created in ({@code CREATE EXTENSION vector SCHEMA …}; Supabase:
     *         {@code extensions}); put on the connections' {@code search_path} after {@link #schema()}
     */
    public String vectorSchema() {
        return store.vectorSchema();
    }

    /** @return what sits between the pool and PostgreSQL; see {@link PoolerMode} */
    public PoolerMode poolerMode() {
        return connection.poolerMode();
    }

    /**
     * @return the JDBC URL of the server bypassing the pooler (safe to print, as {@link #jdbcUrl()}), used for
     *         migrations and index maintenance; empty when not set, and they then use the pool
     */
    public Optional<String> directUrl() {
        return Optional.ofNullable(direct).map(ConnectionSettings::jdbcUrl);
    }

    /** @return the pool's maximum number of connections */
    public int poolMaxSize() {
        return store.poolMaxSize();
    }

    /** @return the pool's minimum number of idle connections */
    public int poolMinIdle() {
        return store.poolMinIdle();
    }

    /** @return whether {@link AgentStore#open(AgentStoreConfig)} applies pending migrations */
    public boolean autoMigrate() {
        return store.autoMigrate();
    }

    /** @return the default indexes to skip and the custom indexes to create when opening the store */
    public IndexOptions indexOptions() {
        return store.indexOptions();
    }

    /** @return the clock repositories read the time from (TTL, timestamps); the system UTC clock by default */
    public Clock clock() {
        return store.clock();
    }

    /**
     * @return the most configuration identifiers the store's {@link ConfigurationCache} keeps (entries); 0 turns the
     *         cache off
     */
    public long configCacheMaxSize() {
        return store.configCacheMaxSize();
    }

    /**
     * @return how long the store's {@link ConfigurationCache} keeps a loaded configuration: the bound on how stale a
     *         configuration changed by another process can be; zero turns the cache off
     */
    public Duration configCacheTtl() {
        return store.configCacheTtl();
    }

    /** @return the read replicas' JDBC URLs (safe to print); read-only calls go to them ({@link AgentStore#read}) */
    public java.util.List<String> replicaUrls() {
        return replicas.jdbcUrls();
    }

    /** @return the replay-lag bound of the store's default {@link ReadConsistency} (whole milliseconds) */
    public Duration replicaMaxLag() {
        return replicas.maxLag();
    }


    /** @return the connection settings: driver properties, redaction of secrets, the TLS mode's description */
    ConnectionSettings connection() {
        return connection;
    }

    /** @return the settings of {@link #directUrl()}, or {@code null} */
    ConnectionSettings directConnection() {
        return direct;
    }

    /**
     * @return the size limits every JSON value is checked against before it is written; {@code AgentStore} passes
     *         them to Hibernate as the properties {@code agentstore.json.max-*} ({@link JsonLimits#toProperties()})
     */
    public JsonLimits jsonLimits() {
        return store.jsonLimits();
    }

    /**
     * @return the largest blob content accepted, in bytes; {@code AgentStore} passes it to Hibernate as the property
     *         {@value dev.agentstore.persistence.blob.BlobRepository#MAX_SIZE_PROPERTY}
     */
    public long blobMaxSize() {
        return store.blobMaxSize();
    }

    /**
     * @return the store's name in its meters: its HikariCP pool's name (tag {@code pool} of the {@code hikaricp.*}
     *         meters) and the tag {@code store} of the {@code agentstore.*} meters; default {@code agentstore}. An
     *         open store whose registry already has a store of this name uses the first free {@code name-2},
     *         {@code name-3}, … instead ({@link AgentStore#name()})
     */
    public String name() {
        return telemetry.name();
    }

    /** @return the meter registry and OpenTelemetry the store reports to, each {@code null} when not set */
    Telemetry telemetry() {
        return telemetry;
    }

    @Override
    public String toString() {
        return "AgentStoreConfig[" + connection + (direct == null ? "" : ", directUrl=" + direct.jdbcUrl()) + ", "
                + store + ", " + telemetry + ", " + replicas + "]";
    }

    /** Builds an {@link AgentStoreConfig}; every setter returns the builder. Not thread-safe. */
    public static final class Builder extends ConnectionBuilder {
        // package-private: read by ConnectionSettings.compose and StoreSettings.validate (jsonLimits also written
        // by EnvironmentVariables)
        Duration poolConnectionTimeout = DEFAULT_POOL_CONNECTION_TIMEOUT;
        String schema = DEFAULT_SCHEMA;
        String vectorSchema = DEFAULT_SCHEMA;
        int poolMaxSize = DEFAULT_POOL_MAX_SIZE;
        int poolMinIdle = DEFAULT_POOL_MIN_IDLE;
        boolean autoMigrate = true;
        IndexOptions indexOptions = IndexOptions.DEFAULTS;
        Clock clock = Clock.systemUTC();
        long configCacheMaxSize = ConfigurationCache.DEFAULT_MAX_SIZE;
        Duration configCacheTtl = ConfigurationCache.DEFAULT_TTL;
        final Map<String, Object> jsonLimits = new HashMap<>();
        long blobMaxSize = BlobRepository.DEFAULT_MAX_SIZE;
        private Object meterRegistry;
        private Object openTelemetry;
        private String name = Telemetry.DEFAULT_NAME;
        java.util.List<String> replicaUrls = java.util.List.of();
        Duration replicaMaxLag = ReplicaSettings.DEFAULT_MAX_LAG;

        private Builder() {
        }
        /**
         * @param poolConnectionTimeout the most time a call waits for a pool connection, 0 (no limit) or 250 ms to
         *                              2,147,483,647 ms; default 10 s
         */
        public Builder poolConnectionTimeout(Duration poolConnectionTimeout) {
            this.poolConnectionTimeout = Objects.requireNonNull(poolConnectionTimeout, "poolConnectionTimeout");
            return this;
        }

        /**
         * @param schema the schema holding agentstore's tables; lower-case letters, digits and underscores, at most
         *               63 characters; default {@code public}
         */
        public Builder schema(String schema) {
            this.schema = schema;
            return this;
        }

        /** @param vectorSchema the schema of the pgvector extension, a valid schema name; default {@code public} */
        public Builder vectorSchema(String vectorSchema) {
            this.vectorSchema = vectorSchema;
            return this;
        }
        /** @param poolMaxSize the pool's maximum number of connections, at least 1; default 10 */
        public Builder poolMaxSize(int poolMaxSize) {
            this.poolMaxSize = poolMaxSize;
            return this;
        }

        /** @param poolMinIdle minimum idle connections, 0 to poolMaxSize; default 2 */
        public Builder poolMinIdle(int poolMinIdle) {
            this.poolMinIdle = poolMinIdle;
            return this;
        }

        /** @param autoMigrate whether opening the store applies pending migrations; default true */
        public Builder autoMigrate(boolean autoMigrate) {
            this.autoMigrate = autoMigrate;
            return this;
        }

        /** @param indexOptions default indexes skipped, custom indexes created; default {@link IndexOptions#DEFAULTS} */
        public Builder indexOptions(IndexOptions indexOptions) {
            this.indexOptions = Objects.requireNonNull(indexOptions, "indexOptions");
            return this;
        }

        /** @param clock the clock repositories read the time from; default {@link Clock#systemUTC()} */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * @param configCacheMaxSize the most configuration identifiers cached (entries), 0 (no cache) to 1,000,000;
         *                           default 1,000
         */
        public Builder configCacheMaxSize(long configCacheMaxSize) {
            this.configCacheMaxSize = configCacheMaxSize;
            return this;
        }

        /**
         * @param configCacheTtl how long a loaded configuration is cached, 0 (no cache) to 1 day; default 10 minutes.
         *                       Configurations changed by other processes are seen at most this long after the change.
         */
        public Builder configCacheTtl(Duration configCacheTtl) {
            this.configCacheTtl = configCacheTtl;
            return this;
        }

        /**
         * @param jsonLimits the limits every JSON value is checked against before it is written; each at most its
         *                   ceiling ({@link JsonLimits#CEILINGS}); default {@link JsonLimits#DEFAULTS}
         */
        public Builder jsonLimits(JsonLimits jsonLimits) {
            this.jsonLimits.putAll(Objects.requireNonNull(jsonLimits, "jsonLimits").toProperties());
            return this;
        }

        /**
         * @param blobMaxSize the largest blob content accepted, in bytes, 1 or more; default
         *                    {@link BlobRepository#DEFAULT_MAX_SIZE} (1 GiB)
         */
        public Builder blobMaxSize(long blobMaxSize) {
            this.blobMaxSize = blobMaxSize;
            return this;
        }

        /** @param urls read replicas, URLs as {@link #url} takes; login, TLS, timeouts: the primary's by default */
        public Builder replicaUrls(String... urls) {
            this.replicaUrls = java.util.List.of(urls);
            return this;
        }

        /** @param replicaMaxLag see {@link AgentStoreConfig#replicaMaxLag()}, 0 or more; default 1 s */
        public Builder replicaMaxLag(Duration replicaMaxLag) {
            this.replicaMaxLag = Objects.requireNonNull(replicaMaxLag, "replicaMaxLag");
            return this;
        }

        /**
         * @param registry where the store's meters go: a timer per repository call and unit of work with an outcome
         *                 tag, conflict and retry counters, HikariCP's pool gauges (docs/operations.md); needs
         *                 micrometer-core on the classpath; default none (no meters)
         */
        public Builder meterRegistry(io.micrometer.core.instrument.MeterRegistry registry) {
            this.meterRegistry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * @param name the store's name in its meters (see {@link AgentStoreConfig#name()}): 1 to 63 letters, digits,
         *             {@code _}, {@code .} or {@code -}, starting with a letter or digit; default {@code agentstore}
         */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /**
         * @param openTelemetry where the store's spans go: one per repository call and unit of work, with the
         *                      database semantic conventions and no statement values (docs/operations.md); needs
         *                      opentelemetry-api on the classpath; default none (no spans)
         */
        public Builder openTelemetry(io.opentelemetry.api.OpenTelemetry openTelemetry) {
            this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
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
            EnvironmentVariables.apply(this, env);
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
            return new AgentStoreConfig(ConnectionSettings.compose(this), ConnectionSettings.composeDirect(this),
                    StoreSettings.validate(this), new Telemetry(meterRegistry, openTelemetry, name),
                    ReplicaSettings.compose(this));
        }
    }
}
