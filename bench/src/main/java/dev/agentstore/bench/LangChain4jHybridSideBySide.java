package dev.agentstore.bench;

import com.zaxxer.hikari.HikariDataSource;
import dev.agentstore.langchain4j.AgentStoreEmbeddingStore;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreConfig;
import dev.agentstore.persistence.knowledge.SearchMode;
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
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Hybrid search side by side, through LangChain4j's interface: agentstore's adapter in {@code SearchMode.HYBRID}
 * against LangChain4j's {@code PgVectorEmbeddingStore} (1.11) in its {@code HYBRID} mode, which also creates a GIN
 * index on {@code to_tsvector(config, text)} and fuses by Reciprocal Rank Fusion with k 60, as agentstore does. Data:
 * 20,000 chunks, each a random unit vector of 384 dimensions and a text of 20 words drawn with a skew (word {@code i}
 * of a 4,000-word made-up vocabulary with probability falling with {@code i}); 200 queries, each a random vector and
 * two words of one chunk (its target). Both stores use the base's text-search configuration ({@code english}),
 * ingest in {@code addAll} batches of 500 with their indexes, and are vacuumed and analysed before the queries;
 * queries run sequentially on one thread with {@code maxResults} 10. Printed per store and setting: queries per
 * second, and how often the target is among the 10 results (both stores require both words, so the target always
 * matches the text list). {@code PgVectorEmbeddingStore} runs at {@code ivfflat.probes} 1 (its default) and 100 (all
 * lists); the adapter at its default (agentstore's {@code ef_search}, {@code max(40, maxResults)}, and lists as deep) and with
 * {@code ef_search} 100 and 1,000.
 *
 * <p>Run under the machine's benchmark lock, after {@code mvn -pl bench -am package -DskipTests}:
 * {@code flock /tmp/bench.lock java -cp "bench/target/classes:bench/target/lib/*"
 * dev.agentstore.bench.LangChain4jHybridSideBySide} (database as {@link LangChain4jSideBySide}).
 */
public final class LangChain4jHybridSideBySide {

    private static final int DIM = 384;
    private static final int N = 20_000;
    private static final int WORDS = 20;
    private static final int VOCABULARY = 4_000;
    private static final int QUERIES = 200;
    private static final String[] SYLLABLES = {"ka", "lo", "mi", "tu", "re", "sa", "no", "vi", "de", "pu", "ba", "ze",
        "fo", "gi", "ha", "jo", "ku", "le", "mo", "ni"};

    private LangChain4jHybridSideBySide() {
    }

    /**
     * @param args none
     * @throws Exception when a step fails
     */
    public static void main(String[] args) throws Exception {
        String url = LangChain4jSideBySide.env("AGENTSTORE_URL", "jdbc:postgresql://127.0.0.1:5432/agentstore");
        String user = LangChain4jSideBySide.env("AGENTSTORE_USER", "agentstore");
        String password = LangChain4jSideBySide.env("AGENTSTORE_PASSWORD", "agentstore");
        String schema = "bench_lc4j";
        Mulberry32 rng = Mulberry32.stream(42, 12);
        String[] vocabulary = new String[VOCABULARY];
        for (int i = 0; i < VOCABULARY; i++) {
            vocabulary[i] = SYLLABLES[i % 20] + SYLLABLES[(i / 20) % 20] + SYLLABLES[(i / 400 + i) % 20] + "n";
        }
        List<String> ids = new ArrayList<>(N);
        List<Embedding> embeddings = new ArrayList<>(N);
        List<TextSegment> segments = new ArrayList<>(N);
        List<String[]> texts = new ArrayList<>(N);
        for (int i = 0; i < N; i++) {
            ids.add(UUID.nameUUIDFromBytes(("h" + i).getBytes(StandardCharsets.UTF_8)).toString());
            embeddings.add(Embedding.from(Generators.unitVector(rng, DIM)));
            String[] words = new String[WORDS];
            for (int w = 0; w < WORDS; w++) {
                double u = rng.next();
                words[w] = vocabulary[(int) (VOCABULARY * u * u)];
            }
            texts.add(words);
            segments.add(TextSegment.from(String.join(" ", words)));
        }
        Mulberry32 q = Mulberry32.stream(42, 13);
        String[] questions = new String[QUERIES];
        int[] targets = new int[QUERIES];
        Embedding[] vectors = new Embedding[QUERIES];
        for (int i = 0; i < QUERIES; i++) {
            targets[i] = q.randInt(N);
            String[] words = texts.get(targets[i]);
            questions[i] = words[q.randInt(WORDS)] + " " + words[q.randInt(WORDS)];
            vectors[i] = Embedding.from(Generators.unitVector(q, DIM));
        }

        try (AgentStore store = AgentStore.open(AgentStoreConfig.builder().url(url).user(user).password(password)
                .schema(schema).build());
             HikariDataSource ds = LangChain4jSideBySide.pool(url, user, password, schema, null)) {
            store.knowledge().delete("hybrid");
            AgentStoreEmbeddingStore agentstore = AgentStoreEmbeddingStore.create(store, "hybrid", DIM)
                    .withSearchMode(SearchMode.HYBRID);
            String config = store.knowledge().get("hybrid").textConfig();
            PgVectorEmbeddingStore created = pgvector(ds, config, true);

            double a = LangChain4jSideBySide.ingest(agentstore, ids, embeddings, segments);
            double p = LangChain4jSideBySide.ingest(created, ids, embeddings, segments);
            System.out.printf(Locale.ROOT, "ingest (addAll, 500-row batches, indexes maintained, text '%s'):"
                    + " agentstore %.0f/s, PgVectorEmbeddingStore %.0f/s%n", config, a, p);
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                st.execute("VACUUM (ANALYZE) chunks");
                st.execute("VACUUM (ANALYZE) lc4j_hybrid");
            }
            for (int probes : new int[]{1, 100}) {
                try (HikariDataSource probed = LangChain4jSideBySide.pool(url, user, password, schema, probes)) {
                    EmbeddingStore<TextSegment> s = pgvector(probed, config, false);
                    run(s, vectors, questions, ids, targets); // warm-up
                    System.out.printf(Locale.ROOT, "PgVectorEmbeddingStore HYBRID, probes %-3d     %s%n", probes,
                            run(s, vectors, questions, ids, targets));
                }
            }
            String[] names = {"default", "ef_search 100", "ef_search 1000"};
            AgentStoreEmbeddingStore[] settings = {agentstore, agentstore.withEfSearch(100),
                    agentstore.withEfSearch(1000)};
            for (int j = 0; j < settings.length; j++) {
                run(settings[j], vectors, questions, ids, targets); // warm-up
                System.out.printf(Locale.ROOT, "agentstore adapter HYBRID, %-14s %s%n", names[j],
                        run(settings[j], vectors, questions, ids, targets));
            }
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                st.execute("DROP TABLE IF EXISTS lc4j_hybrid");
            }
            store.knowledge().delete("hybrid");
        }
    }

    /** LangChain4j's store in {@code HYBRID} mode on {@code lc4j_hybrid}; {@code create}: made anew (dropped first). */
    private static PgVectorEmbeddingStore pgvector(HikariDataSource ds, String config, boolean create) {
        return PgVectorEmbeddingStore.datasourceBuilder().datasource(ds).table("lc4j_hybrid").dimension(DIM)
                .useIndex(true).indexListSize(100).searchMode(PgVectorEmbeddingStore.SearchMode.HYBRID)
                .textSearchConfig(config).createTable(create).dropTableFirst(create).build();
    }

    private static String run(EmbeddingStore<TextSegment> s, Embedding[] vectors, String[] questions,
                              List<String> ids, int[] targets) {
        int hits = 0;
        long start = System.nanoTime();
        for (int i = 0; i < questions.length; i++) {
            List<EmbeddingMatch<TextSegment>> m = s.search(EmbeddingSearchRequest.builder().queryEmbedding(vectors[i])
                    .query(questions[i]).maxResults(10).build()).matches();
            String target = ids.get(targets[i]);
            hits += m.stream().anyMatch(e -> e.embeddingId().equals(target)) ? 1 : 0;
        }
        double qps = questions.length / ((System.nanoTime() - start) / 1e9);
        return String.format(Locale.ROOT, "%8.1f q/s  target in top 10: %d of %d", qps, hits, questions.length);
    }
}
