package dev.agentstore.langchain4j;

import dev.agentstore.domain.knowledge.ChunkMatch;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.domain.knowledge.VectorType;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.knowledge.SearchMode;
import dev.agentstore.persistence.knowledge.SearchOptions;
import dev.langchain4j.data.document.Metadata;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.store.embedding.EmbeddingMatch;
import dev.langchain4j.store.embedding.EmbeddingSearchRequest;
import dev.langchain4j.store.embedding.EmbeddingSearchResult;
import dev.langchain4j.store.embedding.EmbeddingStore;
import dev.langchain4j.store.embedding.filter.Filter;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/**
 * LangChain4j's {@link EmbeddingStore} over one agentstore knowledge base.
 *
 * <pre>{@code
 * EmbeddingStore<TextSegment> embeddings = AgentStoreEmbeddingStore.create(store, "docs", 384);   // once
 * EmbeddingStore<TextSegment> same = AgentStoreEmbeddingStore.of(store, "docs");               // later
 * embeddings.addAll(model.embedAll(segments).content(), segments);
 * List<EmbeddingMatch<TextSegment>> hits = embeddings.search(EmbeddingSearchRequest.builder()
 *         .queryEmbedding(model.embed("leave policy").content())
 *         .filter(metadataKey("lang").isEqualTo("en"))
 *         .maxResults(5).build()).matches();
 * }</pre>
 *
 * <p><b>Rows.</b> Each embedding is one chunk of the base: the chunk's id is the embedding's id (a random UUID unless
 * given), its document id the same id, ordinal 0, its content the segment's text ({@code ""} without a segment), its
 * {@code payload} the segment's metadata and its {@code meta} the metadata's types (see {@link MetadataJson}). Adding
 * an id that exists replaces that chunk (upsert). Chunks written by other tools are returned too: their content as
 * the segment's text and their payload's strings and numbers as metadata.
 *
 * <p><b>Scores.</b> The base must use {@link Distance#COSINE}. Scores follow LangChain4j's relevance convention,
 * {@code (1 + cosine similarity) / 2} from 0 to 1 (as {@code RelevanceScore.fromCosineSimilarity}, and as
 * LangChain4j's PgVector store returns), and a request's {@code minScore} is a relevance score, applied in SQL as the
 * equivalent cosine bound ({@code cosine ≥ 2 · minScore − 1}). Matches carry their stored embedding, in full precision
 * also for a base indexed as {@code halfvec} (whose distances, and so scores, are computed in half precision).
 *
 * <p><b>Search</b> is agentstore's ({@code ChunkRepository.search}), {@code maxResults} results whenever that many
 * chunks match, at most {@value SearchOptions#MAX_K}. By default an HNSW base is searched through its index with
 * {@code ef_search} {@value #DEFAULT_EF_SEARCH} (pgvector's largest, set per search with {@code SET LOCAL}), whatever
 * {@code maxResults}: on uniformly random vectors, the hardest case for the index, it gave recall@10 of about 0.96 at
 * 20,000 chunks of 384 dimensions (m 16, ef_construction 64), where {@code ef_search} 400 gave 0.80; clustered data
 * such as text embeddings reaches 1.0 at 40 (see {@code docs/langchain4j.md}). An IVFFlat base is searched with
 * agentstore's {@code √lists} probes, a base without index exactly. A filter is ranked exactly when at most
 * {@value dev.agentstore.persistence.knowledge.ChunkRepository#EXACT_SEARCH_MATCHES} chunks pass it, else with an
 * iterative index scan, so a filtered search still returns {@code maxResults} when that many match.
 * {@link #withEfSearch} and {@link #withProbes} trade recall for speed. Filters map onto agentstore's filter
 * language on {@code payload.<key>} with LangChain4j's semantics (see {@link FilterMapping}); every LangChain4j
 * filter class is supported, an unknown one fails with {@link UnsupportedOperationException}.
 *
 * <p><b>Hybrid search.</b> {@link #withSearchMode withSearchMode(SearchMode.HYBRID)} returns a store on the same base
 * whose searches also use the request's {@code query} text ({@code EmbeddingSearchRequest.query}, which LangChain4j's
 * {@code EmbeddingStoreContentRetriever} sets to the user's question): agentstore's hybrid search, the vector list
 * and the full-text list ({@code websearch_to_tsquery} under the base's text-search configuration, ranked by
 * {@code ts_rank_cd}) fused by Reciprocal Rank Fusion ({@code score = Σ 1 / (60 + rank)}), in one statement, with the
 * filter applied to both lists. The match's score and {@code minScore} are then that fused score, as in LangChain4j's
 * {@code PgVectorEmbeddingStore} in its {@code HYBRID} mode. {@code SearchMode.TEXT} ranks by the text alone
 * ({@code ts_rank_cd}). In these modes {@code ef_search} is agentstore's default, {@code max(40, maxResults)}, unless
 * set with {@link #withEfSearch}, so each list is {@code max(maxResults, ef_search)} deep, as in agentstore's own
 * hybrid search (measured on the PostgreSQL manual, {@code docs/knowledge.md}); {@value #DEFAULT_EF_SEARCH} would
 * make both lists 1,000 deep.
 *
 * <p><b>Transactions.</b> Each method is one unit of work (a search one statement in autocommit mode); in a Jakarta EE
 * container built on {@link JtaStoreAccess}, a method joins the caller's JTA transaction. Thread-safe.
 * Input errors surface as {@link IllegalArgumentException} (LangChain4j's checks) or agentstore's
 * {@link dev.agentstore.domain.InvalidInputException} (for example an embedding whose dimension is not the base's);
 * a missing base as {@link dev.agentstore.domain.NotFoundException}.
 */
