package dev.agentstore.examples.wildfly;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.feed.FeedCursor;
import dev.agentstore.persistence.feed.FeedEvent;
import dev.agentstore.persistence.feed.FeedSelection;
import dev.agentstore.persistence.feed.Subscription;
import dev.agentstore.persistence.jakarta.ChangeFeedBean;
import jakarta.annotation.Resource;
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
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

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
 * <p><b>Heartbeat.</b> Every N seconds (MicroProfile Config property {@value #HEARTBEAT_PROPERTY}: a system
 * property, or the environment variable {@code AGENTSTORE_SSE_HEARTBEAT_SECONDS}; 15 by default, 1 to 3,600) the
 * stream sends the SSE comment {@code : heartbeat}, on the container's default
 * {@code ManagedScheduledExecutorService}; it is skipped while an event is being sent. Clients ignore comments;
 * proxies see traffic and keep the connection.
 *
 * <p><b>Closing.</b> The subscription and the stream close together when a send (an event's or a heartbeat's) fails
 * or finds the sink closed, or when the subscription ends (the application stops). A client that went away is
 * therefore noticed within about two heartbeats even while its run is idle. A send waits at most 30 seconds for a
 * slow client.
 */
@Path("flows/{flow}/runs/{run}/events/stream")
@RequestScoped
public class RunEventStreamResource {

    /** The MicroProfile Config property of the heartbeat's period, in seconds (1 to 3,600; default 15). */
    public static final String HEARTBEAT_PROPERTY = "agentstore.sse.heartbeat-seconds";

    private static final long SEND_TIMEOUT_SECONDS = 30;

    @Inject
    ChangeFeedBean feed;

    @Inject
    @ConfigProperty(name = HEARTBEAT_PROPERTY, defaultValue = "15")
    int heartbeatSeconds;

    @Resource(lookup = "java:comp/DefaultManagedScheduledExecutorService")
    ScheduledExecutorService scheduler;

    /**
     * @param flow        the flow
     * @param run         the run
     * @param lastEventId the last cursor the client received, or {@code null} for the whole history
     * @param sink        the response stream, open until the subscription closes it
     * @param sse         builds the events
     * @throws IllegalStateException when {@value #HEARTBEAT_PROPERTY} is out of range (a 500)
     */
    @GET
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public void stream(@PathParam("flow") String flow, @PathParam("run") String run,
                       @HeaderParam(HttpHeaders.LAST_EVENT_ID_HEADER) String lastEventId,
                       @Context SseEventSink sink, @Context Sse sse) {
        if (heartbeatSeconds < 1 || heartbeatSeconds > 3600) {
            throw new IllegalStateException(HEARTBEAT_PROPERTY + " must be 1 to 3600");
        }
        FeedSelection selection = FeedSelection.run(flow, run);
        FeedCursor from = lastEventId == null || lastEventId.isBlank() ? FeedCursor.START : FeedCursor.parse(lastEventId);
        Stream stream = new Stream(sink, sse.newEventBuilder().comment("heartbeat").build());
        stream.subscription = feed.subscribe(selection, from, event -> stream.send(toSse(sse, event)));
        try {
            stream.heartbeat = scheduler.scheduleAtFixedRate(stream::heartbeat, heartbeatSeconds, heartbeatSeconds,
                    TimeUnit.SECONDS);
        } catch (RuntimeException e) { // the application is stopping
            stream.close();
            throw e;
        }
    }

    /** One client's stream: its sink, subscription and heartbeat; one send at a time. */
    private static final class Stream {
        private final SseEventSink sink;
        private final OutboundSseEvent heartbeatEvent;
        private final ReentrantLock sending = new ReentrantLock();
        volatile Subscription subscription;
        volatile Future<?> heartbeat;

        Stream(SseEventSink sink, OutboundSseEvent heartbeatEvent) {
            this.sink = sink;
            this.heartbeatEvent = heartbeatEvent;
        }

        /** The listener's send: an exception closes the subscription (and the heartbeat then ends the stream). */
        void send(OutboundSseEvent event) throws Exception {
            sending.lock();
            try {
                sendNow(event);
            } finally {
                sending.unlock();
            }
        }

        /** The scheduled task: ends the stream when the subscription ended or the client is gone. */
        void heartbeat() {
            if (subscription.isClosed()) {
                close();
            } else if (sending.tryLock()) { // else an event is being sent, which checks the client itself
                try {
                    sendNow(heartbeatEvent);
                } catch (Exception e) {
                    close();
                } finally {
                    sending.unlock();
                }
            }
        }

        private void sendNow(OutboundSseEvent event) throws Exception {
            if (sink.isClosed()) {
                throw new IllegalStateException("SSE sink closed");
            }
            try {
                sink.send(event).toCompletableFuture().get(SEND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (Exception e) {
                sink.close();
                throw e;
            }
        }

        private void close() {
            subscription.close();
            sink.close();
            Future<?> task = heartbeat;
            if (task != null) {
                task.cancel(false);
            }
        }
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
