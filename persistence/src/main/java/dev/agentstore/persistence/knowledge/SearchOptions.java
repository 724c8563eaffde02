package dev.agentstore.persistence.knowledge;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.persistence.query.Filter;

/**
 * How {@link ChunkRepository#search} searches: immutable, built with withers from {@link #top(int)}.
 *
 * <pre>{@code
 * SearchOptions.top(10)                       // the 10 nearest chunks, no threshold
 *         .withMinScore(0.75)                 // cosine similarity at least 0.75 (a distance bound in SQL)
 *         .withFilter(Filter.eq("payload.lang", "en"))   // payload./meta. paths, documentId, ordinal
 *         .withEfSearch(100)                  // HNSW candidate list (recall vs speed)
 *         .withMmr();                         // maximal marginal relevance, λ = 0.5, 8 × k candidates
 * SearchOptions.top(10).withMode(SearchMode.HYBRID)   // vector + full-text, Reciprocal Rank Fusion (k = 60)
 * }</pre>
 *
 * <p>Defaults: no minimum score (so orthogonal and opposite chunks are kept), no
 * filter, {@code ef_search = max(40, candidates)}, IVFFlat
 * {@code probes = √lists}, no MMR, no embeddings in the results, {@link SearchMode#VECTOR}; for hybrid search
 * Reciprocal Rank Fusion with k = {@value #DEFAULT_RRF_K} and both weights 1.
 */
public final class SearchOptions {

    /** Largest {@code k}: 1,000. */
    public static final int MAX_K = 1_000;
    /** Largest HNSW {@code ef_search} (pgvector): 1,000. */
    public static final int MAX_EF_SEARCH = 1_000;
    /** Default MMR λ: 0.5 (as much relevance as diversity). */
    public static final double DEFAULT_MMR_LAMBDA = 0.5;
    /** Default MMR candidate multiplier: 8 (MMR picks k of the 8 × k nearest). */
    public static final int DEFAULT_MMR_MULTIPLIER = 8;
    /** Largest MMR candidate multiplier: 100. */
    public static final int MAX_MMR_MULTIPLIER = 100;
    /** Most candidates MMR fetches, whatever k × multiplier is: 4,000. */
    public static final int MAX_MMR_CANDIDATES = 4_000;
    /** Default Reciprocal Rank Fusion constant k: 60 (Cormack, Clarke and Büttcher). */
    public static final int DEFAULT_RRF_K = 60;
    /** Largest query text: 10,000 characters. */
    public static final int MAX_TEXT_LENGTH = 10_000;

    private final int k;
    private final Double minScore;
    private final Filter filter;
    private final Integer efSearch;
    private final Integer probes;
    private final boolean mmr;
    private final double mmrLambda;
    private final int mmrMultiplier;
    private final boolean includeEmbeddings;
    private final boolean exactSearch;
    private final SearchMode mode;
    private final int rrfK;
    private final double vectorWeight;
    private final double textWeight;

    private SearchOptions(int k, Double minScore, Filter filter, Integer efSearch, Integer probes, boolean mmr,
                          double mmrLambda, int mmrMultiplier, boolean includeEmbeddings, boolean exactSearch,
                          SearchMode mode, int rrfK, double vectorWeight, double textWeight) {
        this.mode = mode;
        this.rrfK = rrfK;
        this.vectorWeight = vectorWeight;
        this.textWeight = textWeight;
        this.k = k;
        this.minScore = minScore;
        this.filter = filter;
        this.efSearch = efSearch;
        this.probes = probes;
        this.mmr = mmr;
        this.mmrLambda = mmrLambda;
        this.mmrMultiplier = mmrMultiplier;
        this.includeEmbeddings = includeEmbeddings;
        this.exactSearch = exactSearch;
    }

    /**
     * @param k how many results at most, 1–{@value #MAX_K}
     * @return options for the {@code k} nearest chunks, with the defaults above
     * @throws InvalidInputException when {@code k} is out of range
     */
    public static SearchOptions top(int k) {
        Check.range("k", k, 1, MAX_K);
        return new SearchOptions(k, null, null, null, null, false, DEFAULT_MMR_LAMBDA, DEFAULT_MMR_MULTIPLIER, false,
                false, SearchMode.VECTOR, DEFAULT_RRF_K, 1.0, 1.0);
    }

