package dev.agentstore.domain.dataset;

import dev.agentstore.domain.Check;
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
 * One version of a dataset (table {@code dataset_versions}): its number (1, 2, 3... per dataset, without gaps), how
 * many items the change that made it added, updated or deleted, and when. Written by {@code DatasetRepository} with
 * SQL; read-only to JPA ({@link ReadOnlyEntity}). Two instances are equal when they have the same id.
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "dataset_versions")
public class DatasetVersion {

    /** Assigned by the column's identity default when the repository inserts the row. */
    @Id
    @Column(name = "id")
    private Long id;

    @Column(name = "dataset_id", nullable = false, length = Check.MAX_NAME_LENGTH)
    private String datasetId;

    @Column(name = "version", nullable = false)
    private int version;

    @Column(name = "changes", nullable = false)
    private int changes;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    /** For JPA. */
    protected DatasetVersion() {
    }

    private DatasetVersion(Long id, String datasetId, int version, int changes, Instant createdAt) {
        this.id = id;
        this.datasetId = datasetId;
        this.version = version;
        this.changes = changes;
        this.createdAt = createdAt;
    }

    /**
     * A version as stored, for the repository.
     *
     * @param id        the row's id
     * @param datasetId the dataset's id
     * @param version   the version number, 1 or more
     * @param changes   how many items the change added, updated or deleted, 0 or more
     * @param createdAt when the change was made
     * @return the version
     * @throws dev.agentstore.domain.InvalidInputException when a value is invalid
     */
    public static DatasetVersion recorded(long id, String datasetId, int version, int changes, Instant createdAt) {
        Check.range("version", version, 1, Integer.MAX_VALUE);
        Check.range("changes", changes, 0, Integer.MAX_VALUE);
        return new DatasetVersion(id, Dataset.requireId("datasetId", datasetId), version, changes,
                Check.notNull("createdAt", createdAt));
    }

    /** @return the row's id */
    public Long id() {
        return id;
    }

    /** @return the dataset's id */
    public String datasetId() {
        return datasetId;
    }

    /** @return the version number */
    public int version() {
        return version;
    }

    /** @return how many items the change that made this version added, updated or deleted */
    public int changes() {
        return changes;
    }

    /** @return when the change was made */
    public Instant createdAt() {
        return createdAt;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof DatasetVersion other && id != null && id.equals(other.id);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(id);
    }

    @Override
    public String toString() {
        return "DatasetVersion[" + datasetId + " version " + version + ", " + changes + " changes]";
    }
}
