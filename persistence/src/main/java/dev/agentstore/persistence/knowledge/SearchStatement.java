package dev.agentstore.persistence.knowledge;

import dev.agentstore.domain.InvalidInputException;
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
 * (embedding::vector(n)) <=> CAST(:query AS vector(n)) LIMIT :fetch} (the operator per metric:
 * {@code <=>} cosine, {@code <->} L2, {@code <#>} inner product), so PostgreSQL can use the index; the outer query
 * applies the minimum score as a distance bound ({@link dev.agentstore.domain.knowledge.Distance#maxDistance}),
 * sorts strictly by distance and id, keeps {@code k} (or MMR's candidates), and reads their columns by primary key.
 * How the nearest rows are found is the {@link Mode}.
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

    static final String RESTORE = """
            SELECT set_config('enable_sort', current_setting('agentstore.enable_sort'), true),
                   set_config('jit', current_setting('agentstore.jit'), true),
                   set_config('plan_cache_mode', current_setting('agentstore.plan_cache_mode'), true)""";

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
                            int probes, boolean exactSearch) {
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
        KnowledgeBase kb = d.kb();
        float[] q = kb.requireEmbedding("query vector", query).clone();
        int limit = options.candidates();
        Double bound = options.minScore() == null ? null : kb.distance().maxDistance(options.minScore());
        ChunkFilters.Rendered f = options.filter() == null ? null : ChunkFilters.render(options.filter());
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
        int matches = Math.max(ChunkRepository.EXACT_SEARCH_MATCHES, 4 * limit) + 1;
        return new SearchStatement(kb, d.text(), q, f, limit, fetch, matches, bound,
                options.includeEmbeddings() || options.mmr(), ef, probes, options.exactSearch());
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

    /** @return the query vector, validated (a copy of the caller's) */
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
        p.put("query", query);
        if (filter != null) {
            p.putAll(filter.parameters());
        }
        switch (mode) {
            case EXACT -> p.put("limit", limit);
            case INDEX -> p.put("fetch", fetch);
            default -> {
                p.put("matches", matches);
                p.put("limit", limit);
                p.put("fetch", fetch);
            }
        }
        if (bound != null) {
            p.put("bound", bound);
        }
        p.put("limit", limit);
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
        String distance = KnowledgeSql.embeddingExpression(kb) + " " + KnowledgeSql.operator(kb.distance()) + " "
                + KnowledgeSql.queryParameter(kb, "query");
        String scan = "SELECT id, " + distance + " AS distance FROM chunks WHERE " + KnowledgeSql.basePredicate(kb)
                + " AND (SELECT valid FROM base)" + (filter == null ? "" : " AND (" + filter.sql() + ")");
        String ranked = " ORDER BY distance, id LIMIT :limit";
        String head = "WITH base AS (" + KnowledgeBaseCache.VALID + "),\n     ";
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
        return head + "nearest AS MATERIALIZED (" + nearest + "),\n"
                + "     status AS (SELECT count(*) AS candidates, " + exact + " AS exact,"
                + " (SELECT valid FROM base) AS valid FROM nearest),\n"
                + "     best AS (SELECT * FROM nearest" + (bound != null ? " WHERE distance <= :bound" : "")
                + " ORDER BY distance, id LIMIT :limit)\n"
                + "SELECT " + SEARCH_COLUMNS + ", "
                + (withEmbeddings ? "CAST(c.embedding AS text)" : "CAST(NULL AS text)")
                + " AS embedding_text, b.distance, s.candidates, s.exact, s.valid\n"
                + "  FROM best b JOIN chunks c ON c.knowledge_base = " + KnowledgeSql.nameLiteral(kb) + " AND c.id = b.id"
                + " CROSS JOIN status s\n"
                + "UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, s.candidates, s.exact,"
                + " s.valid FROM status s\n"
                + "ORDER BY distance NULLS LAST, id";
    }
}
