package dev.agentstore.domain.knowledge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;


/**
 * A chunk to upsert into a knowledge base: what {@code ChunkRepository.upsert} takes. Validated on construction
 * (except the embedding's dimension, which depends on the base and is checked by the repository before anything is
 * written).
 *
 * <pre>{@code
 * NewChunk c = NewChunk.of("handbook.md", 3, text, embedder.embed(text))
 *         .withId("handbook.md#3")
 *         .withPayload(Json.parse("payload", "{\"section\":\"leave\"}"));
 * }</pre>
 *
 * @param id         the chunk's id within the base, 1–255 characters, or {@code null} for a random UUID
 * @param documentId the source document's id, 1–255 characters
 * @param ordinal    the chunk's position in its document, 0 or more
 * @param content    the chunk's text, possibly empty, without the NUL character
 * @param embedding  the embedding; copied
 * @param payload    a JSON object (searchable with filters on {@code payload.} paths), or {@code null} for
 *                   {@code {}}; copied
 * @param meta       a JSON object (filters on {@code meta.} paths), or {@code null} for {@code {}}; copied
 */
public record NewChunk(String id, String documentId, int ordinal, String content, float[] embedding,
                       JsonNode payload, JsonNode meta) {

    /**
     * Validates and copies.
     *
     * @param id         the id, or {@code null} for a random UUID
     * @param documentId the document's id
     * @param ordinal    the position in the document
     * @param content    the text
     * @param embedding  the embedding
     * @param payload    a JSON object, or {@code null}
     * @param meta       a JSON object, or {@code null}
     * @throws InvalidInputException when a value is invalid: blank or oversized id or document id, negative ordinal,
     *                               {@code null} content or embedding, NUL characters, payload or meta not an object
     */
    public NewChunk {
        if (id != null) {
            Check.name("id", id);
        }
        Check.name("documentId", documentId);
        Check.notNegative("ordinal", ordinal);
        Check.noNul("content", Check.notNull("content", content));
        embedding = Check.notNull("embedding", embedding).clone();
        payload = payload == null ? Json.object() : requireJsonObject("payload", payload);
        meta = meta == null ? Json.object() : requireJsonObject("meta", meta);
    }

    /**
     * A chunk with a generated id and empty payload and meta.
     *
     * @param documentId the source document's id
     * @param ordinal    the position in the document, 0 or more
     * @param content    the text
     * @param embedding  the embedding
     * @return the chunk
     * @throws InvalidInputException when a value is invalid
     */
    public static NewChunk of(String documentId, int ordinal, String content, float[] embedding) {
        return new NewChunk(null, documentId, ordinal, content, embedding, null, null);
    }

    /**
     * @param newId the id, 1–255 characters, or {@code null} for a random UUID
     * @return a copy with this id
     */
    public NewChunk withId(String newId) {
        return new NewChunk(newId, documentId, ordinal, content, embedding, payload, meta);
    }

    /**
     * @param newPayload a JSON object, or {@code null} for {@code {}}
     * @return a copy with this payload
     */
    public NewChunk withPayload(JsonNode newPayload) {
        return new NewChunk(id, documentId, ordinal, content, embedding, newPayload, meta);
    }

    /**
     * @param newMeta a JSON object, or {@code null} for {@code {}}
     * @return a copy with this meta
     */
    public NewChunk withMeta(JsonNode newMeta) {
        return new NewChunk(id, documentId, ordinal, content, embedding, payload, newMeta);
    }

    /** @return a copy of the embedding */
    @Override
    public float[] embedding() {
        return embedding.clone();
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

    private static JsonNode requireJsonObject(String parameter, JsonNode value) {
        JsonNode copy = Json.requireObject(parameter, value);
        if (Json.containsNul(copy)) {
            throw new InvalidInputException(parameter + " must not contain the NUL character (\\u0000), which"
                    + " PostgreSQL's jsonb cannot store");
        }
        return copy;
    }
}
