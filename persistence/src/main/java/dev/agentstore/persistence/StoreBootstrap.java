package dev.agentstore.persistence;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import dev.agentstore.persistence.health.PoolSaturation;
import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.persistence.blob.BlobRepository;
import dev.agentstore.persistence.support.JsonFormatMapper;
import org.hibernate.SessionFactory;
import org.hibernate.boot.MetadataSources;
import org.hibernate.boot.registry.StandardServiceRegistry;
import org.hibernate.boot.registry.StandardServiceRegistryBuilder;
import org.hibernate.cfg.AvailableSettings;
import org.hibernate.dialect.Dialect;

import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;

/**
 * What {@link AgentStore} starts on: pgjdbc connections with the store's settings, the HikariCP pool over them, and
 * Hibernate's session factory (its settings, service registry and the entity classes), validating the schema
 * ({@code hbm2ddl=validate}). Connection failures are reported with the URL, the user and the TLS mode, never a
 * secret. Stateless.
 */
final class StoreBootstrap {

    private StoreBootstrap() {
    }

    /**
     * @return unpooled connections with the pool's settings: the configured schema first on the {@code search_path},
     *         then {@code public}
     */
    static DataSource driverDataSource(AgentStoreConfig config) {
        return driverDataSource(config, config.connection());
    }

    /** @return {@link #driverDataSource(AgentStoreConfig)} over {@code connection} (a replica's) */
    static DataSource driverDataSource(AgentStoreConfig config, ConnectionSettings connection) {
        java.util.Properties props = connection.connectionProperties();
        // the schema first, then public (where extensions such as pgvector are installed)
        props.setProperty("currentSchema", config.schema().equals("public") ? "public" : config.schema() + ",public");
        props.setProperty("reWriteBatchedInserts", "true");
        props.putIfAbsent("ApplicationName", "agentstore");
        // keep PostgreSQL's DETAIL lines (which quote the values of a failed statement) out of exceptions and logs
        props.setProperty("logServerErrorDetail", "false");
        return new com.zaxxer.hikari.util.DriverDataSource(connection.jdbcUrl(), "org.postgresql.Driver", props,
                connection.user(), connection.password());
    }

    /**
     * @return a started pool of {@link #driverDataSource} connections, sized by the config
     * @throws AgentStoreException when the first connection fails, naming the URL, user and TLS mode and what to check
     */
    static HikariDataSource createPool(AgentStoreConfig config) {
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("agentstore");
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
        hc.setPoolName("agentstore-replica-" + index);
        hc.setDataSource(driverDataSource(config, connection));
        hc.setMaximumPoolSize(config.poolMaxSize());
        hc.setMinimumIdle(config.poolMinIdle());
        hc.setConnectionTimeout(connectionTimeout.toMillis());
        hc.setInitializationFailTimeout(-1);
        return new HikariDataSource(hc);
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
