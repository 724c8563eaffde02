package dev.agentstore.examples.wildfly;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.feed.FeedCursor;
import dev.agentstore.persistence.feed.FeedEvent;
import dev.agentstore.persistence.feed.FeedSelection;
import dev.agentstore.persistence.jakarta.ChangeFeedBean;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;

import java.util.concurrent.TimeUnit;

/**
 * A run's events as Server-Sent Events, from the change feed ({@link ChangeFeedBean}, its listeners on the
 * container's {@code ManagedExecutorService}).
 *
 * <ul>
 *   <li>{@code GET /api/flows/{flow}/runs/{run}/events/stream} ({@code text/event-stream}): the run's flow events
 *       and status changes in feed order, the stored history first, then new ones as they are committed. Each SSE
 *       event has the feed cursor ({@code "tx.kind.id"}) as its {@code id} and JSON data
 *       {@code {"kind", "type", "step", "data", "occurredAt"}} ({@code data} the event's JSON or {@code null}).
 *       With a {@code Last-Event-ID} header (a browser's {@code EventSource} sends it when it reconnects) only the
 *       events after that cursor; a malformed one is a 400.</li>
 * </ul>
 *
 * The subscription closes when a send fails or finds the sink closed, so a client that went away is noticed at the
 * next event of the run (or when the application stops). A send waits at most 30 seconds for a slow client.
 */
@Path("flows/{flow}/runs/{run}/events/stream")
@RequestScoped
public class RunEventStreamResource {

    private static final long SEND_TIMEOUT_SECONDS = 30;

    @Inject
    ChangeFeedBean feed;

    /**
     * @param flow        the flow
     * @param run         the run
     * @param lastEventId the last cursor the client received, or {@code null} for the whole history
     * @param sink        the response stream, open until the subscription closes it
     * @param sse         builds the events
     */
    @GET
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public void stream(@PathParam("flow") String flow, @PathParam("run") String run,
                       @HeaderParam(HttpHeaders.LAST_EVENT_ID_HEADER) String lastEventId,
                       @Context SseEventSink sink, @Context Sse sse) {
        FeedSelection selection = FeedSelection.run(flow, run);
        FeedCursor from = lastEventId == null || lastEventId.isBlank() ? FeedCursor.START : FeedCursor.parse(lastEventId);
        feed.subscribe(selection, from, event -> {
            if (sink.isClosed()) {
                throw new IllegalStateException("SSE sink closed");
            }
            try {
                sink.send(toSse(sse, event)).toCompletableFuture().get(SEND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (Exception e) {
                sink.close();
                throw e;
            }
        });
    }

    private static OutboundSseEvent toSse(Sse sse, FeedEvent event) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("kind", event.kind().name());
        o.put("type", event.type());
        o.put("step", event.stepName());
        o.set("data", event.data() == null ? null : Json.parse("data", event.data()));
        o.put("occurredAt", event.occurredAt() == null ? null : event.occurredAt().toString());
        return sse.newEventBuilder().id(event.cursor().toString()).data(String.class, Json.print(o)).build();
    }
}
