package dev.agentstore.domain.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.ReadOnlyEntity;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.Immutable;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.Instant;
import java.util.Objects;

/**
 * A dataset (table {@code datasets}): an id, a name, a description, metadata (a JSON object) and its current
 * version number, 0 while no item has ever been changed and one more with every change of its items
 * ({@code DatasetRepository.apply}). Its items live in {@link DatasetItem} rows, one per item and version range.
 *
 * <p>The repository ({@code DatasetRepository}) writes the table with SQL; this entity is the mapping for JPA users'
 * reads (JPQL, Criteria), read-only to JPA ({@link ReadOnlyEntity}). Two instances are equal when they have the
 * same id.
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "datasets")
public class Dataset {

    /** Maximum description length: 10,000 characters. */
    public static final int MAX_DESCRIPTION_LENGTH = 10_000;

    @Id
    @Column(name = "id", length = Check.MAX_NAME_LENGTH)
    private String id;

    @Column(name = "name", nullable = false, length = Check.MAX_NAME_LENGTH)
    private String name;

    @Column(name = "description", columnDefinition = "text")
    private String description;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "metadata", columnDefinition = "jsonb", nullable = false)
    private JsonNode metadata;

    @Column(name = "version", nullable = false)
    private int version;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    @Column(name = "updated_at", nullable = false)
    private Instant updatedAt;

    /** For JPA. */
    protected Dataset() {
    }

    private Dataset(String id, String name, String description, JsonNode metadata, int version, Instant createdAt,
                    Instant updatedAt) {
        this.id = id;
        this.name = name;
        this.description = description;
        this.metadata = metadata;
        this.version = version;
        this.createdAt = createdAt;
        this.updatedAt = updatedAt;
    }

    /**
     * A dataset as stored, for the repository, which writes and reads the rows with SQL.
     *
     * @param id          the dataset's id, 1–255 characters
     * @param name        its name, 1–255 characters
     * @param description its description, up to 10,000 characters, or {@code null}
     * @param metadata    its metadata, a JSON object (copied)
     * @param version     its current version number, 0 or more
     * @param createdAt   when it was created
     * @param updatedAt   when it or its items last changed
     * @return the dataset
     * @throws InvalidInputException when a value is invalid; the message names it
     */
    public static Dataset recorded(String id, String name, String description, JsonNode metadata, int version,
                                   Instant createdAt, Instant updatedAt) {
        Check.range("version", version, 0, Integer.MAX_VALUE);
        return new Dataset(requireId("id", id), Check.name("name", name), requireDescription(description),
                DatasetItem.requireObject("metadata", metadata), version, Check.notNull("createdAt", createdAt),
                Check.notNull("updatedAt", updatedAt));
    }

    /**
     * Validates a dataset, item or experiment id.
     *
     * @param parameter the parameter's name, for the message
     * @param id        the id
     * @return {@code id}
     * @throws InvalidInputException when it is {@code null}, blank, longer than 255 characters or contains NUL
     */
    public static String requireId(String parameter, String id) {
        return Check.name(parameter, id);
    }

    /**
     * Validates a description.
     *
     * @param description the description, or {@code null}
     * @return {@code description}
     * @throws InvalidInputException when it is longer than 10,000 characters or contains NUL
     */
    public static String requireDescription(String description) {
        return description == null ? null : Check.text("description", description, MAX_DESCRIPTION_LENGTH);
    }

    /** @return the dataset's id */
    public String id() {
        return id;
    }

    /** @return its name */
    public String name() {
        return name;
    }

    /** @return its description, or {@code null} */
    public String description() {
        return description;
    }

    /** @return a copy of its metadata, a JSON object */
    public JsonNode metadata() {
        return metadata.deepCopy();
    }

    /** @return its current version number: 0 before the first change of its items, then 1, 2, 3... */
    public int version() {
        return version;
    }

    /** @return when it was created */
    public Instant createdAt() {
        return createdAt;
    }

    /** @return when it or its items last changed */
    public Instant updatedAt() {
        return updatedAt;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof Dataset other && id != null && id.equals(other.id);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(id);
    }

    @Override
    public String toString() {
        return "Dataset[" + id + " version " + version + "]";
    }
}
