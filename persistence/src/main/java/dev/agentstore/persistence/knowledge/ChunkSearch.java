package dev.agentstore.persistence.knowledge;

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
