package dev.agentstore.examples.wildfly;

import dev.agentstore.persistence.health.HealthProbe;
import dev.agentstore.persistence.health.StoreHealth;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import javax.sql.DataSource;

/**
 * MicroProfile Health readiness check {@code agentstore}: {@link HealthProbe#check} over the application's datasource
 * and schema ({@code AGENTSTORE_DB_SCHEMA}, as {@code persistence.xml}). DOWN when the database cannot be reached; UP
 * otherwise, also when degraded (pending migrations, no pgvector), with the verdict and the details as data:
 * {@code status}, {@code role}, {@code replayLagMs}, {@code pendingMigrations}, {@code pgvector}, {@code problems}. A
 * readiness check only: a database outage should take the instance out of the load balancer, not restart it.
 * WildFly serves it at {@code /health/ready} on the management port when its configuration has the
 * {@code microprofile-health-smallrye} subsystem ({@code standalone-microprofile.xml}).
 */
@Readiness
@ApplicationScoped
public class AgentStoreHealthCheck implements HealthCheck {

    @Resource(lookup = "java:jboss/datasources/AgentStoreDS")
    DataSource dataSource;

    @Override
    public HealthCheckResponse call() {
        String schema = System.getenv().getOrDefault("AGENTSTORE_DB_SCHEMA", "public");
        StoreHealth health = HealthProbe.check(dataSource, schema, null);
        HealthCheckResponseBuilder response = HealthCheckResponse.named("agentstore").status(health.connected())
                .withData("status", health.status().name())
                .withData("role", health.role().name())
                .withData("pendingMigrations", health.pendingMigrations());
        if (health.replayLag() != null) {
            response.withData("replayLagMs", health.replayLag().toMillis());
        }
        if (health.pgvectorVersion() != null) {
            response.withData("pgvector", health.pgvectorVersion());
        }
        if (!health.problems().isEmpty()) {
            response.withData("problems", String.join("; ", health.problems()));
        }
        return response.build();
    }
}
