package dev.agentstore.bench;

import dev.agentstore.langgraph4j.AgentStoreCheckpointSaver;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreConfig;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.bsc.langgraph4j.CompileConfig;
import org.bsc.langgraph4j.CompiledGraph;
import org.bsc.langgraph4j.RunnableConfig;
import org.bsc.langgraph4j.StateGraph;
import org.bsc.langgraph4j.checkpoint.BaseCheckpointSaver;
import org.bsc.langgraph4j.checkpoint.MemorySaver;
import org.bsc.langgraph4j.serializer.StateSerializer;
import org.bsc.langgraph4j.serializer.std.ObjectStreamStateSerializer;
import org.bsc.langgraph4j.state.AgentState;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;

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
 * the figures are per-step latency bound.
 *
 * <p>Side by side: when LangGraph4j's own {@code PostgresSaver} ({@code org.bsc.langgraph4j.checkpoint.PostgresSaver},
 * module {@code langgraph4j-postgres-saver}, not on Maven Central) is on the class path, the same graph runs on it in
 * the same run, after one uncounted warm-up round of each, alternating with agentstore (two rounds, durable commits,
 * then both with {@code synchronous_commit} off), with its bytes per checkpoint and the blocks of a {@value
 * #PEER_LONG_STEPS}-step thread. Run under {@code
 * /tmp/bench.lock}: {@code java -cp "bench/target/classes:bench/target/lib/*[:the PostgresSaver jar]"
 * dev.agentstore.bench.LangGraph4jSteps}; uses (and drops first) the schema {@code bench_langgraph4j}.
 */
public final class LangGraph4jSteps {

    private static final int STEPS = 100;
    private static final int THREADS = 30;
    private static final int LONG_STEPS = 10_000;
    /** The peer's long thread: each of its puts reads every earlier checkpoint, so 10,000 steps would take hours. */
    private static final int PEER_LONG_STEPS = 1_000;
    private static final int PAYLOAD_CHARS = 10_000;

    private LangGraph4jSteps() {
    }

    /**
     * Prints the measurements (see the class description).
     *
     * @param args optionally the number of rounds of the 100-step comparisons (2 by default), and {@code short} to
     *             leave out the long threads
     * @throws Exception when the database cannot be reached or the graph fails
     */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        boolean longThreads = args.length < 2 || !args[1].equals("short");
        String schema = "bench_langgraph4j";
        String url = System.getenv().getOrDefault("AGENTSTORE_DB_URL", "jdbc:postgresql://127.0.0.1:5432/agentstore");
        String user = System.getenv().getOrDefault("AGENTSTORE_DB_USER", "agentstore");
        String password = System.getenv().getOrDefault("AGENTSTORE_DB_PASSWORD", "agentstore");
        AgentStoreConfig config = AgentStoreConfig.builder().url(url).user(user).password(password)
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
            BaseCheckpointSaver peer = peer(url, user, password, schema, false);
            BaseCheckpointSaver peerAsync = peer == null ? null : peer(url, user, password, schema, true);
            System.out.println(peer == null ? "LangGraph4j PostgresSaver: not on the class path, not run"
                    : "LangGraph4j PostgresSaver: "
                    + peer.getClass().getProtectionDomain().getCodeSource().getLocation());

            run(new MemorySaver(), "warm-mem", STEPS, payload, 5);
            double memory = run(new MemorySaver(), "mem", STEPS, payload, THREADS);
            System.out.printf(Locale.ROOT, "MemorySaver: %8.1f steps/s (%d threads of %d steps)%n", memory, THREADS,
                    STEPS);
            commits(s);

            // a warm-up round, not counted, of the same size as a measured one for both savers (the JIT compiles
            // agentstore's path over about a round; smaller warm-ups left rounds 1-3 slower than 4-5)
            run(saver, "warm", STEPS, payload, THREADS);
            if (peer != null) {
                run(peer, "warm", STEPS, payload, THREADS);
                s.execute("TRUNCATE lg4jcheckpoint, lg4jthread");
            }
            s.execute("TRUNCATE flow_checkpoints");
            for (int round = 1; round <= rounds; round++) {
                double ours = run(saver, "t" + round, STEPS, payload, THREADS);
                System.out.printf(Locale.ROOT, "round %d agentstore:                %8.1f steps/s (%d threads of %d"
                        + " steps)%n", round, ours, THREADS, STEPS);
                if (peer != null) {
                    double theirs = run(peer, "t" + round, STEPS, payload, THREADS);
                    System.out.printf(Locale.ROOT, "round %d PostgresSaver:             %8.1f steps/s; agentstore"
                            + " %.2fx%n", round, theirs, ours / theirs);
                }
            }
            sizes(s, peer != null);
            for (int round = 1; round <= rounds; round++) {
                double async = run(saver.asynchronousCommit(true), "async" + round, STEPS, payload, THREADS);
                System.out.printf(Locale.ROOT, "round %d agentstore, asynchronousCommit: %8.1f steps/s%n", round,
                        async);
                if (peerAsync != null) {
                    double theirs = run(peerAsync, "async" + round, STEPS, payload, THREADS);
                    System.out.printf(Locale.ROOT, "round %d PostgresSaver, synchronous_commit off: %8.1f steps/s;"
                            + " agentstore %.2fx%n", round, theirs, async / theirs);
                }
            }
            commits(s);

