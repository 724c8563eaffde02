package dev.agentstore.domain.memory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.ReadOnlyEntity;
import dev.agentstore.domain.json.Json;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import org.hibernate.annotations.Immutable;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.Instant;
import java.util.Objects;

/**
 * A resource's working memory (table {@code memory_resources}): what an agent keeps about a user or
 * agent across its threads, as free text (often Markdown), plus a JSON object
 * of metadata that updates merge into (RFC 7386) instead of replacing. The repository ({@code MemoryRepository})
 * writes this row with set-based SQL; this entity is the mapping for JPA users' reads (JPQL, Criteria), read-only to
 * JPA ({@link ReadOnlyEntity}), and holds the rules every write follows ({@link #requireId},
 * {@link #requireWorkingMemory}).
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "memory_resources")
public class MemoryResource {

    /** Longest accepted working memory: 1,000,000 characters. */
    public static final int MAX_WORKING_MEMORY_LENGTH = 1_000_000;

    @Id
    @Column(name = "id", length = Check.MAX_NAME_LENGTH)
    private String id;

    @Column(name = "working_memory", columnDefinition = "text")
    private String workingMemory;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "metadata", columnDefinition = "jsonb", nullable = false)
    private JsonNode metadata;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    @Column(name = "updated_at", nullable = false)
    private Instant updatedAt;

    @Version
    @Column(name = "version", nullable = false)
    private long version;

    /** For JPA. */
    protected MemoryResource() {
    }

    /**
     * The values of a new resource, validated (the repository stores resources with SQL).
     *
     * @param id            the resource's id, 1–255 characters
     * @param workingMemory the working memory text (may be empty), or {@code null}
     * @param metadata      a JSON object (copied), or {@code null} for an empty one
     * @param now           creation time, also the update time
     * @return the resource, not stored
     * @throws InvalidInputException when a parameter is invalid
     */
    public static MemoryResource create(String id, String workingMemory, JsonNode metadata, Instant now) {
        MemoryResource r = new MemoryResource();
        r.id = requireId(id);
        r.workingMemory = requireWorkingMemory(workingMemory);
        r.metadata = metadata == null ? Json.object() : Memory.requireMetadata("metadata", metadata);
        r.createdAt = Check.notNull("now", now);
        r.updatedAt = now;
        return r;
    }

    /**
     * A row as read from the database: for repositories that map {@code memory_resources} rows with SQL. The values
     * are taken as stored and {@code metadata} is taken over, not copied: pass a node that nothing else holds, such
     * as one just parsed from the column.
     *
     * @param id            the resource's id
     * @param workingMemory the working memory text, or {@code null}
     * @param metadata      a JSON object; taken over
     * @param createdAt     when it was created
     * @param updatedAt     when it was last updated
     * @param version       its version
     * @return the resource, not attached to any persistence context
     * @throws InvalidInputException when {@code id}, {@code metadata}, {@code createdAt} or {@code updatedAt} is
     *                               {@code null}
     */
    public static MemoryResource stored(String id, String workingMemory, JsonNode metadata, Instant createdAt,
                                        Instant updatedAt, long version) {
        MemoryResource r = new MemoryResource();
        r.id = Check.notNull("id", id);
        r.workingMemory = workingMemory;
        r.metadata = Check.notNull("metadata", metadata);
        r.createdAt = Check.notNull("createdAt", createdAt);
        r.updatedAt = Check.notNull("updatedAt", updatedAt);
        r.version = version;
        return r;
    }

    /**
     * Replaces the working memory of this object and merges a metadata patch into it, as the repository's
     * {@code updateResource} does to the row. The change stays in this object: the entity is read-only to JPA, so it
     * is never written.
     *
     * @param newWorkingMemory the new text, or {@code null} to keep the current one
     * @param metadataPatch    a JSON object merged as JSON Merge Patch (RFC 7386), or {@code null} to keep the metadata
     * @param now              the update time
     * @throws InvalidInputException when a parameter is invalid; the resource is then unchanged
     */
    public void update(String newWorkingMemory, JsonNode metadataPatch, Instant now) {
        String w = newWorkingMemory == null ? workingMemory : requireWorkingMemory(newWorkingMemory);
        JsonNode m = metadataPatch == null ? metadata
                : Json.mergePatch(metadata, Memory.requireMetadata("metadataPatch", metadataPatch));
        Check.notNull("now", now);
        workingMemory = w;
        metadata = m;
        updatedAt = now;
    }

    /** @return the resource's id */
    public String id() {
        return id;
    }

    /** @return the working memory text, or {@code null} when none was written */
    public String workingMemory() {
        return workingMemory;
    }

    /** @return a copy of the metadata, a JSON object */
    public JsonNode metadata() {
        return metadata.deepCopy();
    }

    /** @return when the resource was created */
    public Instant createdAt() {
        return createdAt;
    }

    /** @return when it was last updated */
    public Instant updatedAt() {
        return updatedAt;
    }

    /** @return the optimistic-lock version: 0 when created, plus 1 per update */
    public long version() {
        return version;
    }

    /**
     * @param id a resource id
     * @return {@code id}
     * @throws InvalidInputException when it is {@code null}, blank, longer than 255 characters or contains NUL
     */
    public static String requireId(String id) {
        return MemoryText.id("resourceId", id);
    }

    /**
     * @param workingMemory working memory text, or {@code null}
     * @return {@code workingMemory}
     * @throws InvalidInputException when it is longer than {@value #MAX_WORKING_MEMORY_LENGTH} characters or
     *                               contains NUL
     */
    public static String requireWorkingMemory(String workingMemory) {
        return MemoryText.optionalText("workingMemory", workingMemory, MAX_WORKING_MEMORY_LENGTH);
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof MemoryResource other && id != null && id.equals(other.id);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(id);
    }

    @Override
    public String toString() {
        return "MemoryResource[id=" + id + ", version=" + version + "]";
    }
}
