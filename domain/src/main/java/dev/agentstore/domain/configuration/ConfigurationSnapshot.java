package dev.agentstore.domain.configuration;

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
import org.hibernate.annotations.Immutable;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * One snapshot of a named configuration (table {@code configurations}): an
 * identifier, a revision number (1, 2, 3... per identifier, assigned by the repository), the content (a JSON
 * object) and when it was defined. Snapshots are append-only and immutable; the newest one is the configuration in
 * force.
 *
 * <p>The revision number, not the definition time, orders snapshots: two defines in the same microsecond do not
 * collide and "newest" does not depend on the clocks of the processes that wrote them. Two
 * instances are equal when they have the same id.
 *
 * <p>The repository ({@code ConfigurationRepository}) writes the table with SQL; this entity is the mapping for JPA
 * users' reads (JPQL, Criteria), read-only to JPA ({@link ReadOnlyEntity}), and holds the rules every define follows
 * ({@link #requireIdentifier}, {@link #requireContent}).
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "configurations")
public class ConfigurationSnapshot {

    /** Maximum identifier length: 255 characters. */
    public static final int MAX_IDENTIFIER_LENGTH = Check.MAX_NAME_LENGTH;

    /** Assigned by the column's default ({@code nextval('configurations_seq')}) when the repository inserts the row. */
    @Id
    @Column(name = "id")
    private Long id;

    @Column(name = "identifier", nullable = false, length = MAX_IDENTIFIER_LENGTH)
    private String identifier;

    @Column(name = "revision", nullable = false)
    private int revision;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "content", columnDefinition = "jsonb", nullable = false)
    private JsonNode content;

    @Column(name = "created", nullable = false)
    private Instant created;

    /** For JPA. */
    protected ConfigurationSnapshot() {
    }

    private ConfigurationSnapshot(long id, String identifier, int revision, JsonNode content, Instant created) {
        this.id = id;
        this.identifier = identifier;
        this.revision = revision;
        this.content = content;
        this.created = created;
    }

    /**
     * A snapshot as stored: for the repository, which inserts and reads rows with SQL and builds the snapshots it
     * hands back with this method.
     *
     * @param id         the id the database assigned, 1 or more
     * @param identifier the configuration's identifier, 1–255 characters
     * @param revision   the revision number, 1 or more
     * @param content    the content, a JSON object (copied)
     * @param created    when the snapshot was defined (truncated to microseconds)
     * @return the stored snapshot
     * @throws InvalidInputException when a value is invalid; the message names the parameter
     */
    public static ConfigurationSnapshot recorded(long id, String identifier, int revision, JsonNode content,
                                                 Instant created) {
        if (id < 1) {
            throw new InvalidInputException("id must be positive, was " + id);
        }
        Check.range("revision", revision, 1, Integer.MAX_VALUE);
        return new ConfigurationSnapshot(id, requireIdentifier(identifier), revision, requireContent(content),
                Check.notNull("created", created).truncatedTo(ChronoUnit.MICROS));
    }

    /**
     * Validates an identifier.
     *
     * @param identifier the identifier
     * @return {@code identifier}
     * @throws InvalidInputException when it is {@code null}, blank, longer than 255 characters, or contains the NUL
     *                               character
     */
    public static String requireIdentifier(String identifier) {
        return Check.text("identifier", identifier, MAX_IDENTIFIER_LENGTH);
    }

    /**
     * Validates content: a JSON object.
     *
     * @param content the content
     * @return a copy of {@code content}
     * @throws InvalidInputException when {@code content} is {@code null} or not a JSON object
     */
    public static JsonNode requireContent(JsonNode content) {
        return Json.requireObject("content", content);
    }

    /** @return the surrogate id */
    public Long id() {
        return id;
    }

    /** @return the configuration's identifier */
    public String identifier() {
        return identifier;
    }

    /** @return the revision number, 1 for the first snapshot of the identifier */
    public int revision() {
        return revision;
    }

    /** @return a copy of the content, a JSON object */
    public JsonNode content() {
        return content.deepCopy();
    }

    /** @return when the snapshot was defined */
    public Instant created() {
        return created;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof ConfigurationSnapshot other && id != null && id.equals(other.id);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(id);
    }

    @Override
    public String toString() {
        return "ConfigurationSnapshot[" + identifier + " revision " + revision + "]";
    }
}
