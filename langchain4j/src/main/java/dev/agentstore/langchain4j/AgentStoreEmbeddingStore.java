package dev.agentstore.langchain4j;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.knowledge.ChunkMatch;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.persistence.AgentStore;
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
 * store.knowledge().create("docs", 384, Distance.COSINE, IndexSpec.hnsw());   // once
 * EmbeddingStore<TextSegment> embeddings = AgentStoreEmbeddingStore.of(store, "docs");
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
 * equivalent cosine bound ({@code cosine ≥ 2 · minScore − 1}). Matches carry their stored embedding (exact for a
 * {@code vector} base, rounded to half precision for a {@code halfvec} one).
 *
 * <p><b>Search</b> is agentstore's ({@code ChunkRepository.search}), {@code maxResults} results whenever that many
 * chunks match, at most {@value SearchOptions#MAX_K}. By default it aims at the exact top {@code maxResults}:
 * <ul>
 * <li>a base with fewer than {@link #exactBelow()} chunks ({@link #DEFAULT_EXACT_COMPONENTS}, 10,000,000 vector
 *     components, divided by the dimension: 26,041 chunks of 384 dimensions, 6,510 of 1,536) is searched exactly
 *     ({@code SearchOptions.withExactSearch}: every chunk that passes the filter ranked by its true distance, never
 *     through the HNSW or IVFFlat index; recall 1.0). Its cost grows with the base (see {@code docs/langchain4j.md}
 *     for measurements). The size comes from a bounded count ({@code ChunkRepository.countAtMost}), cached for 10
 *     seconds and kept an upper bound by this store's own writes;</li>
 * <li>a larger base is searched with its index: HNSW with {@code ef_search} {@value #EF_SEARCH_PER_RESULT}
 *     {@code × maxResults} (at least 40, at most {@value SearchOptions#MAX_EF_SEARCH}), IVFFlat with agentstore's
 *     {@code √lists} probes; with iterative index scans, and exact ranking when at most
 *     {@value dev.agentstore.persistence.knowledge.ChunkRepository#EXACT_SEARCH_MATCHES} chunks pass the filter, so
 *     a filtered search still returns {@code maxResults}. Its recall then depends on the data: clustered data such as
 *     text embeddings needs a far smaller {@code ef_search} for a given recall than uniformly random vectors.</li>
 * </ul>
 * {@link #withEfSearch} and {@link #withProbes} search with the index at any size, trading recall for speed;
 * {@link #withExactBelow} moves the threshold (0: never exact). Filters map onto agentstore's filter language on
 * {@code payload.<key>} with LangChain4j's semantics (see {@link FilterMapping}); every LangChain4j filter class is
 * supported, an unknown one fails with {@link UnsupportedOperationException}.
 *
 * <p><b>Transactions.</b> Each method is one unit of work (a search one statement in autocommit mode); in a Jakarta EE
 * container built on {@link JtaStoreAccess}, a method joins the caller's JTA transaction. Thread-safe.
 * Input errors surface as {@link IllegalArgumentException} (LangChain4j's checks) or agentstore's
 * {@link dev.agentstore.domain.InvalidInputException} (for example an embedding whose dimension is not the base's);
 * a missing base as {@link dev.agentstore.domain.NotFoundException}.
 */
public class AgentStoreEmbeddingStore implements EmbeddingStore<TextSegment> {

    /**
     * Vector components ({@code chunks × dimension}) below which a base is searched exactly by default: 10,000,000,
     * 40 MB of {@code real}s; about 26,000 chunks of 384 dimensions.
     */
    public static final long DEFAULT_EXACT_COMPONENTS = 10_000_000L;

    /** The default HNSW {@code ef_search} per result wanted: 10 (so 100 for a top 10). */
    public static final int EF_SEARCH_PER_RESULT = 10;

    private final StoreAccess access;
    private final String base;
    private final Integer efSearch;
    private final Integer probes;
    private final long exactBelow;
    private final BaseSize size;

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
        this.exactBelow = DEFAULT_EXACT_COMPONENTS / kb.dimension();
        this.size = new BaseSize();
    }

    private AgentStoreEmbeddingStore(AgentStoreEmbeddingStore from, Integer efSearch, Integer probes,
                                     long exactBelow) {
        this.access = from.access;
        this.base = from.base;
        this.efSearch = efSearch;
        this.probes = probes;
        this.exactBelow = exactBelow;
        this.size = from.size;
    }

    /**
     * Trades recall for search speed on an HNSW base (see {@code SearchOptions.withEfSearch}): with a value, every
     * search uses the index with it, whatever the base's size.
     *
     * @param newEfSearch HNSW's {@code ef_search}, 1–{@value SearchOptions#MAX_EF_SEARCH}, or {@code null} for the
     *                    default (exact below {@link #exactBelow()} chunks, else {@value #EF_SEARCH_PER_RESULT}
     *                    {@code × maxResults}, 40–{@value SearchOptions#MAX_EF_SEARCH})
     * @return a store on the same base that searches with it
     * @throws dev.agentstore.domain.InvalidInputException when it is out of range
     */
    public AgentStoreEmbeddingStore withEfSearch(Integer newEfSearch) {
        SearchOptions.top(1).withEfSearch(newEfSearch); // validates
        return new AgentStoreEmbeddingStore(this, newEfSearch, probes, exactBelow);
    }

    /**
     * Trades recall for search speed on an IVFFlat base (see {@code SearchOptions.withProbes}): with a value, every
     * search uses the index with it, whatever the base's size.
     *
     * @param newProbes IVFFlat's {@code probes}, 1–32,768, or {@code null} for the default (exact below
     *                  {@link #exactBelow()} chunks, else agentstore's {@code √lists})
     * @return a store on the same base that searches with it
     * @throws dev.agentstore.domain.InvalidInputException when it is out of range
     */
    public AgentStoreEmbeddingStore withProbes(Integer newProbes) {
        SearchOptions.top(1).withProbes(newProbes); // validates
        return new AgentStoreEmbeddingStore(this, efSearch, newProbes, exactBelow);
    }

    /**
     * Moves the size below which a search without {@link #withEfSearch}/{@link #withProbes} ranks every chunk
     * exactly instead of asking the index.
     *
     * @param chunks the threshold in chunks, ≥ 0; 0 never searches exactly
     * @return a store on the same base that uses it
     * @throws dev.agentstore.domain.InvalidInputException when it is negative
     */
    public AgentStoreEmbeddingStore withExactBelow(long chunks) {
        if (chunks < 0) {
            throw new InvalidInputException("exactBelow must be at least 0, was " + chunks);
        }
        return new AgentStoreEmbeddingStore(this, efSearch, probes, chunks);
    }

    /**
     * @return the size in chunks below which a default search is exact: {@link #DEFAULT_EXACT_COMPONENTS} divided by
     *         the base's dimension unless {@link #withExactBelow} changed it
     */
    public long exactBelow() {
        return exactBelow;
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
        size.added(chunks.size());
    }

    @Override
    public void removeAll(Collection<String> ids) {
        if (ids == null || ids.isEmpty()) {
            return;
        }
        access.perCall().chunks().delete(base, ids);
        size.forget();
    }

    @Override
    public void removeAll(Filter filter) {
        notNull(filter, "filter");
        access.perCall().chunks().deleteByFilter(base, FilterMapping.map(filter));
        size.forget();
    }

    @Override
    public void removeAll() {
        access.perCall().chunks().deleteAll(base);
        size.forget();
    }

    /**
     * @param request the query embedding, {@code maxResults} (1–{@value SearchOptions#MAX_K}), {@code minScore} (a
     *                relevance score, 0–1) and an optional filter
     * @return the matches, best first (ties by id), each with its relevance score, embedding and segment (or
     *         {@code null} when it was added without one)
     * @throws UnsupportedOperationException when the filter holds a filter class this store does not know
     */
    @Override
    public EmbeddingSearchResult<TextSegment> search(EmbeddingSearchRequest request) {
        notNull(request, "request");
        SearchOptions options = SearchOptions.top(request.maxResults()).withEmbeddings()
                .withEfSearch(efSearch != null ? efSearch : Math.min(SearchOptions.MAX_EF_SEARCH,
                        Math.max(40, EF_SEARCH_PER_RESULT * request.maxResults())))
                .withProbes(probes);
        if (efSearch == null && probes == null && exactBelow > 0
                && size.below(exactBelow, limit -> access.perCall().chunks().countAtMost(base, limit))) {
            options = options.withExactSearch();
        }
        if (request.minScore() > 0) {
            options = options.withMinScore(2 * request.minScore() - 1);
        }
        if (request.filter() != null) {
            options = options.withFilter(FilterMapping.map(request.filter()));
        }
        List<ChunkMatch> found = access.perCall().chunks()
                .search(base, notNull(request.queryEmbedding(), "queryEmbedding").vector(), options);
        List<EmbeddingMatch<TextSegment>> matches = new ArrayList<>(found.size());
        for (ChunkMatch m : found) {
            TextSegment segment = MetadataJson.hasSegment(m.meta(), m.content())
                    ? TextSegment.from(m.content(), MetadataJson.metadata(m.payload(), m.meta()))
                    : null;
            matches.add(new EmbeddingMatch<>((1 + m.score()) / 2, m.id(), Embedding.from(m.embedding()), segment));
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
        return "AgentStoreEmbeddingStore[" + base + "]";
    }
}
