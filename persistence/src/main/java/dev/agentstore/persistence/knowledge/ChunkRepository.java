package dev.agentstore.persistence.knowledge;

import dev.agentstore.domain.AgentStoreException;
import com.pgvector.PGhalfvec;
import com.pgvector.PGvector;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.knowledge.Chunk;
import dev.agentstore.domain.knowledge.ChunkMatch;
import dev.agentstore.domain.knowledge.Embedder;
import dev.agentstore.domain.knowledge.IndexType;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.domain.knowledge.VectorType;
import dev.agentstore.persistence.query.FieldMap;
import dev.agentstore.persistence.query.Filter;
import dev.agentstore.persistence.query.ParameterStyle;
import dev.agentstore.persistence.query.QueryRenderer;
import dev.agentstore.persistence.query.SqlFragment;
import dev.agentstore.persistence.query.ValueKind;
import dev.agentstore.persistence.support.PersistenceErrors;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.transaction.Transactional;
import org.hibernate.Session;
import org.hibernate.jdbc.ReturningWork;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Chunks of knowledge bases and their search (Draive's vector index and Mastra's PgVector, without their defects):
 * batched upserts, reads, counts, content-hash lookups for incremental ingest, deletes that need a filter
 * ({@link #deleteAll} is separate and explicit: Draive's delete without a requirement silently empties the table),
 * and k-nearest-neighbour search through the base's own HNSW or IVFFlat index, with a score threshold, filters and
 * MMR reranking.
 *
 * <p><b>Search.</b> One statement finds the nearest rows in a materialised CTE,
 * {@code WHERE knowledge_base = '<base>' [AND filter] ORDER BY (embedding::vector(n)) <=> ? LIMIT ?}: exactly the
 * base's partial index predicate and expression, so PostgreSQL can use the index. The index is asked for
 * {@code max(k, ef_search)} rows without a filter (it visits that many anyway), at most {@code 2k} with one (each
 * extra matching row costs the iterative scan about 1/selectivity visited tuples); the outer query applies the minimum score as a distance
 * bound ({@link dev.agentstore.domain.knowledge.Distance#maxDistance}), sorts strictly by distance and id, and keeps
 * {@code k}. Before it, {@code set_config(…, true)} (that is, {@code SET LOCAL}) sets {@code hnsw.ef_search} and
 * {@code hnsw.iterative_scan = relaxed_order} (IVFFlat: {@code ivfflat.probes} and {@code ivfflat.iterative_scan}),
 * which stay in force until the caller's transaction ends: a filtered search keeps walking the graph until it has
 * enough matching rows (pgvector 0.8), instead of Mastra's choice between post-filtering too few rows and a
 * sequential scan. For that one statement it also sets {@code enable_sort = off} (and restores the previous value
 * right after): the index is then the planner's only way to produce the order without a sort, so it is used even
 * when the planner misjudges a filter's selectivity (it estimates {@code payload ->> 'k' = ?} at 0.5% of rows, and
 * would otherwise sort a sequential scan). Should the index yield fewer rows than asked (a filter so selective that
 * {@code hnsw.max_scan_tuples} runs out, or an IVFFlat index built before its data), the search repeats as an exact
 * scan, so it returns {@code k} results whenever {@code k} chunks match. {@link #explainSearch} shows the plan.
 *
 * <p><b>SQL and values.</b> Every value (vectors, ids, filter values, limits, bounds) is a bind parameter. The base's
 * name and dimension are part of the statement text, because PostgreSQL only matches a partial expression index when
 * the query spells out its predicate and type modifier; both come from the validated {@link KnowledgeBase} row (see
 * {@link KnowledgeRepository}). Vectors travel as pgvector-java {@link PGvector} / {@link PGhalfvec}.
 *
 * <p>Every method runs in the caller's transaction and works with JDBC on its connection (pending JPA changes are
 * flushed first); returned {@link Chunk}s are detached.
 *
 * <p><b>In a Jakarta EE container</b> every method is {@code @Transactional(REQUIRED)}: it joins the caller's JTA
 * transaction, or runs in one of its own when called outside any. agentstore's own exceptions do not mark the
 * caller's transaction for rollback (as standalone); JPA errors still do. Retry with
 * {@code dev.agentstore.persistence.jakarta.TransactionalRetry}.
 */
@ApplicationScoped
@Transactional(dontRollbackOn = AgentStoreException.class)
public class ChunkRepository {

    /**
     * The paths filters may use (the shared query language, {@link Filter}): {@code payload.<key>…} and
     * {@code meta.<key>…} inside the JSONB objects, and the columns {@code documentId} (text), {@code id} (text),
     * {@code ordinal} (number) and {@code createdAt} (timestamp). For example
     * {@code Filter.and(Filter.eq("payload.lang", "en"), Filter.gte("meta.year", 2020))}; equality on a JSONB
     * value can also be written {@code Filter.contains("payload.lang", "en")} ({@code payload @> '{"lang":"en"}'}),
     * for which PostgreSQL keeps statistics, which helps the planner estimate how many chunks match.
     */
    public static final FieldMap FIELDS = FieldMap.builder()
            .json("payload", "payload")
            .json("meta", "meta")
            .column("documentId", "document_id", ValueKind.TEXT)
            .column("id", "id", ValueKind.TEXT)
            .column("ordinal", "ordinal", ValueKind.NUMBER)
            .column("createdAt", "created_at", ValueKind.TIMESTAMP)
            .build();

    private static final QueryRenderer RENDERER = new QueryRenderer(FIELDS);

    /** Rows per upsert statement: 500 (11 parameters each). */
    public static final int UPSERT_BATCH_SIZE = 500;

    private static final String COLUMNS = """
            id, document_id, ordinal, content, content_hash, CAST(payload AS text) AS payload_text,
            CAST(meta AS text) AS meta_text, created_at""";

    private static final String UPSERT_HEAD = """
            INSERT INTO chunks (knowledge_base, id, dimension, document_id, ordinal, content, content_hash, embedding,
                                payload, meta, created_at)
            VALUES\s""";

    private static final String UPSERT_ROW = "(?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS jsonb), CAST(? AS jsonb), ?)";

    /** An upsert replaces everything but the creation time. */
    private static final String UPSERT_TAIL = """

            ON CONFLICT (knowledge_base, id) DO UPDATE
               SET dimension = EXCLUDED.dimension,
                   document_id = EXCLUDED.document_id,
                   ordinal = EXCLUDED.ordinal,
                   content = EXCLUDED.content,
                   content_hash = EXCLUDED.content_hash,
                   embedding = EXCLUDED.embedding,
                   payload = EXCLUDED.payload,
                   meta = EXCLUDED.meta
            """;

    private static final String GET = "SELECT " + COLUMNS + ", CAST(embedding AS text) AS embedding_text"
            + " FROM chunks WHERE knowledge_base = ? AND id = ?";

    private static final String BY_DOCUMENT = "SELECT " + COLUMNS + ", CAST(embedding AS text) AS embedding_text"
            + " FROM chunks WHERE knowledge_base = ? AND document_id = ? ORDER BY ordinal, id";

    private static final String EXISTING_HASHES = """
            SELECT DISTINCT content_hash FROM chunks WHERE knowledge_base = ? AND content_hash = ANY (?)""";

    private static final String DELETE_IDS = "DELETE FROM chunks WHERE knowledge_base = ? AND id = ANY (?)";

    private static final String DELETE_DOCUMENT = "DELETE FROM chunks WHERE knowledge_base = ? AND document_id = ?";

    private static final String DELETE_ALL = "DELETE FROM chunks WHERE knowledge_base = ?";

    /** pgvector's default {@code hnsw.ef_search}: 40; searches use at least this. */
    private static final int DEFAULT_EF_SEARCH = 40;

    /**
     * Before an indexed search: the index's search settings for the rest of the transaction, and
     * {@code enable_sort = off} for the nearest-neighbour statement only (restored right after it with
     * {@link #RESTORE_SORT}); returns the previous {@code enable_sort}. Also {@code jit = off} for the transaction:
     * {@code enable_sort = off} adds PostgreSQL's disable cost (10^10) to the plan's estimate, far above
     * {@code jit_above_cost}, so every search would otherwise pay for JIT compilation with inlining and optimization
     * (about 130 ms per search measured by the benchmark, against 2.5 ms for the index scan itself).
     */
    private static final String HNSW_SETTINGS = """
            SELECT current_setting('enable_sort'), set_config('enable_sort', 'off', true), set_config('jit', 'off', true),
                   set_config('hnsw.ef_search', ?, true), set_config('hnsw.iterative_scan', 'relaxed_order', true)""";

    private static final String IVFFLAT_SETTINGS = """
            SELECT current_setting('enable_sort'), set_config('enable_sort', 'off', true), set_config('jit', 'off', true),
                   set_config('ivfflat.probes', ?, true), set_config('ivfflat.iterative_scan', 'relaxed_order', true)""";

    private static final String RESTORE_SORT = "SELECT set_config('enable_sort', ?, true)";

    @PersistenceContext(unitName = "agentstore")
    private EntityManager em;
    private Clock clock = Clock.systemUTC();

    /** For CDI's proxy; the container injects the entity manager. */
    protected ChunkRepository() {
    }

    /**
     * Standalone use: a repository bound to one entity manager (one transaction).
     *
     * @param em    the transaction's entity manager
     * @param clock where the time comes from
     */
    public ChunkRepository(EntityManager em, Clock clock) {
        this.em = em;
        this.clock = clock;
    }

    // ---------------------------------------------------------------------------------------------------------- write

    /**
     * Inserts or replaces chunks, {@value #UPSERT_BATCH_SIZE} rows per statement
     * ({@code INSERT … VALUES (…), (…) ON CONFLICT (knowledge_base, id) DO UPDATE}). An existing chunk keeps its
     * creation time and gets everything else from the new one. The same id twice in {@code chunks}: one row, the last
     * one wins. Every chunk is validated (including each embedding's dimension) before anything is written. Rows are
     * written in id order, so concurrent upserts of overlapping ids wait for each other instead of deadlocking.
     *
     * @param base   the knowledge base's name
     * @param chunks the chunks; ids left {@code null} get random UUIDs
     * @return the chunks' ids, in the order given
     * @throws InvalidInputException when a chunk is {@code null} or an embedding does not fit the base (the message
     *                               names the expected and the actual dimension)
     * @throws NotFoundException     when the base does not exist
     */
    public List<String> upsert(String base, List<NewChunk> chunks) {
        Check.noNulls("chunks", chunks);
        KnowledgeBase kb = base(base);
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        List<String> ids = new ArrayList<>(chunks.size());
        // by id: the last of equal ids wins, and concurrent upserts lock rows in one order (no deadlocks)
        Map<String, Chunk> rows = new TreeMap<>();
        for (NewChunk c : chunks) {
            Chunk row = Chunk.create(kb, c, now);
            ids.add(row.id());
            rows.put(row.id(), row);
        }
        if (rows.isEmpty()) {
            return ids;
        }
        List<Chunk> all = new ArrayList<>(rows.values());
        OffsetDateTime created = now.atOffset(ZoneOffset.UTC);
        work("upsert chunks into KnowledgeBase " + base, connection -> {
            for (int from = 0; from < all.size(); from += UPSERT_BATCH_SIZE) {
                List<Chunk> batch = all.subList(from, Math.min(all.size(), from + UPSERT_BATCH_SIZE));
                StringBuilder sql = new StringBuilder(UPSERT_HEAD);
                for (int i = 0; i < batch.size(); i++) {
                    sql.append(i == 0 ? "" : ",\n       ").append(UPSERT_ROW);
                }
                sql.append(UPSERT_TAIL);
                try (PreparedStatement ps = connection.prepareStatement(sql.toString())) {
                    int p = 1;
                    for (Chunk c : batch) {
                        ps.setString(p++, kb.name());
                        ps.setString(p++, c.id());
                        ps.setInt(p++, kb.dimension());
                        ps.setString(p++, c.documentId());
                        ps.setInt(p++, c.ordinal());
                        ps.setString(p++, c.content());
                        ps.setString(p++, c.contentHash());
                        ps.setObject(p++, new PGvector(c.embedding()));
                        ps.setString(p++, Json.print(c.payload()));
                        ps.setString(p++, Json.print(c.meta()));
                        ps.setObject(p++, created);
                    }
                    ps.executeUpdate();
                }
            }
            return null;
        });
        return ids;
    }

    /**
     * Deletes chunks by id.
     *
     * @param base the knowledge base's name
     * @param ids  the ids
     * @return how many chunks were deleted
     * @throws InvalidInputException when {@code ids} is {@code null} or holds {@code null}
     * @throws NotFoundException     when the base does not exist
     */
    public int delete(String base, Collection<String> ids) {
        Check.noNulls("ids", ids);
        KnowledgeBase kb = base(base);
        if (ids.isEmpty()) {
            return 0;
        }
        return work("delete chunks of KnowledgeBase " + base, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(DELETE_IDS)) {
                ps.setString(1, kb.name());
                ps.setArray(2, connection.createArrayOf("varchar", ids.toArray()));
                return ps.executeUpdate();
            }
        });
    }

    /**
     * Deletes every chunk of one document.
     *
     * @param base       the knowledge base's name
     * @param documentId the document's id
     * @return how many chunks were deleted
     * @throws InvalidInputException when {@code documentId} is blank or longer than 255 characters
     * @throws NotFoundException     when the base does not exist
     */
    public int deleteByDocument(String base, String documentId) {
        Check.name("documentId", documentId);
        KnowledgeBase kb = base(base);
        return work("delete document " + documentId + " of KnowledgeBase " + base, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(DELETE_DOCUMENT)) {
                ps.setString(1, kb.name());
                ps.setString(2, documentId);
                return ps.executeUpdate();
            }
        });
    }

    /**
     * Deletes the chunks that match a filter. The filter is required: to empty a base, call {@link #deleteAll}
     * (Draive's delete without requirements silently emptied the table).
     *
     * @param base   the knowledge base's name
     * @param filter the conditions on {@link #FIELDS}, not {@code null} and not the empty {@code Filter.all()}
     * @return how many chunks were deleted
     * @throws InvalidInputException when {@code filter} is {@code null} or empty, or invalid for {@link #FIELDS}
     * @throws NotFoundException     when the base does not exist
     */
    public int deleteByFilter(String base, Filter filter) {
        if (filter == null || filter instanceof Filter.And and && and.filters().isEmpty()) {
            throw new InvalidInputException("filter must not be " + (filter == null ? "null" : "empty (Filter.all())")
                    + ": deleteByFilter needs a condition; call deleteAll(base) to delete every chunk of a knowledge base");
        }
        KnowledgeBase kb = base(base);
        SqlFragment f = render(filter);
        String sql = "DELETE FROM chunks WHERE knowledge_base = ? AND (" + f.sql() + ")";
        return work("delete chunks of KnowledgeBase " + base + " where " + filter, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                ps.setString(1, kb.name());
                bind(ps, 2, f.parameters());
                return ps.executeUpdate();
            }
        });
    }

    /**
     * Deletes every chunk of a base (the base and its index stay).
     *
     * @param base the knowledge base's name
     * @return how many chunks were deleted
     * @throws NotFoundException when the base does not exist
     */
    public int deleteAll(String base) {
        KnowledgeBase kb = base(base);
        return work("delete all chunks of KnowledgeBase " + base, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(DELETE_ALL)) {
                ps.setString(1, kb.name());
                return ps.executeUpdate();
            }
        });
    }

    // ----------------------------------------------------------------------------------------------------------- read

    /**
     * @param base the knowledge base's name
     * @param id   the chunk's id
     * @return the chunk with its embedding, or empty
     * @throws InvalidInputException when {@code id} is blank or longer than 255 characters
     * @throws NotFoundException     when the base does not exist
     */
    public Optional<Chunk> get(String base, String id) {
        Check.name("id", id);
        KnowledgeBase kb = base(base);
        List<Chunk> found = work("get Chunk " + base + "/" + id, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(GET)) {
                ps.setString(1, kb.name());
                ps.setString(2, id);
                return readChunks(kb, ps);
            }
        });
        return found.stream().findFirst();
    }

    /**
     * @param base       the knowledge base's name
     * @param documentId the document's id
     * @return the document's chunks with their embeddings, by ordinal (then id)
     * @throws InvalidInputException when {@code documentId} is blank or longer than 255 characters
     * @throws NotFoundException     when the base does not exist
     */
    public List<Chunk> byDocument(String base, String documentId) {
        Check.name("documentId", documentId);
        KnowledgeBase kb = base(base);
        return work("list chunks of document " + documentId + " of KnowledgeBase " + base, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(BY_DOCUMENT)) {
                ps.setString(1, kb.name());
                ps.setString(2, documentId);
                return readChunks(kb, ps);
            }
        });
    }

    /**
     * @param base the knowledge base's name
     * @return how many chunks the base has
     * @throws NotFoundException when the base does not exist
     */
    public long count(String base) {
        return count(base, null);
    }

    /**
     * @param base   the knowledge base's name
     * @param filter conditions on {@link #FIELDS}, or {@code null} for all chunks
     * @return how many chunks of the base match
     * @throws InvalidInputException when the filter is invalid for {@link #FIELDS}
     * @throws NotFoundException     when the base does not exist
     */
    public long count(String base, Filter filter) {
        KnowledgeBase kb = base(base);
        SqlFragment f = filter == null ? null : render(filter);
        String sql = "SELECT count(*) FROM chunks WHERE knowledge_base = ?" + (f == null ? "" : " AND (" + f.sql() + ")");
        return work("count chunks of KnowledgeBase " + base, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                ps.setString(1, kb.name());
                if (f != null) {
                    bind(ps, 2, f.parameters());
                }
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    /**
     * Which of the given content hashes the base already holds: an ingest tool hashes its chunks
     * ({@link Chunk#contentHash(String)}), asks this, and embeds only the others.
     *
     * @param base   the knowledge base's name
     * @param hashes SHA-256 hex digests
     * @return the subset of {@code hashes} that some chunk of the base has
     * @throws InvalidInputException when {@code hashes} is {@code null} or holds {@code null}
     * @throws NotFoundException     when the base does not exist
     */
    public Set<String> existingHashes(String base, Collection<String> hashes) {
        Check.noNulls("hashes", hashes);
        KnowledgeBase kb = base(base);
        if (hashes.isEmpty()) {
            return Set.of();
        }
        return work("look up content hashes in KnowledgeBase " + base, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(EXISTING_HASHES)) {
                ps.setString(1, kb.name());
                Array array = connection.createArrayOf("varchar", new HashSet<>(hashes).toArray());
                ps.setArray(2, array);
                Set<String> found = new HashSet<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        found.add(rs.getString(1));
                    }
                }
                return found;
            }
        });
    }

    // --------------------------------------------------------------------------------------------------------- search

    /**
     * Searches by text: embeds {@code text} with {@code embedder}, then as {@link #search(String, float[], SearchOptions)}.
     *
     * @param base     the knowledge base's name
     * @param text     the query text
     * @param embedder the embedder; its dimension must be the base's
     * @param options  k, threshold, filter, MMR…
     * @return the matches, best first (or in MMR order)
     * @throws InvalidInputException when an argument is {@code null}, or the embedder's dimension (or the embedding
     *                               it returns) does not match the base's
     * @throws NotFoundException     when the base does not exist
     */
    public List<ChunkMatch> search(String base, String text, Embedder embedder, SearchOptions options) {
        Check.notNull("text", text);
        Check.notNull("embedder", embedder);
        Check.notNull("options", options);
        KnowledgeBase kb = base(base);
        if (embedder.dimension() != kb.dimension()) {
            throw new InvalidInputException("embedder has dimension " + embedder.dimension() + " but knowledge base '"
                    + kb.name() + "' expects dimension " + kb.dimension());
        }
        return search(base, embedder.embed(text), options);
    }

    /**
     * The nearest chunks to {@code query} (see the class comment for how the index, threshold and filter work).
     *
     * @param base    the knowledge base's name
     * @param query   the query embedding, of the base's dimension
     * @param options k ≤ 1,000, minimum score, filter, {@code ef_search} / {@code probes}, MMR, embeddings
     * @return at most {@code k} matches with {@code score ≥ minScore}, best first, ties by id (with MMR: in MMR's
     *         order); {@code min(k, matching chunks)} of them when no threshold is given
     * @throws InvalidInputException when an argument is {@code null} or invalid for {@link #FIELDS}, or the query's
     *                               dimension is wrong (the message names the expected and the actual dimension)
     * @throws NotFoundException     when the base does not exist
     */
    public List<ChunkMatch> search(String base, float[] query, SearchOptions options) {
        Check.notNull("options", options);
        Plan plan = plan(base(base), query, options);
        List<ChunkMatch> found = work("search KnowledgeBase " + base, connection -> {
            String previousSort = applySettings(connection, plan);
            Result r = nearest(connection, plan, false);
            restoreSort(connection, previousSort);
            if (plan.indexed() && r.candidates() < plan.limit()) {
                // the index ran out (selective filter, hnsw.max_scan_tuples, stale IVFFlat lists): scan exactly
                r = nearest(connection, plan, true);
            }
            return r.matches();
        });
        if (!options.mmr()) {
            return found;
        }
        List<ChunkMatch> reranked = Mmr.rerank(plan.query(), found, options.k(), options.mmrLambda());
        return options.includeEmbeddings() ? reranked : reranked.stream().map(ChunkRepository::withoutEmbedding).toList();
    }

    /**
     * The plan of the nearest-neighbour statement {@link #search(String, float[], SearchOptions)} sends first, with the
     * same settings and parameters: {@code EXPLAIN}, or {@code EXPLAIN (ANALYZE, BUFFERS)} when {@code analyze}
     * (which runs it). For checking that the base's index serves a query shape, in tests, benchmarks and operations.
     * Leaves the same transaction-local index settings as a search.
     *
     * @param base    the knowledge base's name
     * @param query   the query embedding, of the base's dimension
     * @param options as for a search
     * @param analyze whether to run the statement and report actual rows and timings
     * @return the plan's lines
     * @throws InvalidInputException when an argument is invalid
     * @throws NotFoundException     when the base does not exist
     */
    public List<String> explainSearch(String base, float[] query, SearchOptions options, boolean analyze) {
        Check.notNull("options", options);
        Plan plan = plan(base(base), query, options);
        String sql = (analyze ? "EXPLAIN (ANALYZE, BUFFERS) " : "EXPLAIN ") + nearestSql(plan, false);
        return work("explain search of KnowledgeBase " + base, connection -> {
            String previousSort = applySettings(connection, plan);
            List<String> lines = new ArrayList<>();
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                bindSearch(ps, plan, false);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        lines.add(rs.getString(1));
                    }
                }
            }
            restoreSort(connection, previousSort);
            return lines;
        });
    }

    /**
     * What one search needs.
     *
     * @param limit the rows wanted: k, or MMR's candidates
     * @param fetch the rows the index is asked for: at least {@code limit}; for HNSW without a filter {@code ef_search}
     *              (the index visits that many anyway; sorting them exactly before taking {@code limit} makes up for
     *              relaxed ordering), with a filter at most {@code 2 × limit} (each extra matching row costs the
     *              iterative scan about 1/selectivity more visited tuples)
     */
    private record Plan(KnowledgeBase kb, float[] query, SqlFragment filter, int limit, int fetch, Double bound,
                        boolean withEmbeddings, int efSearch, int probes) {
        boolean indexed() {
            return kb.index().indexed();
        }
    }

    private static Plan plan(KnowledgeBase kb, float[] query, SearchOptions options) {
        float[] q = kb.requireEmbedding("query vector", query).clone();
        int limit = options.candidates();
        Double bound = options.minScore() == null ? null : kb.distance().maxDistance(options.minScore());
        SqlFragment f = options.filter() == null ? null : render(options.filter());
        int ef = options.efSearch() != null ? options.efSearch()
                : Math.min(SearchOptions.MAX_EF_SEARCH, Math.max(DEFAULT_EF_SEARCH, limit));
        int probes = 0;
        int fetch = limit;
        switch (kb.index().type()) {
            // unfiltered, the index visits ef_search rows anyway: sort them all exactly; filtered, every extra row
            // asked for makes the iterative scan visit ~1/selectivity more tuples, so ask for 2k at most
            case HNSW -> fetch = f == null ? Math.max(limit, ef) : Math.max(limit, Math.min(ef, 2 * limit));
            case IVFFLAT -> {
                probes = options.probes() != null ? Math.min(options.probes(), kb.index().lists())
                        : Math.max(1, (int) Math.round(Math.sqrt(kb.index().lists())));
                fetch = Math.max(limit, DEFAULT_EF_SEARCH);
            }
            default -> {
            }
        }
        return new Plan(kb, q, f, limit, fetch, bound, options.includeEmbeddings() || options.mmr(), ef, probes);
    }

    private record Result(List<ChunkMatch> matches, long candidates) {
    }

    private Result nearest(Connection connection, Plan plan, boolean exact) throws SQLException {
        KnowledgeBase kb = plan.kb();
        try (PreparedStatement ps = connection.prepareStatement(nearestSql(plan, exact))) {
            bindSearch(ps, plan, exact);
            List<ChunkMatch> matches = new ArrayList<>();
            long candidates = 0;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    candidates = rs.getLong("candidates");
                    if (rs.getString("id") == null) {
                        continue; // the row that only reports the candidate count
                    }
                    double distance = rs.getDouble("distance");
                    String embedding = rs.getString("embedding_text");
                    matches.add(new ChunkMatch(rs.getString("id"), rs.getString("document_id"), rs.getInt("ordinal"),
                            rs.getString("content"), rs.getString("content_hash"),
                            Json.parse("payload", rs.getString("payload_text")),
                            Json.parse("meta", rs.getString("meta_text")),
                            rs.getObject("created_at", OffsetDateTime.class).toInstant(),
                            kb.distance().score(distance), distance,
                            embedding == null ? null : new PGvector(embedding).toArray()));
                }
            }
            return new Result(matches, candidates);
        }
    }

    /**
     * The nearest {@code fetch} rows in a materialised CTE, ordered by the base's index expression so that its index
     * serves them (the exact variant orders outside an {@code OFFSET 0} subquery, which no index can serve); then the
     * distance bound, a strict re-sort by distance and id, and the {@code limit}. A UNION ALL row with a null id
     * reports how many rows the index yielded, even when the bound removes all of them. Parameters: the query vector,
     * the filter's values, {@code fetch}, the bound (when there is one), {@code limit}.
     */
    private static String nearestSql(Plan plan, boolean exact) {
        KnowledgeBase kb = plan.kb();
        SqlFragment f = plan.filter();
        String distance = KnowledgeSql.embeddingExpression(kb) + " " + KnowledgeSql.operator(kb.distance()) + " "
                + KnowledgeSql.queryParameter(kb);
        String select = "SELECT " + COLUMNS + ", "
                + (plan.withEmbeddings() ? "CAST(embedding AS text)" : "CAST(NULL AS text)") + " AS embedding_text, "
                + distance + " AS distance FROM chunks WHERE " + KnowledgeSql.basePredicate(kb)
                + (f == null ? "" : " AND (" + f.sql() + ")");
        String nearest = exact
                ? "SELECT * FROM (" + select + " OFFSET 0) AS s ORDER BY distance, id LIMIT ?"
                : select + " ORDER BY distance LIMIT ?";
        return "WITH nearest AS MATERIALIZED (" + nearest + "),\n"
                + "     counted AS (SELECT count(*) AS candidates FROM nearest),\n"
                + "     best AS (SELECT * FROM nearest" + (plan.bound() != null ? " WHERE distance <= ?" : "")
                + " ORDER BY distance, id LIMIT ?)\n"
                + "SELECT b.*, c.candidates FROM best b CROSS JOIN counted c\n"
                + "UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, c.candidates FROM counted c\n"
                + "ORDER BY distance NULLS LAST, id";
    }

    private static void bindSearch(PreparedStatement ps, Plan plan, boolean exact) throws SQLException {
        KnowledgeBase kb = plan.kb();
        int p = 1;
        ps.setObject(p++, kb.vectorType() == VectorType.HALFVEC ? new PGhalfvec(plan.query()) : new PGvector(plan.query()));
        if (plan.filter() != null) {
            p = bind(ps, p, plan.filter().parameters());
        }
        ps.setInt(p++, exact ? plan.limit() : plan.fetch());
        if (plan.bound() != null) {
            ps.setDouble(p++, plan.bound());
        }
        ps.setInt(p, plan.limit());
    }

    /**
     * {@code SET LOCAL} of the index's search settings, and {@code enable_sort = off} so that the planner takes the
     * index (the only plan that needs no sort for the nearest rows) even when it misjudges a filter as very selective.
     *
     * @return the previous {@code enable_sort}, to restore; {@code null} for a base without index (nothing set)
     */
    private static String applySettings(Connection connection, Plan plan) throws SQLException {
        String sql;
        int value;
        switch (plan.kb().index().type()) {
            case HNSW -> {
                sql = HNSW_SETTINGS;
                value = plan.efSearch();
            }
            case IVFFLAT -> {
                sql = IVFFLAT_SETTINGS;
                value = plan.probes();
            }
            default -> {
                return null;
            }
        }
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, Integer.toString(value));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private static void restoreSort(Connection connection, String previous) throws SQLException {
        if (previous == null) {
            return;
        }
        try (PreparedStatement ps = connection.prepareStatement(RESTORE_SORT)) {
            ps.setString(1, previous);
            ps.executeQuery().close();
        }
    }

    private static ChunkMatch withoutEmbedding(ChunkMatch m) {
        return new ChunkMatch(m.id(), m.documentId(), m.ordinal(), m.content(), m.contentHash(), m.payload(), m.meta(),
                m.createdAt(), m.score(), m.distance(), null);
    }

    // -------------------------------------------------------------------------------------------------------- helpers

    private KnowledgeBase base(String name) {
        KnowledgeBase.requireName(name);
        KnowledgeBase kb = em.find(KnowledgeBase.class, name);
        if (kb == null) {
            throw new NotFoundException("KnowledgeBase", name);
        }
        return kb;
    }

    private static SqlFragment render(Filter filter) {
        return RENDERER.where(filter, ParameterStyle.JDBC, 1);
    }

    private static List<Chunk> readChunks(KnowledgeBase kb, PreparedStatement ps) throws SQLException {
        List<Chunk> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(Chunk.restore(kb.name(), rs.getString("id"), kb.dimension(), rs.getString("document_id"),
                        rs.getInt("ordinal"), rs.getString("content"), rs.getString("content_hash"),
                        new PGvector(rs.getString("embedding_text")).toArray(),
                        Json.parse("payload", rs.getString("payload_text")),
                        Json.parse("meta", rs.getString("meta_text")),
                        rs.getObject("created_at", OffsetDateTime.class).toInstant()));
            }
        }
        return out;
    }

    private static int bind(PreparedStatement ps, int first, List<Object> params) throws SQLException {
        int p = first;
        for (Object v : params) {
            ps.setObject(p++, v);
        }
        return p;
    }

    private <T> T work(String context, ReturningWork<T> work) {
        try {
            em.flush();
            return em.unwrap(Session.class).doReturningWork(work);
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate(context, e);
        }
    }
}
