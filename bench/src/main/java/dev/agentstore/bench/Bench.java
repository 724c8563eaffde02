package dev.agentstore.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.agentstore.persistence.AgentStore;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * What every workload gets: the options, the agentstore store (the API path), a plain HikariCP pool on the same
 * schema for the raw-JDBC baselines (same size, same driver settings, autocommit), and the phase output.
 */
final class Bench {

    final Options options;
    final AgentStore store;
    final HikariDataSource jdbc;
    final String schema;
    final double scale;
    final boolean warmup;
    final List<Result> results;
    /** Which measured pass this is, 1 or more, when {@code --repeat} asks for several; 0 otherwise. */
    int repeat;
    private double peakHeapMb;

    Bench(Options options, AgentStore store, HikariDataSource jdbc, String schema, double scale, boolean warmup,
          List<Result> results) {
        this.options = options;
        this.store = store;
        this.jdbc = jdbc;
        this.schema = schema;
        this.scale = scale;
        this.warmup = warmup;
        this.results = results;
    }

    /** @return a count marked (scaled) in the spec, at this run's scale */
    int scaled(int base) {
        return Generators.scaled(base, scale);
    }

    long seed() {
        return options.seed;
    }

    /** Prints the phase's JSON line on stdout (with the peak heap of the phase) and keeps it for the report. */
    void emit(Result r) {
        double peak = heapPeakMb();
        peakHeapMb = Math.max(peakHeapMb, peak);
        r.put("heap_peak_mb", Result.round(peak, 1));
        if (warmup) {
            r.put("warmup", true);
            r.put("scale", scale);
        }
        if (repeat > 0) {
            r.put("repeat", repeat);
        }
        System.out.println(r);
        System.out.flush();
        results.add(r);
        resetHeapPeak();
    }

    double peakHeapMb() {
        return peakHeapMb;
    }

    static double heapPeakMb() {
        long bytes = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                bytes += pool.getPeakUsage().getUsed();
            }
        }
        return bytes / (1024.0 * 1024.0);
    }

    static void resetHeapPeak() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
    }

    /** Untimed setup SQL on the baseline pool (autocommit). */
    void sql(String... statements) {
        try (Connection c = jdbc.getConnection(); Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("setup SQL failed: " + e.getMessage(), e);
        }
    }

    /**
     * Empties tables (untimed) so that each phase starts from the same state; tables that reference them (a run's
     * {@code flow_steps}) are emptied with them.
     */
    void truncate(String... tables) {
        sql("TRUNCATE " + String.join(", ", tables) + " CASCADE");
    }

    /** @return the single long value of an untimed query with bound parameters */
    long queryLong(String sql, Object... params) {
        try (Connection c = jdbc.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("query failed: " + e.getMessage(), e);
        }
    }

    /** One worker's loop body: iteration {@code i} of worker {@code w}. */
    interface WorkerLoop {
        void run(int worker, Latencies latencies) throws Exception;
    }

    /**
     * Runs {@code workers} loops started together behind a start gate (the spec's "N concurrent workers": one
     * process, one pool, each worker awaiting its own calls in sequence).
     *
     * @return the wall time from the gate's opening to the last worker's end, in nanoseconds
     */
    static long concurrent(int workers, List<Latencies> latencies, WorkerLoop loop) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        try {
            CountDownLatch ready = new CountDownLatch(workers);
            CountDownLatch gate = new CountDownLatch(1);
            List<Future<Void>> futures = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                int worker = w;
                Latencies lat = latencies.get(w);
                Callable<Void> task = () -> {
                    ready.countDown();
                    gate.await();
                    loop.run(worker, lat);
                    return null;
                };
                futures.add(pool.submit(task));
            }
            ready.await();
            long start = System.nanoTime();
            gate.countDown();
            for (Future<Void> f : futures) {
                f.get();
            }
            return System.nanoTime() - start;
        } finally {
            pool.shutdownNow();
        }
    }

    static List<Latencies> latencies(int workers, int perWorker) {
        List<Latencies> list = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            list.add(new Latencies(perWorker));
        }
        return list;
    }

    static HikariDataSource baselinePool(Options o, String schema) {
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("jdbc-baseline");
        hc.setJdbcUrl(o.url);
        hc.setUsername(o.user);
        hc.setPassword(o.password);
        hc.setMaximumPoolSize(o.pool);
        hc.setMinimumIdle(o.pool);
        hc.setAutoCommit(true);
        hc.addDataSourceProperty("currentSchema", schema + ",public");
        hc.addDataSourceProperty("reWriteBatchedInserts", "true");
        hc.addDataSourceProperty("ApplicationName", "agentstore-bench-jdbc");
        return new HikariDataSource(hc);
    }
}
