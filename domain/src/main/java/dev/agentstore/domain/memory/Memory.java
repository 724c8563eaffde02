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
 * A conversation thread (table {@code memories}), also the memory of {@code remember}/{@code recall}. It
 * belongs to a resource (the user or agent it is about; {@code null} for a memory created by {@code remember}),
 * has a title and a JSON object of metadata, and owns its {@link MemoryMessage}s (deleted with it) and
 * {@link MemoryVariables} snapshots.
 *
 * <p>{@link #lastSeq()} is the highest message sequence number handed out in this thread: appends allocate
 * {@code lastSeq + 1 ... lastSeq + n} with one atomic {@code UPDATE}, so every message of a thread has a unique
 * sequence number, increasing in append order. The repository ({@code MemoryRepository}) writes this row with
 * set-based SQL; this entity is the mapping for JPA users' reads (JPQL, Criteria), read-only to JPA
 * ({@link ReadOnlyEntity}), and holds the rules every write follows ({@link #requireId}, {@link #requireTitle},
 * {@link #requireMetadata}).
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "memories")
public class Memory {

    /** Longest accepted title: 1,000 characters. */
    public static final int MAX_TITLE_LENGTH = 1000;

    @Id
    @Column(name = "id", length = Check.MAX_NAME_LENGTH)
    private String id;

    @Column(name = "resource_id", length = Check.MAX_NAME_LENGTH)
    private String resourceId;

    @Column(name = "title", columnDefinition = "text")
    private String title;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "metadata", columnDefinition = "jsonb", nullable = false)
    private JsonNode metadata;

    @Column(name = "last_seq", nullable = false)
    private long lastSeq;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    @Column(name = "updated_at", nullable = false)
    private Instant updatedAt;

    @Version
    @Column(name = "version", nullable = false)
    private long version;

    /** For JPA. */
    protected Memory() {
    }

    /**
     * The values of a new thread with no messages, validated: the repository's {@code saveThread} validates through
     * it (and stores the thread with SQL).
     *
     * @param id         the thread's id, 1–255 characters, not blank
     * @param resourceId the resource it belongs to, 1–255 characters, or {@code null}
     * @param title      the title, at most {@value #MAX_TITLE_LENGTH} characters, or {@code null}
     * @param metadata   a JSON object (copied), or {@code null} for an empty one
     * @param now        creation time, also the update time
     * @return the thread, not stored
     * @throws InvalidInputException when a parameter is invalid (also: NUL characters, a non-object metadata)
     */
    public static Memory create(String id, String resourceId, String title, JsonNode metadata, Instant now) {
        Memory m = new Memory();
        m.id = requireId("id", id);
        m.resourceId = MemoryText.optionalId("resourceId", resourceId);
        m.title = requireTitle(title);
        m.metadata = metadata == null ? Json.object() : requireMetadata("metadata", metadata);
        m.createdAt = Check.notNull("now", now);
        m.updatedAt = now;
        return m;
    }

    /**
     * A row as read from the database: for repositories that map {@code memories} rows with SQL. The values are taken
     * as stored (they passed {@link #create}'s checks when written) and {@code metadata} is taken over, not copied:
     * pass a node that nothing else holds, such as one just parsed from the column.
     *
     * @param id         the thread's id
     * @param resourceId the resource it belongs to, or {@code null}
     * @param title      the title, or {@code null}
     * @param metadata   a JSON object; taken over
     * @param lastSeq    the highest message sequence number handed out, 0 or more
     * @param createdAt  when it was created
     * @param updatedAt  when it was last written
     * @param version    its version
     * @return the thread, not attached to any persistence context
     * @throws InvalidInputException when {@code id}, {@code metadata}, {@code createdAt} or {@code updatedAt} is
     *                               {@code null}
     */
    public static Memory stored(String id, String resourceId, String title, JsonNode metadata, long lastSeq,
                                Instant createdAt, Instant updatedAt, long version) {
        Memory m = new Memory();
        m.id = Check.notNull("id", id);
        m.resourceId = resourceId;
        m.title = title;
        m.metadata = Check.notNull("metadata", metadata);
        m.lastSeq = lastSeq;
        m.createdAt = Check.notNull("createdAt", createdAt);
        m.updatedAt = Check.notNull("updatedAt", updatedAt);
        m.version = version;
        return m;
    }

    /**
     * Renames this object and merges a metadata patch into it, as the repository's {@code updateThread} does to the
     * row. The change stays in this object: the entity is read-only to JPA, so it is never written.
     *
     * @param newTitle      the new title, or {@code null} to keep the current one
     * @param metadataPatch a JSON object merged as JSON Merge Patch (RFC 7386, {@link Json#mergePatch}: {@code null}
     *                      deletes a key), or {@code null} to keep the metadata
     * @param now           the update time
     * @throws InvalidInputException when a parameter is invalid; the thread is then unchanged
     */
    public void update(String newTitle, JsonNode metadataPatch, Instant now) {
        String t = newTitle == null ? title : requireTitle(newTitle);
        JsonNode m = metadataPatch == null ? metadata
                : Json.mergePatch(metadata, requireMetadata("metadataPatch", metadataPatch));
        Check.notNull("now", now);
        title = t;
        metadata = m;
        updatedAt = now;
    }

    /** @return the thread's id */
    public String id() {
        return id;
    }

    /** @return the resource (user, agent) the thread belongs to, or {@code null} */
    public String resourceId() {
        return resourceId;
    }

    /**
     * @param resource a resource id
     * @return whether the thread belongs to {@code resource}
     */
    public boolean belongsTo(String resource) {
        return resourceId != null && resourceId.equals(resource);
    }

    /** @return the title, or {@code null} */
    public String title() {
        return title;
    }

    /** @return a copy of the metadata, a JSON object */
    public JsonNode metadata() {
        return metadata.deepCopy();
    }

    /** @return the highest message sequence number handed out in this thread, 0 before the first message */
    public long lastSeq() {
        return lastSeq;
    }

    /** @return when the thread was created */
    public Instant createdAt() {
        return createdAt;
    }

    /** @return when the thread was last saved, renamed, or had messages appended, moved, updated or deleted */
    public Instant updatedAt() {
        return updatedAt;
    }

    /** @return the optimistic-lock version: 0 when created, plus 1 per write (including message appends) */
    public long version() {
        return version;
    }

    /**
     * Validates a thread id (also a memory id of {@code remember}/{@code recall}).
     *
     * @param parameter the parameter's name, for the message
     * @param value     the id
     * @return {@code value}
     * @throws InvalidInputException when {@code value} is {@code null}, blank, longer than 255 characters or contains
     *                               NUL
     */
    public static String requireId(String parameter, String value) {
        return MemoryText.id(parameter, value);
    }

    /**
     * Validates a title.
     *
     * @param title the title, or {@code null}
     * @return {@code title}
     * @throws InvalidInputException when it is longer than {@value #MAX_TITLE_LENGTH} characters or contains NUL
     */
    public static String requireTitle(String title) {
        return MemoryText.optionalText("title", title, MAX_TITLE_LENGTH);
    }

    /**
     * Validates metadata (or a metadata patch or filter): a JSON object without NUL characters.
     *
     * @param parameter the parameter's name, for the message
     * @param value     the value
     * @return a copy of {@code value}
     * @throws InvalidInputException when {@code value} is {@code null}, not an object, or contains NUL
     */
    public static JsonNode requireMetadata(String parameter, JsonNode value) {
        return MemoryText.object(parameter, value);
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof Memory other && id != null && id.equals(other.id);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(id);
    }

    @Override
    public String toString() {
        return "Memory[id=" + id + ", resourceId=" + resourceId + ", lastSeq=" + lastSeq + ", version=" + version + "]";
    }
}
