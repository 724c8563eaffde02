package dev.agentstore.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.json.Json;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Optional;

/** W6: 10,000 sequential {@code set} with a 60 s ttl, then 10,000 {@code get} of random keys. */
final class KvWorkload implements Workload {

    static final Duration TTL = Duration.ofSeconds(60);

    static final String SET = """
            INSERT INTO kv_entries (key, value, expires_at, version, updated_at)
            VALUES (?, CAST(? AS jsonb), ?, 0, ?)
            ON CONFLICT (key) DO UPDATE
               SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at, version = kv_entries.version + 1,
                   updated_at = EXCLUDED.updated_at
            """;

    static final String GET = """
            SELECT CAST(value AS text) FROM kv_entries WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)
            """;

    @Override
    public String id() {
        return "W6";
    }

    static String key(int i) {
        return "bench:kv:" + Generators.pad6(i);
    }

    static ObjectNode value(int i) {
        ObjectNode v = Json.object();
        v.put("i", i);
        v.put("owner", "worker-" + (i % 16));
        v.put("note", "x".repeat(64));
        return v;
    }

    @Override
    public void run(Bench b) throws Exception {
        int n = b.scaled(10_000);
        boolean api = b.options.phase("W6.set") || b.options.phase("W6.get");
        boolean raw = b.options.phase("W6.set.jdbc") || b.options.phase("W6.get.jdbc");
        if (api) {
            b.truncate("kv_entries");
            long[] setAt = new long[n];
            Latencies lat = new Latencies(n);
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                String key = key(i);
                ObjectNode value = value(i);
                long t0 = System.nanoTime();
                b.store.kv().set(key, value, TTL);
                long t1 = System.nanoTime();
                lat.add(t1 - t0);
                setAt[i] = t1;
            }
            long nanos = System.nanoTime() - start;
            long rows = b.queryLong("SELECT count(*) FROM kv_entries");
            b.emit(new Result("W6.set").timing(n, nanos, lat).check(rows == n ? null : rows + " rows, expected " + n));
            b.sql("ANALYZE kv_entries");
            getPhase(b, "W6.get", n, setAt, key -> b.store.kv().get(key));
        }
        if (raw) {
            b.truncate("kv_entries");
            long[] setAt = new long[n];
            Latencies lat = new Latencies(n);
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                String key = key(i);
                String value = Json.print(value(i));
                long t0 = System.nanoTime();
                try (Connection c = b.jdbc.getConnection(); PreparedStatement ps = c.prepareStatement(SET)) {
                    OffsetDateTime now = RunWorkloads.now();
                    ps.setString(1, key);
                    ps.setString(2, value);
                    ps.setObject(3, now.plus(TTL));
                    ps.setObject(4, now);
                    ps.executeUpdate();
                }
                long t1 = System.nanoTime();
                lat.add(t1 - t0);
                setAt[i] = t1;
            }
            long nanos = System.nanoTime() - start;
            long rows = b.queryLong("SELECT count(*) FROM kv_entries");
            b.emit(new Result("W6.set.jdbc").timing(n, nanos, lat)
                    .check(rows == n ? null : rows + " rows, expected " + n));
            b.sql("ANALYZE kv_entries");
            getPhase(b, "W6.get.jdbc", n, setAt, key -> {
                try (Connection c = b.jdbc.getConnection(); PreparedStatement ps = c.prepareStatement(GET)) {
                    ps.setString(1, key);
                    ps.setObject(2, RunWorkloads.now());
                    try (ResultSet rs = ps.executeQuery()) {
                        return rs.next() ? Optional.of(Json.MAPPER.readTree(rs.getString(1))) : Optional.empty();
                    }
                }
            });
        }
    }

    interface Get {
        Optional<JsonNode> get(String key) throws Exception;
    }

    static void getPhase(Bench b, String name, int n, long[] setAt, Get get) throws Exception {
        Mulberry32 rng = Mulberry32.stream(b.seed(), 6);
        Latencies lat = new Latencies(n);
        int mismatched = 0;
        int expired = 0;
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            int k = rng.randInt(n);
            String key = key(k);
            long t0 = System.nanoTime();
            Optional<JsonNode> v = get.get(key);
            long t1 = System.nanoTime();
            lat.add(t1 - t0);
            if (v.isEmpty()) {
                if (t1 - setAt[k] > TTL.toNanos()) {
                    expired++;
                } else {
                    mismatched++;
                }
            } else if (!v.get().equals(value(k))) {
                mismatched++;
            }
        }
        long nanos = System.nanoTime() - start;
        b.emit(new Result(name).timing(n, nanos, lat).put("expired_by_ttl", expired)
                .check(mismatched == 0 ? null : mismatched + " values did not match"));
    }
}
