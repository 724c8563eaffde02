package dev.agentstore.persistence.knowledge;

import dev.agentstore.domain.Check;
import com.pgvector.PGvector;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.knowledge.ChunkMatch;
import dev.agentstore.domain.knowledge.Embedder;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.persistence.knowledge.KnowledgeBaseCache.Definition;
import dev.agentstore.persistence.knowledge.SearchStatement.Mode;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.result.ResultIterable;
import org.jdbi.v3.core.statement.Query;

import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the searches of {@link ChunkRepository}: takes the base's definition from {@link KnowledgeBaseCache} (or reads
 * it), sends the {@link SearchStatement} through {@link Sql} in one round trip, falls back to an exact scan when the
 * index yielded too few rows, searches again when the definition turned out stale, and reranks with {@link Mmr}.
 * Stateless: every method takes the caller's entity manager.
 *
 * <p><b>Search: one round trip.</b> A search sends the settings it needs ({@code hnsw.ef_search} and
 * {@code hnsw.iterative_scan = relaxed_order}, IVFFlat: {@code ivfflat.probes} and {@code ivfflat.iterative_scan},
 * all {@code SET LOCAL}: in force until the caller's transaction ends), the search statement and the restore of the
 * search statement's own settings as one prepared statement, which pgjdbc sends in one round trip with one Sync.
 * The search statement reads the nearest rows with exactly the base's partial index predicate and expression, so
 * PostgreSQL can use the index, applies the minimum score as a distance bound
 * ({@code Distance.maxDistance}), sorts strictly by distance and id, and keeps
 * {@code k}. (The statement and its settings are built, and explained, by {@code SearchStatement}.)
 *
 * <p><b>Filtered search: exact when the filter is selective, the index when it is not.</b> Walking the HNSW graph for
 * a filter that few chunks pass visits about 1/selectivity tuples per result (20,000 vectors of 384 dimensions, a
 * 1% filter: about 20 ms per search, recall 0.91); ranking the 200 matching chunks exactly takes well under a
 * millisecond and has recall 1. So a filtered search of an indexed base first collects, in the same statement, up to
 * {@link ChunkRepository#EXACT_SEARCH_MATCHES} {@code + 1} chunks that pass the filter (at least {@code 4 × limit + 1}, limit being
 * k or MMR's candidates), with their distances, through whatever serves the filter best: the GIN indexes on
 * {@code payload} and {@code meta} for containment, which this repository adds to equalities on those paths (see
 * {@link ChunkRepository#FIELDS}), the document index for {@code documentId}. When no more chunks match than that, they are ranked
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
 * {@code k} chunks match. {@link ChunkRepository#explainSearch} shows the plan.
 *
 * <p><b>SQL and values.</b> Every value (vectors, ids, filter values, limits, bounds) is a bound named parameter. The
 * base's name and dimension are part of the statement text, because PostgreSQL only matches a partial expression
 * index when the query spells out its predicate and type modifier; both come from the validated
 * {@code KnowledgeBase} row (see {@code KnowledgeRepository}). Vectors are written and searched as binary
 * {@code real[]} parameters cast to the base's type in SQL, and read as their text.
 *
 * <p><b>The base's definition comes from a cache.</b> The statement's text depends on the base's definition
 * (dimension, vector type, distance, index), which a search takes from a cache instead of reading the base first.
 * The search statement itself checks, in the same snapshot, that the base's row still has that definition, and reads
 * no chunk when it has not; the search then reads the definition again and runs once more (a deleted base:
 * {@code NotFoundException}). So the cache never changes a result; it saves a round trip.
 */
final class ChunkSearch {

    private ChunkSearch() {
    }

    /**
     * @param em   the caller's entity manager
     * @param name the base's name
     * @return the base's definition for a search: cached (see {@link KnowledgeBaseCache}), or read now
     * @throws InvalidInputException when the name is invalid
     * @throws NotFoundException     when the base does not exist
     */
    static Definition definition(EntityManager em, String name) {
        KnowledgeBase.requireName(name);
        Definition d = KnowledgeBaseCache.get(em, name);
        return d != null ? d : load(em, name);
    }

    /**
     * @param em   the caller's entity manager
     * @param name the base's name
     * @return the base's definition, read now (one statement)
     * @throws NotFoundException when the base does not exist
     */
    static Definition load(EntityManager em, String name) {
        return Sql.call(em, "read KnowledgeBase " + name, h -> KnowledgeBaseCache.load(em, h, name));
    }

    /**
     * The search of {@link ChunkRepository#search(String, float[], SearchOptions)}.
     *
     * @param em      the caller's entity manager
     * @param base    the base's name
     * @param query   the query vector
     * @param options the options
     * @return the matches, best first (with MMR: in MMR's order)
     */
    static List<ChunkMatch> search(EntityManager em, String base, float[] query, SearchOptions options) {
        return search(em, base, null, query, options);
    }

    /**
     * The search of {@link ChunkRepository#search(String, String, Embedder, SearchOptions)}: checks the embedder's
     * dimension against the base's, embeds the text unless a text search without MMR needs no vector, and searches.
     *
     * @param em       the caller's entity manager
     * @param base     the base's name
     * @param text     the query text
     * @param embedder the embedder
     * @param options  the options
     * @return the matches
     * @throws InvalidInputException when the embedder's dimension is not the base's
     */
    static List<ChunkMatch> search(EntityManager em, String base, String text, Embedder embedder,
                                   SearchOptions options) {
        Check.notNull("text", text);
        Check.notNull("embedder", embedder);
        Check.notNull("options", options);
        Definition d = definition(em, base);
        if (embedder.dimension() != d.kb().dimension() && d.cached()) {
            d = load(em, base);
        }
        if (embedder.dimension() != d.kb().dimension()) {
            throw new InvalidInputException("embedder has dimension " + embedder.dimension() + " but knowledge base '"
                    + base + "' expects dimension " + d.kb().dimension());
        }
        boolean vector = options.mode() != SearchMode.TEXT || options.mmr();
        return search(em, base, text, vector ? embedder.embed(text) : null, options);
    }

    /**
     * The search of {@link ChunkRepository#search(String, String, float[], SearchOptions)}.
     *
     * @param em      the caller's entity manager
     * @param base    the base's name
     * @param text    the query text, or {@code null}
     * @param query   the query vector, or {@code null}
     * @param options the options
     * @return the matches, best first (with MMR: in MMR's order)
     */
    static List<ChunkMatch> search(EntityManager em, String base, String text, float[] query,
                                   SearchOptions options) {
        Definition d = definition(em, base);
        if (d.cached() && query != null && !accepts(d.kb(), query)) {
            d = load(em, base); // the base may have been re-created with another dimension or vector type
        }
        String context = "search KnowledgeBase " + base + (options.filter() == null ? "" : " where " + options.filter());
        for (int attempt = 1; ; attempt++) {
            SearchStatement search = SearchStatement.of(d, text, query, options);
            List<ChunkMatch> found = Sql.call(em, context, h -> {
                Result r = nearest(h, search, search.mode());
                if (r.valid() && !r.exact() && r.candidates() < search.vectorLimit()) {
                    // the index ran out (hnsw.max_scan_tuples, stale IVFFlat lists): scan exactly
                    r = nearest(h, search, Mode.EXACT);
                }
                return r.valid() ? r.matches() : null;
            });
            if (found != null) {
                if (!options.mmr()) {
                    return found;
                }
                List<ChunkMatch> reranked = Mmr.rerank(search.query(), found, options.k(), options.mmrLambda());
                return options.includeEmbeddings() ? reranked
                        : reranked.stream().map(ChunkSearch::withoutEmbedding).toList();
            }
            if (attempt == ChunkRepository.DEFINITION_ATTEMPTS) {
                throw new ConcurrencyConflictException("KnowledgeBase " + base + " changed during each of "
                        + ChunkRepository.DEFINITION_ATTEMPTS + " attempts to search it", null);
            }
            // the definition the statement was built from is no longer the base's: read it again (NotFoundException
            // when the base is gone) and search again
            d = load(em, base);
        }
    }

    /**
     * The plan of {@link ChunkRepository#explainSearch}.
     *
     * @param em      the caller's entity manager
     * @param base    the base's name
     * @param text    the query text, or {@code null}
     * @param query   the query vector, or {@code null}
     * @param options the options
     * @param analyze whether to run the statement ({@code EXPLAIN (ANALYZE, BUFFERS)})
     * @return the plan's lines
     */
    static List<String> explain(EntityManager em, String base, String text, float[] query, SearchOptions options,
                                boolean analyze) {
        KnowledgeBase.requireName(base);
        SearchStatement search = SearchStatement.of(load(em, base), text, query, options);
        String explain = analyze ? "EXPLAIN (ANALYZE, BUFFERS) " : "EXPLAIN ";
        return Sql.call(em, "explain search of KnowledgeBase " + base, h -> execute(h, search, search.mode(), explain,
                (rs, ctx) -> rs.getString("QUERY PLAN")));
    }

    /**
     * @param candidates how many rows the index yielded, or ranked exactly, before the distance bound
     * @param exact      whether they were ranked exactly (then nothing is missing)
     * @param valid      whether the base still has the definition the statement was built from; when not, the
     *                   statement read no chunk
     */
    private record Result(List<ChunkMatch> matches, long candidates, boolean exact, boolean valid) {
    }

    /** A row of the search statement: a match, or ({@code match == null}) the row that only reports the status. */
    private record Row(ChunkMatch match, long candidates, boolean exact, boolean valid) {
    }

    private static Result nearest(Handle handle, SearchStatement search, Mode mode) {
        List<Row> rows = execute(handle, search, mode, "", row(search.kb(), search.searchMode()));
        List<ChunkMatch> matches = new ArrayList<>(rows.size());
        Row status = new Row(null, 0, false, false);
        for (Row r : rows) {
            status = r;
            if (r.match() != null) {
                matches.add(r.match());
            }
        }
        return new Result(matches, status.candidates(), status.exact(), status.valid());
    }

    private static RowMapper<Row> row(KnowledgeBase kb, SearchMode searchMode) {
        return (rs, ctx) -> {
            ChunkMatch match = null;
            if (rs.getString("id") != null) {
                double distance = rs.getDouble("distance");
                String embedding = rs.getString("embedding_text");
                Long vectorRank = rs.getObject("vector_rank", Long.class);
                Long textRank = rs.getObject("text_rank", Long.class);
                match = new ChunkMatch(rs.getString("id"), rs.getString("document_id"), rs.getInt("ordinal"),
                        rs.getString("content"), rs.getString("content_hash"),
                        Json.parse("payload", rs.getString("payload_text")),
                        Json.parse("meta", rs.getString("meta_text")),
                        Sql.instant(rs, "created_at"),
                        searchMode == SearchMode.VECTOR ? kb.distance().score(distance) : rs.getDouble("score"),
                        distance, embedding == null ? null : new PGvector(embedding).toArray(),
                        vectorRank == null ? null : vectorRank.intValue(),
                        textRank == null ? null : textRank.intValue());
            }
            return new Row(match, rs.getLong("candidates"), rs.getBoolean("exact"), rs.getBoolean("valid"));
        };
    }

    /**
     * Sends the settings, {@code prefix} + the search statement, and the restore ({@link SearchStatement#sql}) as one
     * statement text: pgjdbc sends the three in one round trip with one Sync, and PostgreSQL plans each statement
     * when it comes to it, so the settings are in force for the search. Returns the second result's rows.
     */
    private static <T> List<T> execute(Handle handle, SearchStatement search, Mode mode, String prefix,
                                       RowMapper<T> mapper) {
        try (Query query = handle.createQuery(search.sql(mode, prefix))) {
            return search.bind(query, mode).execute((executed, ctx) -> {
                Statement statement = executed.get();
                statement.getMoreResults(); // past the settings' row
                ResultSet rows = statement.getResultSet();
                return ResultIterable.of(() -> rows, mapper, ctx).list();
            });
        }
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

    private static ChunkMatch withoutEmbedding(ChunkMatch m) {
        return new ChunkMatch(m.id(), m.documentId(), m.ordinal(), m.content(), m.contentHash(), m.payload(), m.meta(),
                m.createdAt(), m.score(), m.distance(), null, m.vectorRank(), m.textRank());
    }
}
