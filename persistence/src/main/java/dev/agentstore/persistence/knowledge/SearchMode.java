package dev.agentstore.persistence.knowledge;

/**
 * How {@link ChunkRepository#search(String, String, float[], SearchOptions)} finds and ranks chunks.
 *
 * <ul>
 * <li>{@link #VECTOR}: the k nearest embeddings (the base's HNSW or IVFFlat index, or an exact scan); score: the
 *     vector similarity ({@link dev.agentstore.domain.knowledge.Distance}); needs a query vector.</li>
 * <li>{@link #TEXT}: full-text search: chunks whose {@code tsvector} (under the base's text-search configuration)
 *     matches {@code websearch_to_tsquery(config, text)}, ranked by {@code ts_rank_cd}; score: that rank; needs the
 *     query text.</li>
 * <li>{@link #HYBRID}: both candidate lists in one statement, fused by Reciprocal Rank Fusion:
 *     {@code score = Σ weight / (rrfK + rank)} over the lists a chunk is in; needs both.</li>
 * </ul>
 */
public enum SearchMode {
    /** Nearest embeddings only. */
    VECTOR,
    /** Full-text search only. */
    TEXT,
    /** Vector and full-text candidates fused by Reciprocal Rank Fusion. */
    HYBRID
}
