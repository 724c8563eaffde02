package dev.agentstore.bench;

import java.util.Arrays;

/** Per-call wall times of one worker, in nanoseconds; merged across workers for the percentiles. */
final class Latencies {

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
