package dev.agentstore.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.json.Json;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * From outside the server: the example WAR's Server-Sent Events stream of a run
 * ({@code GET /api/flows/{flow}/runs/{run}/events/stream}, the change feed on WildFly's managed executor) read over
 * real HTTP while events are appended through the HTTP API, then resumed with {@code Last-Event-ID}; its heartbeat
 * (every second here: {@code AGENTSTORE_SSE_HEARTBEAT_SECONDS=1} in integration-tests/pom.xml) and the subscription
 * of a client that left an idle run, seen through {@link FeedSubscriptionsProbe}.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class ExampleAppSseTest {

    private static final long WAIT_SECONDS = 20;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** @return the example WAR as examples/wildfly-app builds it, plus {@link FeedSubscriptionsProbe} */
    @Deployment(testable = false)
    static WebArchive example() {
        return Deployments.exampleApp().addClass(FeedSubscriptionsProbe.class);
    }

    @Test
    void streamsARunsEventsInOrderAndResumesAfterTheLastEventId(@ArquillianResource URL base) throws Exception {
        String run = base + "api/flows/it-sse/runs/" + UUID.randomUUID();
        assertThat(send(HttpRequest.newBuilder(URI.create(run)).PUT(HttpRequest.BodyPublishers.noBody())).statusCode())
                .isEqualTo(200);

        List<SseEvent> first;
        try (SseStream stream = open(run + "/events/stream", null)) {
            for (String type : List.of("a", "b", "c")) {
                append(run, type);
            }
            first = stream.flowEvents(3);
        }
        assertThat(first).extracting(SseEvent::type).containsExactly("a", "b", "c");
        assertThat(first).extracting(SseEvent::id).doesNotContainNull().doesNotHaveDuplicates()
                .allMatch(id -> id.matches("\\d+\\.\\d+\\.\\d+"));
        assertThat(first.get(0).json().get("data").get("n").asText()).isEqualTo("a");

        try (SseStream resumed = open(run + "/events/stream", first.get(0).id())) {
            append(run, "d");
            assertThat(resumed.flowEvents(3)).extracting(SseEvent::type).containsExactly("b", "c", "d");
        }
    }

    @Test
    void aConnectedClientGetsHeartbeatsAndOneThatLeftAnIdleRunHasItsSubscriptionClosed(@ArquillianResource URL base)
            throws Exception {
        String run = base + "api/flows/it-sse/runs/" + UUID.randomUUID();
        assertThat(send(HttpRequest.newBuilder(URI.create(run)).PUT(HttpRequest.BodyPublishers.noBody())).statusCode())
                .isEqualTo(200);
        awaitOpenSubscriptions(base, 0); // the streams of other tests have gone

        try (SseStream stream = open(run + "/events/stream", null)) {
            assertThat(stream.comment()).isEqualTo("heartbeat");
            assertThat(stream.comment()).isEqualTo("heartbeat"); // periodic, on an idle run
            assertThat(openSubscriptions(base)).isEqualTo(1);
        }
        awaitOpenSubscriptions(base, 0); // the next heartbeats fail: no event of the run needed
    }

    @Test
    void aMalformedLastEventIdIsA400(@ArquillianResource URL base) throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(base + "api/flows/it-sse/runs/x/events/stream"))
                .header("Last-Event-ID", "not-a-cursor").GET());
        assertThat(response.statusCode()).isEqualTo(400);
    }

    private int openSubscriptions(URL base) throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(base + "api/test/feed/subscriptions")).GET());
        assertThat(response.statusCode()).isEqualTo(200);
        return Integer.parseInt(response.body().trim());
    }

    private void awaitOpenSubscriptions(URL base, int expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        int open = openSubscriptions(base);
        while (open != expected && System.nanoTime() < deadline) {
            Thread.sleep(200);
            open = openSubscriptions(base);
        }
        assertThat(open).as("open subscriptions within %d s", WAIT_SECONDS).isEqualTo(expected);
    }

    private void append(String run, String type) throws Exception {
        HttpResponse<String> appended = send(HttpRequest.newBuilder(URI.create(run + "/events"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"" + type + "\",\"data\":{\"n\":\"" + type + "\"}}")));
        assertThat(appended.statusCode()).isEqualTo(200);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private SseStream open(String uri, String lastEventId) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(uri)).header("Accept", "text/event-stream");
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        SseStream stream = new SseStream();
        stream.response = http.sendAsync(request.GET().build(), HttpResponse.BodyHandlers.ofLines())
                .thenApply(response -> {
                    assertThat(response.statusCode()).isEqualTo(200);
                    Thread reader = new Thread(() -> stream.read(response.body()), "sse-reader");
                    reader.setDaemon(true);
                    reader.start();
                    return response;
                });
        return stream;
    }

    /** One SSE event as received: its id and data lines. */
    record SseEvent(String id, String data) {
        JsonNode json() {
            return Json.parse("data", data);
        }

        String type() {
            return json().get("type").asText();
        }
    }

    /**
     * Parses an {@code text/event-stream} body into events and comments on a reader thread; {@link #close()} cancels
     * it (and closes the connection).
     */
    static final class SseStream implements AutoCloseable {
        private final BlockingQueue<SseEvent> events = new LinkedBlockingQueue<>();
        private final BlockingQueue<String> comments = new LinkedBlockingQueue<>();
        private volatile CompletableFuture<HttpResponse<Stream<String>>> response;

        void read(Stream<String> lines) {
            String[] id = {null};
            StringBuilder data = new StringBuilder();
            try {
                lines.forEach(line -> {
                    if (line.isEmpty()) {
                        if (!data.isEmpty()) {
                            events.add(new SseEvent(id[0], data.toString()));
                        }
                        data.setLength(0);
                    } else if (line.startsWith(":")) {
                        comments.add(value(line));
                    } else if (line.startsWith("id:")) {
                        id[0] = value(line);
                    } else if (line.startsWith("data:")) {
                        data.append(data.isEmpty() ? "" : "\n").append(value(line));
                    }
                });
            } catch (RuntimeException closed) {
                // the stream was closed by close()
            }
        }

        /** @return the next {@code count} flow events (status changes skipped), failing after a timeout */
        List<SseEvent> flowEvents(int count) throws Exception {
            List<SseEvent> received = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (received.size() < count) {
                SseEvent event = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                assertThat(event).as("event %d of %d within %d s (got %s)", received.size() + 1, count, WAIT_SECONDS,
                        received).isNotNull();
                if ("FLOW_EVENT".equals(event.json().get("kind").asText())) {
                    received.add(event);
                }
            }
            return received;
        }

        /** @return the next comment's text, failing after a timeout */
        String comment() throws Exception {
            String comment = comments.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertThat(comment).as("a comment within %d s", WAIT_SECONDS).isNotNull();
            return comment;
        }

        private static String value(String line) {
            String value = line.substring(line.indexOf(':') + 1);
            return value.startsWith(" ") ? value.substring(1) : value;
        }

        @Override
        public void close() {
            response.cancel(true);
            response.thenAccept(r -> r.body().close());
        }
    }
}
