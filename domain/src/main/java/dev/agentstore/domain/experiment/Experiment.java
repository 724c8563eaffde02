package dev.agentstore.domain.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.ReadOnlyEntity;
import dev.agentstore.domain.dataset.Dataset;
import dev.agentstore.domain.dataset.DatasetItem;
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
 * An experiment (table {@code experiments}): a target ({@link ExperimentTarget}: definition kind, id, version number)
 * run over one version of a dataset, its {@link ExperimentStatus}, metadata, the run's error when it failed, and its
 * times. Its per-item results are {@link ExperimentResult} rows.
 *
 * <p>Written by {@code ExperimentRepository} with SQL; read-only to JPA ({@link ReadOnlyEntity}). Two instances are
 * equal when they have the same id.
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "experiments")
public class Experiment {

    /** Maximum length of the run's error message: 10,000 characters. */
    public static final int MAX_ERROR_LENGTH = 10_000;

    @Id
    @Column(name = "id", length = Check.MAX_NAME_LENGTH)
    private String id;

    @Column(name = "name", length = Check.MAX_NAME_LENGTH)
    private String name;

    @Column(name = "dataset_id", nullable = false, length = Check.MAX_NAME_LENGTH)
    private String datasetId;

    @Column(name = "dataset_version", nullable = false)
    private int datasetVersion;

    @Column(name = "target_kind", nullable = false, length = 64)
    private String targetKind;

    @Column(name = "target_id", nullable = false, length = Check.MAX_NAME_LENGTH)
    private String targetId;

    @Column(name = "target_version", nullable = false)
    private int targetVersion;

    @Enumerated(EnumType.STRING)
    @Column(name = "status", nullable = false, length = 16)
    private ExperimentStatus status;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "metadata", columnDefinition = "jsonb", nullable = false)
    private JsonNode metadata;

    @Column(name = "error", columnDefinition = "text")
    private String error;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    @Column(name = "started_at")
    private Instant startedAt;

    @Column(name = "completed_at")
    private Instant completedAt;

    @Column(name = "updated_at", nullable = false)
    private Instant updatedAt;

    @Column(name = "version", nullable = false)
    private long version;

    /** For JPA. */
    protected Experiment() {
    }

    /**
     * An experiment as stored, for the repository.
     *
     * @param id             the experiment's id, 1–255 characters
     * @param name           its name, 1–255 characters, or {@code null}
     * @param datasetId      the dataset's id
     * @param datasetVersion the dataset version it runs over, 1 or more
     * @param target         what it runs
     * @param status         its status
     * @param metadata       a JSON object, or {@code null} for {@code {}}
     * @param error          the run's error message, or {@code null}
     * @param createdAt      when it was created
     * @param startedAt      when it started, or {@code null}
     * @param completedAt    when it completed or failed, or {@code null}
     * @param updatedAt      when it last changed
     * @param version        the row's version, incremented by every status move
     * @return the experiment
     * @throws dev.agentstore.domain.InvalidInputException when a value is invalid; the message names it
     */
    public static Experiment recorded(String id, String name, String datasetId, int datasetVersion,
                                      ExperimentTarget target, ExperimentStatus status, JsonNode metadata,
                                      String error, Instant createdAt, Instant startedAt, Instant completedAt,
                                      Instant updatedAt, long version) {
        Experiment e = new Experiment();
        e.id = Dataset.requireId("id", id);
        e.name = name == null ? null : Check.name("name", name);
        e.datasetId = Dataset.requireId("datasetId", datasetId);
        e.datasetVersion = Check.range("datasetVersion", datasetVersion, 1, Integer.MAX_VALUE);
        Check.notNull("target", target);
        e.targetKind = target.kind();
        e.targetId = target.id();
        e.targetVersion = target.version();
        e.status = Check.notNull("status", status);
        e.metadata = DatasetItem.requireObject("metadata", metadata);
        e.error = requireError(error);
        e.createdAt = Check.notNull("createdAt", createdAt);
        e.startedAt = startedAt;
        e.completedAt = completedAt;
        e.updatedAt = Check.notNull("updatedAt", updatedAt);
        e.version = Check.notNegative("version", version);
        return e;
    }

    /**
     * Validates an error message (the run's, or a result's).
     *
     * @param error the message, or {@code null}
     * @return {@code error}
     * @throws dev.agentstore.domain.InvalidInputException when it is blank, longer than 10,000 characters or contains
     *                                                     NUL
     */
    public static String requireError(String error) {
        return error == null ? null : Check.text("error", error, MAX_ERROR_LENGTH);
    }

    /** @return the experiment's id */
    public String id() {
        return id;
    }

    /** @return its name, or {@code null} */
    public String name() {
        return name;
    }

    /** @return the id of the dataset it runs over */
    public String datasetId() {
        return datasetId;
    }

    /** @return the dataset version it runs over */
    public int datasetVersion() {
        return datasetVersion;
    }

    /** @return what it runs */
    public ExperimentTarget target() {
        return new ExperimentTarget(targetKind, targetId, targetVersion);
    }

    /** @return its status */
    public ExperimentStatus status() {
        return status;
    }

    /** @return a copy of its metadata, a JSON object */
    public JsonNode metadata() {
        return metadata.deepCopy();
    }

    /** @return the run's error message when it failed with one, else {@code null} */
    public String error() {
        return error;
    }

    /** @return when it was created */
    public Instant createdAt() {
        return createdAt;
    }

    /** @return when it started, or {@code null} */
    public Instant startedAt() {
        return startedAt;
    }

    /** @return when it completed or failed, or {@code null} */
    public Instant completedAt() {
        return completedAt;
    }

    /** @return when it last changed */
    public Instant updatedAt() {
        return updatedAt;
    }

    /** @return the row's version, 0 when created and one more with every status move */
    public long version() {
        return version;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof Experiment other && id != null && id.equals(other.id);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(id);
    }

    @Override
    public String toString() {
        return "Experiment[" + id + " " + status + " over " + datasetId + " version " + datasetVersion + "]";
    }
}
