package dev.agentstore.domain.knowledge;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

/**
 * One search result: the chunk's fields, its score and its distance to the query. Results come best first (highest
 * score), or in MMR order when the search reranked. What the score is depends on the search's mode: the vector
 * similarity (vector search), the text rank (full-text search) or the Reciprocal Rank Fusion score (hybrid search);
 * {@link #vectorRank()} and {@link #textRank()} say in which candidate list(s) the chunk was, and where.
 *
 * @param id          the chunk's id within the base
 * @param documentId  the source document's id
 * @param ordinal     the position in the document
 * @param content     the text
 * @param contentHash SHA-256 of the content, lower-case hex
 * @param payload     the payload object
 * @param meta        the meta object
 * @param createdAt   when the chunk was first written
 * @param score       the score, higher is better: vector search: {@code 1 − distance} for cosine, {@code −distance}
 *                    for L2 and inner product (see {@link Distance}); full-text search: PostgreSQL's
 *                    {@code ts_rank_cd}; hybrid search: the fused score {@code Σ weight / (rrfK + rank)} over the lists
 *                    the chunk is in
 * @param distance    pgvector's distance to the query, with the base's metric (computed on {@code halfvec} for
 *                    {@code halfvec} bases); {@code NaN} when the search had no query vector
 * @param embedding   the stored embedding, or {@code null} unless the search asked for embeddings
 * @param vectorRank  the chunk's rank (1 = nearest) in the vector candidate list, or {@code null} when it is not in
 *                    that list (or the search had none)
 * @param textRank    the chunk's rank (1 = best) in the full-text candidate list, or {@code null} when it is not in
 *                    that list (or the search had none)
 */
public record ChunkMatch(String id, String documentId, int ordinal, String content, String contentHash,
                         JsonNode payload, JsonNode meta, Instant createdAt, double score, double distance,
                         float[] embedding, Integer vectorRank, Integer textRank) {

    /**
     * A result of a vector search without ranks.
     *
     * @param id          the chunk's id within the base
     * @param documentId  the source document's id
     * @param ordinal     the position in the document
     * @param content     the text
     * @param contentHash SHA-256 of the content
     * @param payload     the payload object
     * @param meta        the meta object
     * @param createdAt   when the chunk was first written
     * @param score       the score
     * @param distance    the distance to the query
     * @param embedding   the stored embedding, or {@code null}
     */
    public ChunkMatch(String id, String documentId, int ordinal, String content, String contentHash,
                      JsonNode payload, JsonNode meta, Instant createdAt, double score, double distance,
                      float[] embedding) {
        this(id, documentId, ordinal, content, contentHash, payload, meta, createdAt, score, distance, embedding,
                null, null);
    }

    /** @return a copy of the payload */
    @Override
    public JsonNode payload() {
        return payload.deepCopy();
    }

    /** @return a copy of the meta */
    @Override
    public JsonNode meta() {
        return meta.deepCopy();
    }

    /** @return a copy of the embedding, or {@code null} when the search did not ask for embeddings */
    @Override
    public float[] embedding() {
        return embedding == null ? null : embedding.clone();
    }
}
