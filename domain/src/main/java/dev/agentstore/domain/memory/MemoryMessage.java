package dev.agentstore.domain.memory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.ReadOnlyEntity;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.Immutable;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.Instant;
import java.util.Objects;

/**
 * One message of a thread (table {@code memory_messages}). The content is any JSON value kept verbatim: structured
 * parts, text, tool calls and tool results, media references; nothing is dropped. {@link #seq()} orders the messages of
 * a thread totally: it is unique per thread and increases in append order, also between messages with the same
 * {@link #createdAt()}.
 *
 * <p>Read-only to JPA ({@link ReadOnlyEntity}): the repository ({@code MemoryRepository}) writes messages with
 * set-based SQL, and changes them only through {@code updateMessages} (role, content merge, move to another thread).
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "memory_messages")
public class MemoryMessage {

    @Id
    @Column(name = "id", length = Check.MAX_NAME_LENGTH)
    private String id;

    @Column(name = "memory_id", nullable = false, length = Check.MAX_NAME_LENGTH)
    private String memoryId;

    @Column(name = "seq", nullable = false)
    private long seq;

    @Enumerated(EnumType.STRING)
    @Column(name = "role", nullable = false, length = 16)
    private MessageRole role;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "content", columnDefinition = "jsonb", nullable = false)
    private JsonNode content;

    @Column(name = "resource_id", length = Check.MAX_NAME_LENGTH)
    private String resourceId;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    /** For JPA. */
    protected MemoryMessage() {
    }

    /**
     * A message from values held elsewhere (the repository builds the result of a save with it): every value is
     * checked and the content copied. Rows read from the database go through {@link #stored}.
     *
     * @param id         the message's id, 1–255 characters
     * @param memoryId   the thread's id, 1–255 characters
     * @param seq        its sequence number in the thread, 1 or more
     * @param role       who wrote it
     * @param content    the content, any JSON value but JSON {@code null}; copied
     * @param resourceId the resource it belongs to, or {@code null}
     * @param createdAt  when it was written
     * @return the message
     * @throws InvalidInputException when a parameter is invalid
     */
    public static MemoryMessage of(String id, String memoryId, long seq, MessageRole role, JsonNode content,
                                   String resourceId, Instant createdAt) {
        MemoryMessage m = new MemoryMessage();
        m.id = MemoryText.id("id", id);
        m.memoryId = MemoryText.id("memoryId", memoryId);
        if (seq < 1) {
            throw new InvalidInputException("seq must be 1 or more, was " + seq);
        }
        m.seq = seq;
        m.role = Check.notNull("role", role);
        m.content = MemoryText.value("content", content);
        m.resourceId = MemoryText.optionalId("resourceId", resourceId);
        m.createdAt = Check.notNull("createdAt", createdAt);
        return m;
    }

    /**
     * A row as read from the database: for repositories that map {@code memory_messages} rows with SQL. The values are
     * taken as stored (they passed {@link NewMessage}'s checks when saved) and {@code content} is taken over, not
     * copied: pass a node that nothing else holds, such as one just parsed from the column. A read of 20 messages
     * skips 20 deep copies and NUL scans of their content this way.
     *
     * @param id         the message's id
     * @param memoryId   the thread's id
     * @param seq        its sequence number in the thread, 1 or more
     * @param role       who wrote it
     * @param content    the content, any JSON value; taken over
     * @param resourceId the resource it belongs to, or {@code null}
     * @param createdAt  when it was written
     * @return the message
     * @throws InvalidInputException when {@code seq} is less than 1, or {@code id}, {@code memoryId}, {@code role},
     *                               {@code content} or {@code createdAt} is {@code null}
     */
    public static MemoryMessage stored(String id, String memoryId, long seq, MessageRole role, JsonNode content,
                                       String resourceId, Instant createdAt) {
        if (seq < 1) {
            throw new InvalidInputException("seq must be 1 or more, was " + seq);
        }
        MemoryMessage m = new MemoryMessage();
        m.id = Check.notNull("id", id);
        m.memoryId = Check.notNull("memoryId", memoryId);
        m.seq = seq;
        m.role = Check.notNull("role", role);
        m.content = Check.notNull("content", content);
        m.resourceId = resourceId;
        m.createdAt = Check.notNull("createdAt", createdAt);
        return m;
    }

    /** @return the message's id, unique over all threads */
    public String id() {
        return id;
    }

    /** @return the id of the thread it belongs to */
    public String memoryId() {
        return memoryId;
    }

    /** @return its sequence number in the thread: unique there, increasing in append order */
    public long seq() {
        return seq;
    }

    /** @return who wrote it */
    public MessageRole role() {
        return role;
    }

    /** @return a copy of the content, exactly as saved (or as merged by an update) */
    public JsonNode content() {
        return content.deepCopy();
    }

    /** @return the resource it belongs to (by default its thread's when it was saved), or {@code null} */
    public String resourceId() {
        return resourceId;
    }

    /** @return when it was written (the caller's time, or the clock's when the caller gave none) */
    public Instant createdAt() {
        return createdAt;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof MemoryMessage other && id != null && id.equals(other.id);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(id);
    }

    @Override
    public String toString() {
        return "MemoryMessage[id=" + id + ", memoryId=" + memoryId + ", seq=" + seq + ", role=" + role + "]";
    }
}
