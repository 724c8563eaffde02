package dev.agentstore.domain.definition;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
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
import java.util.UUID;

/**
 * One immutable version of a {@link Definition} (table {@code definition_versions}): a UUID, the definition's kind
 * and id, its number (1, 2, 3... per definition, no duplicates, no gaps when created, never reused after a
 * deletion), the content (a JSON object satisfying the kind's JSON Schema), a change message, an author, when it
 * was created and, for the kinds {@link DefinitionKind#TEMPLATE} and {@link DefinitionKind#CONFIGURATION}, a bigint
 * {@code seq_id} (their revisions' ids, {@code Template.id()} and {@code ConfigurationSnapshot.id()}).
 *
 * <p>Written with SQL by {@code DefinitionRepository}; this entity is the read-only mapping for JPA users. Two
 * instances are equal when they have the same id.
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "definition_versions")
public class DefinitionVersion {

    @Id
    @Column(name = "id", nullable = false)
    private UUID id;

    @Column(name = "kind", nullable = false, length = 64)
    private String kind;

    @Column(name = "definition_id", nullable = false, length = Check.MAX_NAME_LENGTH)
    private String definitionId;

    @Column(name = "number", nullable = false)
    private int number;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "content", columnDefinition = "jsonb", nullable = false)
    private JsonNode content;

    @Column(name = "change_message", columnDefinition = "text")
    private String changeMessage;

    @Column(name = "author", length = Check.MAX_NAME_LENGTH)
    private String author;

    @Column(name = "created", nullable = false)
    private Instant created;

    @Column(name = "seq_id")
    private Long seqId;

    /** For JPA. */
    protected DefinitionVersion() {
    }

    /**
     * A version as stored, for the repository that reads its rows with SQL.
     *
     * @param id            the version's UUID
     * @param kind          the definition's kind
     * @param definitionId  the definition's id
     * @param number        the number, 1 or more
     * @param content       the content, a JSON object (copied)
     * @param changeMessage the change message, or {@code null}
     * @param author        the author, or {@code null}
     * @param created       when it was created
     * @return the version
     * @throws dev.agentstore.domain.InvalidInputException when a value is invalid; the message names it
     */
    public static DefinitionVersion recorded(UUID id, DefinitionKind kind, String definitionId, int number,
                                             JsonNode content, String changeMessage, String author,
                                             Instant created) {
        return recorded(id, kind, definitionId, number, content, changeMessage, author, created, null);
    }

    /**
     * As {@link #recorded(UUID, DefinitionKind, String, int, JsonNode, String, String, Instant)}, with its
     * {@code seq_id}.
     *
     * @param id            the version's UUID
     * @param kind          the definition's kind
     * @param definitionId  the definition's id
     * @param number        the number, 1 or more
     * @param content       the content, a JSON object (copied)
     * @param changeMessage the change message, or {@code null}
     * @param author        the author, or {@code null}
     * @param created       when it was created
     * @param seqId         the bigint id of a template or configuration revision, or {@code null} for other kinds
     * @return the version
     * @throws dev.agentstore.domain.InvalidInputException when a value is invalid; the message names it
     */
    public static DefinitionVersion recorded(UUID id, DefinitionKind kind, String definitionId, int number,
                                             JsonNode content, String changeMessage, String author,
                                             Instant created, Long seqId) {
        DefinitionVersion v = new DefinitionVersion();
        v.id = Check.notNull("id", id);
        v.kind = Check.notNull("kind", kind).storedName();
        v.definitionId = Definition.requireId(definitionId);
        v.number = Check.range("number", number, 1, Integer.MAX_VALUE);
        v.content = Json.requireObject("content", content).deepCopy();
        v.changeMessage = Definition.requireMessage(changeMessage);
        v.author = Definition.requireAuthor(author);
        v.created = Check.notNull("created", created).truncatedTo(ChronoUnit.MICROS);
        v.seqId = seqId;
        return v;
    }

    /** @return the version's UUID (Mastra's version id) */
    public UUID id() {
        return id;
    }

    /** @return the definition's kind */
    public DefinitionKind kind() {
        return DefinitionKind.fromStoredName(kind);
    }

    /** @return the definition's id */
    public String definitionId() {
        return definitionId;
    }

    /** @return the number, 1 or more */
    public int number() {
        return number;
    }

    /** @return a copy of the content, a JSON object */
    public JsonNode content() {
        return content.deepCopy();
    }

    /** @return the change message, or {@code null} */
    public String changeMessage() {
        return changeMessage;
    }

    /** @return the author, or {@code null} */
    public String author() {
        return author;
    }

    /** @return when the version was created */
    public Instant created() {
        return created;
    }

    /**
     * @return the bigint id of a {@link DefinitionKind#TEMPLATE} or {@link DefinitionKind#CONFIGURATION} version
     *         (from the sequence {@code templates_seq} or {@code configurations_seq}), {@code null} for other kinds
     */
    public Long seqId() {
        return seqId;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof DefinitionVersion other && id != null && id.equals(other.id);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(DefinitionVersion.class);
    }

    @Override
    public String toString() {
        return "DefinitionVersion[" + kind + "/" + definitionId + " " + number + "]";
    }
}
