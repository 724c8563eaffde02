package dev.agentstore.domain.blob;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.ReadOnlyEntity;
import dev.agentstore.domain.json.Json;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.Immutable;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A named reference to stored binary content (table {@code blobs}): a key, the SHA-256 of the content (64 lowercase
 * hex digits), its size in bytes, a content type and metadata (a JSON object). The content itself is stored once per
 * hash ({@link BlobContent} and its {@link BlobChunk}s), however many keys refer to it; a blob stored without a key
 * is keyed by its hash.
 *
 * <p>The repository ({@code BlobRepository}) writes the table with SQL; this entity is the mapping for JPA users'
 * reads (JPQL, Criteria), read-only to JPA ({@link ReadOnlyEntity}), and holds the rules every write follows
 * ({@link #requireKey}, {@link #requireHash}, {@link #requireContentType}). Instances are immutable; two are equal
 * when they have the same key.
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "blobs")
public class Blob {

    /** Maximum key length: 1,024 characters. */
    public static final int MAX_KEY_LENGTH = 1024;

    /** Maximum content type length: 255 characters. */
    public static final int MAX_CONTENT_TYPE_LENGTH = 255;

    private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");

    @Id
    @Column(name = "key", length = MAX_KEY_LENGTH)
    private String key;

    @Column(name = "hash", nullable = false, length = 64)
    private String hash;

    @Column(name = "size", nullable = false)
    private long size;

    @Column(name = "content_type", length = MAX_CONTENT_TYPE_LENGTH)
    private String contentType;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "metadata", columnDefinition = "jsonb", nullable = false)
    private JsonNode metadata;

    @Column(name = "created", nullable = false)
    private Instant created;

    /** For JPA. */
    protected Blob() {
    }

    private Blob(String key, String hash, long size, String contentType, JsonNode metadata, Instant created) {
        this.key = key;
        this.hash = hash;
        this.size = size;
        this.contentType = contentType;
        this.metadata = metadata;
        this.created = created;
    }

    /**
     * A blob as stored, for the repository, which builds the blobs it hands back with this method. Validates every
     * value as {@link #requireKey}, {@link #requireHash} and {@link #requireContentType} do.
     *
     * @param key         the key, 1–1,024 characters
     * @param hash        the SHA-256 of the content, 64 lowercase hex digits
     * @param size        the content's size in bytes, 0 or more
     * @param contentType the content type (for example {@code image/png}), or {@code null}
     * @param metadata    a JSON object, or {@code null} for {@code {}} (copied)
     * @param created     when the key was last written (truncated to microseconds)
     * @return the blob
     * @throws InvalidInputException when a value is invalid; the message names the parameter
     */
    public static Blob recorded(String key, String hash, long size, String contentType, JsonNode metadata,
                                Instant created) {
        return new Blob(requireKey(key), requireHash("hash", hash), Check.notNegative("size", size),
                requireContentType(contentType), requireMetadata(metadata),
                Check.notNull("created", created).truncatedTo(ChronoUnit.MICROS));
    }

    /**
     * @param key the key
     * @return {@code key}
     * @throws InvalidInputException when it is {@code null}, blank, longer than 1,024 characters, or contains the NUL
     *                               character or an unpaired surrogate
     */
    public static String requireKey(String key) {
        return Check.text("key", key, MAX_KEY_LENGTH);
    }

    /**
     * @param parameter the parameter's name, for the message
     * @param hash      a SHA-256 as text
     * @return {@code hash}
     * @throws InvalidInputException when it is not exactly 64 lowercase hex digits
     */
    public static String requireHash(String parameter, String hash) {
        if (hash == null || !HASH.matcher(hash).matches()) {
            throw new InvalidInputException(parameter + " must be a SHA-256 as 64 lowercase hex digits");
        }
        return hash;
    }

    /**
     * @param contentType a content type, or {@code null}
     * @return {@code contentType}
     * @throws InvalidInputException when it is blank, longer than 255 characters, or contains the NUL character or
     *                               an unpaired surrogate
     */
    public static String requireContentType(String contentType) {
        return contentType == null ? null : Check.text("contentType", contentType, MAX_CONTENT_TYPE_LENGTH);
    }

    /**
     * @param metadata a JSON object, or {@code null}
     * @return a copy of {@code metadata}, or a new empty object for {@code null}
     * @throws InvalidInputException when it is not a JSON object
     */
    public static ObjectNode requireMetadata(JsonNode metadata) {
        return metadata == null ? Json.object() : Json.requireObject("metadata", metadata);
    }

    /** @return the key */
    public String key() {
        return key;
    }

    /** @return the SHA-256 of the content, 64 lowercase hex digits */
    public String hash() {
        return hash;
    }

    /** @return the content's size in bytes */
    public long size() {
        return size;
    }

    /** @return the content type, or {@code null} */
    public String contentType() {
        return contentType;
    }

    /** @return a copy of the metadata, a JSON object */
    public JsonNode metadata() {
        return metadata.deepCopy();
    }

    /** @return when the key was last written */
    public Instant created() {
        return created;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof Blob other && key != null && key.equals(other.key);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(key);
    }

    @Override
    public String toString() {
        return "Blob[" + key + ", " + size + " bytes, sha256 " + hash + "]";
    }
}
