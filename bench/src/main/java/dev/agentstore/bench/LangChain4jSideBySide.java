package dev.agentstore.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.agentstore.domain.knowledge.ChunkMatch;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.langchain4j.AgentStoreEmbeddingStore;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreConfig;
import dev.agentstore.persistence.knowledge.SearchOptions;
import dev.agentstore.persistence.query.Filter;
import dev.langchain4j.data.document.Metadata;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.store.embedding.EmbeddingMatch;
import dev.langchain4j.store.embedding.EmbeddingSearchRequest;
import dev.langchain4j.store.embedding.EmbeddingStore;
import dev.langchain4j.store.embedding.pgvector.PgVectorEmbeddingStore;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;

import static dev.langchain4j.store.embedding.filter.MetadataFilterBuilder.metadataKey;

/**
 * Issue 19's side-by-side: agentstore's LangChain4j {@code EmbeddingStore} against LangChain4j's own
 * {@code PgVectorEmbeddingStore} (1.11, IVFFlat with 100 lists created on the empty table, as its builder does), both
 * through LangChain4j's interface: ingest in {@code addAll} batches of 500 (index maintained; agentstore: HNSW m 16,
 * ef_construction 64), 200 top-10 queries and 200 filtered ones ({@code doc == k}, 1% of the base), sequential, one
 * thread; recall@10 against the exact top 10 (agentstore's exact search). LangChain4j's store runs with
 * {@code ivfflat.probes} 1 (its default), 64 to 70 one by one, 75, 80 and 100 (all lists), the adapter at its default
 * (ef_search 1,000) and at ef_search 400 and 100 over a {@code vector} base, and at its default over a second base
 * of the same data made by {@code AgentStoreEmbeddingStore.create} (the adapter's own: index on {@code halfvec});
 * both tables are vacuumed and analysed after the ingest; agentstore's exact search (the recall reference, through its
 * own API) is timed too, on a second pass. Each setting is compared with the first probes whose recall reaches its own
 * (and 0.95), and with the fastest probes that does.
 *
 * <p>Data, by the first argument: {@code w8} (the default): W8's 20,000 random unit vectors of 384 dimensions (seed 42
 * stream 8, queries streams 9 and 10), metadata {@code doc = i % 100}; {@code clustered}: 20,000 vectors around 200
 * random centres (each the normalised sum of a random centre and a random vector of norm 1.5: cosine about 0.55 to its
 * centre, as text embeddings cluster; streams 80, 90 and 100), queries drawn the same way.
 *
 * <p>Run under the machine's benchmark lock:
 * {@code flock /tmp/bench.lock java -cp "bench/target/classes:bench/target/lib/*" dev.agentstore.bench.LangChain4jSideBySide [w8|clustered]}
 * (database from {@code AGENTSTORE_URL}/{@code AGENTSTORE_USER}/{@code AGENTSTORE_PASSWORD}, by default the local
 * {@code agentstore} database).
 */
public final class LangChain4jSideBySide {

    private static final int DIM = 384;
    private static final int N = 20_000;
    private static final int BATCH = 500;
    private static final int QUERIES = 200;
    private static final int CENTRES = 200;

    private LangChain4jSideBySide() {
    }

