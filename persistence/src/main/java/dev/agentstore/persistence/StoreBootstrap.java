package dev.agentstore.persistence;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import dev.agentstore.persistence.health.PoolSaturation;
import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.migrations.Indexes;
import dev.agentstore.migrations.MigrationException;
import dev.agentstore.migrations.Migrations;
import dev.agentstore.persistence.blob.BlobRepository;
import dev.agentstore.persistence.support.JsonFormatMapper;
import org.hibernate.SessionFactory;
import org.hibernate.boot.MetadataSources;
import org.hibernate.boot.registry.StandardServiceRegistry;
import org.hibernate.boot.registry.StandardServiceRegistryBuilder;
import org.hibernate.cfg.AvailableSettings;
import org.hibernate.dialect.Dialect;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * What {@link AgentStore} starts on: pgjdbc connections with the store's settings, the HikariCP pool over them, and
 * Hibernate's session factory (its settings, service registry and the entity classes), validating the schema
 * ({@code hbm2ddl=validate}). Connection failures are reported with the URL, the user and the TLS mode, never a
 * secret. Stateless.
 */
final class StoreBootstrap {

    private static final Logger LOG = LoggerFactory.getLogger(AgentStore.class);

    private StoreBootstrap() {
    }

    /**
     * @return unpooled connections with the pool's settings: the configured schema first on the {@code search_path},
     *         then the vector schema, then {@code public}; behind a transaction pooler no {@code search_path} is sent
     *         (PgBouncer refuses it as a startup parameter): the server's must be right ({@link #checkSearchPath})
     */
    static DataSource driverDataSource(AgentStoreConfig config) {
        return driverDataSource(config, config.connection());
    }

    /**
     * @return unpooled connections to the server bypassing the pooler ({@link AgentStoreConfig#directUrl()}), with
     *         the pool's settings, for migrations and index maintenance; {@code null} when no direct URL is set
     */
    static DataSource directDataSource(AgentStoreConfig config) {
        return config.directConnection() == null ? null : driverDataSource(config, config.directConnection());
    }

    /**
     * @return the {@code search_path} agentstore's connections need: the schema, then the vector schema (whose
     *         pgvector types, functions and operators the SQL names unqualified), then {@code public}, without repeats
     */
    static String searchPath(AgentStoreConfig config) {
        return String.join(",",
                new java.util.LinkedHashSet<>(List.of(config.schema(), config.vectorSchema(), "public")));
    }

    /** @return {@link #driverDataSource(AgentStoreConfig)} over {@code connection} (a replica's, the direct URL's) */
    static DataSource driverDataSource(AgentStoreConfig config, ConnectionSettings connection) {
        java.util.Properties props = connection.connectionProperties();
        if (connection.poolerMode() == PoolerMode.NONE) {
            props.setProperty("currentSchema", searchPath(config));
        }
        props.setProperty("reWriteBatchedInserts", "true");
        props.putIfAbsent("ApplicationName", "agentstore");
        // keep PostgreSQL's DETAIL lines (which quote the values of a failed statement) out of exceptions and logs
        props.setProperty("logServerErrorDetail", "false");
        return new com.zaxxer.hikari.util.DriverDataSource(connection.jdbcUrl(), "org.postgresql.Driver", props,
                connection.user(), connection.password());
    }

