package dev.agentstore.bench;

import org.postgresql.PGConnection;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.GZIPInputStream;

/**
 * ANN on real data: Debian's {@code dataset-fashion-mnist} (60,000 x 784 train vectors, 10,000 test queries, L2
 * distance on the raw pixel values, as ann-benchmarks' fashion-mnist-784-euclidean). Loads the train vectors with
 * COPY, builds the HNSW index (m 16, ef_construction 64) timing the build and reporting {@code maintenance_work_mem},
 * computes the exact top-10 by brute force in Java once (cached under {@code target/}), then measures recall@10 and
 * queries/s at ef_search 10, 40, 100, 200; then the same on the PostgreSQL-manual embeddings of the main job
 * ({@code ANN.manual.*}, see {@link #manual}). Raw pgvector SQL on one connection; only with {@code --workloads ANN}.
 */
final class AnnWorkload implements Workload {

    static final Path DATA = Path.of("/usr/share/datasets/fashion-mnist");
    static final int DIM = 784;
    static final int K = 10;
    static final int[] EF = {10, 40, 100, 200};
    static final String MANUAL_BASE = "pg15_manual";

    @Override
    public String id() {
        return "ANN";
    }

    @Override
    public void run(Bench b) throws Exception {
        if (b.warmup) {
            return;
        }
        Path trainFile = DATA.resolve("train-images-idx3-ubyte.gz");
        Path testFile = DATA.resolve("t10k-images-idx3-ubyte.gz");
        if (!Files.exists(trainFile)) {
            System.err.println("agentstore-bench: ANN fashion-mnist skipped: " + trainFile
                    + " missing (apt-get install dataset-fashion-mnist)");
            manual(b);
            return;
        }
        int nTrain = Math.min(60_000, Math.max(1000, (int) Math.round(60_000 * Math.min(1, b.scale))));
        int nQuery = Math.min(b.options.annQueries, 10_000);
        float[][] train = readImages(trainFile, nTrain);
        float[][] queries = readImages(testFile, nQuery);
        int[][] truth = groundTruth(train, queries, Path.of("bench/target"));

        measure(b, "ANN", "ann_fmnist", DIM, train, queries, truth);
        manual(b);
    }

