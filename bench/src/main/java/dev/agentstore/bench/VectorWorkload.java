package dev.agentstore.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.knowledge.ChunkMatch;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.persistence.knowledge.SearchOptions;
import dev.agentstore.persistence.query.Filter;
import org.postgresql.PGConnection;

import java.io.Reader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * W8: vectors. A 384-dimension cosine knowledge base with an HNSW index (m 16, ef_construction 64) created empty,
 * then 20,000 unit vectors upserted in batches of 500 with payload {@code {doc: i % 100, lang}} ({@code W8.upsert});
 * 1,000 top-10 queries ({@code W8.query}) and 200 filtered ones ({@code doc == k}, {@code W8.query_filtered}) at
 * ef_search 160, plus 40 and 400; recall@10 against exact cosine search over the float32 components in
 * Java. {@code W8.load_then_build}: the same upserts into a base created without index, then
 * {@code changeIndex} to HNSW (automatic build memory), timed together. Baselines: raw multi-row INSERT, COPY into
 * the indexed table, COPY then CREATE INDEX ({@code W8.load_then_build.jdbc}), raw queries.
 */
final class VectorWorkload implements Workload {

    static final String BASE = "bench_vectors";
    static final int DIM = 384;
    static final int BATCH = 500;
    static final int K = 10;
    static final int[] EF = {160, 40, 400};

    static final String RAW_INSERT = """
            INSERT INTO chunks (knowledge_base, id, dimension, document_id, ordinal, content, content_hash, embedding,
                                payload, meta, created_at)
            SELECT ?, u.id, ?, u.doc, u.ord, u.id, u.hash, CAST(u.emb AS vector), CAST(u.payload AS jsonb), '{}', now()
              FROM unnest(CAST(? AS text[]), CAST(? AS text[]), CAST(? AS int[]), CAST(? AS text[]), CAST(? AS text[]),
                          CAST(? AS text[])) AS u(id, doc, ord, hash, emb, payload)
            ON CONFLICT (knowledge_base, id) DO UPDATE
               SET embedding = EXCLUDED.embedding, payload = EXCLUDED.payload, content = EXCLUDED.content,
                   content_hash = EXCLUDED.content_hash, document_id = EXCLUDED.document_id, ordinal = EXCLUDED.ordinal
            """;

    @Override
    public String id() {
        return "W8";
    }

    static ObjectNode payload(int i) {
        ObjectNode p = Json.object();
        p.put("doc", i % 100);
        p.put("lang", i % 2 == 0 ? "en" : "de");
        return p;
    }

    static String docId(int i) {
        return "doc-" + (i % 100);
    }

