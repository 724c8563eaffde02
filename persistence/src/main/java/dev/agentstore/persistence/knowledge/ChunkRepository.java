package dev.agentstore.persistence.knowledge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.persistence.support.AbstractRepository;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.knowledge.Chunk;
import dev.agentstore.domain.knowledge.ChunkCursor;
import dev.agentstore.domain.knowledge.ChunkMatch;
import dev.agentstore.domain.knowledge.ChunkPage;
import dev.agentstore.domain.knowledge.Embedder;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.domain.knowledge.NewTextChunk;
import dev.agentstore.domain.knowledge.TextUpsert;
import dev.agentstore.persistence.query.FieldMap;
import dev.agentstore.persistence.query.Filter;
import dev.agentstore.persistence.query.ValueKind;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.ReadOnly;
import dev.agentstore.persistence.support.SingleStatement;
import dev.agentstore.persistence.support.Sql;
import jakarta.enterprise.context.ApplicationScoped;
import org.jdbi.v3.core.Handle;

import java.sql.SQLException;
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
 * Chunks of knowledge bases and their search: batched upserts (also embedding on write), reads, listings and counts
 * by filter, payload updates and deletes that need a filter ({@link #deleteAll} and {@link #updateAllPayloads} are
 * separate), content-hash lookups, and k-nearest-neighbour, full-text and hybrid search with filters and MMR.
 *
 * <p><b>Search.</b> One round trip: {@code SET LOCAL} of the index settings, the statement and their restore are one
 * prepared statement; the base's definition comes from a cache the statement itself checks. A filtered search ranks
 * exactly when at most {@link #EXACT_SEARCH_MATCHES} chunks match, else asks the index with the filter (an iterative
 * scan): it returns {@code k} results whenever {@code k} chunks match. Values are bound; the base's name and
 * dimension are in the text so that its partial index matches. {@link #explainSearch} shows the plan.
 *
 * <p>Runs in the caller's transaction through {@link Sql} ({@link Chunk} is read-only to JPA; returned chunks are
 * detached); per call ({@code store.chunks()}) reads and searches run in autocommit mode ({@link SingleStatement}),
 * on a read replica when one is configured ({@link ReadOnly}). Transactions: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
public class ChunkRepository extends AbstractRepository {

    /**
     * The paths filters may use (the shared query language, {@link Filter}): {@code payload.<key>…} and
     * {@code meta.<key>…} inside the JSONB objects, and the columns {@code documentId} (text), {@code id} (text),
     * {@code ordinal} (number) and {@code createdAt} (timestamp), for example
     * {@code Filter.and(Filter.eq("payload.lang", "en"), Filter.gte("meta.year", 2020))}. The GIN indexes
     * ({@code jsonb_path_ops}) on {@code payload} and {@code meta} serve containment ({@code Filter.contains}, which
     * also has planner statistics) and required equalities (alone or in an AND), which get the containment they imply
     * ({@code eq("payload.doc", 7)} adds {@code payload @> '{"doc":7}'}) for numbers, booleans and text no other JSON
     * value has as its text (not {@code "5"}, {@code "true"}); ranges, LIKE, and equalities under OR/NOT get none.
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
     * most {@code max(1,000, 4 × limit)} match (see the class comment; measured in {@code ChunkSearch}).
     */
    public static final int EXACT_SEARCH_MATCHES = 1_000;

    /** How often a search runs at most while its base's definition keeps changing (stale cache, then a race): 3. */
    static final int DEFINITION_ATTEMPTS = 3;

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
     * Embeds on write: embeds the content of new or changed chunks with {@link Embedder#embedAll} (at most
     * {@link Embedder#batchSize()} texts per call) and upserts them as {@link #upsert}. A chunk whose id already holds
     * the same content ({@link Chunk#contentHash(String)}) is not embedded again; its other fields are updated.
     * @param base     the knowledge base's name
     * @param texts    the chunks, each with a stable id
     * @param embedder the embedder; its dimension must be the base's
     * @return the ids in the order given, and how many chunks were embedded and how many were unchanged
     * @throws InvalidInputException when an argument is {@code null} or invalid, or the embedder does not fit the base;
     *                               {@link NotFoundException} when the base does not exist
     */
    public TextUpsert upsertTexts(String base, List<NewTextChunk> texts, Embedder embedder) {
        return ChunkWrites.upsertTexts(em, base, texts, embedder, rows -> upsert(base, rows));
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
        ChunkFilters.requireCondition(filter, "deleteByFilter", "deleteAll(base)");
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
     * Lists chunks without a query vector: those matching {@code filter}, newest first ({@code createdAt}, then
     * {@code id}, descending), after {@code after} (keyset paging: writes meanwhile make no page repeat or skip one).
     * @param base   the knowledge base's name
     * @param filter conditions on {@link #FIELDS}, or {@code null} for every chunk
     * @param after  the previous page's {@link ChunkPage#next()}, or {@code null} for the first page
     * @param limit  chunks per page, 1 to 1,000
     * @return the page with embeddings; its {@code next} is {@code null} when fewer than {@code limit} chunks came
     * @throws InvalidInputException when {@code limit} is out of range or the filter is invalid for {@link #FIELDS}
     * @throws NotFoundException     when the base does not exist
     */
    @SingleStatement
    @ReadOnly
    public ChunkPage list(String base, Filter filter, ChunkCursor after, int limit) {
        return ChunkListing.list(em, base, filter, after, limit);
    }

    /**
     * Applies a JSON Merge Patch (RFC 7386, as {@code Json.mergePatch}: {@code null} members delete keys) to the
     * payload of every chunk matching {@code filter}, in one statement. The filter is required:
     * {@link #updateAllPayloads} patches every chunk. A missing base: {@link NotFoundException}.
     * @param base   the knowledge base's name
     * @param filter the conditions on {@link #FIELDS}, not {@code null} and not the empty {@code Filter.all()}
     * @param patch  a JSON object
     * @return how many chunks were updated
     * @throws InvalidInputException when the filter is missing, empty or invalid, or {@code patch} is not an object
     */
    public int updatePayloads(String base, Filter filter, JsonNode patch) {
        ChunkFilters.requireCondition(filter, "updatePayloads", "updateAllPayloads(base, patch)");
        return ChunkListing.updatePayloads(em, base, filter, patch);
    }

    /**
     * As {@link #updatePayloads}, for every chunk of a base.
     *
     * @param base  the knowledge base's name
     * @param patch a JSON object
     * @return how many chunks were updated
     * @throws InvalidInputException when {@code patch} is not a JSON object; {@link NotFoundException}: no such base
     */
    public int updateAllPayloads(String base, JsonNode patch) {
        return ChunkListing.updatePayloads(em, base, null, patch);
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
     * Which of the given content hashes ({@link Chunk#contentHash(String)}) the base already holds.
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
     * The id and content hash of every chunk of a base, without contents or embeddings: an ingest tool with stable
     * ids compares them with its own ({@link Chunk#contentHash(String)}) to find chunks that are gone. One entry per
     * chunk: the map grows with the base.
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
    @ReadOnly
    public List<ChunkMatch> search(String base, String text, Embedder embedder, SearchOptions options) {
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
    @ReadOnly
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
    @ReadOnly
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

    /** @return the base, read now (one statement); InvalidInputException, NotFoundException */
    private KnowledgeBase base(String name) {
        return withBase("read KnowledgeBase " + name, name, (h, kb) -> kb);
    }

    /** Runs {@code work} with the base read first, in the same call (InvalidInputException, NotFoundException). */
    private <T> T withBase(String context, String name, BaseWork<T> work) {
        KnowledgeBase.requireName(name);
        return Sql.call(em, context, h -> work.apply(h, KnowledgeBaseSql.get(h, name)));
    }

    @FunctionalInterface
    private interface BaseWork<T> {
        T apply(Handle handle, KnowledgeBase kb) throws SQLException;
    }
}
