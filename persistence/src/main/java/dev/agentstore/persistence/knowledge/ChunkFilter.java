package dev.agentstore.persistence.knowledge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Conditions on chunks for {@link ChunkRepository#search}, {@link ChunkRepository#count(String, ChunkFilter)} and
 * {@link ChunkRepository#deleteByFilter}: rendered to SQL with every value a bound parameter.
 *
 * <pre>{@code
 * ChunkFilter.payloadEquals("lang", "en").and(ChunkFilter.documentId("handbook.md"))
 * }</pre>
 */
public final class ChunkFilter {

    /** A rendered condition: SQL text with {@code ?} placeholders and their values, in order. */
    record Rendered(String sql, List<Object> params) {
    }

    private final Rendered rendered;
    private final String description;

    private ChunkFilter(Rendered rendered, String description) {
        this.rendered = rendered;
        this.description = description;
    }

    /**
     * Chunks whose payload has {@code key} equal to {@code value} (JSONB containment {@code payload @> {key: value}},
     * so a number matches an equal number and an array value must be contained).
     *
     * @param key   the top-level payload key, 1–255 characters
     * @param value the value: a {@link JsonNode}, or anything Jackson converts (String, Number, Boolean, Map, List)
     * @return the filter
     * @throws InvalidInputException when the key is blank or the value cannot be converted
     */
    public static ChunkFilter payloadEquals(String key, Object value) {
        return containment("payload", key, value);
    }

    /**
     * Chunks whose meta has {@code key} equal to {@code value} (JSONB containment, as {@link #payloadEquals}).
     *
     * @param key   the top-level meta key, 1–255 characters
     * @param value the value
     * @return the filter
     * @throws InvalidInputException when the key is blank or the value cannot be converted
     */
    public static ChunkFilter metaEquals(String key, Object value) {
        return containment("meta", key, value);
    }

    /**
     * @param documentId the document id
     * @return chunks of that document
     * @throws InvalidInputException when it is blank or longer than 255 characters
     */
    public static ChunkFilter documentId(String documentId) {
        Check.name("documentId", documentId);
        return new ChunkFilter(new Rendered("document_id = ?", List.of(documentId)), "documentId=" + documentId);
    }

    /**
     * @param other another filter
     * @return chunks meeting both filters
     */
    public ChunkFilter and(ChunkFilter other) {
        Check.notNull("other", other);
        List<Object> params = new ArrayList<>(rendered.params());
        params.addAll(other.rendered.params());
        return new ChunkFilter(new Rendered("(" + rendered.sql() + ") AND (" + other.rendered.sql() + ")", params),
                description + " AND " + other.description);
    }

    /**
     * A filter from already rendered SQL; package-private, for adapters of other query languages.
     *
     * @param sql         a boolean SQL condition on {@code chunks} columns with {@code ?} placeholders
     * @param params      the placeholders' values
     * @param description for {@link #toString()}
     * @return the filter
     */
    static ChunkFilter rendered(String sql, List<Object> params, String description) {
        return new ChunkFilter(new Rendered(sql, List.copyOf(params)), description);
    }

    Rendered render() {
        return rendered;
    }

    private static ChunkFilter containment(String column, String key, Object value) {
        Check.name(column + " key", key);
        ObjectNode doc = Json.object();
        doc.set(key, Json.of(column + " value", value));
        String json = Json.print(doc);
        return new ChunkFilter(new Rendered(column + " @> CAST(? AS jsonb)", List.of(json)), column + " @> " + json);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChunkFilter other && rendered.equals(other.rendered);
    }

    @Override
    public int hashCode() {
        return Objects.hash(rendered);
    }

    @Override
    public String toString() {
        return description;
    }
}
