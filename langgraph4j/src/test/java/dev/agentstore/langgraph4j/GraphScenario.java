package dev.agentstore.langgraph4j;

import org.bsc.langgraph4j.CompileConfig;
import org.bsc.langgraph4j.CompiledGraph;
import org.bsc.langgraph4j.GraphInput;
import org.bsc.langgraph4j.RunnableConfig;
import org.bsc.langgraph4j.StateGraph;
import org.bsc.langgraph4j.checkpoint.BaseCheckpointSaver;
import org.bsc.langgraph4j.state.AgentState;
import org.bsc.langgraph4j.state.Channel;
import org.bsc.langgraph4j.state.Channels;
import org.bsc.langgraph4j.state.StateSnapshot;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.bsc.langgraph4j.StateGraph.END;
import static org.bsc.langgraph4j.StateGraph.START;
import static org.bsc.langgraph4j.action.AsyncNodeAction.node_async;

/**
 * One LangGraph4j graph (START → a → b → c → d → END, interrupted before c; {@code steps} an appender channel,
 * {@code count} a plain value) played through a fixed scenario on a saver: run to the interruption, update the state
 * and resume to the end, then fork from the checkpoint after a, run to the interruption again and resume. What the
 * scenario saw is returned so two savers can be compared.
 */
final class GraphScenario {

    /** One state snapshot as LangGraph4j shows it, without the saver-specific checkpoint id. */
    record Snap(String node, String next, Map<String, Object> data) {
        static Snap of(StateSnapshot<AgentState> s) {
            return new Snap(s.node(), s.next(), s.state().data());
        }
    }

    /**
     * What the scenario saw.
     *
     * @param interrupted the state at the interruption
     * @param history1    the history at the interruption
     * @param finished    the final state after resuming
     * @param history2    the history after resuming
     * @param forkPaused  the state at the fork's interruption
     * @param forkEnd     the fork's final state
     * @param history3    the history after the fork
     */
    record Result(Snap interrupted, List<Snap> history1, Map<String, Object> finished, List<Snap> history2,
                  Snap forkPaused, Map<String, Object> forkEnd, List<Snap> history3) {
    }

    private GraphScenario() {
    }

    static CompiledGraph<AgentState> compile(BaseCheckpointSaver saver) throws Exception {
        Map<String, Channel<?>> channels = Map.of("steps", Channels.appender(ArrayList::new));
        return new StateGraph<>(channels, AgentState::new)
                .addNode("a", node_async(s -> step(s, "a")))
                .addNode("b", node_async(s -> step(s, "b")))
                .addNode("c", node_async(s -> step(s, "c")))
                .addNode("d", node_async(s -> step(s, "d")))
                .addEdge(START, "a")
                .addEdge("a", "b")
                .addEdge("b", "c")
                .addEdge("c", "d")
                .addEdge("d", END)
                .compile(CompileConfig.builder().checkpointSaver(saver).interruptBefore("c").build());
    }

    private static Map<String, Object> step(AgentState s, String node) {
        int count = s.<Integer>value("count").orElse(0);
        String note = s.<String>value("note").orElse("-");
        return Map.of("steps", node + ":" + note, "count", count + 1);
    }

    static Result run(BaseCheckpointSaver saver, String threadId) throws Exception {
        CompiledGraph<AgentState> graph = compile(saver);
        RunnableConfig config = RunnableConfig.builder().threadId(threadId).build();

        graph.invoke(Map.of("input", "hello"), config);
        Snap interrupted = Snap.of(graph.getState(config));
        List<Snap> history1 = history(graph, config);

        RunnableConfig updated = graph.updateState(config, Map.of("note", "human"), null);
        Map<String, Object> finished = graph.invoke(GraphInput.resume(), updated).orElseThrow().data();
        List<Snap> history2 = history(graph, config);

        StateSnapshot<AgentState> afterA = graph.getStateHistory(config).stream()
                .filter(s -> "a".equals(s.node()))
                .findFirst().orElseThrow();
        RunnableConfig fork = graph.updateState(afterA.config(), Map.of("note", "fork"), null);
        graph.invoke(GraphInput.resume(), fork);
        Snap forkPaused = Snap.of(graph.getState(config));
        Map<String, Object> forkEnd = graph.invoke(GraphInput.resume(), config).orElseThrow().data();
        return new Result(interrupted, history1, finished, history2, forkPaused, forkEnd, history(graph, config));
    }

    private static List<Snap> history(CompiledGraph<AgentState> graph, RunnableConfig config) {
        return graph.getStateHistory(config).stream().map(Snap::of).toList();
    }
}
