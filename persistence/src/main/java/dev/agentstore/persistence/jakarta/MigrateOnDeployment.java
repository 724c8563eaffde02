package dev.agentstore.persistence.jakarta;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.migrations.MigrationException;
import dev.agentstore.migrations.Indexes;
import dev.agentstore.migrations.Migrations;
import dev.agentstore.persistence.IndexOptions;
import org.hibernate.boot.Metadata;
import org.hibernate.boot.spi.BootstrapContext;
import org.hibernate.cfg.AvailableSettings;
import org.hibernate.engine.jdbc.connections.spi.ConnectionProvider;
import org.hibernate.engine.spi.SessionFactoryImplementor;
import org.hibernate.integrator.spi.Integrator;
import org.hibernate.service.spi.SessionFactoryServiceRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Properties;
import javax.sql.DataSource;

/**
 * Runs the agentstore Liquibase migrations ({@link Migrations#up()}) against a container persistence unit's own
 * (JTA) datasource while Hibernate starts that unit, before {@code hbm2ddl=validate} checks the schema. A Hibernate
 * {@link Integrator}, registered in the persistence jar's {@code META-INF/services}; it acts only on units that opt
 * in with the property {@value #PROPERTY} in their {@code persistence.xml}:
 *
 * <pre>{@code
 * <property name="agentstore.auto_migrate" value="true"/>
 * }</pre>
 *
 * <p><b>Why not a {@code @Startup} bean.</b> A container starts a deployment's persistence units (and so Hibernate's
 * schema validation) before any of its EJBs or CDI observers run; a startup bean would migrate too late and the
 * deployment of a fresh schema would fail validation. An integrator runs inside Hibernate's start, before
 * validation. (Hibernate's {@code hibernate.integrator_provider} setting cannot be used: on WildFly it loads the class
 * from Hibernate's own module, which cannot see the deployment.)
 *
 * <p><b>Target.</b> The schema is the unit's {@code hibernate.default_schema} ({@code public} when unset), created if
 * missing; the connections come from the unit's datasource, whose {@code currentSchema} must name the same schema.
 * Concurrent starts (a cluster, several deployments sharing a schema) are serialised by {@link Migrations}' advisory
 * lock: one migrates, the others wait and find nothing to do.
 *
 * <p><b>Switching it off</b> (deployments whose DDL is applied separately, for example from
 * {@code Migrations.pendingSql()}): the first of these that is set decides, {@code true} or {@code false}
 * (case-insensitive): the system property {@value #PROPERTY}, the environment variable {@value #ENV} (the same one
 * as standalone), the persistence-unit property {@value #PROPERTY}. A unit without the property is left alone
 * whatever the others say (the standalone {@code AgentStore}, which migrates by itself, never sets it). Hibernate
 * still validates the schema when migration is off.
 *
 * <p><b>Indexes.</b> {@code AGENTSTORE_SKIP_DEFAULT_INDEXES} and {@code AGENTSTORE_INDEXES} apply as standalone
 * ({@link IndexOptions}): default indexes left out, custom indexes created when missing after the migrations.
 *
 * <p>A failed migration fails the deployment with an {@link AgentStoreException} naming the schema.
 */
public class MigrateOnDeployment implements Integrator {

    /** The persistence-unit property and system property that switch migration on or off. */
    public static final String PROPERTY = "agentstore.auto_migrate";

    /** The environment variable that switches migration on or off, as {@code AgentStoreConfig}'s autoMigrate. */
    public static final String ENV = "AGENTSTORE_AUTO_MIGRATE";

    private static final Logger LOG = LoggerFactory.getLogger(MigrateOnDeployment.class);

    /** Hibernate instantiates it through {@link java.util.ServiceLoader}. */
    public MigrateOnDeployment() {
    }

    /**
     * Migrates the unit's schema when it opted in and is not switched off (see the class comment).
     *
     * @throws AgentStoreException   when a migration fails, the unit's datasource cannot be reached, or the unit
     *                               gets its connections from something other than a {@link DataSource}
     * @throws InvalidInputException when a switch is neither {@code true} nor {@code false}, or the schema name is
     *                               invalid
     */
    @Override
    public void integrate(Metadata metadata, BootstrapContext bootstrapContext, SessionFactoryImplementor sessionFactory) {
        Map<String, Object> settings = sessionFactory.getProperties();
        if (settings.get(PROPERTY) == null) {
            return; // not an agentstore container unit (or the standalone AgentStore)
        }
        if (!enabled(settings.get(PROPERTY), System.getenv(ENV), System.getProperties())) {
            LOG.info("agentstore: migrations at deployment switched off ({} / {})", PROPERTY, ENV);
            return;
        }
        Object configured = settings.get(AvailableSettings.DEFAULT_SCHEMA);
        String schema = configured == null || configured.toString().isBlank() ? "public" : configured.toString().trim();
        ConnectionProvider connections = sessionFactory.getServiceRegistry().requireService(ConnectionProvider.class);
        if (!connections.isUnwrappableAs(DataSource.class)) {
            throw new AgentStoreException("agentstore: cannot migrate schema '" + schema + "' at deployment: the"
                    + " persistence unit has no DataSource (use <jta-data-source>) or set " + PROPERTY + "=false");
        }
        DataSource dataSource = connections.unwrap(DataSource.class);
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(Migrations.class.getClassLoader());
        try {
            IndexOptions indexOptions = IndexOptions.DEFAULTS.applyEnvironment(System.getenv());
            var applied = new Migrations(dataSource, schema).skipDefaultIndexes(indexOptions.skipDefaultIndexes()).up();
            LOG.info("agentstore: applied {} change set(s) to schema {}", applied.size(), schema);
            if (!indexOptions.indexes().isEmpty()) {
                new Indexes(dataSource, schema).ensure(indexOptions.indexes());
            }
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("hibernate.default_schema or AGENTSTORE_INDEXES: " + e.getMessage(), e);
        } catch (MigrationException e) {
            throw new AgentStoreException("agentstore: migrating schema '" + schema + "' at deployment failed: "
                    + e.getMessage(), e);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** Nothing to undo. */
    @Override
    public void disintegrate(SessionFactoryImplementor sessionFactory, SessionFactoryServiceRegistry serviceRegistry) {
    }

    /**
     * Decides whether to migrate: the system property {@value #PROPERTY} wins over the environment variable
     * {@value #ENV}, which wins over the persistence-unit property; all unset means {@code true} (but
     * {@link #integrate} does nothing for a unit without the property).
     *
     * @param unitProperty     the persistence unit's {@value #PROPERTY}, or {@code null}
     * @param environmentValue the value of {@value #ENV}, or {@code null}
     * @param systemProperties the JVM's system properties
     * @return whether to run the migrations
     * @throws InvalidInputException when the deciding value is neither {@code true} nor {@code false}
     */
    public static boolean enabled(Object unitProperty, String environmentValue, Properties systemProperties) {
        String system = systemProperties.getProperty(PROPERTY);
        if (system != null) {
            return parse("system property " + PROPERTY, system);
        }
        if (environmentValue != null) {
            return parse("environment variable " + ENV, environmentValue);
        }
        if (unitProperty != null) {
            return parse("persistence-unit property " + PROPERTY, unitProperty.toString());
        }
        return true;
    }

    private static boolean parse(String what, String value) {
        String v = value.trim();
        if (v.equalsIgnoreCase("true")) {
            return true;
        }
        if (v.equalsIgnoreCase("false")) {
            return false;
        }
        throw new InvalidInputException(what + " must be true or false, was " + Check.describe(value));
    }
}
