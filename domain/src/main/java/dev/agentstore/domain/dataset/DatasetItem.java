package dev.agentstore.domain.dataset;

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
import org.hibernate.annotations.Immutable;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.Instant;
import java.util.Objects;

/**
 * One revision of a dataset item (table {@code dataset_items}): the item's id, its input, its expected output and its
 * metadata as they were from dataset version {@link #validFrom()} (inclusive) to {@link #validTo()} (exclusive;
 * {@code null} while it is current). The item belongs to dataset version {@code v} when
 * {@code validFrom <= v} and ({@code validTo} is {@code null} or {@code validTo > v}). Adding an item writes its
 * first revision; updating it closes the current revision and writes the next; deleting it closes the current one.
 *
 * <p>Written by {@code DatasetRepository} with SQL; read-only to JPA ({@link ReadOnlyEntity}). Two instances are
 * equal when they have the same row id.
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "dataset_items")
public class DatasetItem {

    /** Assigned by the column's identity default when the repository inserts the row. */
    @Id
    @Column(name = "id")
    private Long id;

    @Column(name = "dataset_id", nullable = false, length = Check.MAX_NAME_LENGTH)
    private String datasetId;

    @Column(name = "item_id", nullable = false, length = Check.MAX_NAME_LENGTH)
    private String itemId;

    @Column(name = "valid_from", nullable = false)
    private int validFrom;

    @Column(name = "valid_to")
    private Integer validTo;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "input", columnDefinition = "jsonb", nullable = false)
    private JsonNode input;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "expected_output", columnDefinition = "jsonb")
    private JsonNode expectedOutput;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "metadata", columnDefinition = "jsonb", nullable = false)
    private JsonNode metadata;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    /** For JPA. */
    protected DatasetItem() {
    }

    private DatasetItem(Long id, String datasetId, String itemId, int validFrom, Integer validTo, JsonNode input,
                        JsonNode expectedOutput, JsonNode metadata, Instant createdAt) {
        this.id = id;
        this.datasetId = datasetId;
        this.itemId = itemId;
        this.validFrom = validFrom;
        this.validTo = validTo;
        this.input = input;
        this.expectedOutput = expectedOutput;
        this.metadata = metadata;
        this.createdAt = createdAt;
    }

    /**
     * A revision as stored, for the repository.
     *
     * @param id             the row's id
     * @param datasetId      the dataset's id
     * @param itemId         the item's id
     * @param validFrom      the first dataset version holding this revision, 1 or more
     * @param validTo        the first version no longer holding it, greater than {@code validFrom}, or {@code null}
     * @param input          the input, any JSON value but SQL NULL
     * @param expectedOutput the expected output, any JSON value, or {@code null} when there is none
     * @param metadata       the metadata, a JSON object, or {@code null} for {@code {}}
     * @param createdAt      when the revision was written
     * @return the revision
     * @throws InvalidInputException when a value is invalid; the message names it
     */
    public static DatasetItem recorded(long id, String datasetId, String itemId, int validFrom, Integer validTo,
                                       JsonNode input, JsonNode expectedOutput, JsonNode metadata,
                                       Instant createdAt) {
        Check.range("validFrom", validFrom, 1, Integer.MAX_VALUE);
        if (validTo != null && validTo <= validFrom) {
            throw new InvalidInputException("validTo must be greater than validFrom " + validFrom + ", was " + validTo);
        }
        return new DatasetItem(id, Dataset.requireId("datasetId", datasetId), Dataset.requireId("itemId", itemId),
                validFrom, validTo, Check.notNull("input", input).deepCopy(),
                expectedOutput == null ? null : expectedOutput.deepCopy(), requireObject("metadata", metadata),
                Check.notNull("createdAt", createdAt));
    }

    /**
     * Validates metadata: a JSON object, or {@code null} meaning the empty object.
     *
     * @param parameter the parameter's name, for the message
     * @param value     the value, or {@code null}
     * @return a copy of {@code value}, or a new empty object for {@code null}
     * @throws InvalidInputException when {@code value} is not a JSON object
     */
    public static ObjectNode requireObject(String parameter, JsonNode value) {
        return value == null ? Json.object() : Json.requireObject(parameter, value);
    }

    /** @return the row's id */
    public Long id() {
        return id;
    }

    /** @return the dataset's id */
    public String datasetId() {
        return datasetId;
    }

    /** @return the item's id, the same in every revision of the item */
    public String itemId() {
        return itemId;
    }

    /** @return the first dataset version holding this revision */
    public int validFrom() {
        return validFrom;
    }

    /**
     * @return the first dataset version no longer holding this revision (the item was updated or deleted by it), or
     *         {@code null} while this is the item's current revision
     */
    public Integer validTo() {
        return validTo;
    }

    /**
     * @param version a dataset version
     * @return whether this revision is the item as of {@code version}
     */
    public boolean validAt(int version) {
        return validFrom <= version && (validTo == null || validTo > version);
    }

    /** @return a copy of the input */
    public JsonNode input() {
        return input.deepCopy();
    }

    /** @return a copy of the expected output, or {@code null} when there is none */
    public JsonNode expectedOutput() {
        return expectedOutput == null ? null : expectedOutput.deepCopy();
    }

    /** @return a copy of the metadata, a JSON object */
    public JsonNode metadata() {
        return metadata.deepCopy();
    }

    /** @return when this revision was written */
    public Instant createdAt() {
        return createdAt;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof DatasetItem other && id != null && id.equals(other.id);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(id);
    }

    @Override
    public String toString() {
        return "DatasetItem[" + datasetId + "/" + itemId + " versions " + validFrom + ".."
                + (validTo == null ? "" : validTo) + "]";
    }
}