    static String hash(String content) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(content.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void run(Bench b) throws Exception {
        int n = Math.max(500, (int) Math.round(20_000 * b.scale));
        int nq = b.scaled(1000);
        int nf = b.scaled(200);
        float[][] data = new float[n][];
        Mulberry32 rng = Mulberry32.stream(b.seed(), 8);
        for (int i = 0; i < n; i++) {
            data[i] = Generators.unitVector(rng, DIM);
        }
        // the agentstore path: create the base (and its index) empty, then upsert in batches
        String indexDef = null;
        if (b.options.phase("W8.upsert") || b.options.phase("W8.query") || b.options.phase("W8.query_filtered")
                || b.options.selected("W8")) {
            reset(b, IndexSpec.hnsw(16, 64));
            Latencies lat = new Latencies(n / BATCH + 1);
            long start = System.nanoTime();
            for (int from = 0; from < n; from += BATCH) {
                List<NewChunk> batch = chunks(data, from, Math.min(n, from + BATCH));
                long t0 = System.nanoTime();
                b.store.chunks().upsert(BASE, batch);
                lat.add(System.nanoTime() - t0);
            }
            long nanos = System.nanoTime() - start;
            b.emit(checkRows(b, n, new Result("W8.upsert").timing(n, nanos, lat).put("batch", BATCH)
                    .put("index", "hnsw m=16 ef_construction=64, maintained during the upserts")));
            b.sql("ANALYZE chunks");
            indexDef = indexDef(b);
            queries(b, data, nq, nf, true);
        }
        if (b.options.phase("W8.upsert.jdbc")) {
            reset(b, IndexSpec.hnsw(16, 64));
            Latencies lat = new Latencies(n / BATCH + 1);
            long start = System.nanoTime();
            for (int from = 0; from < n; from += BATCH) {
                int to = Math.min(n, from + BATCH);
                int m = to - from;
                String[] ids = new String[m];
                String[] docs = new String[m];
                Integer[] ords = new Integer[m];
                String[] hashes = new String[m];
                String[] embs = new String[m];
                String[] payloads = new String[m];
                for (int i = from; i < to; i++) {
                    ids[i - from] = "v" + i;
                    docs[i - from] = docId(i);
                    ords[i - from] = i;
                    hashes[i - from] = hash("v" + i);
                    embs[i - from] = AnnWorkload.VectorReader.literal(data[i]);
                    payloads[i - from] = Json.print(payload(i));
                }
                long t0 = System.nanoTime();
                try (Connection c = b.jdbc.getConnection(); PreparedStatement ps = c.prepareStatement(RAW_INSERT)) {
                    ps.setString(1, BASE);
                    ps.setInt(2, DIM);
                    ps.setArray(3, c.createArrayOf("text", ids));
                    ps.setArray(4, c.createArrayOf("text", docs));
                    ps.setArray(5, c.createArrayOf("int4", ords));
                    ps.setArray(6, c.createArrayOf("text", hashes));
                    ps.setArray(7, c.createArrayOf("text", embs));
                    ps.setArray(8, c.createArrayOf("text", payloads));
                    ps.executeUpdate();
                }
                lat.add(System.nanoTime() - t0);
            }
            long nanos = System.nanoTime() - start;
            b.emit(checkRows(b, n, new Result("W8.upsert.jdbc").timing(n, nanos, lat).put("batch", BATCH)
                    .put("sql", "INSERT ... SELECT FROM unnest(arrays) ON CONFLICT DO UPDATE, index in place")));
            b.sql("ANALYZE chunks");
            if (indexDef == null) {
                indexDef = indexDef(b);
            }
            queries(b, data, nq, nf, false);
        }
        if (b.options.phase("W8.copy")) {
            reset(b, IndexSpec.hnsw(16, 64));
            long nanos = copy(b, data);
            b.emit(checkRows(b, n, new Result("W8.copy").timing(n, nanos, single(nanos))
                    .put("sql", "one COPY into the indexed table")));
        }
        if (b.options.phase("W8.load_then_build")) {
            // the agentstore path: a base without index, the same upserts, then changeIndex builds HNSW once
            reset(b, IndexSpec.none());
            long start = System.nanoTime();
            Latencies lat = new Latencies(n / BATCH + 1);
            for (int from = 0; from < n; from += BATCH) {
                List<NewChunk> batch = chunks(data, from, Math.min(n, from + BATCH));
                long t0 = System.nanoTime();
                b.store.chunks().upsert(BASE, batch);
                lat.add(System.nanoTime() - t0);
            }
            long loaded = System.nanoTime();
            String mwm = b.store.fromTransaction(uow -> {
                uow.knowledge().changeIndex(BASE, IndexSpec.hnsw(16, 64));
                // changeIndex's SET LOCAL build settings are in force until the transaction ends
                return (String) uow.entityManager().createNativeQuery("SHOW maintenance_work_mem").getSingleResult();
            });
            long end = System.nanoTime();
            b.emit(checkRows(b, n, new Result("W8.load_then_build").timing(n, end - start, lat)
                    .put("upsert_seconds", Result.round((loaded - start) / 1e9, 3))
                    .put("build_seconds", Result.round((end - loaded) / 1e9, 3)).put("maintenance_work_mem", mwm)
                    .put("api", "create(IndexSpec.none()), upsert batches of " + BATCH
                            + ", changeIndex(hnsw(16, 64)) with IndexBuild.auto(); latency per upsert batch")));
        }
        if (b.options.phase("W8.load_then_build.jdbc")) {
            reset(b, IndexSpec.hnsw(16, 64));
            String def = indexDef != null ? indexDef : indexDef(b);
            String name = def.replaceFirst("(?s)^CREATE INDEX (\\S+) .*$", "$1");
            b.sql("DROP INDEX " + name);
            long copyNanos = copy(b, data);
            long t0 = System.nanoTime();
            b.sql(def);
            long buildNanos = System.nanoTime() - t0;
            long nanos = copyNanos + buildNanos;
            String mwm;
            try (Connection c = b.jdbc.getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SHOW maintenance_work_mem")) {
                rs.next();
                mwm = rs.getString(1);
            }
            b.emit(checkRows(b, n, new Result("W8.load_then_build.jdbc").timing(n, nanos, single(nanos))
                    .put("copy_seconds", Result.round(copyNanos / 1e9, 3))
                    .put("build_seconds", Result.round(buildNanos / 1e9, 3)).put("maintenance_work_mem", mwm)));
        }
    }

    static Latencies single(long nanos) {
        Latencies l = new Latencies(1);
        l.add(nanos);
        return l;
    }

    /** The chunks {@code from} to {@code to - 1}, as the API takes them (built outside the timed call). */
    static List<NewChunk> chunks(float[][] data, int from, int to) {
        List<NewChunk> batch = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            batch.add(NewChunk.of(docId(i), i, "v" + i, data[i]).withId("v" + i).withPayload(payload(i)));
        }
        return batch;
    }

