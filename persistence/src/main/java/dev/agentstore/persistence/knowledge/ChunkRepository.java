package dev.agentstore.persistence.knowledge;

import dev.agentstore.persistence.support.AbstractRepository;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.knowledge.Chunk;
import dev.agentstore.domain.knowledge.ChunkMatch;
import dev.agentstore.domain.knowledge.Embedder;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.persistence.query.FieldMap;
import dev.agentstore.persistence.query.Filter;
import dev.agentstore.persistence.query.ValueKind;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.SingleStatement;
import dev.agentstore.persistence.support.Sql;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import org.jdbi.v3.core.Handle;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
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
import java.util.stream.Collectors;

/**
 * Chunks of knowledge bases and their search:
 * batched upserts, reads, counts, content-hash lookups for incremental ingest, deletes that need a filter
 * ({@link #deleteAll} is separate and explicit, so a missing filter never empties a base),
 * and k-nearest-neighbour search through the base's own HNSW or IVFFlat index, with a score threshold, filters and
 * MMR reranking.
 *
 * <p><b>Search: one round trip.</b> A search sends the settings it needs ({@code hnsw.ef_search} and
 * {@code hnsw.iterative_scan = relaxed_order}, IVFFlat: {@code ivfflat.probes} and {@code ivfflat.iterative_scan},
 * all {@code SET LOCAL}: in force until the caller's transaction ends), the search statement and the restore of the
 * search statement's own settings as one prepared statement, which pgjdbc sends in one round trip with one Sync.
 * The search statement reads the nearest rows with exactly the base's partial index predicate and expression, so
 * PostgreSQL can use the index, applies the minimum score as a distance bound
 * ({@link dev.agentstore.domain.knowledge.Distance#maxDistance}), sorts strictly by distance and id, and keeps
 * {@code k}. (The statement and its settings are built, and explained, by {@code SearchStatement}.)
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
 * <p><b>SQL and values.</b> Every value (vectors, ids, filter values, limits, bounds) is a bound named parameter. The
 * base's name and dimension are part of the statement text, because PostgreSQL only matches a partial expression
 * index when the query spells out its predicate and type modifier; both come from the validated
 * {@link KnowledgeBase} row (see {@link KnowledgeRepository}). Vectors are written and searched as binary
 * {@code real[]} parameters cast to the base's type in SQL, and read as their text.
 *
 * <p><b>The base's definition comes from a cache.</b> The statement's text depends on the base's definition
 * (dimension, vector type, distance, index), which a search takes from a cache instead of reading the base first.
 * The search statement itself checks, in the same snapshot, that the base's row still has that definition, and reads
 * no chunk when it has not; the search then reads the definition again and runs once more (a deleted base:
 * {@link NotFoundException}). So the cache never changes a result; it saves a round trip.
 *
 * <p>Every method runs in the caller's transaction, with its statements run through {@link Sql} on the unit of
 * work's connection ({@link Chunk} is read-only to JPA); returned {@link Chunk}s are detached. Through the per-call
 * {@code store.chunks()}, the reads and searches run in autocommit mode ({@link SingleStatement}): a search from a
 * cached definition is one round trip, with no {@code BEGIN} and no {@code COMMIT}.
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
public class ChunkRepository extends AbstractRepository {

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

    /** Rows per upsert statement: 500 (11 parameters each). */
    public static final int UPSERT_BATCH_SIZE = 500;

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
    static final int DEFINITION_ATTEMPTS = 3;

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
        super(em, clock);
    }

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
        Sql.run(em, "upsert chunks into KnowledgeBase " + base, h -> {
            for (int from = 0; from < all.size(); from += UPSERT_BATCH_SIZE) {
                List<Chunk> batch = all.subList(from, Math.min(all.size(), from + UPSERT_BATCH_SIZE));
                ChunkSql.bindUpsert(h.createUpdate(ChunkSql.upsert(batch.size())), kb, batch, now).execute();
            }
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
        return withBase("delete chunks of KnowledgeBase " + base, base, (h, kb) -> ids.isEmpty() ? 0
                : h.createUpdate(ChunkSql.DELETE_IDS)
                        .bind("base", kb.name())
                        .bindArray("ids", String.class, ids)
                        .execute());
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
        return withBase("delete document " + documentId + " of KnowledgeBase " + base, base,
                (h, kb) -> h.createUpdate(ChunkSql.DELETE_DOCUMENT)
                        .bind("base", kb.name())
                        .bind("documentId", documentId)
                        .execute());
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
        ChunkFilters.Rendered f = ChunkFilters.render(filter);
        return Sql.call(em, "delete chunks of KnowledgeBase " + base + " where " + filter, h -> f.bind(
                        h.createUpdate(ChunkSql.DELETE_ALL + " AND (" + f.sql() + ")"))
                .bind("base", kb.name())
                .execute());
    }

    /**
     * Deletes every chunk of a base (the base and its index stay).
     *
     * @param base the knowledge base's name
     * @return how many chunks were deleted
     * @throws NotFoundException when the base does not exist
     */
    public int deleteAll(String base) {
        return withBase("delete all chunks of KnowledgeBase " + base, base,
                (h, kb) -> h.createUpdate(ChunkSql.DELETE_ALL).bind("base", kb.name()).execute());
    }

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
        return withBase("get Chunk " + base + "/" + id, base, (h, kb) -> h.createQuery(ChunkSql.GET)
                .bind("base", kb.name())
                .bind("id", id)
                .map(ChunkSql.row(kb))
                .findOne());
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
        return withBase("list chunks of document " + documentId + " of KnowledgeBase " + base, base,
                (h, kb) -> h.createQuery(ChunkSql.BY_DOCUMENT)
                        .bind("base", kb.name())
                        .bind("documentId", documentId)
                        .map(ChunkSql.row(kb))
                        .list());
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
        ChunkFilters.Rendered f = filter == null ? null : ChunkFilters.render(filter);
        return Sql.call(em, "count chunks of KnowledgeBase " + base + (filter == null ? "" : " where " + filter), h -> {
            var query = h.createQuery(f == null ? ChunkSql.COUNT : ChunkSql.COUNT + " AND (" + f.sql() + ")");
            return (f == null ? query : f.bind(query)).bind("base", kb.name()).mapTo(long.class).one();
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
        return withBase("look up content hashes in KnowledgeBase " + base, base, (h, kb) -> hashes.isEmpty()
                ? Set.<String>of()
                : h.createQuery(ChunkSql.EXISTING_HASHES)
                        .bind("base", kb.name())
                        .bindArray("hashes", String.class, new HashSet<>(hashes))
                        .mapTo(String.class)
                        .collect(Collectors.toCollection(HashSet::new)));
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
        return withBase("read content hashes of KnowledgeBase " + base, base, (h, kb) -> {
            Map<String, String> hashes = new HashMap<>();
            h.createQuery(ChunkSql.CONTENT_HASHES)
                    .bind("base", kb.name())
                    .map((rs, ctx) -> Map.entry(rs.getString("id"), rs.getString("content_hash")))
                    .forEach(e -> hashes.put(e.getKey(), e.getValue()));
            return hashes;
        });
    }

    /**
     * Searches by text: embeds {@code text} with {@code embedder} (unless a {@link SearchMode#TEXT} search without MMR
     * needs no vector), then as {@link #search(String, String, float[], SearchOptions)}.
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
        return ChunkSearch.search(em, base, text, embedder, options);
    }

    /**
     * Vector, full-text or hybrid search, by {@link SearchOptions#mode()} (see {@link SearchMode}): the vector list as
     * {@link #search(String, float[], SearchOptions)}; the text list from the chunks matching
     * {@code websearch_to_tsquery(<base's textConfig>, text)} (quoted phrases, {@code or}, {@code -word}; never a
     * syntax error; a text of stop words only matches nothing), ranked by {@code ts_rank_cd}; a hybrid search fuses
     * both lists (each {@code max(k, ef_search)} deep) by Reciprocal Rank Fusion in the same statement, one round trip.
     * The filter applies to both lists, the minimum score to the mode's score ({@link SearchOptions#withMinScore}).
     *
     * @param base    the knowledge base's name
     * @param text    the query text: needed by {@code TEXT} and {@code HYBRID} (at most 10,000 characters)
     * @param query   the query embedding: needed by {@code VECTOR}, {@code HYBRID}, and MMR
     * @param options k, mode, Reciprocal Rank Fusion's k and weights, minimum score, filter, MMR…
     * @return at most {@code k} matches, best first, ties by id (with MMR: in MMR's order), each with its rank in the
     *         list(s) it came from ({@link ChunkMatch#vectorRank()}, {@link ChunkMatch#textRank()})
     * @throws InvalidInputException        when what the mode needs is missing or invalid
     * @throws NotFoundException            when the base does not exist
     * @throws ConcurrencyConflictException when the base's definition kept changing (as for a vector search)
     */
    @SingleStatement
    public List<ChunkMatch> search(String base, String text, float[] query, SearchOptions options) {
        Check.notNull("options", options);
        return ChunkSearch.search(em, base, text, query, options);
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
        return ChunkSearch.search(em, base, query, options);
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
        return explainSearch(base, null, query, options, analyze);
    }

    /**
     * The plan of {@link #search(String, String, float[], SearchOptions)}'s statement (as the other explainSearch).
     *
     * @param base    the knowledge base's name
     * @param text    the query text, or {@code null}
     * @param query   the query embedding, or {@code null}
     * @param options as for a search
     * @param analyze whether to run the statement
     * @return the plan's lines
     * @throws InvalidInputException when an argument is invalid; {@link NotFoundException} when the base does not exist
     */
    @SingleStatement
    public List<String> explainSearch(String base, String text, float[] query, SearchOptions options,
                                      boolean analyze) {
        Check.notNull("options", options);
        return ChunkSearch.explain(em, base, text, query, options, analyze);
    }

    /**
     * @return the base, read now (one statement)
     * @throws InvalidInputException when the name is invalid
     * @throws NotFoundException     when the base does not exist
     */
    private KnowledgeBase base(String name) {
        return withBase("read KnowledgeBase " + name, name, (h, kb) -> kb);
    }

    /**
     * Runs {@code work} with the base read first, in the same call.
     *
     * @throws InvalidInputException when the name is invalid
     * @throws NotFoundException     when the base does not exist
     */
    private <T> T withBase(String context, String name, BaseWork<T> work) {
        KnowledgeBase.requireName(name);
        return Sql.call(em, context, h -> work.apply(h, KnowledgeBaseSql.get(h, name)));
    }

    /** Statements on the chunks of a base that exists. */
    @FunctionalInterface
    private interface BaseWork<T> {
        T apply(Handle handle, KnowledgeBase kb) throws SQLException;
    }
}
