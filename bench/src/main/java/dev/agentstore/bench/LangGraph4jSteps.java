package dev.agentstore.bench;

import dev.agentstore.langgraph4j.AgentStoreCheckpointSaver;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreConfig;
import org.bsc.langgraph4j.CompileConfig;
import org.bsc.langgraph4j.CompiledGraph;
import org.bsc.langgraph4j.RunnableConfig;
import org.bsc.langgraph4j.StateGraph;
import org.bsc.langgraph4j.checkpoint.BaseCheckpointSaver;
import org.bsc.langgraph4j.checkpoint.MemorySaver;
import org.bsc.langgraph4j.state.AgentState;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import static org.bsc.langgraph4j.StateGraph.END;
import static org.bsc.langgraph4j.StateGraph.START;
import static org.bsc.langgraph4j.action.AsyncEdgeAction.edge_async;
import static org.bsc.langgraph4j.action.AsyncNodeAction.node_async;

/**
 * LangGraph4j steps per second on {@link AgentStoreCheckpointSaver} (docs/performance.md, "LangGraph4j"): the graph
 * shape of issue 19's measurement of LangGraph4j's PostgresSaver (297.5 steps/s, 14.8 kB per checkpoint): one node
 * looping for 100 steps over a state with a 10 kB string (pseudo-random letters and digits, so TOAST compression does
 * not flatter it), each step changing a counter and a short field, a checkpoint per step. Prints steps/s on
 * LangGraph4j's {@code MemorySaver} (the graph's own cost) and on agentstore, the bytes a checkpoint takes ({@code
 * pg_column_size} of the state, and the table with its indexes and TOAST per checkpoint), and the steps/s of 100-step
 * blocks of one 10,000-step thread (flat when a step's cost does not grow with the history). One thread at a time, so
 * the figures are per-step latency bound. Run under {@code /tmp/bench.lock}: {@code java -cp
 * "bench/target/classes:bench/target/lib/*" dev.agentstore.bench.LangGraph4jSteps}; uses (and drops first) the schema
 * {@code bench_langgraph4j}.
 */
public final class LangGraph4jSteps {

    private static final int STEPS = 100;
    private static final int THREADS = 30;
    private static final int LONG_STEPS = 10_000;
    private static final int PAYLOAD_CHARS = 10_000;

    private LangGraph4jSteps() {
    }

    /**
     * Prints the measurements (see the class description).
     *
     * @param args none
     * @throws Exception when the database cannot be reached or the graph fails
     */
    public static void main(String[] args) throws Exception {
        String schema = "bench_langgraph4j";
        AgentStoreConfig config = AgentStoreConfig.builder()
                .url(System.getenv().getOrDefault("AGENTSTORE_DB_URL", "jdbc:postgresql://127.0.0.1:5432/agentstore"))
                .user(System.getenv().getOrDefault("AGENTSTORE_DB_USER", "agentstore"))
                .password(System.getenv().getOrDefault("AGENTSTORE_DB_PASSWORD", "agentstore"))
                .schema(schema).poolMaxSize(2).poolMinIdle(0).build();
        try (AgentStore cleaner = AgentStore.open(config); Connection c = cleaner.dataSource().getConnection();
             Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
        String payload = payload();
        try (AgentStore store = AgentStore.open(config); Connection c = store.dataSource().getConnection();
             Statement s = c.createStatement()) {
            s.execute("SET search_path TO " + schema);
            AgentStoreCheckpointSaver saver = AgentStoreCheckpointSaver.of(store, "bench");

            run(new MemorySaver(), "warm-mem", STEPS, payload, 5);
            double memory = run(new MemorySaver(), "mem", STEPS, payload, THREADS);
            System.out.printf(Locale.ROOT, "MemorySaver: %8.1f steps/s (%d threads of %d steps)%n", memory, THREADS,
                    STEPS);

            run(saver, "warm", STEPS, payload, 5);
            s.execute("TRUNCATE flow_checkpoints");
            double ours = run(saver, "t", STEPS, payload, THREADS);
            System.out.printf(Locale.ROOT, "agentstore:  %8.1f steps/s (%d threads of %d steps)%n", ours, THREADS,
                    STEPS);
            sizes(s);
            double async = run(saver.asynchronousCommit(true), "async", STEPS, payload, THREADS);
            System.out.printf(Locale.ROOT, "agentstore, asynchronousCommit: %8.1f steps/s (%d threads of %d steps)%n",
                    async, THREADS, STEPS);
            commits(s);

            long[] at = new long[LONG_STEPS + 1];
            CompiledGraph<AgentState> graph = graph(saver, LONG_STEPS, at);
            graph.invoke(Map.of("payload", payload), RunnableConfig.builder().threadId("long").build());
            for (int block : new int[] {1, 10, 50, 90, 100}) {
                int from = (block - 1) * 100 + 1;
                int to = block * 100;
                System.out.printf(Locale.ROOT, "10,000-step thread, steps %5d-%5d: %8.1f steps/s%n", from, to,
                        (to - from) / ((at[to] - at[from]) / 1e9));
            }
        }
    }

    /** Runs {@code threads} threads of {@code steps} steps one after the other; returns steps/s. */
    private static double run(BaseCheckpointSaver saver, String prefix, int steps, String payload, int threads)
            throws Exception {
        CompiledGraph<AgentState> graph = graph(saver, steps, new long[steps + 1]);
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            graph.invoke(Map.of("payload", payload), RunnableConfig.builder().threadId(prefix + "-" + t).build());
        }
        return (double) steps * threads / ((System.nanoTime() - start) / 1e9);
    }

