package dev.agentstore.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.json.Json;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * From outside the server, over HTTP: WildFly's MicroProfile Health subsystem ({@code standalone-microprofile.xml},
 * the tests' server configuration) serves the example's readiness check {@code agentstore} at {@code /health/ready}
 * on the management port: 200 and UP with the primary's role while the database is reachable; 503 and DOWN while the
 * database refuses connections ({@code ALTER DATABASE … ALLOW_CONNECTIONS false}, its sessions ended), and UP again
 * once it accepts them.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class HealthEndpointTest {

    private static final URI READY = URI.create("http://127.0.0.1:"
            + System.getProperty("wildfly.management.port", "9990") + "/health/ready");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** @return the example WAR as built, under a name of its own */
    @Deployment(testable = false)
    static WebArchive example() {
        return ShrinkWrap.create(WebArchive.class, "health.war").merge(Deployments.exampleApp());
    }

    @Test
    void readinessIsUpWithThePrimarysRoleWhileTheDatabaseIsReachable() throws Exception {
        HttpResponse<String> ready = ready();
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        JsonNode check = agentstoreCheck(ready.body());
        assertThat(check.get("status").asText()).isEqualTo("UP");
        assertThat(check.get("data").get("status").asText()).isEqualTo("UP");
        assertThat(check.get("data").get("role").asText()).isEqualTo("PRIMARY");
        assertThat(check.get("data").get("pendingMigrations").asInt()).isZero();
    }

    @Test
    void readinessIsDownWhileTheDatabaseRefusesConnectionsAndUpAfterwards() throws Exception {
        String db = System.getenv("AGENTSTORE_DB_NAME");
        int port = ReplicaPair.primaryPort();
        ReplicaPair.superuserSql(port, "postgres", "ALTER DATABASE " + db + " ALLOW_CONNECTIONS false");
        try {
            ReplicaPair.superuserSql(port, "postgres", "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    + " WHERE datname = '" + db + "'");
            HttpResponse<String> down = ready();
            assertThat(down.statusCode()).as(down.body()).isEqualTo(503);
            JsonNode check = agentstoreCheck(down.body());
            assertThat(check.get("status").asText()).isEqualTo("DOWN");
            assertThat(check.get("data").get("problems").asText()).startsWith("no connection");
        } finally {
            ReplicaPair.superuserSql(port, "postgres", "ALTER DATABASE " + db + " ALLOW_CONNECTIONS true");
        }
        HttpResponse<String> up = ready();
        // the datasource's pool reconnects by itself: a bound of 30 s, not a speed assertion
        for (int i = 0; i < 150 && up.statusCode() != 200; i++) {
            Thread.sleep(200);
            up = ready();
        }
        assertThat(up.statusCode()).as(up.body()).isEqualTo(200);
        assertThat(agentstoreCheck(up.body()).get("status").asText()).isEqualTo("UP");
    }

    private HttpResponse<String> ready() throws Exception {
        return http.send(HttpRequest.newBuilder(READY).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode agentstoreCheck(String body) {
        JsonNode checks = Json.parse("health", body).get("checks");
        return StreamSupport.stream(checks.spliterator(), false)
                .filter(c -> c.get("name").asText().equals("agentstore")).findFirst()
                .orElseThrow(() -> new AssertionError("no check named agentstore in " + body));
    }
}