public class AgentStoreEmbeddingStore implements EmbeddingStore<TextSegment> {

    /**
     * The default HNSW {@code ef_search} of a {@code VECTOR} search: {@value}, {@link SearchOptions#MAX_EF_SEARCH} (the
     * most pgvector allows), so that recall@10 reaches 0.95 also on data as hard for the index as uniformly random
     * vectors.
     */
    public static final int DEFAULT_EF_SEARCH = SearchOptions.MAX_EF_SEARCH;

    private final StoreAccess access;
    private final String base;
    private final Integer efSearch;
    private final Integer probes;
    private final SearchMode mode;

    /**
     * @param access how to reach the repositories
     * @param base   the knowledge base's name; it must exist and use {@link Distance#COSINE}
     * @throws IllegalArgumentException               when an argument is {@code null}, or the base does not use
     *                                                cosine distance
     * @throws dev.agentstore.domain.NotFoundException when the base does not exist
     */
    public AgentStoreEmbeddingStore(StoreAccess access, String base) {
        if (access == null || base == null) {
            throw new IllegalArgumentException((access == null ? "access" : "base") + " cannot be null");
        }
        KnowledgeBase kb = access.perCall().knowledge().get(base);
        if (kb.distance() != Distance.COSINE) {
            throw new IllegalArgumentException("knowledge base '" + base + "' uses " + kb.distance()
                    + " distance; LangChain4j's relevance scores need a base created with Distance.COSINE");
        }
        this.access = access;
        this.base = base;
        this.efSearch = null;
        this.probes = null;
        this.mode = SearchMode.VECTOR;
    }

    private AgentStoreEmbeddingStore(AgentStoreEmbeddingStore from, Integer efSearch, Integer probes,
                                     SearchMode mode) {
        this.access = from.access;
        this.base = from.base;
        this.efSearch = efSearch;
        this.probes = probes;
        this.mode = mode;
    }

    /**
     * Trades recall for search speed on an HNSW base (see {@code SearchOptions.withEfSearch}): on clustered data such
     * as text embeddings a far smaller {@code ef_search} than the default keeps recall high (measure it on yours).
     *
     * @param newEfSearch HNSW's {@code ef_search}, 1–{@value SearchOptions#MAX_EF_SEARCH}, or {@code null} for the
     *                    default: {@value #DEFAULT_EF_SEARCH} in {@code VECTOR} mode, {@code max(40, maxResults)} in
     *                    {@code HYBRID} and {@code TEXT} mode (there it also sets the lists' depth)
     * @return a store on the same base that searches with it
     * @throws dev.agentstore.domain.InvalidInputException when it is out of range
     */
    public AgentStoreEmbeddingStore withEfSearch(Integer newEfSearch) {
        SearchOptions.top(1).withEfSearch(newEfSearch); // validates
        return new AgentStoreEmbeddingStore(this, newEfSearch, probes, mode);
    }

    /**
     * Sets the recall and speed of an IVFFlat base's search (see {@code SearchOptions.withProbes}).
     *
     * @param newProbes IVFFlat's {@code probes}, 1–32,768, or {@code null} for the default, agentstore's
     *                  {@code √lists}
     * @return a store on the same base that searches with it
     * @throws dev.agentstore.domain.InvalidInputException when it is out of range
     */
    public AgentStoreEmbeddingStore withProbes(Integer newProbes) {
        SearchOptions.top(1).withProbes(newProbes); // validates
        return new AgentStoreEmbeddingStore(this, efSearch, newProbes, mode);
    }

