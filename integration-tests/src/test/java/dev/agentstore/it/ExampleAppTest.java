package dev.agentstore.it;

import dev.agentstore.domain.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.OperateOnDeployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.asset.StringAsset;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * From outside the server: the example WAR, deployed as built, over HTTP through its JAX-RS resources (runs and
 * events; knowledge bases and vector search; the LangChain4j stores and the LangGraph4j checkpoint saver injected
 * from agentstore's producers); and a
 * deployment whose persistence unit switches migrations off, which must leave its schema uncreated.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class ExampleAppTest {

    private static final String UNMIGRATED = System.getProperty("it.schema", "agentstore_it") + "_unmigrated";

    private final HttpClient http = HttpClient.newHttpClient();

    /** @return the example WAR exactly as examples/wildfly-app builds it */
    @Deployment(name = "example", testable = false, order = 1)
    static WebArchive example() {
        return Deployments.exampleApp();
    }

    /** @return the example with a unit that opts out of migrations and names a schema nobody creates */
    @Deployment(name = "no-migrate", testable = false, order = 2)
    static WebArchive withoutMigrations() {
        WebArchive war = ShrinkWrap.create(WebArchive.class, "no-migrate.war").merge(Deployments.exampleApp());
        String path = "WEB-INF/classes/META-INF/persistence.xml";
        String xml;
        try (InputStream in = war.get(path).getAsset().openStream()) {
            xml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        war.delete(path);
        String changed = xml
                .replace("<property name=\"agentstore.auto_migrate\" value=\"true\"/>",
                        "<property name=\"agentstore.auto_migrate\" value=\"false\"/>")
                .replace("<property name=\"hibernate.hbm2ddl.auto\" value=\"validate\"/>",
                        "<property name=\"hibernate.hbm2ddl.auto\" value=\"none\"/>")
                .replace("${env.AGENTSTORE_DB_SCHEMA:public}", UNMIGRATED);
        assertThat(changed).contains("value=\"false\"", UNMIGRATED);
        war.addAsWebInfResource(new StringAsset(changed), "classes/META-INF/persistence.xml");
        return war;
    }

    @Test
    void startARunAndAppendAnEventOverHttp(@ArquillianResource @OperateOnDeployment("example") URL base) throws Exception {
        String run = base + "api/flows/it-http/runs/r1";

        HttpResponse<String> started = send(HttpRequest.newBuilder(URI.create(run)).PUT(HttpRequest.BodyPublishers.noBody()));
        assertThat(started.statusCode()).isEqualTo(200);
        assertThat(json(started.body()).get("status").asText()).isEqualTo("RUNNING");

        HttpResponse<String> appended = send(HttpRequest.newBuilder(URI.create(run + "/events"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"step.completed\",\"data\":{\"cost\":0.10}}")));
        assertThat(appended.statusCode()).isEqualTo(200);
        assertThat(json(appended.body()).get("id").asLong()).isPositive();

        HttpResponse<String> read = send(HttpRequest.newBuilder(URI.create(run + "/events")).GET());
        assertThat(read.statusCode()).isEqualTo(200);
        JsonNode events = json(read.body());
        assertThat(events).hasSize(1);
        assertThat(Json.print(events.get(0).get("data"))).isEqualTo("{\"cost\":0.10}");

        HttpResponse<String> patched = send(HttpRequest.newBuilder(URI.create(run))
                .header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"owner\":\"http\"}")));
        assertThat(patched.statusCode()).isEqualTo(200);
        assertThat(json(patched.body()).get("metadata")).isEqualTo(json("{\"owner\":\"http\"}"));
    }

    @Test
    void createAKnowledgeBaseUpsertChunksAndSearchOverHttp(@ArquillianResource @OperateOnDeployment("example") URL base)
            throws Exception {
        String kb = base + "api/knowledge/it_http";
        HttpResponse<String> created = send(HttpRequest.newBuilder(URI.create(kb))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"dimension\":3,\"distance\":\"COSINE\"}")));
        assertThat(created.statusCode()).isEqualTo(200);
        assertThat(json(created.body()).get("dimension").asInt()).isEqualTo(3);

        HttpResponse<String> upserted = send(HttpRequest.newBuilder(URI.create(kb + "/chunks"))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("""
                        [{"id":"x","documentId":"d1","content":"along x","embedding":[1,0,0],"payload":{"lang":"en"}},
                         {"id":"y","documentId":"d1","ordinal":1,"content":"along y","embedding":[0,1,0],"payload":{"lang":"de"}},
                         {"id":"xy","documentId":"d2","content":"between","embedding":[0.7,0.7,0],"payload":{"lang":"de"}}]""")));
        assertThat(upserted.statusCode()).isEqualTo(200);
        assertThat(json(upserted.body())).hasSize(3);

        HttpResponse<String> found = send(HttpRequest.newBuilder(URI.create(kb + "/search"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"vector\":[1,0.1,0],\"k\":2}")));
        assertThat(found.statusCode()).isEqualTo(200);
        JsonNode matches = json(found.body());
        assertThat(matches).extracting(m -> m.get("id").asText()).containsExactly("x", "xy");

        HttpResponse<String> german = send(HttpRequest.newBuilder(URI.create(kb + "/search"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"vector\":[1,0.1,0],\"k\":2,\"filter\":{\"payload.lang\":\"de\"}}")));
        assertThat(json(german.body())).extracting(m -> m.get("id").asText()).containsExactly("xy", "y");

        HttpResponse<String> again = send(HttpRequest.newBuilder(URI.create(kb))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"dimension\":3}")));
        assertThat(again.statusCode()).as("a duplicate base").isEqualTo(409);
    }

    @Test
    void langChain4jStoresAreInjectedFromTheProducer(@ArquillianResource @OperateOnDeployment("example") URL base)
            throws Exception {
        String api = base + "api/langchain4j";
        String conversation = api + "/memory/it-" + java.util.UUID.randomUUID();
        send(post(conversation, "{\"type\":\"system\",\"text\":\"be brief\"}"));
        HttpResponse<String> appended = send(post(conversation, "{\"type\":\"user\",\"text\":\"hello\"}"));
        assertThat(appended.statusCode()).isEqualTo(200);
        HttpResponse<String> read = send(HttpRequest.newBuilder(URI.create(conversation)).GET());
        assertThat(json(read.body())).extracting(m -> m.get("type").asText() + ":" + m.get("text").asText())
                .containsExactly("system:be brief", "user:hello");

        HttpResponse<String> kb = send(HttpRequest.newBuilder(URI.create(base + "api/knowledge/langchain4j"))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"dimension\":3}")));
        assertThat(kb.statusCode()).as("created, or there from an earlier run").isIn(200, 409);
        String tag = java.util.UUID.randomUUID().toString();
        java.util.Random random = new java.util.Random();
        String vector = "[" + random.nextFloat() + "," + random.nextFloat() + "," + (1 + random.nextFloat()) + "]";
        HttpResponse<String> added = send(post(api + "/embeddings",
                "{\"text\":\"" + tag + "\",\"vector\":" + vector + "}"));
        assertThat(added.statusCode()).isEqualTo(200);
        String id = json(added.body()).get("id").asText();
        HttpResponse<String> found = send(post(api + "/embeddings/search", "{\"vector\":" + vector + ",\"k\":1}"));
        assertThat(found.statusCode()).isEqualTo(200);
        assertThat(json(found.body()).get(0).get("id").asText()).isEqualTo(id);
        assertThat(json(found.body()).get(0).get("text").asText()).isEqualTo(tag);
    }

    @Test
    void langGraph4jSaverIsInjectedFromTheProducer(@ArquillianResource @OperateOnDeployment("example") URL base)
            throws Exception {
        String thread = "it-" + java.util.UUID.randomUUID();
        String api = base + "api/langgraph4j/threads/" + thread;

        HttpResponse<String> started = send(post(api, "{\"question\":\"where is my parcel?\"}"));
        assertThat(started.statusCode()).isEqualTo(200);
        JsonNode paused = json(started.body());
        assertThat(paused.get("node").asText()).isEqualTo("draft");
        assertThat(paused.get("next").asText()).as("interrupted before review").isEqualTo("review");
        assertThat(paused.at("/state/draft").asText()).isEqualTo("Answer to: where is my parcel?");

        HttpResponse<String> resumed = send(post(api + "/resume", "{\"approved\":true}"));
        assertThat(resumed.statusCode()).isEqualTo(200);
        JsonNode end = json(resumed.body());
        assertThat(end.at("/state/status").asText()).isEqualTo("sent");
        assertThat(end.at("/state/steps")).extracting(s -> s.asText()).containsExactly("draft", "review");

        HttpResponse<String> history = send(HttpRequest.newBuilder(URI.create(api + "/history")).GET());
        JsonNode snapshots = json(history.body());
        assertThat(snapshots.get(0).get("node").asText()).as("newest first").isEqualTo("review");
        assertThat(snapshots).extracting(s -> s.get("node").asText()).contains("draft");

        HttpResponse<String> run = send(HttpRequest.newBuilder(
                URI.create(base + "api/flows/langgraph4j/runs/" + thread)).GET());
        assertThat(run.statusCode()).as("the thread is an agentstore run of the producer's flow").isEqualTo(200);

        HttpResponse<String> absent = send(post(base + "api/langgraph4j/threads/absent-" + thread + "/resume",
                "{\"approved\":true}"));
        assertThat(absent.statusCode()).isEqualTo(404);
        HttpResponse<String> bad = send(post(api, "{\"question\":42}"));
        assertThat(bad.statusCode()).isEqualTo(400);
    }

    @Test
    void unknownRunIsA404(@ArquillianResource @OperateOnDeployment("example") URL base) throws Exception {
        HttpResponse<String> absent = send(HttpRequest.newBuilder(URI.create(base + "api/flows/it-http/runs/absent")).GET());
        assertThat(absent.statusCode()).isEqualTo(404);
        assertThat(json(absent.body()).get("error").asText()).contains("it-http/absent");
    }

    @Test
    void aUnitWithMigrationsSwitchedOffCreatesNoSchema() throws Exception {
        try (Connection c = FreshSchema.connect();
             PreparedStatement s = c.prepareStatement("SELECT count(*) FROM information_schema.schemata WHERE schema_name = ?")) {
            s.setString(1, UNMIGRATED);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                assertThat(rs.getInt(1)).as("schema %s", UNMIGRATED).isZero();
            }
        }
    }

    private static HttpRequest.Builder post(String uri, String body) {
        return HttpRequest.newBuilder(URI.create(uri)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(String text) {
        return Json.parse("response", text);
    }
}
