package dev.agentstore.persistence.query;

import dev.agentstore.domain.InvalidInputException;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which {@link FieldPath} roots a table offers and the SQL column expressions they stand for: JSONB roots (paths
 * below them address keys inside the document) and plain columns of a fixed {@link ValueKind}. Defined once per
 * repository by code, never from user input; the column expressions are checked to be plain (optionally
 * alias-qualified) identifiers.
 *
 * <pre>{@code
 * FieldMap records = FieldMap.builder()
 *         .json("data", "r.data").json("metadata", "r.metadata")
 *         .column("id", "r.id", ValueKind.TEXT).column("created_at", "r.created_at", ValueKind.TIMESTAMP)
 *         .build();
 * FieldMap chunks = FieldMap.builder()
 *         .json("payload", "c.payload").json("meta", "c.meta")
 *         .column("document_id", "c.document_id", ValueKind.TEXT).column("ordinal", "c.ordinal", ValueKind.NUMBER)
 *         .build();
 * }</pre>
 */
public final class FieldMap {

    private static final Pattern COLUMN = Pattern.compile("([A-Za-z_][A-Za-z0-9_]{0,62}\\.)?[A-Za-z_][A-Za-z0-9_]{0,62}");

    /**
     * One root.
     *
     * @param name   the root's name in paths
     * @param column the SQL column expression, for example {@code r.data}
     * @param kind   the plain column's kind, or {@code null} for a JSONB root
     */
    public record Root(String name, String column, ValueKind kind) {
        /** @return whether the root is a JSONB column */
        public boolean isJson() {
            return kind == null;
        }
    }

    private final Map<String, Root> roots;
    private final String names;

    private FieldMap(Map<String, Root> roots) {
        this.roots = Map.copyOf(roots);
        this.names = String.join(", ", roots.keySet());
    }

    /** @return a builder with no roots */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * @param name a root name
     * @return the root, or empty when this map has no root of that name
     */
    public Optional<Root> root(String name) {
        return Optional.ofNullable(roots.get(name));
    }

    /**
     * @param path a field path
     * @return the path's root
     * @throws InvalidInputException when the root is unknown, or a plain column's path has keys below it
     */
    public Root resolve(FieldPath path) {
        Root root = roots.get(path.root());
        if (root == null) {
            throw new InvalidInputException("field path '" + path + "' must start with one of: " + names);
        }
        if (!root.isJson() && !path.isRoot()) {
            throw new InvalidInputException("field path '" + path + "': " + root.name()
                    + " is a plain column and has no keys below it");
        }
        return root;
    }

    /** Collects roots; each name once. */
    public static final class Builder {
        private final Map<String, Root> roots = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * Adds a JSONB root.
         *
         * @param name   the root's name in paths, an identifier
         * @param column the SQL expression of the {@code jsonb} column, an optionally alias-qualified identifier
         * @return this builder
         * @throws IllegalArgumentException when a name or expression is not an identifier, or the name is taken
         */
        public Builder json(String name, String column) {
            return add(new Root(name, column, null));
        }

        /**
         * Adds a plain column (compared as {@code kind}; paths name it without keys).
         *
         * @param name   the root's name in paths, an identifier
         * @param column the SQL expression of the column, an optionally alias-qualified identifier
         * @param kind   how the column compares; values of another kind are rejected
         * @return this builder
         * @throws IllegalArgumentException when a name or expression is not an identifier, the name is taken, or
         *                                  {@code kind} is {@code null}
         */
        public Builder column(String name, String column, ValueKind kind) {
            if (kind == null) {
                throw new IllegalArgumentException("kind of column " + name + " must not be null");
            }
            return add(new Root(name, column, kind));
        }

        /** @return the map */
        public FieldMap build() {
            return new FieldMap(roots);
        }

        private Builder add(Root root) {
            if (root.name() == null || !COLUMN.matcher(root.name()).matches() || root.name().contains(".")) {
                throw new IllegalArgumentException("root name must be an identifier, was " + root.name());
            }
            if (root.column() == null || !COLUMN.matcher(root.column()).matches()) {
                throw new IllegalArgumentException("column of " + root.name()
                        + " must be an (alias-qualified) identifier, was " + root.column());
            }
            if (roots.putIfAbsent(root.name(), root) != null) {
                throw new IllegalArgumentException("root " + root.name() + " defined twice");
            }
            return this;
        }
    }
}
