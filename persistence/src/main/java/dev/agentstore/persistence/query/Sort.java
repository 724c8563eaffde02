package dev.agentstore.persistence.query;

import dev.agentstore.domain.Check;

/**
 * One sort key of a {@link Query}: a field, a direction, and how to compare. Rows without the field (or whose value
 * does not fit the chosen type) sort <b>last</b> in both directions ({@code NULLS LAST}).
 *
 * <p>By default ({@code as == null}, "natural") a JSONB field sorts by PostgreSQL's {@code jsonb} ordering, which
 * infers the type per value: numbers compare as numbers ({@code 9 < 10}), strings as strings, booleans as booleans,
 * and values of different JSON types by type (null &lt; string &lt; number &lt; boolean &lt; array &lt; object,
 * PostgreSQL's documented btree order for jsonb scalars). So a field that holds numbers sorts numerically without
 * saying so. {@link #numeric()}, {@link #text()}, {@link #timestamp()} and {@link #as(ValueKind)} force a type:
 * {@code numeric()} orders JSON numbers numerically and puts every non-number last; {@code text()} orders the text
 * of every value (so {@code "10" < "9"}); {@code timestamp()} orders ISO-8601 strings as instants. A plain column
 * sorts by its own type.
 *
 * <pre>{@code
 * Query.all().orderBy(Sort.by("data.age").numeric().descending(), Sort.by("data.name"))
 * }</pre>
 *
 * @param path      the field
 * @param direction ascending (smallest first) or descending
 * @param as        the type to compare as, or {@code null} for natural ordering
 */
public record Sort(FieldPath path, Direction direction, ValueKind as) {

    /** Sort direction. */
    public enum Direction {
        /** Smallest first. */
        ASC,
        /** Largest first. */
        DESC
    }

    /**
     * @param path      the field
     * @param direction the direction
     * @param as        the type to compare as, or {@code null} for natural ordering
     * @throws dev.agentstore.domain.InvalidInputException when {@code path} or {@code direction} is {@code null}
     */
    public Sort {
        Check.notNull("path", path);
        Check.notNull("direction", direction);
    }

    /**
     * @param path a dot path
     * @return an ascending, natural sort on the path
     * @throws dev.agentstore.domain.InvalidInputException when the path is invalid
     */
    public static Sort by(String path) {
        return new Sort(FieldPath.of(path), Direction.ASC, null);
    }

    /** @return this sort, ascending (smallest first) */
    public Sort ascending() {
        return new Sort(path, Direction.ASC, as);
    }

    /** @return this sort, descending (largest first) */
    public Sort descending() {
        return new Sort(path, Direction.DESC, as);
    }

    /** @return this sort comparing JSON numbers numerically; other values last */
    public Sort numeric() {
        return as(ValueKind.NUMBER);
    }

    /** @return this sort comparing the text of the values (database collation) */
    public Sort text() {
        return as(ValueKind.TEXT);
    }

    /** @return this sort comparing ISO-8601 strings as instants ({@code timestamptz}); other values last */
    public Sort timestamp() {
        return as(ValueKind.TIMESTAMP);
    }

    /**
     * @param kind the type to compare as, or {@code null} for natural ordering
     * @return this sort comparing as {@code kind}
     */
    public Sort as(ValueKind kind) {
        return new Sort(path, direction, kind);
    }
}