    /**
     * Chooses how searches find and rank chunks (see the class comment, "Hybrid search").
     *
     * @param newMode {@link SearchMode#VECTOR} (the default: the query embedding only), {@link SearchMode#HYBRID}
     *                (the query embedding and the request's {@code query} text, fused by Reciprocal Rank Fusion) or
     *                {@link SearchMode#TEXT} (the {@code query} text only); {@code null} for the default
     * @return a store on the same base that searches in this mode
     */
    public AgentStoreEmbeddingStore withSearchMode(SearchMode newMode) {
        return new AgentStoreEmbeddingStore(this, efSearch, probes, newMode == null ? SearchMode.VECTOR : newMode);
    }

    /** @return how this store's searches find and rank chunks */
    public SearchMode searchMode() {
        return mode;
    }

    /**
     * Creates the knowledge base {@code base} as this adapter searches it best, in its own unit of work, and returns
     * a store on it: {@link Distance#COSINE}, an HNSW index ({@link IndexSpec#hnsw()}: m 16, ef_construction 64) on
     * {@code halfvec} ({@link VectorType#HALFVEC}). Embeddings are stored and returned in full precision (the column
     * is untyped {@code vector}); the index and the distances, so the scores, are half precision (about three
     * significant digits). The graph takes half the memory of a {@code vector} one and costs no more to maintain; on
     * 20,000 random vectors of 384 dimensions the default search was as fast as on a {@code vector} index, or up to
     * 1.6× faster on a busy machine, at the same recall (see {@code docs/langchain4j.md}). For a {@code vector}
     * index create the base with {@code KnowledgeRepository.create} and use {@link #of}.
     *
     * @param store     an open store
     * @param base      the new base's name (agentstore's knowledge-base name rules)
     * @param dimension the embedding model's dimension, 1–{@value VectorType#MAX_HALFVEC_INDEX_DIMENSION}
     * @return the embedding store on the new, empty base
     * @throws dev.agentstore.domain.DuplicateException    when a base of that name exists
     * @throws dev.agentstore.domain.InvalidInputException when the name or the dimension is invalid
     */
    public static AgentStoreEmbeddingStore create(AgentStore store, String base, int dimension) {
        store.inTransaction(uow -> uow.knowledge().create(base, dimension, Distance.COSINE, IndexSpec.hnsw(),
                VectorType.HALFVEC));
        return of(store, base);
    }

    /**
     * @param store an open store
     * @param base  the knowledge base's name; it must exist and use {@link Distance#COSINE}
     * @return the embedding store
     * @throws IllegalArgumentException               when the base does not use cosine distance
     * @throws dev.agentstore.domain.NotFoundException when the base does not exist
     */
    public static AgentStoreEmbeddingStore of(AgentStore store, String base) {
        return new AgentStoreEmbeddingStore(StoreAccess.of(store), base);
    }

    /** @return the knowledge base's name */
    public String knowledgeBase() {
        return base;
    }

    @Override
    public String add(Embedding embedding) {
        String id = UUID.randomUUID().toString();
        add(id, embedding);
        return id;
    }

    @Override
    public void add(String id, Embedding embedding) {
        addAll(List.of(id), List.of(notNull(embedding, "embedding")), null);
    }

    @Override
    public String add(Embedding embedding, TextSegment textSegment) {
        String id = UUID.randomUUID().toString();
        addAll(List.of(id), List.of(notNull(embedding, "embedding")), List.of(notNull(textSegment, "textSegment")));
        return id;
    }

    @Override
    public List<String> addAll(List<Embedding> embeddings) {
        List<String> ids = generateIds(notNull(embeddings, "embeddings").size());
        addAll(ids, embeddings, null);
        return ids;
    }

