package dev.agentstore.domain.definition;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.ReadOnlyEntity;
import dev.agentstore.domain.json.Json;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import org.hibernate.annotations.Immutable;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.io.Serializable;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * A versioned definition (table {@code definitions}): its kind and id, its status, the number of its published
 * (active) version, kept apart from the number of its latest version, an author, metadata (a JSON object) and an
 * optimistic {@code version} that every in-place update of the row increments. The content lives in immutable
 * numbered {@link DefinitionVersion}s.
 *
 * <p>The repository ({@code DefinitionRepository}) writes the table with SQL; this entity is the mapping for JPA
 * users' reads, read-only to JPA ({@link ReadOnlyEntity}). Two instances are equal when they have the same kind and
 * id. Immutable once built.
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@IdClass(Definition.Key.class)
@Table(name = "definitions")
public class Definition {

    /** Maximum length of a change message: 10,000 characters. */
    public static final int MAX_MESSAGE_LENGTH = 10_000;

    @Id
    @Column(name = "kind", nullable = false, length = 64)
    private String kind;

    @Id
    @Column(name = "id", nullable = false, length = Check.MAX_NAME_LENGTH)
    private String id;

    @Enumerated(EnumType.STRING)
    @Column(name = "status", nullable = false, length = 16)
    private DefinitionStatus status;

    @Column(name = "published_version")
    private Integer publishedVersion;

    @Column(name = "latest_version", nullable = false)
    private int latestVersion;

    @Column(name = "author", length = Check.MAX_NAME_LENGTH)
    private String author;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "metadata", columnDefinition = "jsonb", nullable = false)
    private JsonNode metadata;

    @Version
    @Column(name = "version", nullable = false)
    private long version;

    @Column(name = "created", nullable = false)
    private Instant created;

    @Column(name = "updated", nullable = false)
    private Instant updated;

    /** For JPA. */
    protected Definition() {
    }

    /**
     * A definition as stored, for the repository that reads its rows with SQL.
     *
     * @param kind             the kind
     * @param id               the id, 1–255 characters
     * @param status           the status
     * @param publishedVersion the published version's number, or {@code null} when none is published
     * @param latestVersion    the latest version's number (0 before the first version)
     * @param author           the author, or {@code null}
     * @param metadata         a JSON object, or {@code null} for {@code {}} (copied)
     * @param version          the optimistic version, 0 or more
     * @param created          when it was created
     * @param updated          when its row last changed
     * @return the definition
     * @throws InvalidInputException when a value is invalid; the message names it
     */
    public static Definition recorded(DefinitionKind kind, String id, DefinitionStatus status,
                                      Integer publishedVersion, int latestVersion, String author, JsonNode metadata,
                                      long version, Instant created, Instant updated) {
        Definition d = new Definition();
        d.kind = Check.notNull("kind", kind).storedName();
        d.id = requireId(id);
        d.status = Check.notNull("status", status);
        d.publishedVersion = publishedVersion;
        d.latestVersion = latestVersion;
        d.author = requireAuthor(author);
        d.metadata = requireMetadata(metadata);
        d.version = Check.notNegative("version", version);
        d.created = Check.notNull("created", created).truncatedTo(ChronoUnit.MICROS);
        d.updated = Check.notNull("updated", updated).truncatedTo(ChronoUnit.MICROS);
        return d;
    }

    /**
     * @param id a definition id
     * @return {@code id}
     * @throws InvalidInputException when it is {@code null}, blank, longer than 255 characters or contains NUL
     */
    public static String requireId(String id) {
        return Check.name("id", id);
    }

    /**
     * @param author an author, or {@code null}
     * @return {@code author}
     * @throws InvalidInputException when it is blank, longer than 255 characters or contains NUL
     */
    public static String requireAuthor(String author) {
        return Check.optionalName("author", author);
    }

    /**
     * @param message a change message, or {@code null}
     * @return {@code message}
     * @throws InvalidInputException when it is longer than 10,000 characters or contains NUL
     */
    public static String requireMessage(String message) {
        if (message != null && message.length() > MAX_MESSAGE_LENGTH) {
            throw new InvalidInputException("changeMessage must be at most " + MAX_MESSAGE_LENGTH
                    + " characters, was " + message.length());
        }
        return Check.noNul("changeMessage", message);
    }

    /**
     * @param metadata metadata, or {@code null}
     * @return a copy of {@code metadata}, or an empty object for {@code null}
     * @throws InvalidInputException when it is not a JSON object
     */
    public static JsonNode requireMetadata(JsonNode metadata) {
        return metadata == null ? Json.object() : Json.requireObject("metadata", metadata).deepCopy();
    }

    /** @return the kind */
    public DefinitionKind kind() {
        return DefinitionKind.fromStoredName(kind);
    }

    /** @return the id, unique within the kind */
    public String id() {
        return id;
    }

    /** @return the status */
    public DefinitionStatus status() {
        return status;
    }

    /** @return the published (active) version's number, or {@code null} when none is published */
    public Integer publishedVersion() {
        return publishedVersion;
    }

    /** @return the latest version's number: the highest number ever given (deleted versions are not reused) */
    public int latestVersion() {
        return latestVersion;
    }

    /** @return the author, or {@code null} */
    public String author() {
        return author;
    }

    /** @return a copy of the metadata, a JSON object */
    public JsonNode metadata() {
        return metadata.deepCopy();
    }

    /** @return the optimistic version: 0 at creation, one more after each in-place update of the row */
    public long version() {
        return version;
    }

    /** @return when the definition was created */
    public Instant created() {
        return created;
    }

    /** @return when its row last changed (an update, a publication, a new version) */
    public Instant updated() {
        return updated;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof Definition other && id != null && id.equals(other.id)
                && Objects.equals(kind, other.kind);
    }

    @Override
    public int hashCode() {
        return Definition.class.hashCode();
    }

    @Override
    public String toString() {
        return "Definition[" + kind + "/" + id + " " + status + " published " + publishedVersion + " latest "
                + latestVersion + "]";
    }

    /** The composite key of {@link Definition}: kind and id, for JPA's {@code find} and {@code @IdClass}. */
    public static class Key implements Serializable {
        private static final long serialVersionUID = 1L;
        private String kind;
        private String id;

        /** For JPA. */
        public Key() {
        }

        /**
         * @param kind the kind
         * @param id   the id
         */
        public Key(DefinitionKind kind, String id) {
            this.kind = kind.storedName();
            this.id = id;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Objects.equals(kind, k.kind) && Objects.equals(id, k.id);
        }

        @Override
        public int hashCode() {
            return Objects.hash(kind, id);
        }
    }
}
