package dev.agentstore.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.flow.CheckpointPolicy;
import dev.agentstore.domain.flow.FlowCheckpoint;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreConfig;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The cost of checkpoints (docs/performance.md, "Checkpoints"): the bytes a checkpoint takes for runs of 50 steps
 * whose state grows to about 20 kB ({@code pg_column_size} of the state, and the table with its indexes and TOAST per
 * checkpoint) with PostgreSQL's default TOAST compression (pglz), with lz4 when the server has it, and without
 * compression ({@code STORAGE EXTERNAL}); then the time to page through a run's history of 1,000 checkpoints newest
 * first ({@code CheckpointRepository.history}, one call per page through {@code store.checkpoints()}). Run it
 * under the machine's bench lock: {@code flock /tmp/bench.lock java -cp "bench/target/classes:bench/target/lib/*"
 * dev.agentstore.bench.CheckpointCost} (it takes no lock itself: a file it created and deleted would not exclude
 * {@code flock} users, and fails when the lock file exists); uses (and drops first) the schema
 * {@code bench_checkpoints}.
 */
public final class CheckpointCost {

    private static final String FLOW = "bench";
    private static final int STEPS = 50;
    private static final int RUNS_PER_VARIANT = 10;
    private static final int HISTORY = 1_000;

    private CheckpointCost() {
    }