            if (!longThreads) {
                return;
            }
            longThread("agentstore", saver, LONG_STEPS, payload);
            if (peer != null) {
                longThread("PostgresSaver", peer, PEER_LONG_STEPS, payload);
            }
        }
    }

    /** One thread of {@code steps} steps; prints the steps/s of 100-step blocks along it. */
    private static void longThread(String name, BaseCheckpointSaver saver, int steps, String payload)
            throws Exception {
        long[] at = new long[steps + 1];
        CompiledGraph<AgentState> graph = graph(saver, steps, at);
        graph.invoke(Map.of("payload", payload), RunnableConfig.builder().threadId("long").build());
        int[] blocks = IntStream.of(1, steps / 1000, steps / 200, steps * 9 / 1000, steps / 100)
                .filter(block -> block >= 1).distinct().toArray();
        for (int block : blocks) {
            int from = (block - 1) * 100 + 1;
            int to = block * 100;
            System.out.printf(Locale.ROOT, "%s, %,d-step thread, steps %5d-%5d: %8.1f steps/s%n", name, steps, from,
                    to, (to - from) / ((at[to] - at[from]) / 1e9));
        }
    }

    /**
     * LangGraph4j's own {@code PostgresSaver} (module {@code langgraph4j-postgres-saver}, not on Maven Central) when
     * its jar is on the class path, through reflection so that the bench compiles without it; its tables are
     * created (dropped first) in {@code schema}. It gets a HikariCP pool of 2 (its builder's host/port form opens an
     * unpooled connection per call, which would make it slower still); the pool lives until the JVM exits.
     *
     * @return the saver, or {@code null} when the class is not on the class path
     */
    private static BaseCheckpointSaver peer(String url, String user, String password, String schema,
                                            boolean asynchronousCommit) throws Exception {
        Class<?> type;
        try {
            type = Class.forName("org.bsc.langgraph4j.checkpoint.PostgresSaver");
        } catch (ClassNotFoundException e) {
            return null;
        }
        HikariConfig pool = new HikariConfig();
        pool.setJdbcUrl(url);
        pool.setUsername(user);
        pool.setPassword(password);
        pool.setSchema(schema);
        pool.setMaximumPoolSize(2);
        pool.setMinimumIdle(0);
        if (asynchronousCommit) {
            pool.setConnectionInitSql("SET synchronous_commit TO off");
        }
        HikariDataSource ds = new HikariDataSource(pool);
        Object builder = type.getMethod("builder").invoke(null);
        Class<?> b = builder.getClass();
        b.getMethod("datasource", DataSource.class).invoke(builder, ds);
        b.getMethod("stateSerializer", StateSerializer.class)
                .invoke(builder, new ObjectStreamStateSerializer<>(AgentState::new));
        b.getMethod("createTables", boolean.class).invoke(builder, true);
        b.getMethod("dropTablesFirst", boolean.class).invoke(builder, !asynchronousCommit);
        return (BaseCheckpointSaver) b.getMethod("build").invoke(builder);
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

    private static void sizes(Statement s, boolean peer) throws Exception {
        s.execute("VACUUM ANALYZE flow_checkpoints");
        try (ResultSet rs = s.executeQuery("""
                SELECT count(*), avg(pg_column_size(state)), avg(octet_length(CAST(state AS text))),
                       pg_total_relation_size('flow_checkpoints')
                  FROM flow_checkpoints""")) {
            rs.next();
            long n = rs.getLong(1);
            System.out.printf(Locale.ROOT, "agentstore checkpoint: state %6.0f B stored (pg_column_size; %6.0f B as"
                            + " JSON text), table+indexes+TOAST %6.0f B per checkpoint (%d checkpoints)%n",
                    rs.getDouble(2), rs.getDouble(3), rs.getLong(4) / (double) n, n);
        }
        if (!peer) {
            return;
        }
        s.execute("VACUUM ANALYZE lg4jcheckpoint");
        try (ResultSet rs = s.executeQuery("""
                SELECT count(*), avg(pg_column_size(state_data)), avg(octet_length(CAST(state_data AS text))),
                       pg_total_relation_size('lg4jcheckpoint')
                  FROM lg4jcheckpoint""")) {
            rs.next();
            long n = rs.getLong(1);
            System.out.printf(Locale.ROOT, "PostgresSaver checkpoint: state %6.0f B stored (pg_column_size; %6.0f B"
                            + " as JSON text), table+indexes+TOAST %6.0f B per checkpoint (%d checkpoints)%n",
                    rs.getDouble(2), rs.getDouble(3), rs.getLong(4) / (double) n, n);
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
