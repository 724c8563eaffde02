package dev.agentstore.domain.knowledge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.ReadOnlyEntity;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import org.hibernate.annotations.Immutable;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Objects;
import java.util.UUID;

/**
 * A piece of a document with its embedding (table {@code chunks}), with the document id, position and content hash that
 * incremental ingest needs.
 *
 * <p>Keyed by ({@link #knowledgeBase()}, {@link #id()}). The embedding column is an untyped pgvector {@code vector}
 * (full precision, any dimension up to 16,000), shared by all bases; the row also carries its base's dimension, and
 * the database enforces {@code vector_dims(embedding) = dimension} and a foreign key to the base's
 * ({@code name}, {@code dimension}), so no writer (JPA, the repository, plain SQL) can store an embedding of the wrong
 * size. Mapped with hibernate-vector ({@code SqlTypes.VECTOR}, {@code float[]}), so HQL's {@code cosine_distance},
 * {@code euclidean_distance} and {@code inner_product} work on it; searches through the index use the repository.
 *
 * <p>Read-only to JPA ({@link Immutable} and {@link ReadOnlyEntity}: {@code persist}, {@code remove} and changes of a
 * loaded chunk are refused or never written); {@code ChunkRepository} writes the table with SQL, {@code upsert}
 * replacing rows with one statement per batch. Instances the repository returns are detached.
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@IdClass(ChunkId.class)
@Table(name = "chunks")
public class Chunk {

    @Id
    @Column(name = "knowledge_base", length = KnowledgeBase.MAX_NAME_LENGTH)
    private String knowledgeBase;

    @Id
    @Column(name = "id", length = Check.MAX_NAME_LENGTH)
    private String id;

    @Column(name = "dimension", nullable = false)
    private int dimension;

    @Column(name = "document_id", nullable = false, length = Check.MAX_NAME_LENGTH)
    private String documentId;

    @Column(name = "ordinal", nullable = false)
    private int ordinal;

    @Column(name = "content", nullable = false, columnDefinition = "text")
    private String content;

    @Column(name = "content_hash", nullable = false, length = 64)
    private String contentHash;

    @JdbcTypeCode(SqlTypes.VECTOR)
    @Column(name = "embedding", nullable = false, columnDefinition = "vector")
    private float[] embedding;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "payload", nullable = false, columnDefinition = "jsonb")
    private JsonNode payload;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "meta", nullable = false, columnDefinition = "jsonb")
    private JsonNode meta;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    /** For JPA. */
    protected Chunk() {
    }

    /**
     * A new chunk of {@code base}, validated: the row the repository's upsert writes.
     *
     * @param base  the knowledge base
     * @param chunk the validated input; a {@code null} id becomes a random UUID
     * @param now   the creation time (truncated to microseconds)
     * @return the chunk
     * @throws InvalidInputException when the embedding does not fit the base (the message names the expected and
     *                               the actual dimension)
     */
    public static Chunk create(KnowledgeBase base, NewChunk chunk, Instant now) {
        Check.notNull("base", base);
        Check.notNull("chunk", chunk);
        Check.notNull("now", now);
        String id = chunk.id() != null ? chunk.id() : UUID.randomUUID().toString();
        float[] embedding = base.requireEmbedding("embedding of chunk '" + id + "'", chunk.embedding());
        return restore(base.name(), id, base.dimension(), chunk.documentId(), chunk.ordinal(), chunk.content(),
                chunk.contentHash(), embedding, chunk.payload(), chunk.meta(), now.truncatedTo(ChronoUnit.MICROS));
    }

    /**
     * A chunk as read from the database (no validation beyond non-null checks): what the repository returns.
     *
     * @param knowledgeBase the base's name
     * @param id            the id
     * @param dimension     the base's dimension
     * @param documentId    the document id
     * @param ordinal       the position in the document
     * @param content       the text
     * @param contentHash   SHA-256 of the content, hex
     * @param embedding     the embedding (kept, not copied)
     * @param payload       the payload object (kept)
     * @param meta          the meta object (kept)
     * @param createdAt     when first written
     * @return the chunk
     */
    public static Chunk restore(String knowledgeBase, String id, int dimension, String documentId, int ordinal,
                                String content, String contentHash, float[] embedding, JsonNode payload,
                                JsonNode meta, Instant createdAt) {
        Chunk c = new Chunk();
        c.knowledgeBase = Objects.requireNonNull(knowledgeBase, "knowledgeBase");
        c.id = Objects.requireNonNull(id, "id");
        c.dimension = dimension;
        c.documentId = Objects.requireNonNull(documentId, "documentId");
        c.ordinal = ordinal;
        c.content = Objects.requireNonNull(content, "content");
        c.contentHash = Objects.requireNonNull(contentHash, "contentHash");
        c.embedding = Objects.requireNonNull(embedding, "embedding");
        c.payload = Objects.requireNonNull(payload, "payload");
        c.meta = Objects.requireNonNull(meta, "meta");
        c.createdAt = Objects.requireNonNull(createdAt, "createdAt");
        return c;
    }

    /**
     * The content hash the chunk stores: SHA-256 of the content's UTF-8 bytes, 64 lower-case hex digits. A CLI can
     * compute it before embedding and ask {@code ChunkRepository.existingHashes} which chunks need no new embedding.
     *
     * @param content the text
     * @return the hash
     * @throws InvalidInputException when {@code content} is {@code null}
     */
    public static String contentHash(String content) {
        Check.notNull("content", content);
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(sha.digest(content.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** @return the knowledge base's name */
    public String knowledgeBase() {
        return knowledgeBase;
    }

    /** @return the id within the base */
    public String id() {
        return id;
    }

    /** @return the embedding's dimension (the base's) */
    public int dimension() {
        return dimension;
    }

    /** @return the source document's id */
    public String documentId() {
        return documentId;
    }

    /** @return the position in the document, 0 or more */
    public int ordinal() {
        return ordinal;
    }

    /** @return the text */
    public String content() {
        return content;
    }

    /** @return SHA-256 of the content, 64 lower-case hex digits */
    public String contentHash() {
        return contentHash;
    }

    /** @return a copy of the embedding */
    public float[] embedding() {
        return embedding.clone();
    }

    /** @return a copy of the payload object */
    public JsonNode payload() {
        return payload.deepCopy();
    }

    /** @return a copy of the meta object */
    public JsonNode meta() {
        return meta.deepCopy();
    }

    /** @return when the chunk was first written (an upsert of an existing id keeps it) */
    public Instant createdAt() {
        return createdAt;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof Chunk other && id != null && id.equals(other.id)
                && Objects.equals(knowledgeBase, other.knowledgeBase);
    }

    @Override
    public int hashCode() {
        return Objects.hash(knowledgeBase, id);
    }

    @Override
    public String toString() {
        return "Chunk[knowledgeBase=" + knowledgeBase + ", id=" + id + ", documentId=" + documentId + ", ordinal="
                + ordinal + "]";
    }
}
