package dev.agentstore.migrations;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * Validation of PostgreSQL schema names used by agentstore. Schema names are identifiers that end up in DDL and
 * in the connection's {@code search_path}, so they cannot be bound parameters; they are checked against a
 * strict pattern instead: a lower-case letter or underscore, then up to 62 lower-case letters, digits or
 * underscores (PostgreSQL's 63-byte identifier limit, no quoting needed).
 */
public final class SchemaNames {

    /** {@code [a-z_][a-z0-9_]{0,62}}. */
    public static final Pattern PATTERN = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    /**
     * PostgreSQL 15's reserved key words (categories R and T of {@code pg_get_keywords()}): they match the pattern
     * but cannot stand unquoted as a schema name.
     */
    public static final Set<String> RESERVED = Set.of(
            "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization", "binary",
            "both", "case", "cast", "check", "collate", "collation", "column", "concurrently", "constraint",
            "create", "cross", "current_catalog", "current_date", "current_role", "current_schema", "current_time",
            "current_timestamp", "current_user", "default", "deferrable", "desc", "distinct", "do", "else", "end",
            "except", "false", "fetch", "for", "foreign", "freeze", "from", "full", "grant", "group", "having",
            "ilike", "in", "initially", "inner", "intersect", "into", "is", "isnull", "join", "lateral", "leading",
            "left", "like", "limit", "localtime", "localtimestamp", "natural", "not", "notnull", "null", "offset",
            "on", "only", "or", "order", "outer", "overlaps", "placing", "primary", "references", "returning",
            "right", "select", "session_user", "similar", "some", "symmetric", "table", "tablesample", "then", "to",
            "trailing", "true", "union", "unique", "user", "using", "variadic", "verbose", "when", "where", "window",
            "with");

    private SchemaNames() {
    }

    /**
     * Returns {@code schema} when it matches {@link #PATTERN}.
     *
     * @param schema the schema name to check
     * @return the same name
     * @throws IllegalArgumentException when the name is {@code null}, blank, too long, has characters other
     *                                  than lower-case letters, digits and underscores, starts with {@code pg_} or
     *                                  is a reserved word ({@link #RESERVED}); the message says what to follow
     */
    public static String requireValid(String schema) {
        if (schema == null || !PATTERN.matcher(schema).matches() || schema.startsWith("pg_")) {
            throw new IllegalArgumentException("invalid schema name (" + (schema == null ? "null" : "a text of "
                    + schema.length() + " characters") + " that does not match): use 1 to 63 lower-case letters,"
                    + " digits or underscores, starting with a letter or underscore (pattern " + PATTERN
                    + "), and not starting with pg_");
        }
        if (RESERVED.contains(schema)) {
            throw new IllegalArgumentException("invalid schema name '" + schema + "': it is a reserved word of"
                    + " PostgreSQL; choose another name, for example " + schema + "_data");
        }
        return schema;
    }
}
