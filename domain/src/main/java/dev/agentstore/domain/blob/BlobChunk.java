package dev.agentstore.domain.blob;

import dev.agentstore.domain.ReadOnlyEntity;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import org.hibernate.annotations.Immutable;

import java.util.Objects;

/**
 * One piece of a {@link BlobContent}'s bytes (table {@code blob_chunks}), keyed by ({@link #contentId()},
 * {@link #seq()}): the content is its chunks' bytes in sequence order, each chunk 1 MiB except the last. Loading a
 * chunk loads its bytes into memory; read whole blobs through the repository's streams.
 *
 * <p>Read-only to JPA ({@link ReadOnlyEntity}); {@code BlobRepository} writes it with SQL.
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@IdClass(BlobChunkId.class)
@Table(name = "blob_chunks")
public class BlobChunk {

    @Id
    @Column(name = "content_id")
    private Long contentId;

    @Id
    @Column(name = "seq")
    private Integer seq;

    @Column(name = "data", nullable = false, columnDefinition = "bytea")
    private byte[] data;

    /** For JPA. */
    protected BlobChunk() {
    }

    /** @return the id of the {@link BlobContent} this chunk belongs to */
    public Long contentId() {
        return contentId;
    }

    /** @return the chunk's position, 0 for the first */
    public Integer seq() {
        return seq;
    }

    /** @return a copy of the chunk's bytes */
    public byte[] data() {
        return data.clone();
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof BlobChunk other && contentId != null && contentId.equals(other.contentId)
                && Objects.equals(seq, other.seq);
    }

    @Override
    public int hashCode() {
        return Objects.hash(contentId, seq);
    }

    @Override
    public String toString() {
        return "BlobChunk[" + contentId + "#" + seq + ", " + (data == null ? 0 : data.length) + " bytes]";
    }
}