    /**
     * Deletes the base (through the API, which drops its index) and empties {@code chunks} with {@code TRUNCATE}, so
     * that every W8 phase starts from the same empty table: the API's delete leaves its 20,000 rows dead in the heap
     * and in the GIN indexes on {@code payload} and {@code meta} until a vacuum, which made every later phase (the
     * raw baseline runs after the API phase, a repeated pass after the first) read dead rows, filtered searches
     * through the GIN index most of all.
     */
    static void reset(Bench b, IndexSpec index) {
        b.store.inTransaction(uow -> {
            if (uow.knowledge().find(BASE).isPresent()) {
                uow.knowledge().delete(BASE);
            }
        });
        b.truncate("chunks");
        b.store.inTransaction(uow -> uow.knowledge().create(BASE, DIM, Distance.COSINE, index));
    }

    static String indexDef(Bench b) {
        try (Connection c = b.jdbc.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'chunks' "
                        + "AND indexdef LIKE '%USING hnsw%'")) {
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new IllegalStateException("no HNSW index on chunks");
                }
                return rs.getString(1);
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static long copy(Bench b, float[][] data) throws Exception {
        long t0 = System.nanoTime();
        try (Connection c = b.jdbc.getConnection()) {
            c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY chunks (knowledge_base, id, dimension, document_id, "
                    + "ordinal, content, content_hash, embedding, payload, created_at) FROM STDIN", new Reader() {
                        private int next;
                        private String current = "";
                        private int pos;

                        @Override
                        public int read(char[] cbuf, int off, int len) {
                            if (pos == current.length()) {
                                if (next == data.length) {
                                    return -1;
                                }
                                int i = next++;
                                current = BASE + "\tv" + i + "\t" + DIM + "\t" + docId(i) + "\t" + i + "\tv" + i + "\t"
                                        + hash("v" + i) + "\t" + AnnWorkload.VectorReader.literal(data[i]) + "\t"
                                        + Json.print(payload(i)) + "\t" + java.time.Instant.now() + "\n";
                                pos = 0;
                            }
                            int m = Math.min(len, current.length() - pos);
                            current.getChars(pos, pos + m, cbuf, off);
                            pos += m;
                            return m;
                        }

                        @Override
                        public void close() {
                        }
                    });
        }
        return System.nanoTime() - t0;
    }

    static Result checkRows(Bench b, int n, Result r) {
        long rows = b.queryLong("SELECT count(*) FROM chunks WHERE knowledge_base = ?", BASE);
        return r.put("rows", rows).check(rows == n ? null : rows + " rows, expected " + n);
    }

    interface Search {
        List<String> ids(float[] q, Integer doc, int ef) throws Exception;
    }

