package dev.agentstore.domain.knowledge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

/**
 * A chunk to embed and upsert: what {@code ChunkRepository.upsertTexts} takes, a {@link NewChunk} without its
 * embedding. The id is required and should be stable (for example {@code documentId#ordinal}): a chunk whose id
 * already holds the same content is not embedded again.
 *
 * @param id         the chunk's id within the base, 1–255 characters
 * @param documentId the source document's id, 1–255 characters
 * @param ordinal    the chunk's position in its document, 0 or more
 * @param content    the chunk's text, the text that is embedded, without the NUL character
 * @param payload    a JSON object, or {@code null} for {@code {}}; copied
 * @param meta       a JSON object, or {@code null} for {@code {}}; copied
 */
public record NewTextChunk(String id, String documentId, int ordinal, String content, JsonNode payload,
                           JsonNode meta) {

    /**
     * Validates and copies (through {@link NewChunk}'s rules).
     *
     * @throws InvalidInputException when a value is invalid: missing, blank or oversized id or document id, negative
     *                               ordinal, {@code null} content, NUL characters, payload or meta not an object
     */
    public NewTextChunk {
        Check.name("id", id);
        NewChunk valid = new NewChunk(id, documentId, ordinal, content, new float[0], payload, meta);
        payload = valid.payload();
        meta = valid.meta();
    }

    /**
     * @param id         the chunk's id
     * @param documentId the source document's id
     * @param ordinal    the position in the document
     * @param content    the text
     * @return the chunk, with empty payload and meta
     * @throws InvalidInputException when a value is invalid
     */
    public static NewTextChunk of(String id, String documentId, int ordinal, String content) {
        return new NewTextChunk(id, documentId, ordinal, content, null, null);
    }

    /**
     * @param newPayload a JSON object, or {@code null} for {@code {}}
     * @return a copy with this payload
     */
    public NewTextChunk withPayload(JsonNode newPayload) {
        return new NewTextChunk(id, documentId, ordinal, content, newPayload, meta);
    }

    /**
     * @param newMeta a JSON object, or {@code null} for {@code {}}
     * @return a copy with this meta
     */
    public NewTextChunk withMeta(JsonNode newMeta) {
        return new NewTextChunk(id, documentId, ordinal, content, payload, newMeta);
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

    /** @return the SHA-256 of the content, as {@link Chunk#contentHash(String)} */
    public String contentHash() {
        return Chunk.contentHash(content);
    }

    /**
     * @param embedding the content's embedding
     * @return the chunk to upsert
     */
    public NewChunk withEmbedding(float[] embedding) {
        return new NewChunk(id, documentId, ordinal, content, embedding, payload, meta);
    }
}