    /**
     * Checks on one connection that the {@code search_path} resolves pgvector's {@code vector} type and, behind a
     * transaction pooler (where the server's own {@code search_path} counts), that it starts with the configured
     * schema, so that a wrong setting fails here, naming what to change, and not in the first unqualified
     * statement. Skipped for a caller's {@link DataSource} without pooler and with pgvector in {@code public}.
     *
     * @param ownPool whether {@code dataSource} is the store's own pool (whose {@code search_path} it set)
     * @throws AgentStoreException when the schema is not first or {@code vector} does not resolve
     */
    static void checkSearchPath(AgentStoreConfig config, DataSource dataSource, boolean ownPool) {
        boolean pooled = config.poolerMode() != PoolerMode.NONE;
        if (!pooled && !ownPool && config.vectorSchema().equals("public")) {
            return;
        }
        String current;
        boolean vector;
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT current_schema(), to_regtype('vector') IS NOT NULL")) {
            rs.next();
            current = rs.getString(1);
            vector = rs.getBoolean(2);
            if (!c.getAutoCommit()) {
                c.rollback();
            }
        } catch (SQLException e) {
            throw new AgentStoreException("could not read the search_path: " + e.getMessage(), e);
        }
        String fix = pooled ? " Behind a transaction pooler the server's own search_path counts: ALTER ROLE <user> IN"
                + " DATABASE <database> SET search_path = " + searchPath(config) + " (see docs/operations.md)."
                : " Check schema (AGENTSTORE_DB_SCHEMA) and vectorSchema (AGENTSTORE_VECTOR_SCHEMA).";
        if (pooled && !config.schema().equals(current)) {
            throw new AgentStoreException("the connections' current schema is " + current + ", not the configured "
                    + config.schema() + " (or that schema does not exist)." + fix);
        }
        if (!vector) {
            throw new AgentStoreException("pgvector's type vector is not on the connections' search_path (vectorSchema "
                    + config.vectorSchema() + ")." + fix);
        }
    }

    /**
     * @param name the pool's name, the store's name ({@link StoreNames#claim}); its meters' tag {@code pool}
     * @return a started pool of {@link #driverDataSource} connections, sized by the config
     * @throws AgentStoreException when the first connection fails, naming the URL, user and TLS mode and what to check
     */
    static HikariDataSource createPool(AgentStoreConfig config, String name) {
        HikariConfig hc = new HikariConfig();
        hc.setPoolName(name);
        // HikariCP gets a DataSource, not the URL and properties: its debug log of the configuration would print
        // secret properties such as sslpassword (it masks only "password"); the URL holds no secret, so pgjdbc's
        // own log of it is safe
        hc.setDataSource(driverDataSource(config));
        hc.setMaximumPoolSize(config.poolMaxSize());
        hc.setMinimumIdle(config.poolMinIdle());
        hc.setConnectionTimeout(config.poolConnectionTimeout().toMillis());
        if (config.telemetry().meterRegistry() != null) {
            PoolMetrics.register(hc, config.telemetry().meterRegistry());
        }
        try {
            return new HikariDataSource(hc);
        } catch (RuntimeException e) {
            // the URL holds no secret by construction; the driver's text is masked in case it quotes one
            throw new AgentStoreException("could not connect to " + config.jdbcUrl()
                    + config.user().map(u -> " as " + u).orElse("") + " with sslmode " + config.connection().sslModeDescription()
                    + ": " + config.connection().redact(rootMessage(e)) + connectHint(e), e);
        }
    }

    /**
     * @param pool a pool the store opened
     * @return its connections now (HikariCP's {@link HikariPoolMXBean}), {@code null} when it is not started
     */
    static PoolSaturation saturation(HikariDataSource pool) {
        HikariPoolMXBean bean = pool.getHikariPoolMXBean();
        return bean == null ? null : new PoolSaturation(bean.getActiveConnections(), bean.getIdleConnections(),
                bean.getTotalConnections(), bean.getThreadsAwaitingConnection(), pool.getMaximumPoolSize());
    }

    /**
     * @return a pool for the read replica at {@code connection}, sized as the primary's, that starts without
     *         connecting (a replica that is down does not stop the store from opening) and waits at most
     *         {@code connectionTimeout} for a connection, so that a call falls back to the primary quickly
     */
    static HikariDataSource createReplicaPool(AgentStoreConfig config, ConnectionSettings connection, int index,
                                              java.time.Duration connectionTimeout) {
        HikariConfig hc = new HikariConfig();
        hc.setPoolName(config.name() + "-replica-" + index);
        hc.setDataSource(driverDataSource(config, connection));
        hc.setMaximumPoolSize(config.poolMaxSize());
        hc.setMinimumIdle(config.poolMinIdle());
        hc.setConnectionTimeout(connectionTimeout.toMillis());
        hc.setInitializationFailTimeout(-1);
        return new HikariDataSource(hc);
    }

    /**
     * When {@link AgentStoreConfig#autoMigrate()}: applies the pending migrations and reconciles the custom indexes
     * of {@link AgentStoreConfig#indexOptions()}, on {@code schemaSource} (the direct URL's connections behind a
     * transaction pooler, else the store's).
     *
     * @throws AgentStoreException    when a migration fails
     * @throws InvalidInputException when a custom index names a column its table lacks
     */
    static void migrate(AgentStoreConfig config, DataSource schemaSource) {
    if (config.autoMigrate()) {
        IndexOptions indexOptions = config.indexOptions();
        try {
            var applied = new Migrations(schemaSource, config.schema()).vectorSchema(config.vectorSchema())
                    .skipDefaultIndexes(indexOptions.skipDefaultIndexes()).up();
            LOG.info("agentstore: applied {} change set(s) to schema {}", applied.size(), config.schema());
            if (!indexOptions.indexes().isEmpty()) {
                new Indexes(schemaSource, config.schema()).ensure(indexOptions.indexes());
            }
        } catch (MigrationException e) {
            throw new AgentStoreException(e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(e.getMessage(), e);
        }
    }
    }

    /** What to check after a failed first connection: TLS settings when the TLS handshake failed, else the address. */
    private static String connectHint(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof javax.net.ssl.SSLException || String.valueOf(t.getMessage()).contains("hostname")) {
                return " (TLS: with verify-ca/verify-full the server certificate must be signed by the CA in the url's"
                        + " sslrootcert parameter (default ~/.postgresql/root.crt), and with verify-full it must name"
                        + " the host exactly as the url does; check AGENTSTORE_DB_URL / AGENTSTORE_DB_HOST and"
                        + " AGENTSTORE_DB_SSLMODE)";
            }
        }
        return " (check AGENTSTORE_DB_URL / AGENTSTORE_DB_HOST, AGENTSTORE_DB_USER and AGENTSTORE_DB_PASSWORD)";
    }

    /**
     * @return Hibernate over {@code dataSource} with the entities of {@link AgentStore#ENTITY_CLASSES}, the config's
     *         schema validated against them; on failure the service registry is destroyed and the exception rethrown
     */
    static SessionFactory buildSessionFactory(AgentStoreConfig config, DataSource dataSource) {
        return buildSessionFactory(config, dataSource, null);
    }

    /**
     * @param replicaDialect {@code null} for the primary; for a read replica, the primary's dialect: the factory then
     *                       neither validates the schema (the primary's was) nor connects while it starts
     */
    static SessionFactory buildSessionFactory(AgentStoreConfig config, DataSource dataSource, Dialect replicaDialect) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(AvailableSettings.JAKARTA_NON_JTA_DATASOURCE, dataSource);
        if (replicaDialect == null) {
            settings.put(AvailableSettings.HBM2DDL_AUTO, "validate");
        } else {
            settings.put(AvailableSettings.HBM2DDL_AUTO, "none");
            settings.put(AvailableSettings.DIALECT, replicaDialect);
            settings.put(AvailableSettings.ALLOW_METADATA_ON_BOOT, false);
        }
        settings.put(AvailableSettings.DEFAULT_SCHEMA, config.schema());
        settings.put(AvailableSettings.JDBC_TIME_ZONE, "UTC");
        // the entities are read-only to JPA (ReadOnlyEntity): a JPQL bulk UPDATE or DELETE of one fails, and so does any
        // other INSERT/UPDATE/DELETE Hibernate would send to an agentstore table
        settings.put(AvailableSettings.IMMUTABLE_ENTITY_UPDATE_QUERY_HANDLING_MODE, "exception");
        settings.put(AvailableSettings.STATEMENT_INSPECTOR, new ReadOnlyStatementInspector());
        settings.put(AvailableSettings.SHOW_SQL, "false");
        settings.put(AvailableSettings.JSON_FORMAT_MAPPER, new JsonFormatMapper());
        settings.putAll(config.jsonLimits().toProperties()); // read by the repositories' write checks (JsonWrites)
        settings.put(BlobRepository.MAX_SIZE_PROPERTY, Long.toString(config.blobMaxSize()));
        StandardServiceRegistry registry = new StandardServiceRegistryBuilder().applySettings(settings).build();
        try {
            MetadataSources sources = new MetadataSources(registry);
            AgentStore.ENTITY_CLASSES.forEach(sources::addAnnotatedClass);
            return sources.buildMetadata().buildSessionFactory();
        } catch (RuntimeException e) {
            StandardServiceRegistryBuilder.destroy(registry);
            throw e;
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }
}
