package dev.agentstore.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.flow.FlowStat;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.support.RetryPolicy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/** W2 (run status update), W3 (atomic counter) and W4 (optimistic read-modify-write) on flows and flow runs. */
final class RunWorkloads {

    static final String FLOW = "bench-flow";
    static final long START_MS = 1_700_000_000_000L;

    static final String REGISTER = """
            INSERT INTO flows (name, display_name, flow_version, registered_at, updated_at)
            VALUES ('bench-flow', 'bench', 1, now(), now())
            """;

    /** Start a run and count it in its flow's stats, one statement (what {@code flowRuns().start} does). */
    static final String CREATE_RUN = """
            WITH run AS (
                INSERT INTO flow_runs (flow_name, run_id, status, started_at, last_activity_at, step_count, updated_at)
                VALUES (?, ?, 'RUNNING', ?, ?, ?, ?)
                ON CONFLICT (flow_name, run_id) DO NOTHING
                RETURNING *),
            stats AS (
                UPDATE flows SET stats_total = stats_total + 1, stats_running = stats_running + 1,
                                 last_run_at = greatest(last_run_at, ?), version = version + 1, updated_at = ?
                 WHERE name = ? AND EXISTS (SELECT 1 FROM run)
                RETURNING 1)
            SELECT id, status, version FROM run
            """;

    /** Complete a run (checked: only from an active status) and move its flow's stats, one statement. */
    static final String COMPLETE_RUN = """
            WITH prev AS (
                SELECT id, status FROM flow_runs WHERE flow_name = ? AND run_id = ? FOR UPDATE),
            run AS (
                UPDATE flow_runs r
                   SET status = 'COMPLETED', completed_at = ?, last_activity_at = ?, updated_at = ?,
                       version = r.version + 1
                  FROM prev
                 WHERE r.id = prev.id AND prev.status IN ('RUNNING', 'AWAITING')
                RETURNING r.id, r.status, r.version, prev.status AS before),
            stats AS (
                UPDATE flows f
                   SET stats_running  = greatest(f.stats_running - (SELECT count(*) FROM run WHERE before = 'RUNNING'), 0),
                       stats_awaiting = greatest(f.stats_awaiting - (SELECT count(*) FROM run WHERE before = 'AWAITING'), 0),
                       stats_success  = f.stats_success + 1, version = f.version + 1, updated_at = ?
                 WHERE f.name = ? AND EXISTS (SELECT 1 FROM run)
                RETURNING 1)
            SELECT id, status, version FROM run
            """;

    static final String INCREMENT_TOTAL = """
            UPDATE flows SET stats_total = stats_total + 1, version = version + 1, updated_at = ?
             WHERE name = ?
            RETURNING stats_total
            """;

    static final String KV_INCREMENT = """
            INSERT INTO kv_entries AS e (key, value, version, updated_at)
            VALUES (?, to_jsonb(1), 0, ?)
            ON CONFLICT (key) DO UPDATE
               SET value = to_jsonb(CAST(e.value AS numeric) + 1), version = e.version + 1, updated_at = EXCLUDED.updated_at
            RETURNING CAST(e.value AS text)
            """;

    static final String READ_EMITTED = """
            SELECT CAST(emitted_events AS text) FROM flow_runs WHERE flow_name = ? AND run_id = ?
            """;

    /**
     * The write of W4's best raw form: merge the worker's field, only if it still holds what was read (a
     * field-level compare-and-set; 0 rows = conflict, re-read).
     */
    static final String CAS_FIELD = """
            UPDATE flow_runs
               SET emitted_events = jsonb_merge_patch(emitted_events, CAST(? AS jsonb)), version = version + 1,
                   updated_at = ?
             WHERE flow_name = ? AND run_id = ?
               AND coalesce(CAST(emitted_events #>> ? AS integer), 0) = ?
            """;

    private RunWorkloads() {
    }

    static OffsetDateTime now() {
        return OffsetDateTime.now(ZoneOffset.UTC);
    }

    /** W2: create runs (timed apart), then one status update per run, sequential. */
    static final class W2 implements Workload {
        @Override
        public String id() {
            return "W2";
        }

