package dev.agentstore.examples.wildfly;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.flow.FlowEvent;
import dev.agentstore.domain.flow.FlowEventQuery;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.flow.NewFlowEvent;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.flow.FlowEventRepository;
import dev.agentstore.persistence.flow.FlowRunRepository;
import dev.agentstore.persistence.jakarta.TransactionalRetry;
import dev.agentstore.persistence.support.RetryPolicy;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.List;

/**
 * Flow runs over HTTP, with the agentstore repositories injected as CDI beans. Bodies are JSON text, parsed and
 * printed with {@link Json} (decimals exact). Errors map to statuses in {@link AgentStoreExceptionMapper}.
 *
 * <ul>
 *   <li>{@code PUT /api/flows/{flow}/runs/{run}}: start the run (idempotent); returns the run.</li>
 *   <li>{@code GET /api/flows/{flow}/runs/{run}}: the run, or 404.</li>
 *   <li>{@code PATCH /api/flows/{flow}/runs/{run}}: deep-merge a metadata patch (RFC 7386), retried on conflicts,
 *       one transaction per attempt.</li>
 *   <li>{@code POST /api/flows/{flow}/runs/{run}/events}: append an event {@code {"type": ..., "data": ...}};
 *       returns it with its id.</li>
 *   <li>{@code GET /api/flows/{flow}/runs/{run}/events}: the run's events, oldest first.</li>
 * </ul>
 */
@Path("flows/{flow}/runs/{run}")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class RunsResource {

    @Inject
    FlowRunRepository runs;

    @Inject
    FlowEventRepository events;

    @Inject
    TransactionalRetry retry;

    @PathParam("flow")
    String flow;

    @PathParam("run")
    String run;

    /** @return the started (or already existing) run */
    @PUT
    @Transactional
    public String start() {
        return Json.print(toJson(runs.start(flow, run)));
    }

    /**
     * @return the run
     * @throws NotFoundException (404) when it does not exist
     */
    @GET
    public String get() {
        return Json.print(toJson(runs.get(flow, run).orElseThrow(() -> new NotFoundException("FlowRun", flow + "/" + run))));
    }

    /**
     * @param patch a metadata object (keys of {@code FlowRunPatch}), merged as {@code FlowRunRepository.update}
     * @return the updated run
     */
    @PATCH
    @Consumes(MediaType.APPLICATION_JSON)
    public String update(String patch) {
        JsonNode parsed = Json.parse("patch", patch);
        return Json.print(toJson(retry.execute(RetryPolicy.DEFAULT, () -> runs.update(flow, run, parsed))));
    }

    /**
     * @param body {@code {"type": "step.completed", "data": {...}}}, {@code data} optional
     * @return the appended event
     */
    @POST
    @Path("events")
    @Consumes(MediaType.APPLICATION_JSON)
    @Transactional
    public String append(String body) {
        JsonNode json = Json.requireObject("body", Json.parse("body", body));
        NewFlowEvent event = NewFlowEvent.of(run, flow, json.path("type").asText(null));
        if (json.has("data")) {
            event = event.data(json.get("data"));
        }
        return Json.print(toJson(events.append(event)));
    }

    /** @return the run's events, oldest first (at most 1000) */
    @GET
    @Path("events")
    public String events() {
        List<FlowEvent> list = events.read(run, FlowEventQuery.defaults().ascending().limit(1000));
        ArrayNode array = Json.MAPPER.createArrayNode();
        list.forEach(e -> array.add(toJson(e)));
        return Json.print(array);
    }

    private static ObjectNode toJson(FlowRun r) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("flowName", r.flowName());
        o.put("runId", r.runId());
        o.put("status", r.status().name());
        o.put("startedAt", r.startedAt().toString());
        o.put("completedSteps", r.completedSteps());
        o.set("metadata", r.metadata());
        o.put("version", r.version());
        return o;
    }

    private static ObjectNode toJson(FlowEvent e) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", e.id());
        o.put("runId", e.runId());
        o.put("flowName", e.flowName());
        o.put("type", e.type());
        o.put("ts", e.ts().toString());
        o.set("data", e.data());
        return o;
    }
}
