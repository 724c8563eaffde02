package dev.agentstore.migrations;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A custom index on one of agentstore's tables, declared by the application and created by {@link Indexes#ensure}
 * (and by {@code AgentStore.open} from the configuration) when missing. Immutable and validated on construction,
 * without a database: the name and the table against strict identifier patterns, the key parts and the partial
 * {@code WHERE} against a small grammar (see {@link #where()}); nothing written by the caller reaches the database
 * as written, the SQL is rendered from the parsed form. Whether the table and its columns exist is checked by
 * {@link Indexes#ensure}.
 *
 * <pre>{@code
 * IndexDefinition tenant = IndexDefinition.builder("memories_tenant_idx", "memories")
 *         .column("metadata->>'tenant'").column("created_at DESC")
 *         .where("resource_id IS NOT NULL")
 *         .build();
 * }</pre>
 *
 * @param name         the index name: {@code [a-z_][a-z0-9_]{0,62}}, not a PostgreSQL reserved word, not starting
 *                     with {@code pg_} or {@code chunks_ann_} (knowledge bases' own vector indexes), and not the
 *                     name of a default index ({@link Migrations#defaultIndexNames()})
 * @param table        the table, one of agentstore's: {@code [a-z_][a-z0-9_]{0,62}}
 * @param columns      1 to 32 key parts, each a column ({@code created_at}) or a JSON path into a {@code jsonb}
 *                     column ({@code metadata->>'tenant'}, {@code payload->'a'->>'b'}; keys
 *                     {@code [A-Za-z_][A-Za-z0-9_-]{0,62}}), optionally followed by {@code ASC} or {@code DESC}
 *                     (B-tree only)
 * @param method       the access method; {@code HASH} takes one key part
 * @param unique       whether the index is {@code UNIQUE} (B-tree only)
 * @param where        the partial index's predicate, if any: comparisons of a column or JSON path with a literal
 *                     ({@code =}, {@code <>}, {@code <}, {@code <=}, {@code >}, {@code >=}), {@code IS [NOT] NULL},
 *                     {@code [NOT] IN (...)} and boolean columns ({@code enabled}, {@code NOT enabled}), joined by
 *                     {@code AND}; literals are {@code 'text'} of letters, digits, space and {@code _.:@/+-}, numbers,
 *                     {@code true} and {@code false}. No {@code OR}, functions, casts or sub-queries.
 * @param concurrently whether the index is built with {@code CREATE INDEX CONCURRENTLY} (reads and writes of the
 *                     table go on while it builds; ignored for partitioned tables, which PostgreSQL cannot index
 *                     concurrently)
 */
public record IndexDefinition(String name, String table, List<String> columns, IndexMethod method, boolean unique,
                              Optional<String> where, boolean concurrently) {

    /** At most this many key parts (PostgreSQL's {@code INDEX_MAX_KEYS}). */
    public static final int MAX_COLUMNS = 32;

    private static final Pattern PAYLOAD_PATH =
            Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62}){0,15}");

    /**
     * @throws IllegalArgumentException naming the index and the first invalid part
     * @throws NullPointerException     when a component is {@code null}
     */
    public IndexDefinition {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(where, "where");
        name = requireName(name);
        String field = "indexes[" + name + "]";
        if (table == null || !IndexExpressions.COLUMN.matcher(table).matches() || table.startsWith("databasechangelog")) {
            throw new IllegalArgumentException(field + ".table: must be one of agentstore's tables, a name matching "
                    + IndexExpressions.COLUMN.pattern());
        }
        columns = List.copyOf(Objects.requireNonNull(columns, "columns"));
        if (columns.isEmpty() || columns.size() > MAX_COLUMNS) {
            throw new IllegalArgumentException(field + ".columns: 1 to " + MAX_COLUMNS + " key parts, was "
                    + columns.size());
        }
        for (int i = 0; i < columns.size(); i++) {
            String part = IndexExpressions.keyPart(field + ".columns[" + i + "]", columns.get(i)).sql();
            if (method != IndexMethod.BTREE && (part.endsWith(" ASC") || part.endsWith(" DESC"))) {
                throw new IllegalArgumentException(field + ".columns[" + i + "]: ASC and DESC need the btree method");
            }
        }
        if (unique && method != IndexMethod.BTREE) {
            throw new IllegalArgumentException(field + ".unique: a unique index needs the btree method");
        }
        if (method == IndexMethod.HASH && columns.size() > 1) {
            throw new IllegalArgumentException(field + ".columns: a hash index has one key part");
        }
        where.ifPresent(w -> IndexExpressions.where(field + ".where", w));
    }

    /**
     * @param name  the index name
     * @param table the table
     * @return a builder: B-tree, not unique, no {@code WHERE}, built concurrently
     */
    public static Builder builder(String name, String table) {
        return new Builder(name, table);
    }

    /**
     * A B-tree index on the text of one payload path of chunks, per knowledge base (Mastra's
     * {@code metadataIndexes}): {@code CREATE INDEX name ON chunks (knowledge_base, (payload -> 'a' ->> 'b'))} for
     * the path {@code a.b}. It serves the chunk filters that compare the path's text: equality, {@code IN}, ranges and
     * {@code IS [NOT] NULL} on {@code payload.a.b} with text values ({@code Filter.eq("payload.a.b", "x")}), in
     * listings, text searches and the exact part of filtered vector searches; comparisons with numbers, booleans or
     * dates read a typed expression it does not serve (the GIN index on {@code payload} serves their equalities).
     *
     * @param name the index name, as {@link IndexDefinition}
     * @param path the payload path: keys {@code [A-Za-z_][A-Za-z0-9_]{0,62}} joined by dots, at most 16 (the filter
     *             language's paths, without the {@code payload.} prefix)
     * @return the definition, built concurrently
     * @throws IllegalArgumentException when the name or the path is invalid
     */
    public static IndexDefinition chunkPayload(String name, String path) {
        if (path == null || !PAYLOAD_PATH.matcher(path).matches()) {
            throw new IllegalArgumentException("indexes[" + name + "].path: keys matching [A-Za-z_][A-Za-z0-9_]{0,62}"
                    + " joined by dots, at most 16, was " + (path == null ? "null" : "a text of " + path.length()
                    + " characters"));
        }
        String[] keys = path.split("\\.");
        StringBuilder column = new StringBuilder("payload");
        for (int i = 0; i < keys.length; i++) {
            column.append(i == keys.length - 1 ? "->>'" : "->'").append(keys[i]).append('\'');
        }
        return builder(name, "chunks").column("knowledge_base").column(column.toString()).build();
    }

    /**
     * @param schema the schema that qualifies the table; {@code null} for none
     * @return the {@code CREATE INDEX} statement (without {@code CONCURRENTLY}), rendered from the parsed definition
     */
    String createSql(String schema) {
        String field = "indexes[" + name + "]";
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            parts.add(IndexExpressions.keyPart(field + ".columns[" + i + "]", columns.get(i)).sql());
        }
        return "CREATE " + (unique ? "UNIQUE " : "") + "INDEX " + name + " ON " + (schema == null ? "" : schema + ".") + table
                + " USING " + method.sqlName() + " (" + String.join(", ", parts) + ")"
                + where.map(w -> " WHERE " + IndexExpressions.where(field + ".where", w).sql()).orElse("");
    }

    /** @return every column the key parts and the {@code WHERE} read, in order of appearance, once each */
    List<String> referencedColumns() {
        LinkedHashSet<String> read = new LinkedHashSet<>();
        for (int i = 0; i < columns.size(); i++) {
            read.addAll(IndexExpressions.keyPart("columns[" + i + "]", columns.get(i)).columns());
        }
        where.ifPresent(w -> read.addAll(IndexExpressions.where("where", w).columns()));
        return List.copyOf(read);
    }

    private static String requireName(String name) {
        if (name == null || !IndexExpressions.COLUMN.matcher(name).matches() || name.startsWith("pg_")
                || name.startsWith("chunks_ann_") || SchemaNames.RESERVED.contains(name)) {
            throw new IllegalArgumentException("indexes: an index name matches " + IndexExpressions.COLUMN.pattern()
                    + ", is not a reserved word and does not start with pg_ or chunks_ann_, was "
                    + (name == null ? "null" : "a text of " + name.length() + " characters"));
        }
        if (DefaultIndexes.NAMES.contains(name)) {
            throw new IllegalArgumentException("indexes[" + name + "]: the name of a default index; choose another");
        }
        return name;
    }

    /** Builds an {@link IndexDefinition}; every setter returns the builder. Not thread-safe. */
    public static final class Builder {
        private final String name;
        private final String table;
        private final List<String> columns = new ArrayList<>();
        private IndexMethod method = IndexMethod.BTREE;
        private boolean unique;
        private String where;
        private boolean concurrently = true;

        private Builder(String name, String table) {
            this.name = name;
            this.table = table;
        }

        /** @param keyPart a column or JSON path, optionally followed by ASC or DESC; see {@link IndexDefinition} */
        public Builder column(String keyPart) {
            columns.add(Objects.requireNonNull(keyPart, "keyPart"));
            return this;
        }

        /** @param method the access method; default {@link IndexMethod#BTREE} */
        public Builder method(IndexMethod method) {
            this.method = Objects.requireNonNull(method, "method");
            return this;
        }

        /** @param unique whether the index is unique; default false */
        public Builder unique(boolean unique) {
            this.unique = unique;
            return this;
        }

        /** @param where the partial index's predicate, see {@link IndexDefinition#where()}; default none */
        public Builder where(String where) {
            this.where = where;
            return this;
        }

        /** @param concurrently whether to build with {@code CREATE INDEX CONCURRENTLY}; default true */
        public Builder concurrently(boolean concurrently) {
            this.concurrently = concurrently;
            return this;
        }

        /**
         * @return the definition
         * @throws IllegalArgumentException naming the index and the first invalid part
         */
        public IndexDefinition build() {
            return new IndexDefinition(name, table, columns, method, unique, Optional.ofNullable(where), concurrently);
        }
    }
}