    /** A timed set of queries: results per second, mean recall@10, queries with fewer than 10 results. */
    private record Run(double qps, double recall, int shortResults) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%8.1f q/s  recall@10 %.4f  short %d", qps, recall, shortResults);
        }
    }

    /**
     * @param args {@code w8} (the default) or {@code clustered}
     * @throws Exception when a step fails
     */
    public static void main(String[] args) throws Exception {
        String url = env("AGENTSTORE_URL", "jdbc:postgresql://127.0.0.1:5432/agentstore");
        String user = env("AGENTSTORE_USER", "agentstore");
        String password = env("AGENTSTORE_PASSWORD", "agentstore");
        String schema = "bench_lc4j";
        boolean clustered = args.length > 0 && args[0].equals("clustered");
        int[] streams = clustered ? new int[]{80, 90, 100} : new int[]{8, 9, 10};
        float[][] centres = clustered ? vectors(Mulberry32.stream(42, 70), CENTRES, null) : null;
        float[][] data = vectors(Mulberry32.stream(42, streams[0]), N, centres);
        float[][] queries = vectors(Mulberry32.stream(42, streams[1]), QUERIES, centres);
        Mulberry32 r10 = Mulberry32.stream(42, streams[2]);
        int[] ks = new int[QUERIES];
        float[][] filtered = new float[QUERIES][];
        for (int i = 0; i < QUERIES; i++) {
            ks[i] = r10.randInt(100);
            filtered[i] = vector(r10, centres);
        }
        System.out.println("data: " + (clustered ? "clustered" : "w8"));
        List<String> ids = new ArrayList<>(N);
        List<Embedding> embeddings = new ArrayList<>(N);
        List<TextSegment> segments = new ArrayList<>(N);
        for (int i = 0; i < N; i++) {
            ids.add(UUID.nameUUIDFromBytes(("v" + i).getBytes(StandardCharsets.UTF_8)).toString()); // PgVector needs UUIDs
            embeddings.add(Embedding.from(data[i]));
            segments.add(TextSegment.from("v" + i, new Metadata().put("doc", i % 100)));
        }

        try (AgentStore store = AgentStore.open(AgentStoreConfig.builder().url(url).user(user).password(password)
                .schema(schema).build());
             HikariDataSource ds = pool(url, user, password, schema, null)) {
            store.knowledge().delete("w8");
            store.knowledge().delete("w8h");
            store.knowledge().create("w8", DIM, Distance.COSINE, IndexSpec.hnsw(16, 64));
            AgentStoreEmbeddingStore agentstore = AgentStoreEmbeddingStore.of(store, "w8");
            AgentStoreEmbeddingStore halfvec = AgentStoreEmbeddingStore.create(store, "w8h", DIM);
            PgVectorEmbeddingStore pgvector = PgVectorEmbeddingStore.datasourceBuilder().datasource(ds)
                    .table("lc4j_w8").dimension(DIM).useIndex(true).indexListSize(100)
                    .createTable(true).dropTableFirst(true).build();

            double a = ingest(agentstore, ids, embeddings, segments);
            double p = ingest(pgvector, ids, embeddings, segments);
            double h = ingest(halfvec, ids, embeddings, segments);
            System.out.printf(Locale.ROOT, "ingest (addAll, %d-row batches, index maintained): agentstore %.0f/s,"
                    + " PgVectorEmbeddingStore %.0f/s, agentstore halfvec index %.0f/s%n", BATCH, a, p, h);
            // both stores' tables settled before any search: autovacuum on the fresh rows would otherwise run beside
            // whichever setting comes next
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                st.execute("VACUUM (ANALYZE) chunks");
                st.execute("VACUUM (ANALYZE) lc4j_w8");
            }

            // exact top 10s (the recall reference) through agentstore's own API; timed on a second pass, since the
            // first reads the freshly written rows (setting their hint bits) and warms the JIT
            List<Set<String>> exact = new ArrayList<>();
            List<Set<String>> exactFiltered = new ArrayList<>();
            for (int i = 0; i < QUERIES; i++) {
                exact.add(top(exactSearch(store, queries[i], null)));
                exactFiltered.add(top(exactSearch(store, filtered[i], ks[i])));
            }
            long start = System.nanoTime();
            for (int i = 0; i < QUERIES; i++) {
                exactSearch(store, queries[i], null);
            }
            double exactQps = QUERIES / ((System.nanoTime() - start) / 1e9);
            start = System.nanoTime();
            for (int i = 0; i < QUERIES; i++) {
                exactSearch(store, filtered[i], ks[i]);
            }
            double exactFilteredQps = QUERIES / ((System.nanoTime() - start) / 1e9);
            List<Run[]> pg = new ArrayList<>();
            int[] probeSteps = {1, 64, 65, 66, 67, 68, 69, 70, 75, 80, 100};
            for (int probes : probeSteps) {
                try (HikariDataSource probed = pool(url, user, password, schema, probes)) {
                    EmbeddingStore<TextSegment> s = PgVectorEmbeddingStore.datasourceBuilder()
                            .datasource(probed).table("lc4j_w8").dimension(DIM).useIndex(true)
                            .indexListSize(100).createTable(false).build();
                    Run[] r = {run(s, queries, null, exact), run(s, filtered, ks, exactFiltered)};
                    pg.add(r);
                    System.out.printf(Locale.ROOT, "PgVectorEmbeddingStore probes %-3d    unfiltered %s | filtered %s%n",
                            probes, r[0], r[1]);
                }
            }
            System.out.printf(Locale.ROOT, "agentstore exact search (own API)   unfiltered %8.1f q/s"
                    + " | filtered %8.1f q/s"
                    + " (recall 1 by definition)%n", exactQps, exactFilteredQps);
            compare(pg, probeSteps, 0, new Run(exactQps, 1.0, 0), "unfiltered");
            compare(pg, probeSteps, 1, new Run(exactFilteredQps, 1.0, 0), "filtered");
            String[] names = {"default (ef_search 1000)", "ef_search 400", "ef_search 100",
                "create(): halfvec, default"};
            AgentStoreEmbeddingStore[] settings = {agentstore, agentstore.withEfSearch(400),
                    agentstore.withEfSearch(100), halfvec};
            for (int j = 0; j < settings.length; j++) {
                Run au = run(settings[j], queries, null, exact);
                Run af = run(settings[j], filtered, ks, exactFiltered);
                System.out.printf(Locale.ROOT, "agentstore adapter, %-26s unfiltered %s | filtered %s%n",
                        names[j], au, af);
                compare(pg, probeSteps, 0, au, "unfiltered");
                compare(pg, probeSteps, 1, af, "filtered");
            }
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                st.execute("DROP TABLE IF EXISTS lc4j_w8");
            }
            store.knowledge().delete("w8");
            store.knowledge().delete("w8h");
        }
    }

    private static float[][] vectors(Mulberry32 rng, int n, float[][] centres) {
        float[][] v = new float[n][];
        for (int i = 0; i < n; i++) {
            v[i] = vector(rng, centres);
        }
        return v;
    }

    /** A random unit vector, or without centres; with them, a random centre plus a random vector of norm 1.5. */
    private static float[] vector(Mulberry32 rng, float[][] centres) {
        if (centres == null) {
            return Generators.unitVector(rng, DIM);
        }
        float[] c = centres[rng.randInt(centres.length)];
        float[] noise = Generators.unitVector(rng, DIM);
        double[] sum = new double[DIM];
        double norm = 0;
        for (int d = 0; d < DIM; d++) {
            sum[d] = c[d] + 1.5 * noise[d];
            norm += sum[d] * sum[d];
        }
        float[] v = new float[DIM];
        for (int d = 0; d < DIM; d++) {
            v[d] = (float) (sum[d] / Math.sqrt(norm));
        }
        return v;
    }

    /**
     * Prints the QPS ratio against the first probes whose recall reaches the target (0.95, and the adapter's own
     * recall), and against the fastest probes setting that reaches it (single settings are noisy).
     */
    private static void compare(List<Run[]> pg, int[] probeSteps, int which, Run adapter, String what) {
        for (double target : new double[]{Math.min(0.95, adapter.recall()), adapter.recall()}) {
            int first = -1;
            int fastest = -1;
            for (int i = 0; i < pg.size(); i++) {
                Run r = pg.get(i)[which];
                if (r.recall() >= target) {
                    first = first < 0 ? i : first;
                    fastest = fastest < 0 || r.qps() > pg.get(fastest)[which].qps() ? i : fastest;
                }
            }
            if (first >= 0) {
                System.out.printf(Locale.ROOT, "  %s recall >= %.3f: QPS ratio %.2fx vs probes %d (the first),"
                                + " %.2fx vs probes %d (the fastest)%n", what, target,
                        adapter.qps() / pg.get(first)[which].qps(), probeSteps[first],
                        adapter.qps() / pg.get(fastest)[which].qps(), probeSteps[fastest]);
            }
        }
    }

    static double ingest(EmbeddingStore<TextSegment> s, List<String> ids, List<Embedding> embeddings,
                                 List<TextSegment> segments) {
        long start = System.nanoTime();
        for (int from = 0; from < ids.size(); from += BATCH) {
            int to = Math.min(ids.size(), from + BATCH);
            s.addAll(ids.subList(from, to), embeddings.subList(from, to), segments.subList(from, to));
        }
        return ids.size() / ((System.nanoTime() - start) / 1e9);
    }

    private static Run run(EmbeddingStore<TextSegment> s, float[][] queries, int[] docs, List<Set<String>> exact) {
        double recall = 0;
        int shortResults = 0;
        long start = System.nanoTime();
        for (int i = 0; i < queries.length; i++) {
            EmbeddingSearchRequest.EmbeddingSearchRequestBuilder r = EmbeddingSearchRequest.builder()
                    .queryEmbedding(Embedding.from(queries[i])).maxResults(10);
            if (docs != null) {
                r.filter(metadataKey("doc").isEqualTo(docs[i]));
            }
            List<EmbeddingMatch<TextSegment>> m = s.search(r.build()).matches();
            int hit = 0;
            for (EmbeddingMatch<TextSegment> e : m) {
                hit += exact.get(i).contains(e.embeddingId()) ? 1 : 0;
            }
            recall += hit / 10.0;
            shortResults += m.size() < 10 ? 1 : 0;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Run(queries.length / seconds, recall / queries.length, shortResults);
    }

    /** Agentstore's exact top 10 of base {@code w8}, with the filter {@code payload.doc == doc} unless it is null. */
    private static List<ChunkMatch> exactSearch(AgentStore store, float[] query, Integer doc) {
        SearchOptions options = SearchOptions.top(10).withExactSearch();
        return store.chunks().search("w8", query, doc == null ? options
                : options.withFilter(Filter.eq("payload.doc", doc)));
    }

    private static Set<String> top(List<ChunkMatch> matches) {
        Set<String> ids = new HashSet<>();
        matches.forEach(m -> ids.add(m.id()));
        return ids;
    }

    static HikariDataSource pool(String url, String user, String password, String schema, Integer probes) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(url);
        c.setUsername(user);
        c.setPassword(password);
        c.setMaximumPoolSize(2);
        // the schema first, then where the vector extension lives
        c.setConnectionInitSql("SET search_path = " + schema + ", public"
                + (probes == null ? "" : "; SET ivfflat.probes = " + probes));
        return new HikariDataSource(c);
    }

    static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }
}
