package dev.agentstore.it;

import dev.agentstore.migrations.Migrations;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.flow.FlowRunRepository;
import dev.agentstore.persistence.jakarta.MigrateOnDeployment;
import jakarta.annotation.Resource;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.PersistenceUnit;
import jakarta.persistence.metamodel.EntityType;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The deployment itself, inside WildFly: the container datasource from the {@code AGENTSTORE_DB_*} variables, the
 * schema migrated by {@link MigrateOnDeployment} while the persistence unit started (Hibernate then validated it),
 * the unit's entities equal to {@link AgentStore#ENTITY_CLASSES}, and the repositories injected.
 */
@ExtendWith(ArquillianExtension.class)
class DeploymentInContainerTest {

    @Deployment
    static WebArchive deployment() {
        return Deployments.withTests("deployment-it.war", DeploymentInContainerTest.class);
    }

    @Resource(lookup = "java:jboss/datasources/AgentStoreDS")
    DataSource dataSource;

    @PersistenceUnit(unitName = "agentstore")
    EntityManagerFactory emf;

    @Inject
    FlowRunRepository runs;

    @Test
    void containerDatasourceUsesTheSchemaFromTheEnvironment() throws Exception {
        String schema = System.getenv("AGENTSTORE_DB_SCHEMA");
        assertThat(schema).as("AGENTSTORE_DB_SCHEMA inherited by the server").isEqualTo("agentstore_it");
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_schema(), current_database()")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo(schema);
            assertThat(rs.getString(2)).isEqualTo(System.getenv().getOrDefault("AGENTSTORE_DB_NAME", "agentstore"));
        }
    }

    @Test
    void schemaWasMigratedAtDeployment() {
        assertThat(new Migrations(dataSource, System.getenv("AGENTSTORE_DB_SCHEMA")).status()).isEmpty();
    }

    @Test
    void persistenceUnitListsExactlyTheEntityClassesOfAgentStore() {
        List<Class<?>> entities = emf.getMetamodel().getEntities().stream()
                .<Class<?>>map(EntityType::getJavaType).toList();
        assertThat(entities).containsExactlyInAnyOrderElementsOf(AgentStore.ENTITY_CLASSES);
    }

    @Test
    void repositoriesAreInjected() {
        assertThat(runs).isNotNull();
        assertThat(runs.get("deployment-it", "absent")).isEmpty();
    }
}