    /** Unfiltered (stream 9) and filtered (stream 10) queries at each ef_search, through the API or raw SQL. */
    static void queries(Bench b, float[][] data, int nq, int nf, boolean api) throws Exception {
        Mulberry32 r9 = Mulberry32.stream(b.seed(), 9);
        float[][] qs = new float[nq][];
        for (int i = 0; i < nq; i++) {
            qs[i] = Generators.unitVector(r9, DIM);
        }
        Mulberry32 r10 = Mulberry32.stream(b.seed(), 10);
        int[] ks = new int[nf];
        float[][] fq = new float[nf][];
        for (int i = 0; i < nf; i++) {
            ks[i] = r10.randInt(100);
            fq[i] = Generators.unitVector(r10, DIM);
        }
        int[][] exact = new int[nq][];
        for (int i = 0; i < nq; i++) {
            exact[i] = exactTop(data, qs[i], -1);
        }
        int[][] exactF = new int[nf][];
        for (int i = 0; i < nf; i++) {
            exactF[i] = exactTop(data, fq[i], ks[i]);
        }
        Search search;
        Connection raw = null;
        if (api) {
            search = (q, doc, ef) -> {
                SearchOptions o = SearchOptions.top(K).withEfSearch(ef);
                if (doc != null) {
                    o = o.withFilter(Filter.eq("payload.doc", doc));
                }
                SearchOptions opts = o;
                List<ChunkMatch> found = b.store.chunks().search(BASE, q, opts);
                List<String> ids = new ArrayList<>(found.size());
                for (ChunkMatch m : found) {
                    ids.add(m.id());
                }
                return ids;
            };
        } else {
            raw = b.jdbc.getConnection();
            Connection c = raw;
            try (Statement st = c.createStatement()) {
                st.execute("SET hnsw.iterative_scan = relaxed_order");
            }
            // the base's partial index predicate (knowledge_base and dimension), so that the index serves them
            PreparedStatement all = c.prepareStatement("SELECT id FROM chunks WHERE knowledge_base = '" + BASE
                    + "' AND dimension = " + DIM + " ORDER BY (embedding::vector(" + DIM + ")) <=> CAST(? AS vector(" + DIM + ")) LIMIT " + K);
            PreparedStatement filtered = c.prepareStatement("SELECT id FROM chunks WHERE knowledge_base = '" + BASE
                    + "' AND dimension = " + DIM + " AND payload @> CAST(? AS jsonb) ORDER BY (embedding::vector(" + DIM + ")) <=> CAST(? AS vector("
                    + DIM + ")) LIMIT " + K);
            int[] currentEf = {-1};
            search = (q, doc, ef) -> {
                if (currentEf[0] != ef) {
                    try (Statement st = c.createStatement()) {
                        st.execute("SET hnsw.ef_search = " + ef);
                    }
                    currentEf[0] = ef;
                }
                PreparedStatement ps = doc == null ? all : filtered;
                int p = 1;
                if (doc != null) {
                    ps.setString(p++, "{\"doc\":" + doc + "}");
                }
                ps.setString(p, AnnWorkload.VectorReader.literal(q));
                List<String> ids = new ArrayList<>(K);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getString(1));
                    }
                }
                return ids;
            };
        }
        try {
            String suffix = api ? "" : ".jdbc";
            for (int ef : EF) {
                String efTag = ef == 160 ? "" : ".ef" + ef;
                phase(b, "W8.query" + efTag + suffix, qs, null, exact, ef, search);
                phase(b, "W8.query_filtered" + efTag + suffix, fq, ks, exactF, ef, search);
            }
        } finally {
            if (raw != null) {
                raw.close();
            }
        }
    }

    static void phase(Bench b, String name, float[][] qs, int[] ks, int[][] exact, int ef, Search search)
            throws Exception {
        Latencies lat = new Latencies(qs.length);
        double recall = 0;
        int shortResults = 0;
        long start = System.nanoTime();
        for (int i = 0; i < qs.length; i++) {
            Integer doc = ks == null ? null : ks[i];
            long t0 = System.nanoTime();
            List<String> ids = search.ids(qs[i], doc, ef);
            lat.add(System.nanoTime() - t0);
            if (ids.size() < K) {
                shortResults++;
            }
            Set<String> got = new HashSet<>(ids);
            int hit = 0;
            for (int id : exact[i]) {
                if (got.contains("v" + id)) {
                    hit++;
                }
            }
            recall += hit / (double) Math.max(1, exact[i].length);
        }
        long nanos = System.nanoTime() - start;
        b.emit(new Result(name).timing(qs.length, nanos, lat).put("ef_search", ef)
                .put("recall_at_10", Result.round(recall / qs.length, 4)).put("short_results", shortResults)
                .check(shortResults == 0 ? null : shortResults + " queries returned fewer than 10"));
    }

    /** Exact cosine top-10 over the float32 components (in double); {@code doc >= 0} restricts to {@code i % 100 == doc}. */
    static int[] exactTop(float[][] data, float[] q, int doc) {
        double qn = 0;
        for (float x : q) {
            qn += (double) x * x;
        }
        qn = Math.sqrt(qn);
        int[] best = new int[K];
        double[] dist = new double[K];
        java.util.Arrays.fill(dist, Double.MAX_VALUE);
        int found = 0;
        for (int i = 0; i < data.length; i++) {
            if (doc >= 0 && i % 100 != doc) {
                continue;
            }
            float[] v = data[i];
            double dot = 0;
            double vn = 0;
            for (int p = 0; p < v.length; p++) {
                dot += (double) v[p] * q[p];
                vn += (double) v[p] * v[p];
            }
            double d = 1 - dot / (Math.sqrt(vn) * qn);
            found++;
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
        return java.util.Arrays.copyOf(best, Math.min(K, found));
    }
}
