package dev.agentstore.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;

/**
 * Per-call wall times of one worker, in nanoseconds; merged across workers for the percentiles. Also the calling
 * thread's CPU time between its first and last call (the client-side cost per call, which a loaded machine does not
 * inflate the way it inflates wall time).
 */
final class Latencies {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private long cpuFirst = -1;
    private long cpuLast;
    private long cpuNanos;
    private long cpuOps;

    private long[] nanos;
    private int n;

    Latencies(int capacity) {
        nanos = new long[Math.max(16, capacity)];
    }

    void add(long elapsedNanos) {
        if (n == nanos.length) {
            nanos = Arrays.copyOf(nanos, n * 2);
        }
        nanos[n++] = elapsedNanos;
        long cpu = THREADS.getCurrentThreadCpuTime();
        if (cpuFirst < 0) {
            cpuFirst = cpu;
        } else {
            cpuNanos += cpu - cpuLast;
            cpuOps++;
        }
        cpuLast = cpu;
    }

    /** @return the calling thread's CPU microseconds per call (between calls, including the loop's own work) */
    double cpuMicrosPerOp() {
        return cpuOps == 0 ? Double.NaN : cpuNanos / 1e3 / cpuOps;
    }

    int count() {
        return n;
    }

    static Latencies merge(Iterable<Latencies> parts) {
        int total = 0;
        for (Latencies p : parts) {
            total += p.n;
        }
        Latencies all = new Latencies(total);
        for (Latencies p : parts) {
            System.arraycopy(p.nanos, 0, all.nanos, all.n, p.n);
            all.n += p.n;
            all.cpuNanos += p.cpuNanos;
            all.cpuOps += p.cpuOps;
        }
        return all;
    }

    /** @return the values in milliseconds, sorted ascending */
    double[] sortedMillis() {
        double[] ms = new double[n];
        for (int i = 0; i < n; i++) {
            ms[i] = nanos[i] / 1e6;
        }
        Arrays.sort(ms);
        return ms;
    }
}
