package dev.agentstore.langgraph4j;

import dev.agentstore.persistence.AgentStore;
import org.bsc.langgraph4j.CompileConfig;
import org.bsc.langgraph4j.CompiledGraph;
import org.bsc.langgraph4j.GraphInput;
import org.bsc.langgraph4j.RunnableConfig;
import org.bsc.langgraph4j.StateGraph;
import org.bsc.langgraph4j.checkpoint.BaseCheckpointSaver;
import org.bsc.langgraph4j.checkpoint.MemorySaver;
import org.bsc.langgraph4j.state.AgentState;
import org.bsc.langgraph4j.state.Channel;
import org.bsc.langgraph4j.state.Channels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bsc.langgraph4j.StateGraph.END;
import static org.bsc.langgraph4j.StateGraph.START;
import static org.bsc.langgraph4j.action.AsyncNodeAction.node_async;

/**
 * Subgraphs on agentstore and on LangGraph4j's {@code MemorySaver}: the same states and histories. LangGraph4j 1.8.17
 * has no checkpoint namespace: a compiled subgraph that has a saver runs as its own thread, named {@code
 * <parent thread>_subgraph_<node id>}, on that saver (here an agentstore run of that id); a {@code StateGraph} added
 * as a node is merged into the parent at compile time and checkpoints in the parent's thread.
 */
class SubgraphParityTest {

    private static AgentStore store;
    private static Result memory;
    private static Result agentstore;

    /** What a run of the scenario saw: the parent's and the compiled subgraph's histories, and the final states. */
    record Result(Map<String, Object> compiledEnd, List<GraphScenario.Snap> parent,
                  List<GraphScenario.Snap> subgraph, GraphScenario.Snap paused, Map<String, Object> mergedEnd,
                  List<GraphScenario.Snap> merged) {
    }

    @BeforeAll
    static void run() throws Exception {
        store = TestStores.open(SubgraphParityTest.class);
        memory = scenario(new MemorySaver());
        agentstore = scenario(AgentStoreCheckpointSaver.of(store, "subgraphs"));
    }

    @AfterAll
    static void close() {
        TestStores.close(store);
    }

    @Test
    void aCompiledSubgraphEndsInTheSameState() {
        assertThat(agentstore.compiledEnd()).isEqualTo(memory.compiledEnd());
        assertThat(agentstore.compiledEnd().get("steps")).isEqualTo(List.of("a", "x", "y", "b"));
    }

    @Test
    void aCompiledSubgraphHasTheSameHistoriesInTheParentsThreadAndInItsOwn() {
        assertThat(agentstore.parent()).isNotEmpty().isEqualTo(memory.parent());
        assertThat(agentstore.subgraph()).isNotEmpty().isEqualTo(memory.subgraph());
    }

    @Test
    void aCompiledSubgraphsThreadIsARunOfItsOwn() {
        assertThat(store.flowRuns().get("subgraphs", "compiled_subgraph_sub")).isPresent();
        assertThat(store.checkpoints().latest("subgraphs", "compiled_subgraph_sub")).isPresent();
    }

    @Test
    void aMergedSubgraphInterruptsResumesAndHasTheSameHistory() {
        assertThat(agentstore.paused()).isEqualTo(memory.paused());
        assertThat(agentstore.mergedEnd()).isEqualTo(memory.mergedEnd());
        assertThat(agentstore.mergedEnd().get("steps")).isEqualTo(List.of("a", "x", "y", "b"));
        assertThat(agentstore.merged()).isNotEmpty().isEqualTo(memory.merged());
    }

    private static Result scenario(BaseCheckpointSaver saver) throws Exception {
        CompiledGraph<AgentState> sub = subgraph().compile(CompileConfig.builder().checkpointSaver(saver).build());
        CompiledGraph<AgentState> withCompiled = parent()
                .addNode("sub", sub)
                .compile(CompileConfig.builder().checkpointSaver(saver).build());
        RunnableConfig compiled = RunnableConfig.builder().threadId("compiled").build();
        Map<String, Object> compiledEnd = withCompiled.invoke(Map.of("input", "go"), compiled).orElseThrow().data();
        RunnableConfig subThread = RunnableConfig.builder().threadId("compiled_subgraph_sub").build();

        CompiledGraph<AgentState> withMerged = parent()
                .addNode("sub", subgraph())
                .compile(CompileConfig.builder().checkpointSaver(saver).interruptBefore("b").build());
        RunnableConfig merged = RunnableConfig.builder().threadId("merged").build();
        withMerged.invoke(Map.of("input", "go"), merged);
        GraphScenario.Snap paused = GraphScenario.Snap.of(withMerged.getState(merged));
        Map<String, Object> mergedEnd = withMerged.invoke(GraphInput.resume(), merged).orElseThrow().data();
        return new Result(compiledEnd, history(withCompiled, compiled), history(sub, subThread), paused, mergedEnd,
                history(withMerged, merged));
    }

    private static List<GraphScenario.Snap> history(CompiledGraph<AgentState> graph, RunnableConfig config) {
        return graph.getStateHistory(config).stream().map(GraphScenario.Snap::of).toList();
    }

    private static Map<String, Channel<?>> channels() {
        return Map.of("steps", Channels.appender(ArrayList::new));
    }

    private static StateGraph<AgentState> subgraph() throws Exception {
        return new StateGraph<>(channels(), AgentState::new)
                .addNode("x", node_async(s -> Map.of("steps", "x")))
                .addNode("y", node_async(s -> Map.of("steps", "y", "fromSub", true)))
                .addEdge(START, "x")
                .addEdge("x", "y")
                .addEdge("y", END);
    }

    private static StateGraph<AgentState> parent() throws Exception {
        return new StateGraph<>(channels(), AgentState::new)
                .addNode("a", node_async(s -> Map.of("steps", "a")))
                .addNode("b", node_async(s -> Map.of("steps", "b")))
                .addEdge(START, "a")
                .addEdge("a", "sub")
                .addEdge("sub", "b")
                .addEdge("b", END);
    }
}
