package dev.agentstore.domain.template;

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
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One revision of a prompt template (table {@code templates}): an identifier, a
 * revision number (1, 2, 3... per identifier, assigned by the repository when the revision is defined), a
 * description, the template text, and two JSON objects: {@code variables} (the declared arguments, for example
 * {@code {"name":{"type":"string"}}}) and {@code meta} (free-form). Revisions are append-only and immutable; the
 * newest revision of an identifier is the current template.
 *
 * <p>Revisions are ordered by number, not by time: two revisions defined in the same microsecond, or by processes whose
 * clocks disagree, still get distinct, gap-free numbers in the order they were defined. Two instances are equal when
 * they have the same id.
 *
 * <p>The repository ({@code TemplateRepository}) writes the table with SQL; this entity is the mapping for JPA users'
 * reads (JPQL, Criteria), read-only to JPA ({@link ReadOnlyEntity}), and holds the rules every define follows
 * ({@link #requireIdentifier}, {@link #requireDescription}, {@link #requireContent}, {@link #requireObject}).
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "templates")
public class Template {

    /** Maximum identifier length: 255 characters. */
    public static final int MAX_IDENTIFIER_LENGTH = Check.MAX_NAME_LENGTH;

    /** Maximum description length: 10,000 characters. */
    public static final int MAX_DESCRIPTION_LENGTH = 10_000;

    /** Maximum content length: 1,000,000 characters. */
    public static final int MAX_CONTENT_LENGTH = 1_000_000;

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([A-Za-z0-9_.-]+)\\s*}}");

    /** Assigned by the column's default ({@code nextval('templates_seq')}) when the repository inserts the row. */
    @Id
    @Column(name = "id")
    private Long id;

    @Column(name = "identifier", nullable = false, length = MAX_IDENTIFIER_LENGTH)
    private String identifier;

    @Column(name = "revision", nullable = false)
    private int revision;

    @Column(name = "description", columnDefinition = "text")
    private String description;

    @Column(name = "content", nullable = false, columnDefinition = "text")
    private String content;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "variables", columnDefinition = "jsonb", nullable = false)
    private JsonNode variables;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "meta", columnDefinition = "jsonb", nullable = false)
    private JsonNode meta;

    @Column(name = "created", nullable = false)
    private Instant created;

    /** For JPA. */
    protected Template() {
    }

    private Template(Long id, String identifier, int revision, String description, String content,
                     JsonNode variables, JsonNode meta, Instant created) {
        this.id = id;
        this.identifier = identifier;
        this.revision = revision;
        this.description = description;
        this.content = content;
        this.variables = variables;
        this.meta = meta;
        this.created = created;
    }

    /**
     * A revision as stored: for the repository, which inserts with SQL (to number revisions without races) and reads
     * rows with SQL, and builds the revisions it hands back with this method. Validates every value as
     * {@link #requireIdentifier}, {@link #requireDescription}, {@link #requireContent} and {@link #requireObject} do.
     *
     * @param id          the id the database assigned, 1 or more
     * @param identifier  the template's identifier, 1–255 characters
     * @param revision    the revision number, 1 or more
     * @param description the description, up to 10,000 characters, or {@code null}
     * @param content     the template text, 1–1,000,000 characters
     * @param variables   the declared variables, a JSON object, or {@code null} for {@code {}} (copied)
     * @param meta        free-form metadata, a JSON object, or {@code null} for {@code {}} (copied)
     * @param created     when the revision was defined (truncated to microseconds, PostgreSQL's precision)
     * @return the stored revision
     * @throws InvalidInputException when a value is invalid; the message names the parameter
     */
    public static Template recorded(long id, String identifier, int revision, String description, String content,
                                    JsonNode variables, JsonNode meta, Instant created) {
        if (id < 1) {
            throw new InvalidInputException("id must be positive, was " + id);
        }
        Check.range("revision", revision, 1, Integer.MAX_VALUE);
        return new Template(id, requireIdentifier(identifier), revision, requireDescription(description),
                requireContent(content), requireObject("variables", variables), requireObject("meta", meta),
                Check.notNull("created", created).truncatedTo(ChronoUnit.MICROS));
    }

    /**
     * Validates an identifier.
     *
     * @param identifier the identifier
     * @return {@code identifier}
     * @throws InvalidInputException when it is {@code null}, blank, longer than 255 characters, or contains the NUL
     *                               character (PostgreSQL text cannot hold it)
     */
    public static String requireIdentifier(String identifier) {
        return Check.text("identifier", identifier, MAX_IDENTIFIER_LENGTH);
    }

    /**
     * Validates a description.
     *
     * @param description the description, or {@code null}
     * @return {@code description}
     * @throws InvalidInputException when it is longer than 10,000 characters or contains the NUL character
     */
    public static String requireDescription(String description) {
        if (description == null) {
            return null;
        }
        if (description.length() > MAX_DESCRIPTION_LENGTH) {
            throw new InvalidInputException("description must be at most " + MAX_DESCRIPTION_LENGTH
                    + " characters, was " + description.length());
        }
        return Check.noNul("description", description);
    }

    /**
     * Validates template content.
     *
     * @param content the template text
     * @return {@code content}
     * @throws InvalidInputException when it is {@code null}, empty, longer than 1,000,000 characters, or contains the
     *                               NUL character; whitespace-only content is accepted
     */
    public static String requireContent(String content) {
        if (content == null || content.isEmpty()) {
            throw new InvalidInputException("content must not be empty");
        }
        if (content.length() > MAX_CONTENT_LENGTH) {
            throw new InvalidInputException("content must be at most " + MAX_CONTENT_LENGTH + " characters, was "
                    + content.length());
        }
        return Check.noNul("content", content);
    }

    /**
     * Validates {@code variables} or {@code meta}: a JSON object, or {@code null} meaning the empty object.
     *
     * @param parameter the parameter's name, for the message
     * @param value     the value, or {@code null}
     * @return a copy of {@code value}, or a new empty object for {@code null}
     * @throws InvalidInputException when {@code value} is not a JSON object (an array, a string, JSON null...)
     */
    public static ObjectNode requireObject(String parameter, JsonNode value) {
        return value == null ? Json.object() : Json.requireObject(parameter, value);
    }

    /**
     * Renders the content by replacing each {@code {{name}}} placeholder (letters, digits, {@code _}, {@code .},
     * {@code -}; spaces inside the braces allowed) with the value of {@code name} in {@code arguments}: a string as
     * is, anything else ({@link JsonNode}s included) as {@link String#valueOf} / JSON text. A placeholder without an
     * argument is left as it is. A convenience only: no escaping, conditionals or loops.
     *
     * @param arguments the values by name
     * @return the rendered text
     * @throws InvalidInputException when {@code arguments} is {@code null}
     */
    public String render(Map<String, ?> arguments) {
        Check.notNull("arguments", arguments);
        Matcher m = PLACEHOLDER.matcher(content);
        StringBuilder out = new StringBuilder(content.length());
        while (m.find()) {
            Object value = arguments.get(m.group(1));
            String replacement = value == null && !arguments.containsKey(m.group(1)) ? m.group()
                    : value instanceof JsonNode node && node.isTextual() ? node.textValue()
                    : String.valueOf(value);
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** @return the surrogate id */
    public Long id() {
        return id;
    }

    /** @return the template's identifier */
    public String identifier() {
        return identifier;
    }

    /** @return the revision number, 1 for the first revision of the identifier */
    public int revision() {
        return revision;
    }

    /** @return the description, or {@code null} */
    public String description() {
        return description;
    }

    /** @return the template text */
    public String content() {
        return content;
    }

    /** @return a copy of the declared variables, a JSON object */
    public JsonNode variables() {
        return variables.deepCopy();
    }

    /** @return a copy of the metadata, a JSON object */
    public JsonNode meta() {
        return meta.deepCopy();
    }

    /** @return when the revision was defined */
    public Instant created() {
        return created;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof Template other && id != null && id.equals(other.id);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(id);
    }

    @Override
    public String toString() {
        return "Template[" + identifier + " revision " + revision + "]";
    }
}
