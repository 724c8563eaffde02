package dev.agentstore.domain.blob;

import dev.agentstore.domain.ReadOnlyEntity;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.Immutable;

import java.time.Instant;
import java.util.Objects;

/**
 * Stored binary content (table {@code blob_contents}), once per SHA-256: its size and how many
 * {@link BlobChunk}s hold its bytes. A row whose {@link #hash()} is {@code null} is content still being written by an
 * open transaction (it gets its hash, or is removed, before that transaction commits).
 *
 * <p>Read-only to JPA ({@link ReadOnlyEntity}); {@code BlobRepository} writes it with SQL. Two instances are equal
 * when they have the same id.
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "blob_contents")
public class BlobContent {

    /** Assigned by the column's default ({@code nextval('blob_contents_seq')}) when the repository inserts the row. */
    @Id
    @Column(name = "id")
    private Long id;

    @Column(name = "hash", length = 64, unique = true)
    private String hash;

    @Column(name = "size", nullable = false)
    private long size;

    @Column(name = "chunk_count", nullable = false)
    private int chunkCount;

    @Column(name = "created", nullable = false)
    private Instant created;

    /** For JPA. */
    protected BlobContent() {
    }

    /** @return the surrogate id the chunks refer to */
    public Long id() {
        return id;
    }

    /** @return the SHA-256 of the content, 64 lowercase hex digits; {@code null} while it is being written */
    public String hash() {
        return hash;
    }

    /** @return the size in bytes */
    public long size() {
        return size;
    }

    /** @return how many chunks hold the bytes (sequence numbers 0 to this minus 1) */
    public int chunkCount() {
        return chunkCount;
    }

    /** @return when the content was first stored */
    public Instant created() {
        return created;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof BlobContent other && id != null && id.equals(other.id);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(id);
    }

    @Override
    public String toString() {
        return "BlobContent[" + id + ", " + size + " bytes, sha256 " + hash + "]";
    }
}
