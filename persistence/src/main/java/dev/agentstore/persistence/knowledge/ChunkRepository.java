package dev.agentstore.persistence.knowledge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.AgentStoreException;
import com.pgvector.PGvector;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.knowledge.Chunk;
import dev.agentstore.domain.knowledge.ChunkMatch;
import dev.agentstore.domain.knowledge.Embedder;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.persistence.query.FieldMap;
import dev.agentstore.persistence.query.Filter;
import dev.agentstore.persistence.query.ParameterStyle;
import dev.agentstore.persistence.query.QueryRenderer;
import dev.agentstore.persistence.query.SqlFragment;
import dev.agentstore.persistence.query.ValueKind;
import dev.agentstore.persistence.knowledge.KnowledgeBaseCache.Definition;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.PersistenceErrors;
import dev.agentstore.persistence.support.SingleStatement;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.transaction.Transactional;
import org.hibernate.Session;
import org.hibernate.jdbc.ReturningWork;

import java.math.BigDecimal;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Chunks of knowledge bases and their search:
 * batched upserts, reads, counts, content-hash lookups for incremental ingest, deletes that need a filter
 * ({@link #deleteAll} is separate and explicit, so a missing filter never empties a base),
 * and k-nearest-neighbour search through the base's own HNSW or IVFFlat index, with a score threshold, filters and
 * MMR reranking.
 *
 * <p><b>Search: one round trip.</b> A search sends three statements as one prepared statement, which pgjdbc sends
 * in one round trip, with one Sync: the settings, the search, and the restore of three of the settings. The settings,
 * all {@code set_config(…, true)} (that is, {@code SET LOCAL}): {@code hnsw.ef_search} and
 * {@code hnsw.iterative_scan = relaxed_order} (IVFFlat: {@code ivfflat.probes} and {@code ivfflat.iterative_scan}),
 * which stay in force until the caller's transaction ends (through the per-call {@code store.chunks()}, in
 * autocommit mode, the three statements are one implicit transaction, so they end with it), so that a filtered index
 * scan keeps walking the graph until it has enough matching rows (pgvector 0.8) instead of
 * post-filtering too few rows or falling back to a sequential scan; and, for the search statement only, {@code enable_sort = off}, {@code jit = off} and
 * {@code plan_cache_mode = force_generic_plan} (see {@link #SETTINGS}). The search statement reads the nearest rows in a materialised CTE with exactly the base's
 * partial index predicate and expression, {@code WHERE knowledge_base = '<base>' [AND filter] ORDER BY
 * (embedding::vector(n)) <=> ? LIMIT ?}, so PostgreSQL can use the index; the outer query applies the minimum score
 * as a distance bound ({@link dev.agentstore.domain.knowledge.Distance#maxDistance}), sorts strictly by distance and
 * id, keeps {@code k}, and reads their columns by primary key.
 *
 * <p><b>Filtered search: exact when the filter is selective, the index when it is not.</b> Walking the HNSW graph for
 * a filter that few chunks pass visits about 1/selectivity tuples per result (20,000 vectors of 384 dimensions, a
 * 1% filter: about 20 ms per search, recall 0.91); ranking the 200 matching chunks exactly takes well under a
 * millisecond and has recall 1. So a filtered search of an indexed base first collects, in the same statement, up to
 * {@link #EXACT_SEARCH_MATCHES} {@code + 1} chunks that pass the filter (at least {@code 4 × limit + 1}, limit being
 * k or MMR's candidates), with their distances, through whatever serves the filter best: the GIN indexes on
 * {@code payload} and {@code meta} for containment, which this repository adds to equalities on those paths (see
 * {@link #FIELDS}), the document index for {@code documentId}. When no more chunks match than that, they are ranked
 * exactly: every match is considered, so the result is the exact top k, and k results whenever k chunks match.
 * Otherwise the filter is unselective and the index is asked, with the filter, for {@code max(k, ef_search)}
 * matching rows, re-sorted exactly (an iterative scan returns them in relaxed order). The choice is a branch on the
 * collected count in SQL (one-time filters: the branch not taken is never executed), not on an estimate, so a
 * misjudged selectivity cannot pick the wrong plan; the price for an unselective filter is reading its first 1,001
 * matches (1–2.5 ms for 384 dimensions). The threshold is a number of chunks, not a fraction: on a base of a
 * million chunks a filter that 0.1% pass takes the index path and its iterative scan. Without a filter the index is
 * asked for k rows (it returns its best candidates in exact distance order), and a base without index is always
 * ranked exactly. Should the index yield fewer rows than asked ({@code hnsw.max_scan_tuples} running out, or an
 * IVFFlat index built before its data), the search repeats as an exact scan, so it returns {@code k} results whenever
 * {@code k} chunks match. {@link #explainSearch} shows the plan.
 *
 * <p><b>SQL and values.</b> Every value (vectors, ids, filter values, limits, bounds) is a bind parameter. The base's
 * name and dimension are part of the statement text, because PostgreSQL only matches a partial expression index when
 * the query spells out its predicate and type modifier; both come from the validated {@link KnowledgeBase} row (see
 * {@link KnowledgeRepository}). Vectors are written and searched as binary {@code real[]} parameters cast to the
 * base's type in SQL, and read as pgvector-java {@link PGvector}.
 *
 * <p><b>The base's definition comes from a cache.</b> The statement's text depends on the base's definition
 * (dimension, vector type, distance, index), which a search takes from {@link KnowledgeBaseCache} instead of reading
 * the base first. The search statement itself checks, in the same snapshot, that the base's row still has that
 * definition, and reads no chunk when it has not; the search then reads the definition again and runs once more (a
 * deleted base: {@link NotFoundException}). So the cache never changes a result; it saves a round trip.
 *
 * <p>Every method runs in the caller's transaction and works with JDBC on its connection (pending JPA changes are
 * flushed first); returned {@link Chunk}s are detached. Through the per-call {@code store.chunks()}, the reads and
 * searches run in autocommit mode ({@link SingleStatement}): a search from a cached definition is one round trip, with
 * no {@code BEGIN} and no {@code COMMIT}.
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
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
     * for which PostgreSQL keeps statistics, which helps the planner estimate how many chunks match. Filters on
     * {@code payload.}/{@code meta.} paths are served by GIN indexes ({@code jsonb_path_ops}) through containment:
     * an equality that is required (alone or inside an AND) also gets the containment condition it implies
     * ({@code Filter.eq("payload.doc", 7)} adds {@code payload @> '{"doc":7}'}), for numbers, booleans, and text that
     * only a JSON string can have as its text (not {@code "5"} or {@code "true"}, which the number 5 and the boolean
     * true also have); searches, counts and deletes by filter all use it. Other conditions (ranges, LIKE, equalities
     * under OR or NOT) get none.
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

    /** The embedding travels as a binary {@code real[]} (no float text to format and parse), cast to vector. */
    private static final String UPSERT_ROW =
            "(?, ?, ?, ?, ?, ?, ?, CAST(? AS vector), CAST(? AS jsonb), CAST(? AS jsonb), ?)";

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

    private static final String CONTENT_HASHES = "SELECT id, content_hash FROM chunks WHERE knowledge_base = ?";

    private static final String DELETE_IDS = "DELETE FROM chunks WHERE knowledge_base = ? AND id = ANY (?)";

    private static final String DELETE_DOCUMENT = "DELETE FROM chunks WHERE knowledge_base = ? AND document_id = ?";

    private static final String DELETE_ALL = "DELETE FROM chunks WHERE knowledge_base = ?";

    /** pgvector's default {@code hnsw.ef_search}: 40; searches use at least this. */
    private static final int DEFAULT_EF_SEARCH = 40;

    /**
     * A filtered search of an indexed base ranks the chunks that match its filter exactly, without the index, when at
     * most {@code max(1,000, 4 × limit)} match (see the class comment). Measured on 20,000 vectors of 384 dimensions
     * (top 10, GIN-served filters): ranking 1,000 matches (5% of the rows) exactly took 3.5 ms against 12–15 ms for
     * the HNSW index at ef_search 40–160; at 2,000 matches (10%) the two were about equal; 200 matches took 0.4 ms.
     */
    public static final int EXACT_SEARCH_MATCHES = 1_000;

    /**
     * How often a search runs at most when its base's definition keeps changing between reading it and searching:
     * 3 (the first run may use a stale cached definition, the second a concurrently changed one).
     */
    private static final int DEFINITION_ATTEMPTS = 3;

    /**
     * Sent with every search, in the same round trip, before the search statement: saves {@code enable_sort},
     * {@code jit} and {@code plan_cache_mode} in the placeholder settings {@code agentstore.<name>} and sets them for
     * the search statement; {@link #RESTORE} puts them back right after it. With {@code enable_sort = off} the index
     * is the planner's only way to produce the nearest rows without a sort, so it is used even when the planner
     * misjudges a filter's selectivity. {@code jit = off}: {@code enable_sort = off} adds PostgreSQL's disable cost
     * (10^10) to the plan's estimate, far above {@code jit_above_cost}, so every search would otherwise pay for JIT
     * compilation with inlining and optimization (about 130 ms per search measured by the benchmark, against 2.5 ms
     * for the index scan itself). {@code plan_cache_mode = force_generic_plan}: once pgjdbc prepares the statement on
     * the server (its fifth use on a connection), PostgreSQL reuses one plan instead of planning every search again
     * (0.25 ms each; with a bound parameter as LIMIT the generic plan never looked cheaper to it than a custom one).
     * Its choices do not depend on the values: the base's predicate and dimension are in the text, the index serves
     * the order, and a filtered search branches on the count of matches at run time. All {@code set_config(…, true)},
     * that is {@code SET LOCAL}.
     */
    private static final String SETTINGS = """
            SELECT set_config('agentstore.enable_sort', current_setting('enable_sort'), true),
                   set_config('agentstore.jit', current_setting('jit'), true),
                   set_config('agentstore.plan_cache_mode', current_setting('plan_cache_mode'), true),
                   set_config('enable_sort', 'off', true), set_config('jit', 'off', true),
                   set_config('plan_cache_mode', 'force_generic_plan', true)""";

    /** Appended to {@link #SETTINGS} for an HNSW base; they stay in force until the transaction ends. */
    private static final String HNSW_SETTINGS = """
            ,
                   set_config('hnsw.ef_search', ?, true), set_config('hnsw.iterative_scan', 'relaxed_order', true)""";

    /** Appended to {@link #SETTINGS} for an IVFFlat base; they stay in force until the transaction ends. */
    private static final String IVFFLAT_SETTINGS = """
            ,
                   set_config('ivfflat.probes', ?, true), set_config('ivfflat.iterative_scan', 'relaxed_order', true)""";

    private static final String RESTORE = """
            SELECT set_config('enable_sort', current_setting('agentstore.enable_sort'), true),
                   set_config('jit', current_setting('agentstore.jit'), true),
                   set_config('plan_cache_mode', current_setting('agentstore.plan_cache_mode'), true)""";

    /** The columns of a search's result, from the chunks row {@code c}. */
    private static final String SEARCH_COLUMNS = """
            c.id, c.document_id, c.ordinal, c.content, c.content_hash, CAST(c.payload AS text) AS payload_text,
                   CAST(c.meta AS text) AS meta_text, c.created_at""";

    @PersistenceContext(unitName = "agentstore")
    private EntityManager em;
    @Inject
    private Clock clock;

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
            String field = "chunks[" + ids.size() + "]";
            JsonWrites.text(em, field + ".content", row.content());
            JsonWrites.check(em, field + ".payload", row.payload());
            JsonWrites.check(em, field + ".meta", row.meta());
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
                        ps.setObject(p++, c.embedding());
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
     * (so a forgotten filter never empties the base).
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
    @SingleStatement
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
    @SingleStatement
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
    @SingleStatement
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
    @SingleStatement
    public long count(String base, Filter filter) {
        KnowledgeBase kb = base(base);
        SqlFragment f = filter == null ? null : render(filter);
        String sql = "SELECT count(*) FROM chunks WHERE knowledge_base = ?" + (f == null ? "" : " AND (" + f.sql() + ")");
        return work("count chunks of KnowledgeBase " + base + (filter == null ? "" : " where " + filter), connection -> {
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
    @SingleStatement
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

    /**
     * The id and content hash of every chunk of a base, without contents or embeddings: an ingest tool that gives
     * chunks stable ids (for example {@code document#ordinal}) compares them with its own hashes
     * ({@link Chunk#contentHash(String)}) to embed only changed chunks and to delete chunks that are gone. The map
     * holds one entry per chunk (an id and a 64-character hash), so its size grows with the base.
     *
     * @param base the knowledge base's name
     * @return chunk id → content hash (SHA-256 hex), for every chunk of the base; empty for an empty base
     * @throws NotFoundException when the base does not exist
     */
    @SingleStatement
    public Map<String, String> contentHashes(String base) {
        KnowledgeBase kb = base(base);
        return work("read content hashes of KnowledgeBase " + base, connection -> {
            try (PreparedStatement ps = connection.prepareStatement(CONTENT_HASHES)) {
                ps.setString(1, kb.name());
                Map<String, String> hashes = new HashMap<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        hashes.put(rs.getString(1), rs.getString(2));
                    }
                }
                return hashes;
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
    @SingleStatement
    public List<ChunkMatch> search(String base, String text, Embedder embedder, SearchOptions options) {
        Check.notNull("text", text);
        Check.notNull("embedder", embedder);
        Check.notNull("options", options);
        Definition d = definition(base);
        if (embedder.dimension() != d.kb().dimension() && d.cached()) {
            d = load(base);
        }
        if (embedder.dimension() != d.kb().dimension()) {
            throw new InvalidInputException("embedder has dimension " + embedder.dimension() + " but knowledge base '"
                    + base + "' expects dimension " + d.kb().dimension());
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
     * @throws InvalidInputException        when an argument is {@code null} or invalid for {@link #FIELDS}, or the
     *                                      query's dimension is wrong (the message names the expected and the actual
     *                                      dimension)
     * @throws NotFoundException            when the base does not exist
     * @throws ConcurrencyConflictException when the base's definition changed between reading it and searching in
     *                                      each of {@value #DEFINITION_ATTEMPTS} attempts (index changes racing the
     *                                      search)
     */
    @SingleStatement
    public List<ChunkMatch> search(String base, float[] query, SearchOptions options) {
        Check.notNull("options", options);
        Definition d = definition(base);
        if (d.cached() && !accepts(d.kb(), query)) {
            d = load(base); // the base may have been re-created with another dimension or vector type
        }
        for (int attempt = 1; ; attempt++) {
            Plan plan = plan(d, query, options);
            List<ChunkMatch> found = work("search KnowledgeBase " + base
                    + (options.filter() == null ? "" : " where " + options.filter()), connection -> {
                Result r = nearest(connection, plan, plan.mode());
                if (r.valid() && !r.exact() && r.candidates() < plan.limit()) {
                    // the index ran out (hnsw.max_scan_tuples, stale IVFFlat lists): scan exactly
                    r = nearest(connection, plan, Mode.EXACT);
                }
                return r.valid() ? r.matches() : null;
            });
            if (found != null) {
                if (!options.mmr()) {
                    return found;
                }
                List<ChunkMatch> reranked = Mmr.rerank(plan.query(), found, options.k(), options.mmrLambda());
                return options.includeEmbeddings() ? reranked
                        : reranked.stream().map(ChunkRepository::withoutEmbedding).toList();
            }
            if (attempt == DEFINITION_ATTEMPTS) {
                throw new ConcurrencyConflictException("KnowledgeBase " + base + " changed during each of "
                        + DEFINITION_ATTEMPTS + " attempts to search it", null);
            }
            // the definition the statement was built from is no longer the base's: read it again (NotFoundException
            // when the base is gone) and search again
            d = load(base);
        }
    }

    /**
     * The plan of the search statement {@link #search(String, float[], SearchOptions)} sends first, with the same
     * settings and parameters: {@code EXPLAIN}, or {@code EXPLAIN (ANALYZE, BUFFERS)} when {@code analyze} (which
     * runs it; the branch of a filtered search that did not run shows as {@code never executed}). For checking that
     * the base's indexes serve a query shape, in tests, benchmarks and operations. Leaves the same transaction-local
     * index settings as a search.
     *
     * @param base    the knowledge base's name
     * @param query   the query embedding, of the base's dimension
     * @param options as for a search
     * @param analyze whether to run the statement and report actual rows and timings
     * @return the plan's lines
     * @throws InvalidInputException when an argument is invalid
     * @throws NotFoundException     when the base does not exist
     */
    @SingleStatement
    public List<String> explainSearch(String base, float[] query, SearchOptions options, boolean analyze) {
        Check.notNull("options", options);
        KnowledgeBase.requireName(base);
        Plan plan = plan(load(base), query, options);
        String explain = analyze ? "EXPLAIN (ANALYZE, BUFFERS) " : "EXPLAIN ";
        return work("explain search of KnowledgeBase " + base, connection ->
                execute(connection, plan, plan.mode(), explain, rs -> {
                    List<String> lines = new ArrayList<>();
                    while (rs.next()) {
                        lines.add(rs.getString(1));
                    }
                    return lines;
                }));
    }

    /**
     * How the nearest rows are found: {@code EXACT} ranks every row that passes the filter (a base without index, and
     * the fallback when an index yielded too few rows); {@code INDEX} asks the base's index (no filter);
     * {@code FILTERED} decides in SQL between the two (see the class comment).
     */
    private enum Mode {
        EXACT, INDEX, FILTERED
    }

    /**
     * What one search needs.
     *
     * @param limit   the rows wanted: k, or MMR's candidates
     * @param fetch   the rows the index is asked for: {@code limit} without a filter (the index returns its best
     *                candidates in exact distance order: the same k as fetching {@code ef_search} rows and sorting
     *                them), with a filter {@code max(limit, ef_search)} (IVFFlat: {@code max(limit, 40)}) matching
     *                rows, sorted exactly: a filter skips most of a candidate list's best rows, and the rest, from its
     *                less accurate tail and later iterations, come in relaxed order (on clustered test data, asking
     *                for {@code 2 × limit} rows gave recall 0.95, {@code ef_search} rows 0.96–0.99)
     * @param matches {@code FILTERED}: how many matching rows the exact branch collects at most, plus one
     */
    private record Plan(KnowledgeBase kb, String definition, float[] query, SqlFragment filter, int limit, int fetch,
                        int matches, Double bound, boolean withEmbeddings, int efSearch, int probes,
                        boolean exactSearch) {
        Mode mode() {
            if (!kb.index().indexed() || exactSearch) {
                return Mode.EXACT;
            }
            return filter == null ? Mode.INDEX : Mode.FILTERED;
        }
    }

    private static Plan plan(Definition d, float[] query, SearchOptions options) {
        KnowledgeBase kb = d.kb();
        float[] q = kb.requireEmbedding("query vector", query).clone();
        int limit = options.candidates();
        Double bound = options.minScore() == null ? null : kb.distance().maxDistance(options.minScore());
        SqlFragment f = options.filter() == null ? null : render(options.filter());
        int ef = options.efSearch() != null ? options.efSearch()
                : Math.min(SearchOptions.MAX_EF_SEARCH, Math.max(DEFAULT_EF_SEARCH, limit));
        int probes = 0;
        int fetch = limit;
        switch (kb.index().type()) {
            case HNSW -> fetch = f == null ? limit : Math.max(limit, ef);
            case IVFFLAT -> {
                probes = options.probes() != null ? Math.min(options.probes(), kb.index().lists())
                        : Math.max(1, (int) Math.round(Math.sqrt(kb.index().lists())));
                fetch = f == null ? limit : Math.max(limit, DEFAULT_EF_SEARCH);
            }
            default -> {
            }
        }
        int matches = Math.max(EXACT_SEARCH_MATCHES, 4 * limit) + 1;
        return new Plan(kb, d.text(), q, f, limit, fetch, matches, bound,
                options.includeEmbeddings() || options.mmr(), ef, probes, options.exactSearch());
    }

    /**
     * @param candidates how many rows the index yielded, or ranked exactly, before the distance bound
     * @param exact      whether they were ranked exactly (then nothing is missing)
     * @param valid      whether the base still has the definition the statement was built from; when not, the
     *                   statement read no chunk
     */
    private record Result(List<ChunkMatch> matches, long candidates, boolean exact, boolean valid) {
    }

    private Result nearest(Connection connection, Plan plan, Mode mode) throws SQLException {
        KnowledgeBase kb = plan.kb();
        return execute(connection, plan, mode, "", rs -> {
            List<ChunkMatch> matches = new ArrayList<>();
            long candidates = 0;
            boolean exact = false;
            boolean valid = false;
            while (rs.next()) {
                candidates = rs.getLong("candidates");
                exact = rs.getBoolean("exact");
                valid = rs.getBoolean("valid");
                if (rs.getString("id") == null) {
                    continue; // the row that only reports the status
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
            return new Result(matches, candidates, exact, valid);
        });
    }

    private interface Rows<T> {
        T read(ResultSet rs) throws SQLException;
    }

    /**
     * Sends {@link #SETTINGS} (with the index's settings), {@code prefix} + the search statement, and
     * {@link #RESTORE} as one prepared statement: pgjdbc sends the three in one round trip, and PostgreSQL plans each
     * statement when it comes to it, so the settings are in force for the search.
     */
    private static <T> T execute(Connection connection, Plan plan, Mode mode, String prefix, Rows<T> rows)
            throws SQLException {
        String settings = switch (plan.kb().index().type()) {
            case HNSW -> SETTINGS + HNSW_SETTINGS;
            case IVFFLAT -> SETTINGS + IVFFLAT_SETTINGS;
            default -> SETTINGS;
        };
        try (PreparedStatement ps = connection.prepareStatement(settings + ";\n" + prefix + nearestSql(plan, mode)
                + ";\n" + RESTORE)) {
            int p = 1;
            switch (plan.kb().index().type()) {
                case HNSW -> ps.setString(p++, Integer.toString(plan.efSearch()));
                case IVFFLAT -> ps.setString(p++, Integer.toString(plan.probes()));
                default -> {
                }
            }
            bindSearch(ps, p, plan, mode);
            ps.execute();
            ps.getMoreResults(); // past the settings' row
            try (ResultSet rs = ps.getResultSet()) {
                return rows.read(rs);
            }
        }
    }

    /**
     * The search statement. First CTE {@code base} checks that the base still has the definition the statement was
     * built from ({@link KnowledgeBaseCache#VALID}); every scan of chunks sits behind a one-time filter on it, so a
     * stale definition reads no chunk. Then the nearest rows as (id, distance) in a materialised CTE {@code nearest}:
     * <ul>
     * <li>{@code INDEX}: ordered by the base's index expression, so that its index serves them;</li>
     * <li>{@code EXACT}: every row that passes the filter, ranked outside an {@code OFFSET 0} subquery (which no
     *     index can serve);</li>
     * <li>{@code FILTERED}: CTE {@code matching} collects up to {@code matches} rows that pass the filter, with their
     *     distance, through whatever serves the filter best (a GIN index for containment); if fewer than that
     *     match, they are ranked exactly, else the index is asked, with the filter. Each branch sits behind a
     *     one-time filter on {@code matching}'s count, so only one of them runs.</li>
     * </ul>
     * Then the distance bound, a strict re-sort by distance and id, the {@code limit}, and the chunks' columns by
     * primary key. A UNION ALL row with a null id reports how many rows {@code nearest} holds, whether they were
     * ranked exactly, and whether the definition was valid, even when the bound removes all of them. Parameters, in
     * order: the base's name and definition text; {@code INDEX} and {@code EXACT}: the query vector, the filter's
     * values, {@code fetch} (EXACT: {@code limit}); {@code FILTERED}: the query vector, the filter's values,
     * {@code matches} twice, {@code limit}, the query vector, the filter's values, {@code fetch}; then the bound (when
     * there is one) and {@code limit}.
     */
    private static String nearestSql(Plan plan, Mode mode) {
        KnowledgeBase kb = plan.kb();
        String distance = KnowledgeSql.embeddingExpression(kb) + " " + KnowledgeSql.operator(kb.distance()) + " "
                + KnowledgeSql.queryParameter(kb);
        String scan = "SELECT id, " + distance + " AS distance FROM chunks WHERE " + KnowledgeSql.basePredicate(kb)
                + " AND (SELECT valid FROM base)" + (plan.filter() == null ? "" : " AND (" + plan.filter().sql() + ")");
        String ranked = " ORDER BY distance, id LIMIT ?";
        String head = "WITH base AS (" + KnowledgeBaseCache.VALID + "),\n     ";
        String nearest;
        String exact;
        switch (mode) {
            case EXACT -> {
                nearest = "SELECT * FROM (" + scan + " OFFSET 0) AS s" + ranked;
                exact = "true";
            }
            case INDEX -> {
                nearest = scan + " ORDER BY distance LIMIT ?";
                exact = "false";
            }
            default -> {
                head += "matching AS MATERIALIZED (" + scan + " LIMIT ?),\n"
                        + "     few AS (SELECT count(*) < ? AS exact FROM matching),\n     ";
                nearest = "(SELECT id, distance FROM matching WHERE (SELECT exact FROM few)" + ranked + ")\n"
                        + "         UNION ALL\n"
                        + "         (" + scan + " AND NOT (SELECT exact FROM few) ORDER BY distance LIMIT ?)";
                exact = "(SELECT exact FROM few)";
            }
        }
        return head + "nearest AS MATERIALIZED (" + nearest + "),\n"
                + "     status AS (SELECT count(*) AS candidates, " + exact + " AS exact,"
                + " (SELECT valid FROM base) AS valid FROM nearest),\n"
                + "     best AS (SELECT * FROM nearest" + (plan.bound() != null ? " WHERE distance <= ?" : "")
                + " ORDER BY distance, id LIMIT ?)\n"
                + "SELECT " + SEARCH_COLUMNS + ", "
                + (plan.withEmbeddings() ? "CAST(c.embedding AS text)" : "CAST(NULL AS text)")
                + " AS embedding_text, b.distance, s.candidates, s.exact, s.valid\n"
                + "  FROM best b JOIN chunks c ON c.knowledge_base = " + KnowledgeSql.nameLiteral(kb) + " AND c.id = b.id"
                + " CROSS JOIN status s\n"
                + "UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, s.candidates, s.exact,"
                + " s.valid FROM status s\n"
                + "ORDER BY distance NULLS LAST, id";
    }

    private static void bindSearch(PreparedStatement ps, int first, Plan plan, Mode mode) throws SQLException {
        ps.setString(first, plan.kb().name());
        ps.setString(first + 1, plan.definition());
        int p = bindScan(ps, first + 2, plan);
        switch (mode) {
            case EXACT -> ps.setInt(p++, plan.limit());
            case INDEX -> ps.setInt(p++, plan.fetch());
            default -> {
                ps.setInt(p++, plan.matches());
                ps.setInt(p++, plan.matches());
                ps.setInt(p++, plan.limit());
                p = bindScan(ps, p, plan);
                ps.setInt(p++, plan.fetch());
            }
        }
        if (plan.bound() != null) {
            ps.setDouble(p++, plan.bound());
        }
        ps.setInt(p, plan.limit());
    }

    /** Binds the query vector (binary {@code real[]}, cast to the base's type in SQL) and the filter's values. */
    private static int bindScan(PreparedStatement ps, int first, Plan plan) throws SQLException {
        ps.setObject(first, plan.query());
        return plan.filter() == null ? first + 1 : bind(ps, first + 1, plan.filter().parameters());
    }

    private static ChunkMatch withoutEmbedding(ChunkMatch m) {
        return new ChunkMatch(m.id(), m.documentId(), m.ordinal(), m.content(), m.contentHash(), m.payload(), m.meta(),
                m.createdAt(), m.score(), m.distance(), null);
    }

    // -------------------------------------------------------------------------------------------------------- helpers

    /** @return the base's definition for a search: cached (see {@link KnowledgeBaseCache}), or read now */
    private Definition definition(String name) {
        KnowledgeBase.requireName(name);
        Definition d = KnowledgeBaseCache.get(em, name);
        return d != null ? d : load(name);
    }

    /** @return the base's definition, read now (one statement) */
    private Definition load(String name) {
        return work("read KnowledgeBase " + name, connection -> KnowledgeBaseCache.load(em, connection, name));
    }

    /** @return whether {@code query} is a valid query vector for {@code kb} */
    private static boolean accepts(KnowledgeBase kb, float[] query) {
        try {
            kb.requireEmbedding("query vector", query);
            return true;
        } catch (InvalidInputException e) {
            return false;
        }
    }

    private KnowledgeBase base(String name) {
        KnowledgeBase.requireName(name);
        KnowledgeBase kb = em.find(KnowledgeBase.class, name);
        if (kb == null) {
            throw new NotFoundException("KnowledgeBase", name);
        }
        return kb;
    }

    /**
     * The filter as SQL, and for every equality on a {@code payload.} or {@code meta.} path that it requires (alone or
     * in an AND) a containment condition that the equality implies, {@code payload @> CAST(? AS jsonb)}
     * ({@code {"doc":7}} for {@code Filter.eq("payload.doc", 7)}): the GIN indexes on {@code payload} and
     * {@code meta} serve containment, not the equality's typed expression. Implied conditions change which rows are
     * read, never which match: numbers and booleans always; text only when no JSON value but a string has it as
     * its text ({@code ->>} of the number 5 is {@code "5"}, so {@code eq("payload.k", "5")} gets no containment).
     */
    private static SqlFragment render(Filter filter) {
        SqlFragment f = RENDERER.where(filter, ParameterStyle.JDBC, 1);
        StringBuilder sql = new StringBuilder(f.sql());
        List<Object> params = new ArrayList<>(f.parameters());
        addContainment(filter, sql, params);
        return new SqlFragment(sql.toString(), params);
    }

    private static void addContainment(Filter filter, StringBuilder sql, List<Object> params) {
        if (filter instanceof Filter.And and) {
            for (Filter f : and.filters()) {
                addContainment(f, sql, params);
            }
        } else if (filter instanceof Filter.Compare c && c.op() == Filter.Op.EQ && !c.path().isRoot()
                && FIELDS.resolve(c.path()).isJson() && onlyItselfHasItsText(c.value())) {
            JsonNode wrapped = Json.of("value of " + c.path(), c.value());
            List<String> keys = c.path().keys();
            for (int i = keys.size() - 1; i >= 0; i--) {
                ObjectNode o = Json.object();
                o.set(keys.get(i), wrapped);
                wrapped = o;
            }
            sql.append(" AND ").append(FIELDS.resolve(c.path()).column()).append(" @> CAST(? AS jsonb)");
            params.add(Json.print(wrapped));
        }
    }

    /**
     * @return whether a JSON value equal to {@code value} is the only one an equality filter with it matches: numbers
     *         and booleans; text that is not the text of a number, boolean, object or array
     */
    private static boolean onlyItselfHasItsText(Object value) {
        if (value instanceof BigDecimal || value instanceof Boolean) {
            return true;
        }
        return value instanceof String s && !s.equals("true") && !s.equals("false")
                && (s.isEmpty() || "-0123456789{[".indexOf(s.charAt(0)) < 0);
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
