package dev.agentstore.cli.store;

/**
 * A search result.
 *
 * @param documentId the source document (page)
 * @param ordinal    the chunk's position in it
 * @param title      the document title
 * @param heading    the section heading
 * @param content    the chunk text
 * @param score      1 − cosine distance: 1 is identical, 0 orthogonal
 * @param embedding  the stored vector when asked for (MMR), else {@code null}
 */
public record ChunkHit(String documentId, int ordinal, String title, String heading, String content, double score,
                       float[] embedding) {

    /** @return {@code documentId#ordinal}, unique within a knowledge base */
    public String key() {
        return documentId + "#" + ordinal;
    }
}
