package dev.agentstore.domain.knowledge;

import java.io.Serializable;
import java.util.Objects;

/**
 * The primary key of a {@link Chunk}: its knowledge base and its id within that base (chunk ids are scoped per base,
 * so one document can be ingested into several bases under the same chunk ids).
 */
public class ChunkId implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The knowledge base's name. */
    private String knowledgeBase;
    /** The chunk's id within the base. */
    private String id;

    /** For JPA. */
    protected ChunkId() {
    }

    /**
     * @param knowledgeBase the knowledge base's name
     * @param id            the chunk's id within the base
     */
    public ChunkId(String knowledgeBase, String id) {
        this.knowledgeBase = knowledgeBase;
        this.id = id;
    }

    /** @return the knowledge base's name */
    public String knowledgeBase() {
        return knowledgeBase;
    }

    /** @return the chunk's id within the base */
    public String id() {
        return id;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof ChunkId other && Objects.equals(knowledgeBase, other.knowledgeBase)
                && Objects.equals(id, other.id);
    }

    @Override
    public int hashCode() {
        return Objects.hash(knowledgeBase, id);
    }

    @Override
    public String toString() {
        return knowledgeBase + "/" + id;
    }
}