    /**
     * Prints the measurements (see the class description).
     *
     * @param args none
     * @throws Exception when the database cannot be reached or a statement fails
     */
    public static void main(String[] args) throws Exception {
        String schema = "bench_checkpoints";
        AgentStoreConfig config = AgentStoreConfig.builder()
                .url(System.getenv().getOrDefault("AGENTSTORE_DB_URL", "jdbc:postgresql://127.0.0.1:5432/agentstore"))
                .user(System.getenv().getOrDefault("AGENTSTORE_DB_USER", "agentstore"))
                .password(System.getenv().getOrDefault("AGENTSTORE_DB_PASSWORD", "agentstore"))
                .schema(schema).poolMaxSize(2).poolMinIdle(0).build();
        try (AgentStore cleaner = AgentStore.open(config); Connection c = cleaner.dataSource().getConnection();
             Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
        try (AgentStore store = AgentStore.open(config); Connection c = store.dataSource().getConnection();
             Statement s = c.createStatement()) {
            s.execute("SET search_path TO " + schema);
            store.flows().register(FLOW, null, 1);
            store.checkpoints().configure(FLOW, CheckpointPolicy.keepAll());
            variant(store, s, "pglz (default)", "SET COMPRESSION pglz");
            try {
                variant(store, s, "lz4", "SET COMPRESSION lz4");
            } catch (SQLException e) {
                System.out.println("lz4: not available on this server (" + e.getMessage() + ")");
            }
            variant(store, s, "none (STORAGE EXTERNAL)", "SET STORAGE EXTERNAL");
            setting(s, "SET STORAGE EXTENDED");
            setting(s, "SET COMPRESSION pglz");
            pages(store, s);
        }
    }

    /**
     * Sets a column option of both the run's snapshot and the checkpoint's state: a checkpoint is an
     * {@code INSERT ... SELECT} of the run's snapshot, and PostgreSQL copies an already compressed value as it is, so
     * the checkpoints are stored as {@code flow_runs.snapshot} is.
     */
    private static void setting(Statement s, String option) throws SQLException {
        s.execute("ALTER TABLE flow_runs ALTER COLUMN snapshot " + option);
        s.execute("ALTER TABLE flow_checkpoints ALTER COLUMN state " + option);
    }

    /** Writes {@link #RUNS_PER_VARIANT} runs of {@link #STEPS} steps after {@code option} and prints their sizes. */
    private static void variant(AgentStore store, Statement s, String label, String option) throws SQLException {
        s.execute("TRUNCATE flow_checkpoints");
        setting(s, option);
        for (int r = 0; r < RUNS_PER_VARIANT; r++) {
            run(store, "size-" + r, 0);
        }
        s.execute("VACUUM ANALYZE flow_checkpoints");
        try (ResultSet rs = s.executeQuery("""
                SELECT count(*), avg(pg_column_size(state)), avg(octet_length(CAST(state AS text))),
                       max(octet_length(CAST(state AS text))), max(pg_column_size(state)),
                       pg_total_relation_size('flow_checkpoints')
                  FROM flow_checkpoints""")) {
            rs.next();
            long n = rs.getLong(1);
            System.out.printf(Locale.ROOT, "%-24s %4d checkpoints: state avg %6.0f B stored (%6.0f B as text; last step"
                            + " %6d B text, %6d B stored), table+indexes+TOAST %6.0f B per checkpoint%n", label, n,
                    rs.getDouble(2), rs.getDouble(3), rs.getLong(4), rs.getLong(5), rs.getLong(6) / (double) n);
        }
    }

    /** One run of {@link #STEPS} steps: each sets one step's result of about 400 bytes (state up to ~20 kB). */
    private static void run(AgentStore store, String runId, int seed) {
        store.flowRuns().replaceSnapshot(FLOW, runId, Json.parse("s", "{\"context\":{}}"));
        for (int step = 1; step < STEPS; step++) {
            ObjectNode result = Json.object();
            result.put("status", "success");
            result.put("startedAt", 1_765_000_000_000L + step * 1_337L + seed);
            result.put("output", "Step " + step + " of run " + runId + ": the agent looked up order "
                    + UUID.nameUUIDFromBytes((runId + step).getBytes()) + " and answered the customer that the parcel"
                    + " left the warehouse on day " + (step * 7 % 31 + 1) + " and arrives within "
                    + (step % 5 + 2) + " working days; tool calls: search_orders, get_shipment, "
                    + "send_message, summarize_thread. Tokens in " + (step * 173 % 4000) + ", out " + (step * 91 % 900) + ".");
            result.put("score", (step * 37 % 100) / 100.0);
            result.put("model", "gpt-4o-mini-2024-07-18");
            store.flowRuns().setStepResult(FLOW, runId, "step-" + step, result);
        }
    }

    /** A run of {@link #HISTORY} checkpoints, paged newest first with pages of 20 and 100. */
    private static void pages(AgentStore store, Statement s) throws Exception {
        s.execute("TRUNCATE flow_checkpoints");
        for (int i = 0; i < HISTORY / STEPS; i++) {
            run(store, "history", i);
        }
        s.execute("VACUUM ANALYZE flow_checkpoints");
        long count = store.checkpoints().history(FLOW, "history", null, 100).size();
        System.out.println("history run: " + (HISTORY / STEPS * STEPS) + " checkpoints (first page " + count + ")");
        for (boolean withState : new boolean[] {false, true}) {
            for (int size : new int[] {20, 100}) {
                for (int round = 0; round < 3; round++) {
                    List<Double> ms = new ArrayList<>();
                    UUID before = null;
                    while (true) {
                        long start = System.nanoTime();
                        List<FlowCheckpoint> page = store.checkpoints().history(FLOW, "history", before, size,
                                withState);
                        ms.add((System.nanoTime() - start) / 1e6);
                        if (page.size() < size) {
                            break;
                        }
                        before = page.get(page.size() - 1).checkpointId();
                    }
                    Collections.sort(ms);
                    System.out.printf(Locale.ROOT, "pages of %3d %-13s: %2d pages, median %.2f ms, p95 %.2f ms,"
                                    + " max %.2f ms (round %d)%n", size, withState ? "with state" : "without state",
                            ms.size(), ms.get(ms.size() / 2), ms.get((int) Math.ceil(ms.size() * 0.95) - 1),
                            ms.get(ms.size() - 1), round);
                }
            }
        }
    }
}
