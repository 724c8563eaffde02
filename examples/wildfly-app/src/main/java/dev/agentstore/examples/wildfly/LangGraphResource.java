package dev.agentstore.examples.wildfly;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.bsc.langgraph4j.CompileConfig;
import org.bsc.langgraph4j.CompiledGraph;
import org.bsc.langgraph4j.GraphInput;
import org.bsc.langgraph4j.GraphStateException;
import org.bsc.langgraph4j.RunnableConfig;
import org.bsc.langgraph4j.StateGraph;
import org.bsc.langgraph4j.checkpoint.BaseCheckpointSaver;
import org.bsc.langgraph4j.state.AgentState;
import org.bsc.langgraph4j.state.Channels;
import org.bsc.langgraph4j.state.StateSnapshot;

import java.util.ArrayList;
import java.util.Map;

import static org.bsc.langgraph4j.StateGraph.END;
import static org.bsc.langgraph4j.StateGraph.START;
import static org.bsc.langgraph4j.action.AsyncNodeAction.node_async;

/**
 * LangGraph4j on agentstore in a Jakarta EE application: a small graph (START → {@code draft} → {@code review} → END,
 * interrupted before {@code review} for a human's approval) compiled with the {@link BaseCheckpointSaver} that {@code
 * agentstore-langgraph4j}'s CDI producer ({@code AgentStoreLangGraph4jProducer}) makes, injected with no glue code.
 * A LangGraph4j thread is an agentstore run of the flow {@code langgraph4j} (the producer's default), so it can also
 * be read with {@code GET /api/flows/langgraph4j/runs/{thread}}.
 *
 * <ul>
 *   <li>{@code POST /api/langgraph4j/threads/{thread}}: start, {@code {"question": "..."}}; runs to the interruption
 *       and returns the thread's state as {@link #state} does ({@code next} is {@code "review"}).</li>
 *   <li>{@code POST /api/langgraph4j/threads/{thread}/resume}: {@code {"approved": true}}; records the approval with
 *       LangGraph4j's {@code updateState} and resumes to the end; returns the final state.</li>
 *   <li>{@code GET /api/langgraph4j/threads/{thread}}: {@code {"node", "next", "state"}}, the newest checkpoint.</li>
 *   <li>{@code GET /api/langgraph4j/threads/{thread}/history}: {@code [{"node", "next", "state"}]}, newest first
 *       (LangGraph4j's {@code getStateHistory}).</li>
 * </ul>
 */
@Path("langgraph4j")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class LangGraphResource {

    @Inject
    BaseCheckpointSaver saver;

    /**
     * @param thread the thread's id (the agentstore run's id)
     * @param body   {@code {"question": "..."}}
     * @return the state at the interruption
     * @throws InvalidInputException (400) when the body is not such an object
     */
    @POST
    @Path("threads/{thread}")
    @Consumes(MediaType.APPLICATION_JSON)
    public String start(@PathParam("thread") String thread, String body) {
        JsonNode json = Json.requireObject("body", Json.parse("body", body));
        JsonNode question = json.get("question");
        if (question == null || !question.isTextual()) {
            throw new InvalidInputException("question must be a string");
        }
        graph().invoke(Map.of("question", question.asText()), config(thread));
        return state(thread);
    }

    /**
     * @param thread the thread's id
     * @param body   {@code {"approved": true}}
     * @return the thread's final state
     * @throws InvalidInputException (400) when the body is not such an object
     * @throws NotFoundException     (404) when the thread has no checkpoint
     */
    @POST
    @Path("threads/{thread}/resume")
    @Consumes(MediaType.APPLICATION_JSON)
    public String resume(@PathParam("thread") String thread, String body) throws Exception {
        JsonNode json = Json.requireObject("body", Json.parse("body", body));
        JsonNode approved = json.get("approved");
        if (approved == null || !approved.isBoolean()) {
            throw new InvalidInputException("approved must be true or false");
        }
        requireThread(thread);
        CompiledGraph<AgentState> graph = graph();
        RunnableConfig updated = graph.updateState(config(thread), Map.of("approved", approved.asBoolean()), null);
        graph.invoke(GraphInput.resume(), updated);
        return state(thread);
    }

    /**
     * @param thread the thread's id
     * @return {@code {"node", "next", "state"}} of the thread's newest checkpoint
     * @throws NotFoundException (404) when the thread has no checkpoint
     */
    @GET
    @Path("threads/{thread}")
    public String state(@PathParam("thread") String thread) {
        requireThread(thread);
        return Json.print(snapshot(graph().getState(config(thread))));
    }

    /**
     * @param thread the thread's id
     * @return {@code [{"node", "next", "state"}]}, newest first; {@code []} for a thread without checkpoints
     */
    @GET
    @Path("threads/{thread}/history")
    public String history(@PathParam("thread") String thread) {
        ArrayNode out = Json.MAPPER.createArrayNode();
        graph().getStateHistory(config(thread)).forEach(s -> out.add(snapshot(s)));
        return Json.print(out);
    }

    private void requireThread(String thread) {
        if (saver.get(config(thread)).isEmpty()) {
            throw new NotFoundException("LangGraph4j thread", thread);
        }
    }

    private CompiledGraph<AgentState> graph() {
        try {
            return new StateGraph<>(Map.of("steps", Channels.appender(ArrayList::new)), AgentState::new)
                    .addNode("draft", node_async(s -> Map.of("steps", "draft",
                            "draft", "Answer to: " + s.<String>value("question").orElse(""))))
                    .addNode("review", node_async(s -> Map.of("steps", "review",
                            "status", s.<Boolean>value("approved").orElse(false) ? "sent" : "rejected")))
                    .addEdge(START, "draft")
                    .addEdge("draft", "review")
                    .addEdge("review", END)
                    .compile(CompileConfig.builder().checkpointSaver(saver).interruptBefore("review").build());
        } catch (GraphStateException e) {
            throw new IllegalStateException("the example graph does not compile", e);
        }
    }

    private static RunnableConfig config(String thread) {
        return RunnableConfig.builder().threadId(thread).build();
    }

    private static ObjectNode snapshot(StateSnapshot<AgentState> s) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("node", s.node());
        o.put("next", s.next());
        o.set("state", Json.MAPPER.valueToTree(s.state().data()));
        return o;
    }
}