    /**
     * The same measurement on the PostgreSQL-manual embeddings of the CLI's main job ({@code scripts/run-demo.sh}
     * fills knowledge base {@value #MANUAL_BASE} in schema {@code --ann-manual-schema}, default {@code agentstore}):
     * 384-dimension MiniLM vectors, L2-normalised here, so that L2 order is cosine order. Every tenth chunk (up to
     * {@code --ann-queries}) is held out as a query; the others are indexed. Phases {@code ANN.manual.*}; skipped with
     * a message when the base is missing.
     */
    private static void manual(Bench b) throws Exception {
        String schema = b.options.annManualSchema;
        List<float[]> all = new ArrayList<>();
        try (Connection c = b.jdbc.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT CAST(embedding AS real[]) FROM " + schema + ".chunks WHERE knowledge_base = ? ORDER BY id")) {
            ps.setString(1, MANUAL_BASE);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Float[] boxed = (Float[]) rs.getArray(1).getArray();
                    float[] v = new float[boxed.length];
                    double norm = 0;
                    for (int i = 0; i < v.length; i++) {
                        v[i] = boxed[i];
                        norm += v[i] * (double) v[i];
                    }
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) (v[i] / Math.sqrt(norm));
                    }
                    all.add(v);
                }
            }
        } catch (java.sql.SQLException e) {
            System.err.println("agentstore-bench: ANN.manual skipped: no knowledge base " + MANUAL_BASE + " in schema "
                    + schema + " (run scripts/run-demo.sh first): " + e.getMessage());
            return;
        }
        if (all.size() < 100) {
            System.err.println("agentstore-bench: ANN.manual skipped: " + all.size() + " chunks in " + schema
                    + ".chunks (run scripts/run-demo.sh first)");
            return;
        }
        int nQuery = Math.min(b.options.annQueries, all.size() / 10);
        List<float[]> train = new ArrayList<>();
        List<float[]> queries = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            (i % 10 == 0 && queries.size() < nQuery ? queries : train).add(all.get(i));
        }
        float[][] t = train.toArray(new float[0][]);
        float[][] q = queries.toArray(new float[0][]);
        measure(b, "ANN.manual", "ann_manual", t[0].length, t, q, groundTruth(t, q, null));
    }

    /** COPY, HNSW build (m 16, ef_construction 64), then recall@10 and queries/s at each ef_search in {@link #EF}. */
    private static void measure(Bench b, String phase, String table, int dim, float[][] train, float[][] queries,
                                int[][] truth) throws Exception {
        int nQuery = queries.length;
        try (Connection c = b.jdbc.getConnection(); Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS " + table);
            st.execute("CREATE TABLE " + table + " (id integer PRIMARY KEY, embedding vector(" + dim + ") NOT NULL)");
            long t0 = System.nanoTime();
            long rows = c.unwrap(PGConnection.class).getCopyAPI()
                    .copyIn("COPY " + table + " (id, embedding) FROM STDIN", new VectorReader(train));
            long loadNanos = System.nanoTime() - t0;
            b.emit(new Result(phase + ".load").timing(rows, loadNanos, new Latencies(0)).put("dim", dim)
                    .put("sql", "COPY, one statement"));

            st.execute("SET maintenance_work_mem = '" + b.options.annMaintenanceWorkMem + "'");
            String mwm;
            try (ResultSet rs = st.executeQuery("SHOW maintenance_work_mem")) {
                rs.next();
                mwm = rs.getString(1);
            }
            String workers;
            try (ResultSet rs = st.executeQuery("SHOW max_parallel_maintenance_workers")) {
                rs.next();
                workers = rs.getString(1);
            }
            t0 = System.nanoTime();
            st.execute("CREATE INDEX " + table + "_hnsw ON " + table + " USING hnsw (embedding vector_l2_ops) "
                    + "WITH (m = 16, ef_construction = 64)");
            long buildNanos = System.nanoTime() - t0;
            st.execute("ANALYZE " + table);
            b.emit(new Result(phase + ".build").timing(1, buildNanos, new Latencies(0)).put("vectors", rows)
                    .put("m", 16).put("ef_construction", 64).put("maintenance_work_mem", mwm)
                    .put("max_parallel_maintenance_workers", workers));

            for (int ef : EF) {
                st.execute("SET hnsw.ef_search = " + ef);
                Latencies lat = new Latencies(nQuery);
                double recallSum = 0;
                int shortResults = 0;
                long start = System.nanoTime();
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT id FROM " + table + " ORDER BY embedding <-> CAST(? AS vector) LIMIT " + K)) {
                    for (int q = 0; q < nQuery; q++) {
                        String vec = VectorReader.literal(queries[q]);
                        long q0 = System.nanoTime();
                        ps.setString(1, vec);
                        List<Integer> ids = new ArrayList<>(K);
                        try (ResultSet rs = ps.executeQuery()) {
                            while (rs.next()) {
                                ids.add(rs.getInt(1));
                            }
                        }
                        lat.add(System.nanoTime() - q0);
                        if (ids.size() < K) {
                            shortResults++;
                        }
                        int hit = 0;
                        for (int t : truth[q]) {
                            if (ids.contains(t)) {
                                hit++;
                            }
                        }
                        recallSum += hit / (double) K;
                    }
                }
                long nanos = System.nanoTime() - start;
                b.emit(new Result(phase + ".ef" + ef).timing(nQuery, nanos, lat).put("ef_search", ef)
                        .put("recall_at_10", Result.round(recallSum / nQuery, 4)).put("short_results", shortResults)
                        .put("vectors", rows));
            }
            st.execute("DROP TABLE " + table);
        }
    }

    /** IDX3 images (big-endian header: magic 2051, count, rows, cols; then one unsigned byte per pixel). */
    static float[][] readImages(Path gz, int limit) throws IOException {
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(
                new GZIPInputStream(Files.newInputStream(gz), 1 << 16)))) {
            int magic = in.readInt();
            if (magic != 2051) {
                throw new IOException(gz + ": not an IDX3 image file (magic " + magic + ")");
            }
            int count = Math.min(in.readInt(), limit);
            int pixels = in.readInt() * in.readInt();
            float[][] out = new float[count][pixels];
            byte[] row = new byte[pixels];
            for (int i = 0; i < count; i++) {
                in.readFully(row);
                for (int p = 0; p < pixels; p++) {
                    out[i][p] = row[p] & 0xFF;
                }
            }
            return out;
        }
    }

    /** Exact top-10 by L2 for every query, by brute force on all cores; cached by sizes. */
    static int[][] groundTruth(float[][] train, float[][] queries, Path dir) throws Exception {
        Path cache = dir == null ? null : dir.resolve("ann-fmnist-truth-" + train.length + "x" + queries.length + ".bin");
        if (cache != null && Files.exists(cache)) {
            ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(cache));
            int[][] t = new int[queries.length][K];
            for (int[] row : t) {
                for (int i = 0; i < K; i++) {
                    row[i] = buf.getInt();
                }
            }
            System.err.println("agentstore-bench: ANN ground truth from " + cache);
            return t;
        }
        long t0 = System.nanoTime();
        int[][] truth = new int[queries.length][];
        int threads = Runtime.getRuntime().availableProcessors();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int w = 0; w < threads; w++) {
                int worker = w;
                fs.add(pool.submit(() -> {
                    for (int q = worker; q < queries.length; q += threads) {
                        truth[q] = topK(train, queries[q]);
                    }
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        if (cache == null) {
            return truth;
        }
        Files.createDirectories(dir);
        ByteBuffer buf = ByteBuffer.allocate(queries.length * K * 4);
        for (int[] row : truth) {
            for (int id : row) {
                buf.putInt(id);
            }
        }
        Files.write(cache, buf.array());
        System.err.printf(java.util.Locale.ROOT, "agentstore-bench: ANN ground truth (%d x %d) in %.1f s -> %s%n",
                queries.length, train.length, (System.nanoTime() - t0) / 1e9, cache);
        return truth;
    }

    static int[] topK(float[][] train, float[] q) {
        int[] best = new int[K];
        double[] dist = new double[K];
        java.util.Arrays.fill(dist, Double.MAX_VALUE);
        for (int i = 0; i < train.length; i++) {
            float[] v = train[i];
            double d = 0;
            for (int p = 0; p < v.length; p++) {
                double x = v[p] - q[p];
                d += x * x;
            }
            if (d < dist[K - 1]) {
                int j = K - 1;
                while (j > 0 && dist[j - 1] > d) {
                    dist[j] = dist[j - 1];
                    best[j] = best[j - 1];
                    j--;
                }
                dist[j] = d;
                best[j] = i;
            }
        }
        return best;
    }

    /** Streams the vectors as COPY text rows {@code id \t [x,y,...]} without building the whole text. */
    static final class VectorReader extends Reader {
        private final float[][] vectors;
        private int next;
        private String current = "";
        private int pos;

        VectorReader(float[][] vectors) {
            this.vectors = vectors;
        }

        static String literal(float[] v) {
            StringBuilder s = new StringBuilder(v.length * 4 + 2).append('[');
            for (int i = 0; i < v.length; i++) {
                if (i > 0) {
                    s.append(',');
                }
                float f = v[i];
                if (f == (int) f) {
                    s.append((int) f);
                } else {
                    s.append(f);
                }
            }
            return s.append(']').toString();
        }

        @Override
        public int read(char[] cbuf, int off, int len) {
            if (pos == current.length()) {
                if (next == vectors.length) {
                    return -1;
                }
                current = next + "\t" + literal(vectors[next]) + "\n";
                next++;
                pos = 0;
            }
            int n = Math.min(len, current.length() - pos);
            current.getChars(pos, pos + n, cbuf, off);
            pos += n;
            return n;
        }

        @Override
        public void close() {
        }
    }
}
