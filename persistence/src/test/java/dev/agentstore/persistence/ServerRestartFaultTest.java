package dev.agentstore.persistence;

import dev.agentstore.domain.TransientDataAccessException;
import dev.agentstore.domain.flow.NewFlowEvent;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.support.RetryPolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Acknowledged writes survive server restarts (fast, immediate) and a {@code kill -9}, none is written twice, and the
 * same store serves calls again soon after the server is back. Runs on a private cluster ({@link LocalCluster}),
 * never on the shared server.
 *
 * <p>8 writer threads write units with unique ids while the server goes down three times, each outage 3 s: half the
 * units are a transaction through {@link AgentStore#fromTransactionWithRetry} (a record and a flow event, both with
 * the unit's id), half a per-call autocommit {@code flowEvents().append} under {@link RetryPolicy#execute}. Each unit
 * ends acknowledged (returned), failed retry-safe (every attempt failed and is known not to have committed), failed
 * with an unknown outcome ({@code retrySafe() == false}), or failed otherwise (a defect: the test fails). Afterwards:
 * every acknowledged unit is in the database exactly once, every retry-safe failure is absent, every unknown outcome
 * is there once or absent, a transaction's record and event are both there or both absent, and nothing is there
 * twice. The figures are printed and written to {@code target/reliability-faults.md}.
 */
class ServerRestartFaultTest {

    private static final int WRITERS = 8;
    private static final Duration OUTAGE = Duration.ofSeconds(3);
    private static final Duration BETWEEN = Duration.ofSeconds(3);
    /** A liveness bound for the store's first successful call after the server is back, not a speed assertion. */
    private static final Duration RECOVERY_BOUND = Duration.ofSeconds(20);

    private static LocalCluster cluster;
    private static AgentStore store;
    private static String url;

    private enum Outcome { ACKNOWLEDGED, FAILED_RETRY_SAFE, OUTCOME_UNKNOWN, FAILED_OTHER }

    private record Unit(String id, boolean transactional) {
    }

    private final Map<Unit, Outcome> outcomes = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> failuresByType = new ConcurrentHashMap<>();
    private final Map<String, String> exampleMessages = new ConcurrentHashMap<>();
    private final List<Throwable> defects = java.util.Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean writing = new AtomicBoolean(true);

    @BeforeAll
    static void start() {
        cluster = LocalCluster.start();
        url = cluster.createDatabase("faults");
        // the store's own pool, with a short pool timeout so that calls during an outage fail instead of waiting 10 s
        store = AgentStore.open(AgentStoreConfig.builder().url(url).user(LocalCluster.SUPERUSER).schema("faults")
                .poolMaxSize(WRITERS + 2).poolConnectionTimeout(Duration.ofSeconds(1))
                .connectTimeout(Duration.ofSeconds(2)).build());
    }

    @AfterAll
    static void stop() {
        try {
            if (store != null) {
                store.close();
            }
        } finally {
            cluster.close();
        }
    }

    @Test
    void acknowledgedWritesSurviveRestartsAndKillOnceEachAndTheStoreRecovers() throws Exception {
        RetryPolicy policy = new RetryPolicy(6, Duration.ofMillis(50), Duration.ofMillis(500));
        ExecutorService threads = Executors.newFixedThreadPool(WRITERS);
        List<Future<?>> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            writers.add(threads.submit(() -> write(writer, policy)));
        }
        Map<String, Long> recovery = new java.util.LinkedHashMap<>();
        try {
            Thread.sleep(BETWEEN.toMillis());
            recovery.put("restart, fast shutdown", outage(() -> cluster.stop(LocalCluster.StopMode.FAST)));
            Thread.sleep(BETWEEN.toMillis());
            recovery.put("restart, immediate shutdown (crash recovery)",
                    outage(() -> cluster.stop(LocalCluster.StopMode.IMMEDIATE)));
            Thread.sleep(BETWEEN.toMillis());
            recovery.put("kill -9 of all server processes (crash recovery)", outage(cluster::kill9));
            Thread.sleep(BETWEEN.toMillis());
        } finally {
            writing.set(false);
            threads.shutdown();
        }
        for (Future<?> f : writers) {
            f.get(120, TimeUnit.SECONDS);
        }

        assertThat(defects).as("failures that are not transient").isEmpty();
        Map<String, Long> events = countBy("SELECT run_id, count(*) FROM faults.flow_events GROUP BY run_id");
        Map<String, Long> records = countBy("SELECT id, count(*) FROM faults.records GROUP BY id");
        assertThat(events.values()).as("units written twice").allMatch(n -> n == 1);
        Map<Outcome, Long> byOutcome = new TreeMap<>();
        long unknownPresent = 0;
        for (Map.Entry<Unit, Outcome> e : outcomes.entrySet()) {
            Unit unit = e.getKey();
            byOutcome.merge(e.getValue(), 1L, Long::sum);
            long nEvents = events.getOrDefault(unit.id(), 0L);
            long nRecords = records.getOrDefault(unit.id(), 0L);
            if (unit.transactional()) {
                assertThat(nRecords).as("record and event of transaction %s", unit.id()).isEqualTo(nEvents);
            }
            switch (e.getValue()) {
                case ACKNOWLEDGED -> assertThat(nEvents).as("acknowledged %s", unit.id()).isEqualTo(1);
                case FAILED_RETRY_SAFE -> assertThat(nEvents).as("retry-safe failure %s", unit.id()).isZero();
                case OUTCOME_UNKNOWN -> {
                    assertThat(nEvents).as("unknown outcome %s", unit.id()).isBetween(0L, 1L);
                    unknownPresent += nEvents;
                }
                case FAILED_OTHER -> throw new AssertionError("unit " + unit.id() + " failed otherwise");
            }
        }
        java.util.Set<String> ids = new java.util.HashSet<>();
        outcomes.keySet().forEach(u -> ids.add(u.id()));
        assertThat(ids).as("units nobody wrote").containsAll(events.keySet());
        assertThat(byOutcome.getOrDefault(Outcome.ACKNOWLEDGED, 0L)).isPositive();
        assertThat(recovery.values()).allMatch(ms -> ms < RECOVERY_BOUND.toMillis());

        report(byOutcome, unknownPresent, recovery);
    }

    /** Takes the server down, waits {@link #OUTAGE}, starts it, and measures until the store serves a call. */
    private long outage(Runnable down) throws InterruptedException {
        down.run();
        Thread.sleep(OUTAGE.toMillis());
        cluster.restart();
        long start = System.nanoTime();
        long deadline = start + RECOVERY_BOUND.toNanos();
        while (true) {
            try {
                store.kv().get("probe");
                return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            } catch (TransientDataAccessException e) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the store did not serve a call within " + RECOVERY_BOUND, e);
                }
                Thread.sleep(20);
            }
        }
    }

    private void write(int writer, RetryPolicy policy) {
        for (long seq = 0; writing.get(); seq++) {
            Unit unit = new Unit("w" + writer + "-" + seq, seq % 2 == 0);
            try {
                if (unit.transactional()) {
                    store.fromTransactionWithRetry(policy, uow -> {
                        uow.records().create(unit.id(), Json.object(), null);
                        uow.flowEvents().append(NewFlowEvent.of(unit.id(), "faults", "transaction"));
                        return null;
                    });
                } else {
                    policy.execute("append", () -> store.flowEvents().append(
                            NewFlowEvent.of(unit.id(), "faults", "autocommit")));
                }
                outcomes.put(unit, Outcome.ACKNOWLEDGED);
            } catch (TransientDataAccessException e) {
                outcomes.put(unit, e.retrySafe() ? Outcome.FAILED_RETRY_SAFE : Outcome.OUTCOME_UNKNOWN);
                failuresByType.computeIfAbsent(describe(unit, e), k -> new AtomicLong()).incrementAndGet();
                exampleMessages.putIfAbsent(describe(unit, e), e.getMessage());
            } catch (RuntimeException e) {
                outcomes.put(unit, Outcome.FAILED_OTHER);
                defects.add(e);
            }
        }
    }

    /** The failure's kind: path, retry safety and the deepest cause's SQL state (or the pool's timeout). */
    private static String describe(Unit unit, TransientDataAccessException e) {
        String cause = "no SQL state";
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException) {
                cause = "pool timeout" + (t.getCause() instanceof SQLException s && s.getSQLState() != null
                        ? " (last connect: SQL state " + s.getSQLState() + ")" : "");
                break;
            }
            if (t instanceof SQLException s && s.getSQLState() != null) {
                cause = "SQL state " + s.getSQLState();
                break;
            }
        }
        return (unit.transactional() ? "transaction" : "autocommit") + "; "
                + (e.retrySafe() ? "retry-safe, attempts exhausted" : "outcome unknown") + "; " + cause;
    }

    private static Map<String, Long> countBy(String sql) throws SQLException {
        Map<String, Long> counts = new HashMap<>();
        try (Connection c = DriverManager.getConnection(url, LocalCluster.SUPERUSER, null);
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                counts.put(rs.getString(1), rs.getLong(2));
            }
        }
        return counts;
    }

    private void report(Map<Outcome, Long> byOutcome, long unknownPresent, Map<String, Long> recovery)
            throws IOException {
        StringBuilder out = new StringBuilder("| Figure | Value |\n|---|---|\n");
        out.append("| writer threads | ").append(WRITERS).append(" |\n");
        out.append("| units attempted | ").append(outcomes.size()).append(" |\n");
        byOutcome.forEach((k, v) -> out.append("| ").append(k.name().toLowerCase().replace('_', ' '))
                .append(" | ").append(v).append(" |\n"));
        out.append("| unknown outcomes found committed | ").append(unknownPresent).append(" |\n");
        out.append("| acknowledged units missing or duplicated | 0 |\n");
        recovery.forEach((k, v) -> out.append("| first successful call after the server was back: ").append(k)
                .append(" | ").append(v).append(" ms |\n"));
        out.append("\n| Failure (path, retry safety, cause) | Units |\n|---|---|\n");
        new TreeMap<>(failuresByType).forEach((k, v) -> out.append("| ").append(k).append(" | ").append(v.get())
                .append(" |\n"));
        out.append("\nOne message of each kind, as the caller sees it:\n\n");
        new TreeMap<>(exampleMessages).forEach((k, v) -> out.append("- ").append(k).append(": `").append(v)
                .append("`\n"));
        System.out.println("ServerRestartFaultTest figures:\n" + out);
        Path target = Path.of("target");
        if (Files.isDirectory(target)) {
            Files.writeString(target.resolve("reliability-faults.md"), out.toString());
        }
    }
}
