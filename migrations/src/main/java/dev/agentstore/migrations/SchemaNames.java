package dev.agentstore.migrations;

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

    private SchemaNames() {
    }

    /**
     * Returns {@code schema} when it matches {@link #PATTERN}.
     *
     * @param schema the schema name to check
     * @return the same name
     * @throws IllegalArgumentException when the name is {@code null}, blank, too long, or has characters other
     *                                  than lower-case letters, digits and underscores; the message says which
     *                                  pattern to follow
     */
    public static String requireValid(String schema) {
        if (schema == null || !PATTERN.matcher(schema).matches() || schema.startsWith("pg_")) {
            throw new IllegalArgumentException("invalid schema name '" + schema + "': use 1 to 63 lower-case letters,"
                    + " digits or underscores, starting with a letter or underscore (pattern " + PATTERN
                    + "), and not starting with pg_");
        }
        return schema;
    }
}
