package dev.agentstore.domain.blob;

import java.io.Serializable;
import java.util.Objects;

/** The primary key of a {@link BlobChunk}: its content's id and its position in that content. */
public class BlobChunkId implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The content's id. */
    private Long contentId;
    /** The chunk's position, 0 for the first. */
    private Integer seq;

    /** For JPA. */
    protected BlobChunkId() {
    }

    /**
     * @param contentId the content's id
     * @param seq       the chunk's position, 0 for the first
     */
    public BlobChunkId(long contentId, int seq) {
        this.contentId = contentId;
        this.seq = seq;
    }

    /** @return the content's id */
    public Long contentId() {
        return contentId;
    }

    /** @return the chunk's position */
    public Integer seq() {
        return seq;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof BlobChunkId other && Objects.equals(contentId, other.contentId)
                && Objects.equals(seq, other.seq);
    }

    @Override
    public int hashCode() {
        return Objects.hash(contentId, seq);
    }

    @Override
    public String toString() {
        return contentId + "#" + seq;
    }
}