    /**
     * Upserts embeddings, in one unit of work (all or none).
     *
     * @param ids        the ids, one per embedding, 1–255 characters
     * @param embeddings the embeddings, of the base's dimension
     * @param embedded   the segments, one per embedding, or {@code null} (or empty) for none
     * @throws IllegalArgumentException when a list is {@code null} or the sizes differ
     */
    @Override
    public void addAll(List<String> ids, List<Embedding> embeddings, List<TextSegment> embedded) {
        notNull(ids, "ids");
        notNull(embeddings, "embeddings");
        boolean segments = embedded != null && !embedded.isEmpty();
        if (ids.size() != embeddings.size() || segments && embedded.size() != embeddings.size()) {
            throw new IllegalArgumentException("ids, embeddings and segments must have the same size, were "
                    + ids.size() + ", " + embeddings.size() + " and " + (embedded == null ? 0 : embedded.size()));
        }
        if (ids.isEmpty()) {
            return;
        }
        List<NewChunk> chunks = new ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            TextSegment segment = segments ? embedded.get(i) : null;
            Metadata metadata = segment == null ? null : segment.metadata();
            String id = ids.get(i);
            chunks.add(new NewChunk(id, id, 0, segment == null ? "" : segment.text(),
                    notNull(embeddings.get(i), "embeddings[" + i + "]").vector(),
                    metadata == null ? null : MetadataJson.payload(metadata), MetadataJson.meta(metadata)));
        }
        access.perCall().chunks().upsert(base, chunks);
    }

    @Override
    public void removeAll(Collection<String> ids) {
        if (ids == null || ids.isEmpty()) {
            return;
        }
        access.perCall().chunks().delete(base, ids);
    }

    @Override
    public void removeAll(Filter filter) {
        notNull(filter, "filter");
        access.perCall().chunks().deleteByFilter(base, FilterMapping.map(filter));
    }

    @Override
    public void removeAll() {
        access.perCall().chunks().deleteAll(base);
    }

    /**
     * @param request the query embedding, the {@code query} text (needed in {@code HYBRID} and {@code TEXT} mode,
     *                at most 10,000 characters; ignored in {@code VECTOR} mode), {@code maxResults}
     *                (1–{@value SearchOptions#MAX_K}), {@code minScore} (in {@code VECTOR} mode a relevance score,
     *                0–1; otherwise a bound on the mode's score) and an optional filter
     * @return the matches, best first (ties by id), each with its score (in {@code VECTOR} mode the relevance score;
     *         in {@code HYBRID} mode the fused Reciprocal Rank Fusion score; in {@code TEXT} mode the text rank),
     *         embedding and segment (or {@code null} when it was added without one)
     * @throws IllegalArgumentException      when the request has no {@code query} text in {@code HYBRID} or
     *                                       {@code TEXT} mode
     * @throws UnsupportedOperationException when the filter holds a filter class this store does not know
     */
    @Override
    public EmbeddingSearchResult<TextSegment> search(EmbeddingSearchRequest request) {
        notNull(request, "request");
        String text = request.query();
        if (mode != SearchMode.VECTOR && (text == null || text.isBlank())) {
            throw new IllegalArgumentException("query cannot be blank in " + mode + " search mode: set"
                    + " EmbeddingSearchRequest.query(text) (EmbeddingStoreContentRetriever sets it to the question)");
        }
        float[] vector = notNull(request.queryEmbedding(), "queryEmbedding").vector();
        Integer ef = efSearch == null && mode == SearchMode.VECTOR ? Integer.valueOf(DEFAULT_EF_SEARCH) : efSearch;
        SearchOptions options = SearchOptions.top(request.maxResults()).withEmbeddings().withMode(mode)
                .withEfSearch(ef).withProbes(probes);
        if (request.minScore() > 0) {
            options = options.withMinScore(mode == SearchMode.VECTOR ? 2 * request.minScore() - 1 : request.minScore());
        }
        if (request.filter() != null) {
            options = options.withFilter(FilterMapping.map(request.filter()));
        }
        List<ChunkMatch> found = mode == SearchMode.VECTOR
                ? access.perCall().chunks().search(base, vector, options)
                : access.perCall().chunks().search(base, text, vector, options);
        List<EmbeddingMatch<TextSegment>> matches = new ArrayList<>(found.size());
        for (ChunkMatch m : found) {
            TextSegment segment = MetadataJson.hasSegment(m.meta(), m.content())
                    ? TextSegment.from(m.content(), MetadataJson.metadata(m.payload(), m.meta()))
                    : null;
            double score = mode == SearchMode.VECTOR ? (1 + m.score()) / 2 : m.score();
            matches.add(new EmbeddingMatch<>(score, m.id(), Embedding.from(m.embedding()), segment));
        }
        return new EmbeddingSearchResult<>(matches);
    }

    private static <T> T notNull(T value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " cannot be null");
        }
        return value;
    }

    @Override
    public String toString() {
        return "AgentStoreEmbeddingStore[" + base + ", " + mode + "]";
    }
}
