package dev.agentstore.bench;

import java.nio.charset.StandardCharsets;

/** The data generators of {@code shared/bench/WORKLOADS.md}: event payloads, unit vectors, ids, scaled counts. */
public final class Generators {

    /** Exact size of an event payload in bytes (UTF-8; the payload is ASCII). */
    public static final int PAYLOAD_BYTES = 300;

    private Generators() {
    }

    /**
     * The W1 event payload: draws {@code tokens = randInt(4096)}, {@code score = round(next() * 1000) / 1000}, then
     * {@code text = randText(300 - len(JSON with text ""))}, and returns
     * {@code JSON.stringify({seq, runId, tokens, score, text})}: keys in that order, no whitespace, JavaScript number
     * formatting, exactly 300 bytes.
     *
     * @param rng   the W1 stream (drawn in append order)
     * @param runId the run id ({@code run-000000}); plain ASCII without characters JSON escapes
     * @param seq   the event's index in its run
     * @return the JSON text
     */
    public static String payload(Mulberry32 rng, String runId, int seq) {
        int tokens = rng.randInt(4096);
        double score = Math.round(rng.next() * 1000) / 1000.0;
        String head = "{\"seq\":" + seq + ",\"runId\":\"" + runId + "\",\"tokens\":" + tokens + ",\"score\":"
                + jsNumber(score) + ",\"text\":\"";
        String tail = "\"}";
        int textLength = PAYLOAD_BYTES - head.getBytes(StandardCharsets.UTF_8).length - tail.length();
        return head + rng.randText(textLength) + tail;
    }

    /**
     * JavaScript's {@code Number.prototype.toString} for the values the generators produce (integers, and fractions
     * of at most 3 decimals in [0, 1]): {@code 1} not {@code 1.0}, {@code 0.729}.
     *
     * @param v the number
     * @return its JavaScript spelling
     */
    static String jsNumber(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        String s = Double.toString(v);
        if (s.contains("E")) {
            // Java writes 1.0E-4 where JavaScript writes 0.0001; not reachable for 3-decimal scores
            return new java.math.BigDecimal(s).toPlainString();
        }
        return s;
    }

    /**
     * A random unit vector: per component {@code u1 = 1 - next()}, {@code u2 = next()},
     * {@code z = sqrt(-2 ln u1) * cos(2 pi u2)}; L2-normalised in double, then each component rounded to float32.
     *
     * @param rng the stream
     * @param dim the dimension (384 in W8)
     * @return the vector
     */
    public static float[] unitVector(Mulberry32 rng, int dim) {
        double[] v = new double[dim];
        double norm = 0;
        for (int i = 0; i < dim; i++) {
            double u1 = 1 - rng.next();
            double u2 = rng.next();
            // StrictMath is fdlibm, as V8's Math.log and Math.cos; Math.sqrt is correctly rounded in both
            v[i] = Math.sqrt(-2 * StrictMath.log(u1)) * StrictMath.cos(2 * Math.PI * u2);
            norm += v[i] * v[i];
        }
        norm = Math.sqrt(norm);
        float[] f = new float[dim];
        for (int i = 0; i < dim; i++) {
            f[i] = (float) (v[i] / norm);
        }
        return f;
    }

    /**
     * @param base  the workload's base count
     * @param scale the run's {@code --scale}
     * @return {@code max(1, round(base * scale))}
     */
    public static int scaled(int base, double scale) {
        return (int) Math.max(1, Math.round(base * scale));
    }

    /**
     * @param i a non-negative index
     * @return {@code i} zero-padded to 6 digits
     */
    public static String pad6(int i) {
        return String.format("%06d", i);
    }

    /**
     * @param i a non-negative index
     * @return {@code i} zero-padded to 3 digits
     */
    public static String pad3(int i) {
        return String.format("%03d", i);
    }

    /**
     * Nearest-rank percentile: {@code sorted[ceil(p/100 * n) - 1]}.
     *
     * @param sorted values in ascending order, at least one
     * @param p      the percentile, {@code 0 < p <= 100}
     * @return the value
     */
    public static double percentile(double[] sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }
}
