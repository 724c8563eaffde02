package dev.agentstore.domain.blob;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

/**
 * A small blob to store with {@code BlobRepository.putMany}: its content in memory. For content of any size use
 * {@code BlobRepository.put} with an {@link java.io.InputStream}.
 *
 * @param key         the key, 1–1,024 characters, or {@code null} to key the blob by its SHA-256
 * @param content     the bytes (not copied: do not change them until the put returns)
 * @param contentType the content type, or {@code null}
 * @param metadata    a JSON object, or {@code null} for {@code {}}
 */
public record NewBlob(String key, byte[] content, String contentType, JsonNode metadata) {

    /**
     * @throws InvalidInputException when the key, content type or metadata is invalid, or {@code content} is
     *                               {@code null}
     */
    public NewBlob {
        if (key != null) {
            Blob.requireKey(key);
        }
        Check.notNull("content", content);
        Blob.requireContentType(contentType);
        Blob.requireMetadata(metadata);
    }

    /**
     * @param content the bytes
     * @return a blob keyed by its SHA-256, without content type or metadata
     */
    public static NewBlob of(byte[] content) {
        return new NewBlob(null, content, null, null);
    }
}