    /**
     * @param newMinScore the smallest score to return, or {@code null} for no threshold. Per mode: {@code VECTOR}:
     *                    the vector similarity (see {@link dev.agentstore.domain.knowledge.Distance} for what scores
     *                    mean per metric), applied in SQL as the equivalent distance bound on the index's ordering
     *                    value; {@code TEXT}: the {@code ts_rank_cd} rank; {@code HYBRID}: the fused score (at most
     *                    {@code (vectorWeight + textWeight) / (rrfK + 1)}). Applied before MMR, in the database
     * @return a copy with this threshold
     * @throws InvalidInputException when it is NaN or infinite
     */
    public SearchOptions withMinScore(Double newMinScore) {
        if (newMinScore != null && !Double.isFinite(newMinScore)) {
            throw new InvalidInputException("minScore must be a finite number, was " + newMinScore);
        }
        return new SearchOptions(k, newMinScore, filter, efSearch, probes, mmr, mmrLambda, mmrMultiplier,
                includeEmbeddings, exactSearch, mode, rrfK, vectorWeight, textWeight);
    }

    /**
     * @param newFilter conditions the chunks must meet (see {@link ChunkRepository#FIELDS} for the paths), or
     *                  {@code null} for none
     * @return a copy with this filter
     */
    public SearchOptions withFilter(Filter newFilter) {
        return new SearchOptions(k, minScore, newFilter, efSearch, probes, mmr, mmrLambda, mmrMultiplier,
                includeEmbeddings, exactSearch, mode, rrfK, vectorWeight, textWeight);
    }

    /**
     * @param newEfSearch HNSW's search candidate list size, 1–{@value #MAX_EF_SEARCH}, or {@code null} for
     *                    {@code max(40, candidates)}; larger is slower and more accurate
     * @return a copy with this {@code ef_search}
     * @throws InvalidInputException when it is out of range
     */
    public SearchOptions withEfSearch(Integer newEfSearch) {
        if (newEfSearch != null) {
            Check.range("efSearch", newEfSearch, 1, MAX_EF_SEARCH);
        }
        return new SearchOptions(k, minScore, filter, newEfSearch, probes, mmr, mmrLambda, mmrMultiplier,
                includeEmbeddings, exactSearch, mode, rrfK, vectorWeight, textWeight);
    }

    /**
     * @param newProbes IVFFlat's number of lists to probe, 1–32,768, or {@code null} for {@code √lists}
     * @return a copy with these probes
     * @throws InvalidInputException when it is out of range
     */
    public SearchOptions withProbes(Integer newProbes) {
        if (newProbes != null) {
            Check.range("probes", newProbes, 1, 32_768);
        }
        return new SearchOptions(k, minScore, filter, efSearch, newProbes, mmr, mmrLambda, mmrMultiplier,
                includeEmbeddings, exactSearch, mode, rrfK, vectorWeight, textWeight);
    }

    /** @return a copy that reranks with MMR, λ = {@value #DEFAULT_MMR_LAMBDA}, multiplier {@value #DEFAULT_MMR_MULTIPLIER} */
    public SearchOptions withMmr() {
        return withMmr(DEFAULT_MMR_LAMBDA, DEFAULT_MMR_MULTIPLIER);
    }

    /**
     * Maximal marginal relevance (Carbonell and Goldstein): fetch {@code min(k × multiplier, 4,000)} nearest
     * candidates with their embeddings, then pick {@code k} greedily, each maximising
     * {@code λ · sim(query, c) − (1 − λ) · max sim(c, picked)} with cosine similarity.
     *
     * @param lambda     relevance weight, 0 (only diversity) to 1 (only relevance)
     * @param multiplier candidates per result, 1–{@value #MAX_MMR_MULTIPLIER}
     * @return a copy that reranks with MMR
     * @throws InvalidInputException when a parameter is out of range
     */
    public SearchOptions withMmr(double lambda, int multiplier) {
        if (!(lambda >= 0.0 && lambda <= 1.0)) {
            throw new InvalidInputException("mmr lambda must be between 0 and 1, was " + lambda);
        }
        Check.range("mmr multiplier", multiplier, 1, MAX_MMR_MULTIPLIER);
        return new SearchOptions(k, minScore, filter, efSearch, probes, true, lambda, multiplier, includeEmbeddings,
                exactSearch, mode, rrfK, vectorWeight, textWeight);
    }

    /** @return a copy whose results carry their stored embeddings */
    public SearchOptions withEmbeddings() {
        return new SearchOptions(k, minScore, filter, efSearch, probes, mmr, mmrLambda, mmrMultiplier, true,
                exactSearch, mode, rrfK, vectorWeight, textWeight);
    }

    /**
     * Exact nearest-neighbour search: every chunk that passes the filter is ranked by its true distance, without the
     * base's HNSW or IVFFlat index (a scan of the base's chunks; {@code ef_search} and {@code probes} are then
     * unused). The result is the exact top {@code k}, against which an index search's recall can be measured; its
     * cost grows with the number of matching chunks.
     *
     * @return a copy that searches exactly
     */
    public SearchOptions withExactSearch() {
        return new SearchOptions(k, minScore, filter, efSearch, probes, mmr, mmrLambda, mmrMultiplier,
                includeEmbeddings, true, mode, rrfK, vectorWeight, textWeight);
    }

