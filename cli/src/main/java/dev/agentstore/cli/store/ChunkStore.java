package dev.agentstore.cli.store;

import dev.agentstore.cli.ingest.Chunk;

import java.util.List;
import java.util.Map;

/**
 * Where the CLI keeps chunks and their vectors: the seam between the CLI and the knowledge store, so ingest, search
 * and the demo do not depend on how a knowledge base is stored.
 */
public interface ChunkStore {

    /**
     * Creates the knowledge base if missing.
     *
     * @param kb        the knowledge base name
     * @param dimension the vector dimension
     * @throws IllegalStateException when it exists with another dimension
     */
    void ensureBase(String kb, int dimension);

    /**
     * @param kb the knowledge base
     * @return {@code documentId#ordinal} → content hash of every stored chunk
     */
    Map<String, String> storedHashes(String kb);

    /**
     * Inserts or replaces chunks (by document and ordinal) in one transaction.
     *
     * @param kb      the knowledge base
     * @param chunks  the chunks
     * @param vectors their vectors, in the same order
     */
    void upsert(String kb, List<Chunk> chunks, List<float[]> vectors);

    /**
     * Deletes chunks (left over when a document got shorter).
     *
     * @param kb   the knowledge base
     * @param keys {@code documentId#ordinal} of each chunk
     * @return how many were deleted
     */
    int delete(String kb, java.util.Collection<String> keys);

    /**
     * Nearest chunks by cosine similarity.
     *
     * @param kb            the knowledge base
     * @param query         the query vector
     * @param k             how many results
     * @param filter        metadata that must match exactly ({@code document}, {@code title}, {@code heading}); may be empty
     * @param exact         {@code true} for an exact (sequential) scan, {@code false} to use the HNSW index
     * @param withEmbedding whether to return the stored vectors (for MMR)
     * @return at most {@code k} hits, best first
     */
    List<ChunkHit> search(String kb, float[] query, int k, Map<String, String> filter, boolean exact, boolean withEmbedding);

    /**
     * Nearest chunks re-ranked by maximal marginal relevance (the library's MMR over 8×k candidates).
     *
     * @param kb     the knowledge base
     * @param query  the query vector
     * @param k      how many results
     * @param filter as for {@link #search}
     * @param lambda relevance weight in [0, 1] (1: pure relevance)
     * @return at most {@code k} hits in MMR order
     */
    List<ChunkHit> searchMmr(String kb, float[] query, int k, Map<String, String> filter, double lambda);

    /**
     * @param kb the knowledge base
     * @return how many chunks it holds
     */
    long count(String kb);
}
