package dev.agentstore.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreConfig;

import java.nio.file.Files;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The benchmark harness: runs the workloads of {@code shared/bench/WORKLOADS.md} against a fresh schema (migrated
 * by agentstore, dropped at the end), the agentstore API path and a raw-JDBC baseline side by side, prints one JSON
 * line per phase on stdout, and writes {@code latest.md}, {@code latest.png} and the JSON lines to {@code --out}.
 * A warm-up pass at a small scale runs first and is reported separately (lines with {@code "warmup":true}). With
 * {@code --repeat N} the measured pass runs N times; each pass's lines carry {@code "repeat": k}, and the report's
 * line of a phase is its median pass (see {@link Result#medians}).
 */
public final class BenchMain {

    private BenchMain() {
    }

    /**
     * @param args see {@link Options#USAGE}
     * @throws Exception when the run cannot start or a workload cannot run
     */
    public static void main(String[] args) throws Exception {
        quietLogging();
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        if (o.render != null) {
            Files.createDirectories(o.out);
            Report.render(o.render, o.out);
            return;
        }
        List<Workload> workloads = new ArrayList<>();
        for (Workload w : all()) {
            if (o.selected(w.id())) {
                workloads.add(w);
            }
        }
        Map<String, Object> machine = Machine.describe();
        machine.put("load_avg_start", Machine.loadAverage());
        String schema = "bench_" + DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss").withZone(ZoneOffset.UTC)
                .format(Instant.now()) + "_" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
        System.err.printf(Locale.ROOT, "agentstore-bench: scale %s, seed %d, pool %d, schema %s, workloads %s%n",
                o.scale, o.seed, o.pool, schema, o.workloads);
        AgentStoreConfig config = AgentStoreConfig.builder().url(o.url).user(o.user).password(o.password)
                .schema(schema).poolMaxSize(o.pool).poolMinIdle(o.pool).autoMigrate(true).build();
        List<Result> warm = new ArrayList<>();
        List<Result> measured = new ArrayList<>();
        List<Result> passes = new ArrayList<>(); // with --repeat: every pass's lines; measured gets the medians
        double peakHeap;
        try (AgentStore store = AgentStore.open(config); HikariDataSource jdbc = Bench.baselinePool(o, schema)) {
            machine.putAll(Machine.database(jdbc));
            try {
                if (!o.noWarmup) {
                    Bench w = new Bench(o, store, jdbc, schema, o.warmupScale(), true, warm);
                    for (Workload wl : workloads) {
                        wl.run(w);
                    }
                }
                peakHeap = 0;
                for (int pass = 1; pass <= o.repeat; pass++) {
                    Bench b = new Bench(o, store, jdbc, schema, o.scale, false, o.repeat == 1 ? measured : passes);
                    b.repeat = o.repeat == 1 ? 0 : pass;
                    Bench.resetHeapPeak();
                    for (Workload wl : workloads) {
                        wl.run(b);
                    }
                    peakHeap = Math.max(peakHeap, b.peakHeapMb());
                }
                if (o.repeat > 1) {
                    for (Result r : Result.medians(passes)) {
                        System.out.println(r);
                        measured.add(r);
                    }
                }
            } finally {
                if (!o.keepSchema) {
                    new Bench(o, store, jdbc, schema, 1, true, new ArrayList<>())
                            .sql("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
                }
            }
        }
        machine.put("load_avg_end", Machine.loadAverage());
        machine.put("peak_heap_mb", Result.round(peakHeap, 1));
        machine.put("max_heap_mb", Runtime.getRuntime().maxMemory() / (1024 * 1024));
        Map<String, String> pending = new LinkedHashMap<>();
        for (Workload wl : workloads) {
            if (wl instanceof PendingWorkload p) {
                pending.put(p.id(), p.reason());
            }
        }
        Files.createDirectories(o.out);
        new Report(o, machine, warm, passes, measured, pending).write(o.out);
        System.err.println("agentstore-bench: wrote " + o.out.resolve("latest.md") + " and latest.png");
    }

    /**
     * Hibernate (through JBoss Logging), Liquibase and pgjdbc log through java.util.logging: route it to SLF4J, so
     * {@code simplelogger.properties} (warnings to stderr) is the one configuration.
     */
    static void quietLogging() {
        org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
        org.slf4j.bridge.SLF4JBridgeHandler.install();
    }

    /** @return every workload, in run order (W5 reads W1's events) */
    static List<Workload> all() {
        return List.of(new EventWorkloads.W1(), new RunWorkloads.W2(), new RunWorkloads.W3(), new RunWorkloads.W4(),
                new EventWorkloads.W5(), new KvWorkload(),
                new MemoryWorkload(),
                new VectorWorkload(),
                new TraceWorkload(),
                new AnnWorkload(),
                new BlobWorkload(),
                new FeedWorkload());
    }
}
