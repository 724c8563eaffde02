package dev.agentstore.domain.knowledge;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

/**
 * One search result: the chunk's fields, its score and its distance to the query. Results come best first (highest
 * score), or in MMR order when the search reranked.
 *
 * @param id          the chunk's id within the base
 * @param documentId  the source document's id
 * @param ordinal     the position in the document
 * @param content     the text
 * @param contentHash SHA-256 of the content, lower-case hex
 * @param payload     the payload object
 * @param meta        the meta object
 * @param createdAt   when the chunk was first written
 * @param score       the score, higher is better: {@code 1 − distance} for cosine, {@code −distance} for L2 and
 *                    inner product (see {@link Distance})
 * @param distance    pgvector's distance to the query, with the base's metric (computed on {@code halfvec} for
 *                    {@code halfvec} bases)
 * @param embedding   the stored embedding, or {@code null} unless the search asked for embeddings
 */
public record ChunkMatch(String id, String documentId, int ordinal, String content, String contentHash,
                         JsonNode payload, JsonNode meta, Instant createdAt, double score, double distance,
                         float[] embedding) {

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
