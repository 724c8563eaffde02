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
 * }</pre>
 *
 * <p>Defaults: no minimum score (so orthogonal and opposite chunks are kept), no
 * filter, {@code ef_search = max(40, candidates)}, IVFFlat
 * {@code probes = √lists}, no MMR, no embeddings in the results.
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

    private SearchOptions(int k, Double minScore, Filter filter, Integer efSearch, Integer probes, boolean mmr,
                          double mmrLambda, int mmrMultiplier, boolean includeEmbeddings, boolean exactSearch) {
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
                false);
    }

    /**
     * @param newMinScore the smallest score to return (see {@link dev.agentstore.domain.knowledge.Distance} for what
     *                    scores mean per metric), or {@code null} for no threshold; applied in SQL as the equivalent
     *                    distance bound on the index's ordering value
     * @return a copy with this threshold
     * @throws InvalidInputException when it is NaN or infinite
     */
    public SearchOptions withMinScore(Double newMinScore) {
        if (newMinScore != null && !Double.isFinite(newMinScore)) {
            throw new InvalidInputException("minScore must be a finite number, was " + newMinScore);
        }
        return new SearchOptions(k, newMinScore, filter, efSearch, probes, mmr, mmrLambda, mmrMultiplier,
                includeEmbeddings, exactSearch);
    }

    /**
     * @param newFilter conditions the chunks must meet (see {@link ChunkRepository#FIELDS} for the paths), or
     *                  {@code null} for none
     * @return a copy with this filter
     */
    public SearchOptions withFilter(Filter newFilter) {
        return new SearchOptions(k, minScore, newFilter, efSearch, probes, mmr, mmrLambda, mmrMultiplier,
                includeEmbeddings, exactSearch);
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
                includeEmbeddings, exactSearch);
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
                includeEmbeddings, exactSearch);
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
                exactSearch);
    }

    /** @return a copy whose results carry their stored embeddings */
    public SearchOptions withEmbeddings() {
        return new SearchOptions(k, minScore, filter, efSearch, probes, mmr, mmrLambda, mmrMultiplier, true,
                exactSearch);
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
                includeEmbeddings, true);
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
                + "]";
    }
}