    /**
     * @param newMode {@link SearchMode#VECTOR} (the default), {@link SearchMode#TEXT} or {@link SearchMode#HYBRID}
     * @return a copy with this mode
     * @throws InvalidInputException when it is {@code null}
     */
    public SearchOptions withMode(SearchMode newMode) {
        Check.notNull("mode", newMode);
        return new SearchOptions(k, minScore, filter, efSearch, probes, mmr, mmrLambda, mmrMultiplier,
                includeEmbeddings, exactSearch, newMode, rrfK, vectorWeight, textWeight);
    }

    /**
     * The Reciprocal Rank Fusion of {@link SearchMode#HYBRID}: a chunk's score is
     * {@code vectorWeight / (rrfK + vector rank) + textWeight / (rrfK + text rank)}, a term only for each list the
     * chunk is in (ranks from 1). Defaults: {@code rrfK} {@value #DEFAULT_RRF_K}, both weights 1.
     *
     * @param newRrfK         the constant k, 1–1,000 (larger flattens the difference between ranks)
     * @param newVectorWeight the vector list's weight, 0–100
     * @param newTextWeight   the full-text list's weight, 0–100
     * @return a copy with these
     * @throws InvalidInputException when a value is out of range, or both weights are 0
     */
    public SearchOptions withRrf(int newRrfK, double newVectorWeight, double newTextWeight) {
        Check.range("rrfK", newRrfK, 1, 1_000);
        if (!(newVectorWeight >= 0 && newVectorWeight <= 100) || !(newTextWeight >= 0 && newTextWeight <= 100)
                || newVectorWeight + newTextWeight == 0) {
            throw new InvalidInputException("rrf weights must be between 0 and 100 and not both 0, were "
                    + newVectorWeight + " and " + newTextWeight);
        }
        return new SearchOptions(k, minScore, filter, efSearch, probes, mmr, mmrLambda, mmrMultiplier,
                includeEmbeddings, exactSearch, mode, newRrfK, newVectorWeight, newTextWeight);
    }

    /** @return how chunks are found and ranked */
    public SearchMode mode() {
        return mode;
    }

    /** @return Reciprocal Rank Fusion's constant k */
    public int rrfK() {
        return rrfK;
    }

    /** @return the vector list's weight in Reciprocal Rank Fusion */
    public double vectorWeight() {
        return vectorWeight;
    }

    /** @return the full-text list's weight in Reciprocal Rank Fusion */
    public double textWeight() {
        return textWeight;
    }

    /** @return whether the search ranks every matching chunk exactly, without the index */
    public boolean exactSearch() {
        return exactSearch;
    }

    /** @return how many results at most */
    public int k() {
        return k;
    }

    /** @return the smallest score to return, or {@code null} for no threshold */
    public Double minScore() {
        return minScore;
    }

    /** @return the filter, or {@code null} */
    public Filter filter() {
        return filter;
    }

    /** @return HNSW's {@code ef_search}, or {@code null} for the default */
    public Integer efSearch() {
        return efSearch;
    }

    /** @return IVFFlat's {@code probes}, or {@code null} for the default */
    public Integer probes() {
        return probes;
    }

    /** @return whether results are reranked with MMR */
    public boolean mmr() {
        return mmr;
    }

    /** @return MMR's λ */
    public double mmrLambda() {
        return mmrLambda;
    }

    /** @return MMR's candidate multiplier */
    public int mmrMultiplier() {
        return mmrMultiplier;
    }

    /** @return whether results carry their embeddings */
    public boolean includeEmbeddings() {
        return includeEmbeddings;
    }

    /** @return how many nearest rows the database returns: {@code k}, or MMR's candidates */
    int candidates() {
        return mmr ? Math.min(Math.max(k, k * mmrMultiplier), Math.max(k, MAX_MMR_CANDIDATES)) : k;
    }

    @Override
    public String toString() {
        return "SearchOptions[k=" + k + ", minScore=" + minScore + ", filter=" + filter + ", efSearch=" + efSearch
                + ", probes=" + probes + ", mmr=" + mmr + (mmr ? ", lambda=" + mmrLambda + ", multiplier="
                + mmrMultiplier : "") + ", includeEmbeddings=" + includeEmbeddings + ", exactSearch=" + exactSearch
                + ", mode=" + mode + (mode == SearchMode.HYBRID ? ", rrfK=" + rrfK + ", vectorWeight=" + vectorWeight
                + ", textWeight=" + textWeight : "") + "]";
    }
}
