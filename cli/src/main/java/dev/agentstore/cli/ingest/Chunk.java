package dev.agentstore.cli.ingest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.domain.knowledge.NewTextChunk;

/**
 * A piece of a document to embed and store.
 *
 * @param documentId  the document id (see {@link SourceDocument#id()})
 * @param ordinal     the position of the chunk in its document, from 0
 * @param title       the document title
 * @param heading     the section heading
 * @param content     the stored and embedded text: a context line ({@code title — heading}) and the passage
 * @param contentHash SHA-256 of {@code content}, hex: a chunk whose hash is already stored is not embedded again
 */
public record Chunk(String documentId, int ordinal, String title, String heading, String content, String contentHash) {

    /**
     * @param text any text
     * @return its SHA-256 as 64 lower-case hex digits, as the knowledge store computes content hashes
     */
    public static String sha256(String text) {
        return dev.agentstore.domain.knowledge.Chunk.contentHash(text);
    }

    /** @return the chunk's id in the knowledge store: {@code documentId#ordinal} */
    public String id() {
        return documentId + "#" + ordinal;
    }

    /**
     * @param embedding the chunk's vector
     * @return the chunk for {@code ChunkRepository.upsert}: id {@link #id()}, title and heading (when present) in the
     *         payload as {@code payload.title} and {@code payload.heading}
     */
    public NewChunk toNewChunk(float[] embedding) {
        return toNewTextChunk().withEmbedding(embedding);
    }

    /**
     * @return the chunk for {@code ChunkRepository.upsertTexts}: as {@link #toNewChunk}, without the embedding
     */
    public NewTextChunk toNewTextChunk() {
        ObjectNode payload = Json.object();
        if (title != null) {
            payload.put("title", title);
        }
        if (heading != null) {
            payload.put("heading", heading);
        }
        return NewTextChunk.of(id(), documentId, ordinal, content).withPayload(payload);
    }
}