        @Override
        public void run(Bench b) throws Exception {
            int n = b.scaled(5000);
            if (b.options.phase("W2")) {
                b.truncate("flow_runs", "flows");
                b.store.inTransaction(uow -> uow.flows().register(FLOW, "bench", 1));
                Latencies create = new Latencies(n);
                long s0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    String id = "w2-" + Generators.pad6(i);
                    Instant startedAt = Instant.ofEpochMilli(START_MS + i);
                    long t0 = System.nanoTime();
                    b.store.flowRuns().start(FLOW, id, startedAt, 10, null);
                    create.add(System.nanoTime() - t0);
                }
                long createNanos = System.nanoTime() - s0;
                b.sql("ANALYZE flow_runs");
                JsonNode patch = Json.parse("patch", "{\"status\":\"completed\"}");
                Latencies lat = new Latencies(n);
                long start = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    String id = "w2-" + Generators.pad6(i);
                    long t0 = System.nanoTime();
                    b.store.flowRuns().update(FLOW, id, patch);
                    lat.add(System.nanoTime() - t0);
                }
                long nanos = System.nanoTime() - start;
                b.emit(check(b, n, withCreate(new Result("W2").timing(n, nanos, lat), n, createNanos, create)));
            }
            if (b.options.phase("W2.jdbc")) {
                b.truncate("flow_runs", "flows");
                b.sql(REGISTER);
                Latencies create = new Latencies(n);
                long s0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    String id = "w2-" + Generators.pad6(i);
                    OffsetDateTime startedAt = Instant.ofEpochMilli(START_MS + i).atOffset(ZoneOffset.UTC);
                    long t0 = System.nanoTime();
                    try (Connection c = b.jdbc.getConnection(); PreparedStatement ps = c.prepareStatement(CREATE_RUN)) {
                        OffsetDateTime now = now();
                        ps.setString(1, FLOW);
                        ps.setString(2, id);
                        ps.setObject(3, startedAt);
                        ps.setObject(4, startedAt);
                        ps.setInt(5, 10);
                        ps.setObject(6, now);
                        ps.setObject(7, startedAt);
                        ps.setObject(8, now);
                        ps.setString(9, FLOW);
                        requireRow(ps, id);
                    }
                    create.add(System.nanoTime() - t0);
                }
                long createNanos = System.nanoTime() - s0;
                b.sql("ANALYZE flow_runs");
                Latencies lat = new Latencies(n);
                long start = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    String id = "w2-" + Generators.pad6(i);
                    long t0 = System.nanoTime();
                    try (Connection c = b.jdbc.getConnection();
                         PreparedStatement ps = c.prepareStatement(COMPLETE_RUN)) {
                        OffsetDateTime now = now();
                        ps.setString(1, FLOW);
                        ps.setString(2, id);
                        ps.setObject(3, now);
                        ps.setObject(4, now);
                        ps.setObject(5, now);
                        ps.setObject(6, now);
                        ps.setString(7, FLOW);
                        requireRow(ps, id);
                    }
                    lat.add(System.nanoTime() - t0);
                }
                long nanos = System.nanoTime() - start;
                b.emit(check(b, n, withCreate(new Result("W2.jdbc").timing(n, nanos, lat), n, createNanos, create)));
            }
        }

        static Result withCreate(Result r, int n, long nanos, Latencies create) {
            double[] sorted = create.sortedMillis();
            return r.put("create_ops_per_s", Result.round(n / (nanos / 1e9), 1))
                    .put("create_p50_ms", Result.round(Generators.percentile(sorted, 50), 3))
                    .put("create_p99_ms", Result.round(Generators.percentile(sorted, 99), 3));
        }

        static Result check(Bench b, int n, Result r) {
            long done = b.queryLong("SELECT count(*) FROM flow_runs WHERE status = 'COMPLETED' AND run_id LIKE 'w2-%'");
            if (done != n) {
                r.check(done + " of " + n + " runs completed");
            }
            long success = b.queryLong("SELECT stats_success FROM flows WHERE name = ?", FLOW);
            long running = b.queryLong("SELECT stats_running FROM flows WHERE name = ?", FLOW);
            if (success != n || running != 0) {
                r.check("flow stats success=" + success + " running=" + running);
            }
            return r;
        }
    }

    static void requireRow(PreparedStatement ps, String what) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                throw new IllegalStateException("no row for " + what);
            }
        }
    }

    /** W3: 16 workers x 500 increments of one counter; also the KV counter the library offers. */
    static final class W3 implements Workload {
        static final int WORKERS = 16;

        @Override
        public String id() {
            return "W3";
        }

        @Override
        public void run(Bench b) throws Exception {
            int per = b.scaled(500);
            if (b.options.phase("W3")) {
                b.truncate("flows");
                b.store.inTransaction(uow -> uow.flows().register(FLOW, "bench", 1));
                phase(b, "W3", per, () -> b.store.flows().incrementStat(FLOW, FlowStat.TOTAL, 1),
                        () -> b.queryLong("SELECT stats_total FROM flows WHERE name = ?", FLOW));
            }
            if (b.options.phase("W3.jdbc")) {
                b.truncate("flows");
                b.sql(REGISTER);
                phase(b, "W3.jdbc", per, () -> {
                    try (Connection c = b.jdbc.getConnection();
                         PreparedStatement ps = c.prepareStatement(INCREMENT_TOTAL)) {
                        ps.setObject(1, now());
                        ps.setString(2, FLOW);
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            return rs.getLong(1);
                        }
                    }
                }, () -> b.queryLong("SELECT stats_total FROM flows WHERE name = ?", FLOW));
            }
            String key = "bench:counter";
            if (b.options.phase("W3.kv")) {
                b.truncate("kv_entries");
                b.store.inTransaction(uow -> uow.kv().set(key, Json.MAPPER.getNodeFactory().numberNode(0)));
                phase(b, "W3.kv", per, () -> b.store.kv().increment(key, 1),
                        () -> b.queryLong("SELECT CAST(CAST(value AS text) AS bigint) FROM kv_entries WHERE key = ?", key));
            }
            if (b.options.phase("W3.kv.jdbc")) {
                b.truncate("kv_entries");
                b.sql("INSERT INTO kv_entries (key, value, updated_at) VALUES ('" + key + "', '0', now())");
                phase(b, "W3.kv.jdbc", per, () -> {
                    try (Connection c = b.jdbc.getConnection(); PreparedStatement ps = c.prepareStatement(KV_INCREMENT)) {
                        ps.setString(1, key);
                        ps.setObject(2, now());
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            return Long.parseLong(rs.getString(1));
                        }
                    }
                }, () -> b.queryLong("SELECT CAST(CAST(value AS text) AS bigint) FROM kv_entries WHERE key = ?", key));
            }
        }

        interface Increment {
            long call() throws Exception;
        }

        interface Final {
            long read();
        }

        static void phase(Bench b, String name, int per, Increment inc, Final fin) throws Exception {
            List<Latencies> lats = Bench.latencies(WORKERS, per);
            long[][] values = new long[WORKERS][per];
            AtomicInteger errors = new AtomicInteger();
            long nanos = Bench.concurrent(WORKERS, lats, (w, lat) -> {
                for (int i = 0; i < per; i++) {
                    long t0 = System.nanoTime();
                    try {
                        values[w][i] = inc.call();
                    } catch (Exception e) {
                        errors.incrementAndGet();
                        values[w][i] = -1;
                    }
                    lat.add(System.nanoTime() - t0);
                }
            });
            Latencies all = Latencies.merge(lats);
            long expected = (long) WORKERS * per;
            Set<Long> distinct = new HashSet<>();
            for (long[] vs : values) {
                for (long v : vs) {
                    if (v >= 0) {
                        distinct.add(v);
                    }
                }
            }
            long fin0 = fin.read();
            Result r = new Result(name).timing(expected, nanos, all).put("workers", WORKERS).put("final", fin0)
                    .put("errors", errors.get()).put("distinct_values", distinct.size());
            if (fin0 != expected) {
                r.check("final " + fin0 + ", expected " + expected);
            }
            if (errors.get() > 0) {
                r.check(errors.get() + " errors");
            }
            if (distinct.size() != expected) {
                r.check(distinct.size() + " distinct returned values, expected " + expected);
            }
            b.emit(r);
        }
    }

    /** W4: 8 workers x 100 read-modify-writes of their own field of one run. */
    static final class W4 implements Workload {
        static final int WORKERS = 8;
        static final String RUN = "w4-run";

        @Override
        public String id() {
            return "W4";
        }

        @Override
        public void run(Bench b) throws Exception {
            int per = b.scaled(100);
            if (b.options.phase("W4")) {
                b.truncate("flow_runs", "flows");
                b.store.inTransaction(uow -> uow.flows().register(FLOW, "bench", 1));
                b.store.inTransaction(uow -> uow.flowRuns().start(FLOW, RUN));
                AtomicInteger attempts = new AtomicInteger();
                // two per-call calls: the read, then the merge patch, one atomic UPDATE that merges into the row's
                // latest version (no lost update without a transaction around both); retried on a conflict
                phase(b, "W4", per, attempts, k -> RetryPolicy.DEFAULT.execute("FlowRun " + FLOW + "/" + RUN, () -> {
                    attempts.incrementAndGet();
                    FlowRun run = b.store.flowRuns().get(FLOW, RUN).orElseThrow();
                    int n = run.emittedEvents().path("w" + k).path("count").asInt(0) + 1;
                    b.store.flowRuns().update(FLOW, RUN, patch(k, n));
                    return n;
                }));
            }
            if (b.options.phase("W4.jdbc")) {
                b.truncate("flow_runs", "flows");
                b.sql(REGISTER, "INSERT INTO flow_runs (flow_name, run_id, status, started_at, updated_at) "
                        + "VALUES ('bench-flow', '" + RUN + "', 'RUNNING', now(), now())");
                AtomicInteger attempts = new AtomicInteger();
                phase(b, "W4.jdbc", per, attempts, k -> {
                    for (int attempt = 0; attempt < RetryPolicy.DEFAULT.maxAttempts(); attempt++) {
                        attempts.incrementAndGet();
                        try (Connection c = b.jdbc.getConnection()) {
                            int current;
                            try (PreparedStatement ps = c.prepareStatement(READ_EMITTED)) {
                                ps.setString(1, FLOW);
                                ps.setString(2, RUN);
                                try (ResultSet rs = ps.executeQuery()) {
                                    rs.next();
                                    current = Json.MAPPER.readTree(rs.getString(1)).path("w" + k).path("count").asInt(0);
                                }
                            }
                            int n = current + 1;
                            try (PreparedStatement ps = c.prepareStatement(CAS_FIELD)) {
                                ps.setString(1, Json.print(patch(k, n).get("emittedEvents")));
                                ps.setObject(2, now());
                                ps.setString(3, FLOW);
                                ps.setString(4, RUN);
                                ps.setArray(5, c.createArrayOf("text", new String[]{"w" + k, "count"}));
                                ps.setInt(6, current);
                                if (ps.executeUpdate() == 1) {
                                    return n;
                                }
                            }
                        }
                    }
                    throw new IllegalStateException("conflicted " + RetryPolicy.DEFAULT.maxAttempts() + " times");
                });
            }
        }

        static ObjectNode patch(int k, int n) {
            ObjectNode patch = Json.object();
            patch.putObject("emittedEvents").putObject("w" + k).put("count", n);
            return patch;
        }

        interface Rmw {
            int call(int worker) throws Exception;
        }

        static void phase(Bench b, String name, int per, AtomicInteger attempts, Rmw rmw) throws Exception {
            List<Latencies> lats = Bench.latencies(WORKERS, per);
            AtomicInteger acked = new AtomicInteger();
            AtomicInteger rejected = new AtomicInteger();
            List<String> errors = new ArrayList<>();
            long nanos = Bench.concurrent(WORKERS, lats, (w, lat) -> {
                for (int i = 0; i < per; i++) {
                    long t0 = System.nanoTime();
                    try {
                        rmw.call(w);
                        acked.incrementAndGet();
                    } catch (Exception e) {
                        rejected.incrementAndGet();
                        synchronized (errors) {
                            if (errors.size() < 3) {
                                errors.add(e.getClass().getSimpleName() + ": " + e.getMessage());
                            }
                        }
                    }
                    lat.add(System.nanoTime() - t0);
                }
            });
            Latencies all = Latencies.merge(lats);
            JsonNode emitted = b.store.fromTransaction(uow -> uow.flowRuns().get(FLOW, RUN)).orElseThrow()
                    .emittedEvents();
            long sum = 0;
            int wrong = 0;
            for (int k = 0; k < WORKERS; k++) {
                int v = emitted.path("w" + k).path("count").asInt(0);
                sum += v;
                if (v != per) {
                    wrong++;
                }
            }
            long total = (long) WORKERS * per;
            Result r = new Result(name).timing(total, nanos, all).put("workers", WORKERS)
                    .put("lost_updates", total - sum).put("rejected_after_retries", rejected.get())
                    .put("acked_but_lost", acked.get() - sum).put("update_attempts", attempts.get());
            if (wrong > 0) {
                r.check(wrong + " fields != " + per + " (lost " + (total - sum) + ")");
            }
            if (!errors.isEmpty()) {
                r.put("errors", errors);
            }
            b.emit(r);
        }
    }
}
