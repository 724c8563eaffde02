package dev.agentstore.bench;

/**
 * The PRNG of {@code shared/bench/WORKLOADS.md}: mulberry32 on a 32-bit int state, bit for bit as the peers' JavaScript
 * ({@code imul} is Java's wrapping {@code int *}, {@code >>>} is Java's). Not thread-safe: one stream per workload.
 */
public final class Mulberry32 {

    /** The 62 characters of {@link #randText}: a-z, A-Z, 0-9 in that order. */
    public static final String ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private int a;

    /** @param state the initial 32-bit state */
    public Mulberry32(int state) {
        this.a = state;
    }

    /**
     * The stream of a workload: seeded with {@code seed * 1000 + streamId} (32-bit wrap, as JavaScript's {@code | 0}).
     *
     * @param seed     the run's seed (default 42)
     * @param streamId the workload's stream (W1 = 1, W5 = 5, W6 = 6, W7 = 7, W8 data = 8, queries = 9, filtered = 10)
     * @return a fresh stream
     */
    public static Mulberry32 stream(long seed, int streamId) {
        return new Mulberry32((int) (seed * 1000 + streamId));
    }

    /** @return the next double in [0, 1) */
    public double next() {
        a += 0x6D2B79F5;
        int t = (a ^ (a >>> 15)) * (1 | a);
        t = (t + (t ^ (t >>> 7)) * (61 | t)) ^ t;
        return ((t ^ (t >>> 14)) & 0xFFFFFFFFL) / 4294967296.0;
    }

    /**
     * @param n the bound, at least 1
     * @return {@code floor(next() * n)}, in [0, n)
     */
    public int randInt(int n) {
        return (int) Math.floor(next() * n);
    }

    /**
     * @param len how many characters
     * @return {@code len} characters, each {@code ALNUM[randInt(62)]}
     */
    public String randText(int len) {
        char[] c = new char[len];
        for (int i = 0; i < len; i++) {
            c[i] = ALNUM.charAt(randInt(62));
        }
        return new String(c);
    }
}
