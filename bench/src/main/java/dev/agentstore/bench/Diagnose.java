package dev.agentstore.bench;

import dev.agentstore.domain.flow.FlowEventQuery;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import dev.agentstore.domain.json.Json;

/**
 * Where the agentstore path's time goes, for the findings: the same read through layers added one at a time (raw
 * autocommit SELECT; the SELECT in an explicit transaction; an empty {@code fromTransaction}; the repository read).
 * {@code java -cp ... dev.agentstore.bench.Diagnose [n]}; prints median microseconds per call.
 */
public final class Diagnose {

    private Diagnose() {
    }

    /** Statements each agentstore call sends (datasource-proxy), beside the one statement of its raw form. */
    static void statementCounts(AgentStore store, Bench b) {
        javax.sql.DataSource counting = net.ttddyy.dsproxy.support.ProxyDataSourceBuilder.create(store.dataSource())
                .countQuery().build();
        AgentStoreConfig cfg = AgentStoreConfig.builder().url(store.config().jdbcUrl()).user("unused")
                .schema(store.config().schema()).autoMigrate(false).build();
        try (AgentStore s = AgentStore.open(cfg, counting)) {
            s.inTransaction(uow -> uow.flows().register("bench-flow", "bench", 1));
            s.inTransaction(uow -> uow.flowRuns().start("bench-flow", "w4-run"));
            Map<String, Runnable> calls = new LinkedHashMap<>();
            calls.put("W1 flowEvents().append", () -> s.flowEvents().append(
                    dev.agentstore.domain.flow.NewFlowEvent.of("run-x", "bench-flow", "step.completed")
                            .data(Json.object().put("seq", 1))));
            calls.put("W2 flowRuns().start", () -> s.inTransaction(uow -> uow.flowRuns().start("bench-flow", "w2-x",
                    java.time.Instant.now(), 10, null)));
            calls.put("W2 flowRuns().update(status)", () -> s.inTransaction(uow -> uow.flowRuns().update("bench-flow",
                    "w2-x", Json.parse("patch", "{\"status\":\"completed\"}"))));
            calls.put("W3 flows().incrementStat", () -> s.flows().incrementStat("bench-flow",
                    dev.agentstore.domain.flow.FlowStat.TOTAL, 1));
            calls.put("W3.kv kv().increment", () -> s.kv().increment("c", 1));
            calls.put("W4 flowRuns().get + flowRuns().update", () -> {
                s.flowRuns().get("bench-flow", "w4-run").orElseThrow();
                s.flowRuns().update("bench-flow", "w4-run", RunWorkloads.W4.patch(0, 1));
            });
            calls.put("W5 flowEvents().read(50, desc)", () -> s.flowEvents().read("run-000003",
                    FlowEventQuery.defaults().limit(50).descending()));
            calls.put("W6 kv().set(ttl)", () -> s.kv().set("k", Json.object().put("i", 1),
                    java.time.Duration.ofSeconds(60)));
            calls.put("W6 kv().get", () -> s.kv().get("k"));
            s.inTransaction(uow -> uow.memories().saveThread("t1", "user-1", null, null));
            calls.put("W7 memories().saveMessages(1)", () -> s.inTransaction(uow -> uow.memories().saveMessages("t1",
                    List.of(dev.agentstore.domain.memory.NewMessage.of("t1-m" + System.nanoTime(),
                            dev.agentstore.domain.memory.MessageRole.USER, MemoryWorkload.content("hi"))))));
            calls.put("W7 memories().listMessages(20, DESC)", () -> s.fromTransaction(uow -> uow.memories().listMessages(
                    dev.agentstore.domain.memory.MessageQuery.of("t1").withResourceId("user-1")
                            .orderedBy(dev.agentstore.domain.memory.SortDirection.DESC),
                    dev.agentstore.persistence.support.PageRequest.of(0, 20), false)));
            calls.put("W7 memories().lastMessages(20)", () -> s.fromTransaction(uow -> uow.memories().lastMessages("t1", 20)));
            s.inTransaction(uow -> uow.knowledge().create("probe", 3, dev.agentstore.domain.knowledge.Distance.COSINE,
                    dev.agentstore.domain.knowledge.IndexSpec.hnsw(16, 64)));
            calls.put("W8 chunks().upsert(1)", () -> s.inTransaction(uow -> uow.chunks().upsert("probe", List.of(
                    dev.agentstore.domain.knowledge.NewChunk.of("d", 0, "c", new float[]{1, 0, 0}).withId("c1")))));
            calls.put("W8 chunks().search(top 10)", () -> s.fromTransaction(uow -> uow.chunks().search("probe",
                    new float[]{1, 0, 0}, dev.agentstore.persistence.knowledge.SearchOptions.top(10))));
            calls.put("W8 chunks().search(top 10, filter)", () -> s.fromTransaction(uow -> uow.chunks().search("probe",
                    new float[]{1, 0, 0}, dev.agentstore.persistence.knowledge.SearchOptions.top(10)
                            .withFilter(dev.agentstore.persistence.query.Filter.eq("payload.doc", 7)))));
            for (Map.Entry<String, Runnable> c : calls.entrySet()) {
                net.ttddyy.dsproxy.QueryCountHolder.clear();
                c.getValue().run();
                net.ttddyy.dsproxy.QueryCount q = net.ttddyy.dsproxy.QueryCountHolder.getGrandTotal();
                System.out.printf(java.util.Locale.ROOT,
                        "%-36s statements %d (select %d, insert %d, update %d, other %d) + COMMIT%n", c.getKey(),
                        q.getTotal(), q.getSelect(), q.getInsert(), q.getUpdate(), q.getOther());
            }
        }
    }

