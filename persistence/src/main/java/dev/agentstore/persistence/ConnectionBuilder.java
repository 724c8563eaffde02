package dev.agentstore.persistence;

import java.time.Duration;
import java.util.Objects;

/**
 * The connection half of {@link AgentStoreConfig.Builder}: where the server is, how to log in, TLS, the timeouts and
 * the pooler in between. Its setters are documented and called as the builder's own; the fields are read by
 * {@link ConnectionSettings#compose}. Not thread-safe.
 */
abstract class ConnectionBuilder {
    // package-private: read by ConnectionSettings.compose and StoreSettings.validate
    String url;
    String host = "localhost";
    Integer port = AgentStoreConfig.DEFAULT_PORT;
    String database;
    String user;
    String password;
    SslMode sslMode;
    Duration connectTimeout;
    Duration socketTimeout;
    Duration statementTimeout = AgentStoreConfig.DEFAULT_STATEMENT_TIMEOUT;
    Duration lockTimeout = AgentStoreConfig.DEFAULT_LOCK_TIMEOUT;
    Duration idleInTransactionSessionTimeout = AgentStoreConfig.DEFAULT_IDLE_IN_TRANSACTION_SESSION_TIMEOUT;
    PoolerMode poolerMode = PoolerMode.NONE;
    String directUrl;

    /**
     * @param url a JDBC URL ({@code jdbc:postgresql://…}) or a DSN ({@code postgres://} or
     *            {@code postgresql://user:password@host:port,host2:port2/database?param=value&…}); user and
     *            password in a DSN, and {@code user} and {@code password} parameters, fill those settings
     *            unless they are set explicitly; see the class comment for the other parameters
     */
    public AgentStoreConfig.Builder url(String url) {
        this.url = url;
        return self();
    }

    /** @param host the server host name or address; default {@code localhost} */
    public AgentStoreConfig.Builder host(String host) {
        this.host = host;
        return self();
    }

    /** @param port the server port, 1–65535; default 5432 */
    public AgentStoreConfig.Builder port(int port) {
        this.port = port;
        return self();
    }

    /** @param database the database name */
    public AgentStoreConfig.Builder database(String database) {
        this.database = database;
        return self();
    }

    /** @param user the database user */
    public AgentStoreConfig.Builder user(String user) {
        this.user = user;
        return self();
    }

    /** @param password the database password; never logged */
    public AgentStoreConfig.Builder password(String password) {
        this.password = password;
        return self();
    }

    /**
     * @param sslMode the TLS mode; {@code null} leaves it to the URL's {@code sslmode}, else to the driver's
     *                default ({@code prefer}). A URL whose {@code sslmode} differs makes
     *                {@link AgentStoreConfig.Builder#build()} fail.
     */
    public AgentStoreConfig.Builder sslMode(SslMode sslMode) {
        this.sslMode = sslMode;
        return self();
    }

    /**
     * @param connectTimeout the most time to open a TCP connection, whole seconds, 0 (no limit) to
     *                       2,147,483 s; default 10 s, or the URL's {@code connectTimeout}
     */
    public AgentStoreConfig.Builder connectTimeout(Duration connectTimeout) {
        this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
        return self();
    }

    /**
     * @param socketTimeout the most time a call waits for the server's next bytes, whole seconds, 0 (no limit)
     *                      to 2,147,483 s, longer than the statement timeout when both are set; default 120 s,
     *                      or the URL's {@code socketTimeout}
     */
    public AgentStoreConfig.Builder socketTimeout(Duration socketTimeout) {
        this.socketTimeout = Objects.requireNonNull(socketTimeout, "socketTimeout");
        return self();
    }

    /**
     * @param statementTimeout PostgreSQL's {@code statement_timeout}, whole milliseconds, 0 (the server's
     *                         setting) to 2,147,483,647 ms; default 60 s
     */
    public AgentStoreConfig.Builder statementTimeout(Duration statementTimeout) {
        this.statementTimeout = Objects.requireNonNull(statementTimeout, "statementTimeout");
        return self();
    }

    /**
     * @param lockTimeout PostgreSQL's {@code lock_timeout}, whole milliseconds, 0 (the server's setting) to
     *                    2,147,483,647 ms; default 10 s
     */
    public AgentStoreConfig.Builder lockTimeout(Duration lockTimeout) {
        this.lockTimeout = Objects.requireNonNull(lockTimeout, "lockTimeout");
        return self();
    }

    /**
     * @param idleInTransactionSessionTimeout PostgreSQL's {@code idle_in_transaction_session_timeout}, whole
     *                                        milliseconds, 0 (the server's setting) to 2,147,483,647 ms;
     *                                        default 60 s
     */
    public AgentStoreConfig.Builder idleInTransactionSessionTimeout(Duration idleInTransactionSessionTimeout) {
        this.idleInTransactionSessionTimeout = Objects.requireNonNull(idleInTransactionSessionTimeout,
                "idleInTransactionSessionTimeout");
        return self();
    }


    /** @param poolerMode what sits between the pool and PostgreSQL; default {@link PoolerMode#NONE} */
    public AgentStoreConfig.Builder poolerMode(PoolerMode poolerMode) {
        this.poolerMode = Objects.requireNonNull(poolerMode, "poolerMode");
        return self();
    }

    /**
     * @param directUrl the server without the pooler (a URL as {@link #url(String)}; its user and password when
     *                  it names a user, else this builder's), for migrations and index maintenance; required
     *                  with {@link PoolerMode#TRANSACTION} and autoMigrate
     */
    public AgentStoreConfig.Builder directUrl(String directUrl) {
        this.directUrl = directUrl;
        return self();
    }

    /** @return this builder, as the public type */
    private AgentStoreConfig.Builder self() {
        return (AgentStoreConfig.Builder) this;
    }
}