    /** One node looping {@code steps} times; each step stamps {@code at[count]} with {@link System#nanoTime()}. */
    private static CompiledGraph<AgentState> graph(BaseCheckpointSaver saver, int steps, long[] at) throws Exception {
        return new StateGraph<>(AgentState::new)
                .addNode("step", node_async(s -> {
                    int count = s.<Integer>value("count").orElse(0) + 1;
                    at[count] = System.nanoTime();
                    return Map.of("count", count, "last", "step " + count + " done");
                }))
                .addEdge(START, "step")
                .addConditionalEdges("step", edge_async(s -> s.<Integer>value("count").orElse(0) < steps ? "step" : END),
                        Map.of("step", "step", END, END))
                .compile(CompileConfig.builder().checkpointSaver(saver).recursionLimit(steps + 10).build());
    }

    /** The time of 100 single-row commits (the disk flush a durable put waits for). */
    private static void commits(Statement s) throws Exception {
        s.execute("CREATE TABLE IF NOT EXISTS commit_probe (v int)");
        long start = System.nanoTime();
        for (int i = 0; i < 100; i++) {
            s.execute("INSERT INTO commit_probe VALUES (" + i + ")");
        }
        System.out.printf(Locale.ROOT, "one autocommitted INSERT: %.2f ms%n", (System.nanoTime() - start) / 1e6 / 100);
    }

    private static void sizes(Statement s) throws Exception {
        s.execute("VACUUM ANALYZE flow_checkpoints");
        try (ResultSet rs = s.executeQuery("""
                SELECT count(*), avg(pg_column_size(state)), avg(octet_length(CAST(state AS text))),
                       pg_total_relation_size('flow_checkpoints')
                  FROM flow_checkpoints""")) {
            rs.next();
            long n = rs.getLong(1);
            System.out.printf(Locale.ROOT, "checkpoint: state %6.0f B stored (pg_column_size; %6.0f B as JSON text),"
                            + " table+indexes+TOAST %6.0f B per checkpoint (%d checkpoints)%n", rs.getDouble(2),
                    rs.getDouble(3), rs.getLong(4) / (double) n, n);
        }
    }

    private static String payload() {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ";
        Random random = new Random(19);
        StringBuilder b = new StringBuilder(PAYLOAD_CHARS);
        for (int i = 0; i < PAYLOAD_CHARS; i++) {
            b.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return b.toString();
    }
}
