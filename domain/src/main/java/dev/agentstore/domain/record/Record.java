package dev.agentstore.domain.record;

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
import jakarta.persistence.Version;
import org.hibernate.annotations.Immutable;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.Instant;
import java.util.UUID;

/**
 * A generic JSONB record (table {@code records}): an id (given by the caller or a generated UUID), a JSON object of
 * data and a JSON object of metadata, creation and update times, and an optimistic-lock version. The repository
 * ({@code RecordRepository}) writes the table with set-based SQL and queries it with the shared query language
 * ({@code dev.agentstore.persistence.query}); this entity is the mapping for JPA users' reads (JPQL, Criteria),
 * read-only to JPA ({@link ReadOnlyEntity}), and holds the validation rules ({@link #requireId},
 * {@link #requireData}).
 *
 * <p>Note that it shadows {@code java.lang.Record} where imported.
 */
@Entity(name = "Record")
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "records")
public class Record {

    @Id
    @Column(name = "id", length = Check.MAX_NAME_LENGTH)
    private String id;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "data", columnDefinition = "jsonb", nullable = false)
    private JsonNode data;

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
    protected Record() {
    }

    private Record(String id, ObjectNode data, ObjectNode metadata, Instant createdAt, Instant updatedAt,
                   long version) {
        this.id = id;
        this.data = data;
        this.metadata = metadata;
        this.createdAt = createdAt;
        this.updatedAt = updatedAt;
        this.version = version;
    }

    /**
     * A new record, validated, as the repository inserts it.
     *
     * @param id       the id, 1–255 characters without NUL, or {@code null} for a generated random UUID
     * @param data     a JSON object; copied
     * @param metadata a JSON object, or {@code null} for {@code {}}; copied
     * @param now      the creation (and update) time
     * @return the record, version 0
     * @throws InvalidInputException when the id, data or metadata is invalid, or {@code now} is {@code null}
     */
    public static Record create(String id, JsonNode data, JsonNode metadata, Instant now) {
        Check.notNull("now", now);
        String key = id == null ? UUID.randomUUID().toString() : requireId(id);
        return new Record(key, requireData(key, "data", data),
                metadata == null ? Json.object() : requireData(key, "metadata", metadata), now, now, 0);
    }

    /**
     * A record as read from the database (for the repository, which reads rows with SQL).
     *
     * @param id        the id
     * @param data      the data object; copied
     * @param metadata  the metadata object; copied
     * @param createdAt when it was created
     * @param updatedAt when it was last written
     * @param version   its version
     * @return the record, not attached to any persistence context
     * @throws InvalidInputException when a part is {@code null} or not an object
     */
    public static Record of(String id, JsonNode data, JsonNode metadata, Instant createdAt, Instant updatedAt,
                            long version) {
        return new Record(requireId(id), requireData(id, "data", data), requireData(id, "metadata", metadata),
                Check.notNull("createdAt", createdAt), Check.notNull("updatedAt", updatedAt), version);
    }

    /** @return the id */
    public String id() {
        return id;
    }

    /** @return a copy of the data object */
    public ObjectNode data() {
        return (ObjectNode) data.deepCopy();
    }

    /** @return a copy of the metadata object ({@code {}} when none was given) */
    public ObjectNode metadata() {
        return (ObjectNode) metadata.deepCopy();
    }

    /** @return when the record was created */
    public Instant createdAt() {
        return createdAt;
    }

    /** @return when the record was last written (created, replaced or upserted) */
    public Instant updatedAt() {
        return updatedAt;
    }

    /** @return the optimistic-lock version: 0 when created, plus 1 on every write */
    public long version() {
        return version;
    }

    /**
     * Validates an id.
     *
     * @param id the id
     * @return {@code id}
     * @throws InvalidInputException when {@code id} is {@code null}, blank, longer than 255 characters or contains
     *                               the NUL character
     */
    public static String requireId(String id) {
        return Check.name("id", id);
    }

    /**
     * Validates a data or metadata value: a JSON object without the NUL character in any string or member name
     * (PostgreSQL's jsonb cannot store it).
     *
     * @param id        the record's id, for the message
     * @param parameter {@code data} or {@code metadata}
     * @param value     the value
     * @return a copy of {@code value}
     * @throws InvalidInputException when the value is {@code null}, not an object, or contains NUL
     */
    public static ObjectNode requireData(String id, String parameter, JsonNode value) {
        ObjectNode copy = Json.requireObject(parameter + " of Record id=" + id, value);
        if (Json.containsNul(copy)) {
            throw new InvalidInputException(parameter + " of Record id=" + id
                    + " must not contain the NUL character (\\u0000), which PostgreSQL's jsonb cannot store");
        }
        return copy;
    }
}
