package dev.agentstore.persistence.knowledge;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.knowledge.IndexType;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.persistence.knowledge.KnowledgeBaseCache.Definition;
import org.jdbi.v3.core.statement.SqlStatement;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The text and the parameters of one search of {@link ChunkRepository#search(String, float[], SearchOptions)}: built
 * from the base's definition and the options without a database, run by {@link ChunkSearch}. Immutable.
 *
 * <p><b>One round trip.</b> The text is three statements, which pgjdbc sends as one prepared statement in one round
 * trip, with one Sync: the settings ({@link #SETTINGS}, with the index's), the search, and the restore of three of
 * the settings ({@link #RESTORE}). All settings are {@code set_config(…, true)}, that is {@code SET LOCAL}:
 * {@code hnsw.ef_search} and {@code hnsw.iterative_scan = relaxed_order} (IVFFlat: {@code ivfflat.probes} and
 * {@code ivfflat.iterative_scan}) stay in force until the caller's transaction ends (through the per-call
 * {@code store.chunks()}, in autocommit mode, the three statements are one implicit transaction, so they end with
 * it), so that a filtered index scan keeps walking the graph until it has enough matching rows (pgvector 0.8)
 * instead of post-filtering too few rows or falling back to a sequential scan; {@code enable_sort = off},
 * {@code jit = off} and {@code plan_cache_mode = force_generic_plan} hold for the search statement only.
 *
 * <p><b>The search statement</b> reads the nearest rows in a materialised CTE with exactly the base's partial index
 * predicate and expression, {@code WHERE knowledge_base = '<base>' AND dimension = <n> [AND filter] ORDER BY
 * (embedding::vector(n)) <=> (SELECT CAST(:query AS vector(n))) LIMIT :fetch} (the operator per metric:
 * {@code <=>} cosine, {@code <->} L2, {@code <#>} inner product), so PostgreSQL can use the index; the outer query
 * applies the minimum score as a distance bound ({@link dev.agentstore.domain.knowledge.Distance#maxDistance}),
 * sorts strictly by distance and id, keeps {@code k} (or MMR's candidates), and reads their columns by primary key.
 * How the nearest rows are found is the {@link Mode}.
 *
 * <p><b>Text and hybrid searches</b> ({@link SearchMode}). A {@code TEXT} search has no vector part: CTE
 * {@code textual} holds the best {@code :limit} chunks whose {@code text_search} matches
 * {@code websearch_to_tsquery(:textConfig, :text)} (the GIN index), ranked by {@link #TEXT_RANK}. A {@code HYBRID}
 * search keeps the vector part as it is (its list {@code :depth} deep instead of {@code :limit}), adds
 * {@code textual} ({@code :depth} deep), and fuses the two ranked lists with a {@code FULL JOIN} into
 * {@code Σ weight / (:rrfK + rank)}; the minimum score is then a bound on the text rank or the fused score, not a
 * distance bound. Both lists have the same filter, and the same one-time filter on the base's definition.
 *
 * <p><b>SQL and values.</b> Every value (the query vector, the base's name and definition, the filter's values, the
 * limits, the bound, the index settings) is a named parameter. The base's name and dimension are part of the text,
 * because PostgreSQL only matches a partial expression index when the query spells out its predicate and type
 * modifier; both come from the validated {@link KnowledgeBase} ({@link KnowledgeSql}). The query vector is bound as
 * a binary {@code real[]} and cast to the base's type in SQL.
 */
final class SearchStatement {

    /** pgvector's default {@code hnsw.ef_search}: 40; searches use at least this. */
    static final int DEFAULT_EF_SEARCH = 40;

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
     * the order, and a filtered search branches on the count of matches at run time.
     */
    static final String SETTINGS = """
            SELECT set_config('agentstore.enable_sort', current_setting('enable_sort'), true),
                   set_config('agentstore.jit', current_setting('jit'), true),
                   set_config('agentstore.plan_cache_mode', current_setting('plan_cache_mode'), true),
                   set_config('enable_sort', 'off', true), set_config('jit', 'off', true),
                   set_config('plan_cache_mode', 'force_generic_plan', true)""";

    /** Appended to {@link #SETTINGS} for an HNSW base; they stay in force until the transaction ends. */
    static final String HNSW_SETTINGS = """
            ,
                   set_config('hnsw.ef_search', :efSearch, true), set_config('hnsw.iterative_scan', 'relaxed_order', true)""";

    /** Appended to {@link #SETTINGS} for an IVFFlat base; they stay in force until the transaction ends. */
    static final String IVFFLAT_SETTINGS = """
            ,
                   set_config('ivfflat.probes', :probes, true), set_config('ivfflat.iterative_scan', 'relaxed_order', true)""";

    /**
     * The text rank, {@code %s} being the {@code tsquery}: {@code ts_rank_cd} (cover density: how close together the
     * query's words occur) with normalisation 1 (divided by 1 + the logarithm of the chunk's length, so long chunks
     * do not win by length alone); measured against the alternatives on the demo: see {@code docs/knowledge.md}.
     */
    static final String TEXT_RANK = "ts_rank_cd(text_search, %s, 1)";

    static final String RESTORE = """
            SELECT set_config('enable_sort', current_setting('agentstore.enable_sort'), true),
                   set_config('jit', current_setting('agentstore.jit'), true),
                   set_config('plan_cache_mode', current_setting('agentstore.plan_cache_mode'), true)""";

    /**
     * The query text parsed once (an InitPlan): inline, the generic plan parsed it again for every row it ranked.
     */
    static final String TEXT_QUERY =
            "text_query AS (SELECT websearch_to_tsquery(CAST(:textConfig AS regconfig), :text) AS tsquery)";

    /** The columns of a search's result, from the chunks row {@code c}. */
    private static final String SEARCH_COLUMNS = """
            c.id, c.document_id, c.ordinal, c.content, c.content_hash, CAST(c.payload AS text) AS payload_text,
                   CAST(c.meta AS text) AS meta_text, c.created_at""";

    /**
     * How the nearest rows are found: {@code EXACT} ranks every row that passes the filter (a base without index, an
     * exact search, and the fallback when an index yielded too few rows); {@code INDEX} asks the base's index (no
     * filter); {@code FILTERED} decides in SQL between the two (see {@link ChunkRepository}'s class comment).
     */
    enum Mode {
        EXACT, INDEX, FILTERED
    }

    private final KnowledgeBase kb;
    private final String definition;
    private final float[] query;
    private final ChunkFilters.Rendered filter;
    private final int limit;
    private final int fetch;
    private final int matches;
    private final Double bound;
    private final boolean withEmbeddings;
    private final int efSearch;
    private final int probes;
    private final boolean exactSearch;
    private final Ranking ranking;

    /**
     * What a {@link SearchMode#TEXT} or {@link SearchMode#HYBRID} search adds to a vector search's values.
     *
     * @param mode         the search mode
     * @param text         the query text ({@code websearch_to_tsquery} syntax), or {@code null} for a vector search
     * @param depth        how many rows each candidate list holds: the rows wanted for a text search,
     *                     {@code max(limit, ef_search)} (IVFFlat: {@code max(limit, 40)}) per list for a hybrid one
     * @param minScore     the threshold on the text rank or the fused score, or {@code null}
     * @param rrfK         Reciprocal Rank Fusion's k
     * @param vectorWeight the vector list's weight
     * @param textWeight   the text list's weight
     */
    record Ranking(SearchMode mode, String text, int depth, Double minScore, int rrfK, double vectorWeight,
                   double textWeight) {
    }

    /**
     * @param limit   the rows wanted: k, or MMR's candidates
     * @param fetch   the rows the index is asked for: {@code limit} without a filter (the index returns its best
     *                candidates in exact distance order: the same k as fetching {@code ef_search} rows and sorting
     *                them), with a filter {@code max(limit, ef_search)} (IVFFlat: {@code max(limit, 40)}) matching
     *                rows, sorted exactly: a filter skips most of a candidate list's best rows, and the rest, from its
     *                less accurate tail and later iterations, come in relaxed order (on clustered test data, asking
     *                for {@code 2 × limit} rows gave recall 0.95, {@code ef_search} rows 0.96–0.99)
     * @param matches {@code FILTERED}: how many matching rows the exact branch collects at most, plus one
     */
    private SearchStatement(KnowledgeBase kb, String definition, float[] query, ChunkFilters.Rendered filter,
                            int limit, int fetch, int matches, Double bound, boolean withEmbeddings, int efSearch,
                            int probes, boolean exactSearch, Ranking ranking) {
        this.ranking = ranking;
        this.kb = kb;
        this.definition = definition;
        this.query = query;
        this.filter = filter;
        this.limit = limit;
        this.fetch = fetch;
        this.matches = matches;
        this.bound = bound;
        this.withEmbeddings = withEmbeddings;
        this.efSearch = efSearch;
        this.probes = probes;
        this.exactSearch = exactSearch;
    }

    /**
     * @param d       the base's definition
     * @param query   the query vector
     * @param options the search's options
     * @return the statement for these
     * @throws InvalidInputException when the query vector does not fit the base, or the filter is invalid for
     *                               {@link ChunkRepository#FIELDS}
     */
    static SearchStatement of(Definition d, float[] query, SearchOptions options) {
        return of(d, null, query, options);
    }

    /**
     * @param d       the base's definition
     * @param text    the query text: needed by {@link SearchMode#TEXT} and {@link SearchMode#HYBRID}, ignored by
     *                {@link SearchMode#VECTOR}
     * @param query   the query vector: needed by {@code VECTOR} and {@code HYBRID}; optional for {@code TEXT} (then the
     *                results carry their distance to it, and MMR can rerank)
     * @param options the search's options
     * @return the statement for these
     * @throws InvalidInputException when what the mode needs is missing, the text is blank or longer than
     *                               {@value SearchOptions#MAX_TEXT_LENGTH} characters, the query vector does not fit
     *                               the base, or the filter is invalid for {@link ChunkRepository#FIELDS}
     */
    static SearchStatement of(Definition d, String text, float[] query, SearchOptions options) {
        KnowledgeBase kb = d.kb();
        SearchMode searchMode = options.mode();
        if (searchMode != SearchMode.VECTOR) {
            if (text == null || text.isBlank()) {
                throw new InvalidInputException("query text is required by a " + searchMode + " search, was "
                        + (text == null ? "null" : "blank"));
            }
            if (text.length() > SearchOptions.MAX_TEXT_LENGTH) {
                throw new InvalidInputException("query text must have at most " + SearchOptions.MAX_TEXT_LENGTH
                        + " characters, had " + text.length());
            }
            if (text.indexOf('\0') >= 0) {
                throw new InvalidInputException("query text must not contain the character U+0000");
            }
        }
        if (searchMode == SearchMode.TEXT && query == null && options.mmr()) {
            throw new InvalidInputException("query vector is required by MMR, also in a TEXT search");
        }
        float[] q = searchMode == SearchMode.TEXT && query == null ? null
                : kb.requireEmbedding("query vector", query).clone();
        int limit = options.candidates();
        Double bound = options.minScore() == null || searchMode != SearchMode.VECTOR ? null
                : kb.distance().maxDistance(options.minScore());
        ChunkFilters.Rendered f = options.filter() == null ? null : ChunkFilters.render(options.filter());
        int ef = options.efSearch() != null ? options.efSearch()
                : Math.min(SearchOptions.MAX_EF_SEARCH, Math.max(DEFAULT_EF_SEARCH, limit));
        int probes = 0;
        int depth = switch (searchMode) {
            case VECTOR, TEXT -> limit;
            case HYBRID -> Math.max(limit, kb.index().type() == IndexType.HNSW ? ef : DEFAULT_EF_SEARCH);
        };
        int fetch = depth;
        switch (kb.index().type()) {
            case HNSW -> fetch = f == null ? depth : Math.max(depth, ef);
            case IVFFLAT -> {
                probes = options.probes() != null ? Math.min(options.probes(), kb.index().lists())
                        : Math.max(1, (int) Math.round(Math.sqrt(kb.index().lists())));
                fetch = f == null ? depth : Math.max(depth, DEFAULT_EF_SEARCH);
            }
            default -> {
            }
        }
        int matches = Math.max(ChunkRepository.EXACT_SEARCH_MATCHES, 4 * depth) + 1;
        Ranking ranking = new Ranking(searchMode, searchMode == SearchMode.VECTOR ? null : text, depth,
                searchMode == SearchMode.VECTOR ? null : options.minScore(), options.rrfK(), options.vectorWeight(),
                options.textWeight());
        return new SearchStatement(kb, d.text(), q, f, limit, fetch, matches, bound,
                options.includeEmbeddings() || options.mmr(), ef, probes, options.exactSearch(), ranking);
    }

    /** @return the search mode */
    SearchMode searchMode() {
        return ranking.mode();
    }

    /**
     * @return how many rows the vector candidate list should hold: the rows wanted ({@code VECTOR}), the list depth
     *         ({@code HYBRID}); {@code 0} for {@code TEXT}, which has none (so it never falls back)
     */
    int vectorLimit() {
        return switch (ranking.mode()) {
            case VECTOR -> limit;
            case HYBRID -> ranking.depth();
            case TEXT -> 0;
        };
    }

    /** @return how this search finds its nearest rows first */
    Mode mode() {
        if (!kb.index().indexed() || exactSearch) {
            return Mode.EXACT;
        }
        return filter == null ? Mode.INDEX : Mode.FILTERED;
    }

    /** @return the base searched */
    KnowledgeBase kb() {
        return kb;
    }

    /** @return the query vector, validated (a copy of the caller's), or {@code null} for a text search without one */
    float[] query() {
        return query;
    }

    /** @return the rows wanted: k, or MMR's candidates */
    int limit() {
        return limit;
    }

    /** @return whether the rows carry their embeddings (asked for, or needed by MMR) */
    boolean withEmbeddings() {
        return withEmbeddings;
    }

    /**
     * @param mode   how to find the nearest rows
     * @param prefix put before the search statement, for example {@code "EXPLAIN "}; empty for none
     * @return the settings, the search statement and the restore, separated by {@code ;}
     */
    String sql(Mode mode, String prefix) {
        String settings = switch (kb.index().type()) {
            case HNSW -> SETTINGS + HNSW_SETTINGS;
            case IVFFLAT -> SETTINGS + IVFFLAT_SETTINGS;
            default -> SETTINGS;
        };
        return settings + ";\n" + prefix + search(mode) + ";\n" + RESTORE;
    }

    /**
     * @param mode how to find the nearest rows
     * @return every parameter of {@link #sql(Mode, String)}: name (without the colon) → value, in the order they
     *         first occur; the query vector as {@code float[]}, the index setting as text; unmodifiable
     */
    Map<String, Object> parameters(Mode mode) {
        Map<String, Object> p = new LinkedHashMap<>();
        switch (kb.index().type()) {
            case HNSW -> p.put("efSearch", Integer.toString(efSearch));
            case IVFFLAT -> p.put("probes", Integer.toString(probes));
            default -> {
            }
        }
        p.put("base", kb.name());
        p.put("definition", definition);
        SearchMode searchMode = ranking.mode();
        String vectorLimit = searchMode == SearchMode.VECTOR ? "limit" : "depth";
        if (searchMode != SearchMode.TEXT) {
            p.put("query", query);
            if (filter != null) {
                p.putAll(filter.parameters());
            }
            switch (mode) {
                case EXACT -> p.put(vectorLimit, vectorLimit());
                case INDEX -> p.put("fetch", fetch);
                default -> {
                    p.put("matches", matches);
                    p.put(vectorLimit, vectorLimit());
                    p.put("fetch", fetch);
                }
            }
        }
        if (searchMode != SearchMode.VECTOR) {
            p.put("textConfig", kb.textConfig());
            p.put("text", ranking.text());
            if (filter != null) {
                p.putAll(filter.parameters());
            }
            p.put(searchMode == SearchMode.TEXT ? "limit" : "depth", ranking.depth());
        }
        if (searchMode == SearchMode.HYBRID) {
            p.put("vectorWeight", ranking.vectorWeight());
            p.put("rrfK", ranking.rrfK());
            p.put("textWeight", ranking.textWeight());
        }
        if (bound != null) {
            p.put("bound", bound);
        }
        if (ranking.minScore() != null) {
            p.put("minScore", ranking.minScore());
        }
        p.put("limit", limit);
        if (searchMode == SearchMode.TEXT && query != null) {
            p.put("query", query);
        }
        return Collections.unmodifiableMap(p);
    }

    /**
     * Binds {@link #parameters(Mode)} to {@code statement}, the query vector as a binary {@code real[]}.
     *
     * @param statement a statement made from {@link #sql(Mode, String)} with the same mode
     * @param mode      how to find the nearest rows
     * @param <S>       the statement type
     * @return {@code statement}
     */
    <S extends SqlStatement<S>> S bind(S statement, Mode mode) {
        parameters(mode).forEach((name, value) -> {
            if (value instanceof float[] vector) {
                statement.bind(name, ChunkSql.realArray(vector));
            } else {
                statement.bind(name, value);
            }
        });
        return statement;
    }

    /**
     * The search statement. First CTE {@code base} checks that the base still has the definition the statement was
     * built from ({@link KnowledgeBaseCache#VALID}); every scan of chunks sits behind a one-time filter on it, so a
     * stale definition reads no chunk. Then the nearest rows as (id, distance) in a materialised CTE {@code nearest}:
     * <ul>
     * <li>{@code INDEX}: ordered by the base's index expression, so that its index serves them;</li>
     * <li>{@code EXACT}: every row that passes the filter, ranked outside an {@code OFFSET 0} subquery (which no
     *     index can serve);</li>
     * <li>{@code FILTERED}: CTE {@code matching} collects up to {@code :matches} rows that pass the filter, with their
     *     distance, through whatever serves the filter best (a GIN index for containment); if fewer than that
     *     match, they are ranked exactly, else the index is asked, with the filter. Each branch sits behind a
     *     one-time filter on {@code matching}'s count, so only one of them runs.</li>
     * </ul>
     * Then the distance bound, a strict re-sort by distance and id, the {@code :limit}, and the chunks' columns by
     * primary key. A UNION ALL row with a null id reports how many rows {@code nearest} holds, whether they were
     * ranked exactly, and whether the definition was valid, even when the bound removes all of them.
     */
    private String search(Mode mode) {
        SearchMode searchMode = ranking.mode();
        String head = "WITH base AS (" + KnowledgeBaseCache.VALID + "),\n     ";
        String status;
        String best;
        if (searchMode == SearchMode.TEXT) {
            head += TEXT_QUERY + ",\n     textual AS MATERIALIZED (" + textScan() + "),\n     ";
            status = "SELECT count(*) AS candidates, true AS exact, (SELECT valid FROM base) AS valid FROM textual";
            best = "SELECT id, CAST(NULL AS float8) AS distance, text_score AS score, CAST(NULL AS bigint) AS vector_rank,"
                    + " row_number() OVER (ORDER BY text_score DESC, id) AS text_rank FROM textual"
                    + (ranking.minScore() != null ? " WHERE text_score >= :minScore" : "")
                    + " ORDER BY score DESC, id LIMIT :limit";
        } else {
            String vectorLimit = searchMode == SearchMode.VECTOR ? ":limit" : ":depth";
            String distance = KnowledgeSql.embeddingExpression(kb) + " " + KnowledgeSql.operator(kb.distance()) + " "
                    + KnowledgeSql.queryVector(kb, "query");
            String scan = "SELECT id, " + distance + " AS distance FROM chunks WHERE " + KnowledgeSql.basePredicate(kb)
                    + " AND (SELECT valid FROM base)" + (filter == null ? "" : " AND (" + filter.sql() + ")");
            String ranked = " ORDER BY distance, id LIMIT " + vectorLimit;
            String nearest;
            String exact;
            switch (mode) {
                case EXACT -> {
                    nearest = "SELECT * FROM (" + scan + " OFFSET 0) AS s" + ranked;
                    exact = "true";
                }
                case INDEX -> {
                    nearest = scan + " ORDER BY distance LIMIT :fetch";
                    exact = "false";
                }
                default -> {
                    head += "matching AS MATERIALIZED (" + scan + " LIMIT :matches),\n"
                            + "     few AS (SELECT count(*) < :matches AS exact FROM matching),\n     ";
                    nearest = "(SELECT id, distance FROM matching WHERE (SELECT exact FROM few)" + ranked + ")\n"
                            + "         UNION ALL\n"
                            + "         (" + scan + " AND NOT (SELECT exact FROM few) ORDER BY distance LIMIT :fetch)";
                    exact = "(SELECT exact FROM few)";
                }
            }
            head += "nearest AS MATERIALIZED (" + nearest + "),\n     ";
            status = "SELECT count(*) AS candidates, " + exact + " AS exact, (SELECT valid FROM base) AS valid"
                    + " FROM nearest";
            if (searchMode == SearchMode.VECTOR) {
                best = "SELECT id, distance, CAST(NULL AS float8) AS score,"
                        + " row_number() OVER (ORDER BY distance, id) AS vector_rank, CAST(NULL AS bigint) AS text_rank"
                        + " FROM nearest" + (bound != null ? " WHERE distance <= :bound" : "")
                        + " ORDER BY distance, id LIMIT :limit";
            } else {
                head += TEXT_QUERY + ",\n     textual AS MATERIALIZED (" + textScan() + "),\n"
                        + "     fused AS (SELECT coalesce(v.id, t.id) AS id, v.distance,"
                        + " coalesce(CAST(:vectorWeight AS float8) / (:rrfK + v.vector_rank), 0)"
                        + " + coalesce(CAST(:textWeight AS float8) / (:rrfK + t.text_rank), 0) AS score,"
                        + " v.vector_rank, t.text_rank\n"
                        + "         FROM (SELECT id, distance, row_number() OVER (ORDER BY distance, id) AS vector_rank"
                        + " FROM nearest ORDER BY distance, id LIMIT :depth) AS v\n"
                        + "         FULL JOIN (SELECT id, row_number() OVER (ORDER BY text_score DESC, id) AS text_rank"
                        + " FROM textual) AS t ON t.id = v.id),\n     ";
                best = "SELECT * FROM fused" + (ranking.minScore() != null ? " WHERE score >= :minScore" : "")
                        + " ORDER BY score DESC, id LIMIT :limit";
            }
        }
        String distanceOut = switch (searchMode) {
            case VECTOR -> "b.distance";
            case HYBRID -> "coalesce(b.distance, " + finalDistance() + ")";
            case TEXT -> query == null ? "CAST('NaN' AS float8)" : finalDistance();
        };
        String order = searchMode == SearchMode.VECTOR ? "distance NULLS LAST, id" : "score DESC NULLS LAST, id";
        return head + "status AS (" + status + "),\n"
                + "     best AS (" + best + ")\n"
                + "SELECT " + SEARCH_COLUMNS + ", "
                + (withEmbeddings ? "CAST(c.embedding AS text)" : "CAST(NULL AS text)")
                + " AS embedding_text, " + distanceOut + " AS distance, b.score, b.vector_rank, b.text_rank,"
                + " s.candidates, s.exact, s.valid\n"
                + "  FROM best b JOIN chunks c ON c.knowledge_base = " + KnowledgeSql.nameLiteral(kb) + " AND c.id = b.id"
                + " CROSS JOIN status s\n"
                + "UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
                + " s.candidates, s.exact, s.valid FROM status s\n"
                + "ORDER BY " + order;
    }

    /**
     * The full-text candidates: the base's chunks that pass the filter and match the query ({@link #TEXT_QUERY}; the
     * GIN index on {@code text_search}), ranked by {@link #TEXT_RANK}, best {@code depth} (text: {@code :limit}).
     */
    private String textScan() {
        String tsquery = "(SELECT tsquery FROM text_query)";
        return "SELECT id, " + TEXT_RANK.formatted(tsquery) + " AS text_score FROM chunks WHERE "
                + KnowledgeSql.basePredicate(kb) + " AND (SELECT valid FROM base) AND text_search @@ " + tsquery
                + (filter == null ? "" : " AND (" + filter.sql() + ")")
                + " ORDER BY text_score DESC, id LIMIT " + (ranking.mode() == SearchMode.TEXT ? ":limit" : ":depth");
    }

    /** The distance of a result row {@code c} to the query vector, for rows not in the vector list. */
    private String finalDistance() {
        return "(c.embedding::" + KnowledgeSql.embeddingExpression(kb).substring("(embedding::".length()) + " "
                + KnowledgeSql.operator(kb.distance()) + " " + KnowledgeSql.queryVector(kb, "query");
    }
}
