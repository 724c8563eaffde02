package dev.agentstore.persistence.knowledge;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Chunks of knowledge bases and their search (Draive's vector index and Mastra's PgVector, without their defects):
 * batched upserts, reads, counts, content-hash lookups for incremental ingest, deletes that need a filter
 * ({@link #deleteAll} is separate and explicit: Draive's delete without a requirement silently empties the table),
 * and k-nearest-neighbour search through the base's own HNSW or IVFFlat index, with a score threshold, filters and
 * MMR reranking.
 *
 * <p><b>Search.</b> One statement finds the nearest {@code k} (or MMR's candidates) in a materialised CTE,
 * {@code WHERE knowledge_base = '<base>' [AND filter] ORDER BY (embedding::vector(n)) <=> ? LIMIT ?}, which is
 * exactly the base's partial index expression, so PostgreSQL uses the index; the outer query applies the minimum
 * score as a distance bound ({@link dev.agentstore.domain.knowledge.Distance#maxDistance}) and re-sorts by distance
 * and id. Before it, {@code set_config(…, true)} (that is, {@code SET LOCAL}) sets {@code hnsw.ef_search} and
 * {@code hnsw.iterative_scan = relaxed_order} (IVFFlat: {@code ivfflat.probes} and {@code ivfflat.iterative_scan}),
 * so a filtered search keeps walking the graph until it has {@code k} matching rows (pgvector 0.8), instead of
 * Mastra's choice between post-filtering too few rows and a sequential scan. The settings stay in force until the
 * caller's transaction ends. Should the index still yield fewer rows than asked (a filter so selective that
 * {@code hnsw.max_scan_tuples} runs out, or an IVFFlat index built before the data), the search repeats as an exact
 * scan, so a search returns {@code k} results whenever {@code k} chunks match.
 *
 * <p><b>SQL and values.</b> Every value (vectors, ids, filter values, limits, bounds) is a bind parameter. The base's
 * name and dimension are part of the statement text, because PostgreSQL only matches a partial expression index when
 * the query spells out its predicate and type modifier; both come from the validated {@link KnowledgeBase} row (see
 * {@link KnowledgeRepository}). Vectors travel as pgvector-java {@link PGvector} / {@link PGhalfvec}.
 *
 * <p>Every method runs in the caller's transaction and works with JDBC on its connection (pending JPA changes are
 * flushed first); returned {@link Chunk}s are detached.
 */
@ApplicationScoped
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

    private static final String HNSW_SETTINGS = """
            SELECT set_config('hnsw.ef_search', ?, true), set_config('hnsw.iterative_scan', 'relaxed_order', true)""";

    private static final String IVFFLAT_SETTINGS = """
            SELECT set_config('ivfflat.probes', ?, true), set_config('ivfflat.iterative_scan', 'relaxed_order', true)""";

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
     * one wins. Every chunk is validated (including each embedding's dimension) before anything is written.
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
        Map<String, Chunk> rows = new LinkedHashMap<>();
        for (NewChunk c : chunks) {
            Chunk row = Chunk.create(kb, c, now);
            ids.add(row.id());
            rows.remove(row.id());
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
     *         order); exactly {@code min(k, matching chunks)} when no threshold is given
     * @throws InvalidInputException when an argument is {@code null} or the query's dimension is wrong (the message
     *                               names the expected and the actual dimension)
     * @throws NotFoundException     when the base does not exist
     */
    public List<ChunkMatch> search(String base, float[] query, SearchOptions options) {
        Check.notNull("options", options);
        KnowledgeBase kb = base(base);
        float[] q = kb.requireEmbedding("query vector", query).clone();
        int limit = options.candidates();
        boolean withEmbeddings = options.includeEmbeddings() || options.mmr();
        Double bound = options.minScore() == null ? null : kb.distance().maxDistance(options.minScore());
        SqlFragment f = options.filter() == null ? null : render(options.filter());
        List<ChunkMatch> found = work("search KnowledgeBase " + base, connection -> {
            IndexType indexType = kb.index().type();
            if (indexType == IndexType.HNSW) {
                int ef = options.efSearch() != null ? options.efSearch()
                        : Math.min(SearchOptions.MAX_EF_SEARCH, Math.max(40, limit));
                settings(connection, HNSW_SETTINGS, ef);
            } else if (indexType == IndexType.IVFFLAT) {
                int probes = options.probes() != null ? options.probes()
                        : Math.max(1, (int) Math.round(Math.sqrt(kb.index().lists())));
                settings(connection, IVFFLAT_SETTINGS, probes);
            }
            Result r = nearest(connection, kb, q, f, limit, bound, withEmbeddings, false);
            if (indexType != IndexType.NONE && r.candidates() < limit) {
                // the index ran out (selective filter, max_scan_tuples, stale IVFFlat lists): scan exactly
                r = nearest(connection, kb, q, f, limit, bound, withEmbeddings, true);
            }
            return r.matches();
        });
        List<ChunkMatch> result = options.mmr() ? Mmr.rerank(q, found, options.k(), options.mmrLambda()) : found;
        if (options.mmr() && !options.includeEmbeddings()) {
            result = result.stream().map(ChunkRepository::withoutEmbedding).toList();
        }
        return result;
    }

    /**
     * The statement {@link #search(String, float[], SearchOptions)} sends (for EXPLAIN in tests and benchmarks); its
     * parameters are: the query vector, the filter's values, the limit, then the distance bound when
     * {@code withBound}.
     *
     * @param base      the knowledge base's name
     * @param filter    the filter, or {@code null}
     * @param withBound whether a minimum score applies
     * @return the SQL text with {@code ?} placeholders
     * @throws NotFoundException when the base does not exist
     */
    public String searchSql(String base, Filter filter, boolean withBound) {
        return nearestSql(base(base), filter == null ? null : render(filter), withBound, false, false);
    }

    private record Result(List<ChunkMatch> matches, long candidates) {
    }

    private Result nearest(Connection connection, KnowledgeBase kb, float[] q, SqlFragment f, int limit,
                           Double bound, boolean withEmbeddings, boolean exact) throws SQLException {
        String sql = nearestSql(kb, f, bound != null, withEmbeddings, exact);
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            int p = 1;
            ps.setObject(p++, kb.vectorType() == VectorType.HALFVEC ? new PGhalfvec(q) : new PGvector(q));
            if (f != null) {
                p = bind(ps, p, f.parameters());
            }
            ps.setInt(p++, limit);
            if (bound != null) {
                ps.setDouble(p, bound);
            }
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
     * The nearest rows in a materialised CTE (ordered by the index expression, so the index serves it; the exact
     * variant orders outside an {@code OFFSET 0} subquery, which no index can serve), then the distance bound and a
     * strict re-sort. A UNION ALL row with a null id reports the CTE's size even when the bound removes every row.
     */
    private static String nearestSql(KnowledgeBase kb, SqlFragment f, boolean withBound,
                                     boolean withEmbeddings, boolean exact) {
        String distance = KnowledgeSql.embeddingExpression(kb) + " " + KnowledgeSql.operator(kb.distance()) + " "
                + KnowledgeSql.queryParameter(kb);
        String select = "SELECT " + COLUMNS + ", " + (withEmbeddings ? "CAST(embedding AS text)" : "CAST(NULL AS text)")
                + " AS embedding_text, " + distance + " AS distance"
                + " FROM chunks WHERE " + KnowledgeSql.basePredicate(kb) + (f == null ? "" : " AND (" + f.sql() + ")");
        String nearest = exact
                ? "SELECT * FROM (" + select + " OFFSET 0) AS s ORDER BY distance, id LIMIT ?"
                : select + " ORDER BY distance LIMIT ?";
        return "WITH nearest AS MATERIALIZED (" + nearest + "),\n"
                + "     counted AS (SELECT count(*) AS candidates FROM nearest)\n"
                + "SELECT n.*, c.candidates FROM nearest n CROSS JOIN counted c"
                + (withBound ? " WHERE n.distance <= ?" : "") + "\n"
                + "UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, c.candidates FROM counted c\n"
                + "ORDER BY distance NULLS LAST, id";
    }

    private static ChunkMatch withoutEmbedding(ChunkMatch m) {
        return new ChunkMatch(m.id(), m.documentId(), m.ordinal(), m.content(), m.contentHash(), m.payload(), m.meta(),
                m.createdAt(), m.score(), m.distance(), null);
    }

    private static void settings(Connection connection, String sql, int value) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, Integer.toString(value));
            ps.executeQuery().close();
        }
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