    interface Call {
        void run() throws Exception;
    }

    /**
     * @param args optional number of calls per probe (default 2000)
     * @throws Exception when the database is unreachable
     */
    public static void main(String[] args) throws Exception {
        BenchMain.quietLogging();
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        Options o = new Options();
        o.scale = 0.05;
        String schema = "bench_diag_" + Long.toHexString(System.nanoTime() & 0xffffff);
        AgentStoreConfig config = AgentStoreConfig.builder().url(o.url).user(o.user).password(o.password)
                .schema(schema).poolMaxSize(4).poolMinIdle(4).autoMigrate(true).build();
        try (AgentStore store = AgentStore.open(config); HikariDataSource jdbc = Bench.baselinePool(o, schema)) {
            Bench b = new Bench(o, store, jdbc, schema, o.scale, true, new java.util.ArrayList<>());
            try {
                EventWorkloads.W1.loadByCopy(b, 10, false);
                b.sql("ANALYZE flow_events");
                String runId = "run-000003";
                Map<String, Call> probes = new LinkedHashMap<>();
                probes.put("jdbc SELECT 1 (autocommit)", () -> {
                    try (Connection c = jdbc.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT 1");
                         ResultSet rs = ps.executeQuery()) {
                        rs.next();
                    }
                });
                probes.put("jdbc latest-50 (autocommit)", () -> {
                    try (Connection c = jdbc.getConnection();
                         PreparedStatement ps = c.prepareStatement(EventWorkloads.LATEST)) {
                        ps.setString(1, runId);
                        ps.setInt(2, 50);
                        try (ResultSet rs = ps.executeQuery()) {
                            while (rs.next()) {
                                rs.getString(9);
                            }
                        }
                    }
                });
                probes.put("jdbc latest-50 in BEGIN/COMMIT", () -> {
                    try (Connection c = jdbc.getConnection()) {
                        c.setAutoCommit(false);
                        try (PreparedStatement ps = c.prepareStatement(EventWorkloads.LATEST)) {
                            ps.setString(1, runId);
                            ps.setInt(2, 50);
                            try (ResultSet rs = ps.executeQuery()) {
                                while (rs.next()) {
                                    rs.getString(9);
                                }
                            }
                        }
                        c.commit();
                        c.setAutoCommit(true);
                    }
                });
                probes.put("store.fromTransaction(empty)", () -> store.fromTransaction(uow -> null));
                probes.put("store.fromTransaction(native SELECT 1)", () -> store.fromTransaction(
                        uow -> uow.entityManager().createNativeQuery("SELECT 1").getSingleResult()));
                probes.put("flowEvents().read latest 50", () -> store.fromTransaction(uow -> uow.flowEvents()
                        .read(runId, FlowEventQuery.defaults().limit(50).descending())));
                probes.put("kv().get (absent key)", () -> store.fromTransaction(uow -> uow.kv().get("nope")));
                statementCounts(store, b);
                if (args.length > 1) {
                    probes.keySet().removeIf(k -> !k.contains(args[1]));
                }
                for (int round = 0; round < 2; round++) {
                    for (Map.Entry<String, Call> p : probes.entrySet()) {
                        long[] t = new long[n];
                        java.lang.management.ThreadMXBean tm = java.lang.management.ManagementFactory.getThreadMXBean();
                        long cpu0 = tm.getCurrentThreadCpuTime();
                        for (int i = 0; i < n; i++) {
                            long t0 = System.nanoTime();
                            p.getValue().run();
                            t[i] = System.nanoTime() - t0;
                        }
                        double cpuUs = (tm.getCurrentThreadCpuTime() - cpu0) / 1e3 / n;
                        java.util.Arrays.sort(t);
                        if (round == 1) {
                            System.out.printf(java.util.Locale.ROOT, "%-42s p50 %8.1f us   p90 %8.1f us   client CPU %7.1f us/call%n",
                                    p.getKey(), t[n / 2] / 1e3, t[n * 9 / 10] / 1e3, cpuUs);
                        }
                    }
                }
            } finally {
                b.sql("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }
}
