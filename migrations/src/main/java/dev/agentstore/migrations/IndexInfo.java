package dev.agentstore.migrations;

/**
 * One index of the schema, as {@link Indexes#list()} reads it from PostgreSQL's catalog.
 *
 * @param name       the index name
 * @param table      its table
 * @param definition PostgreSQL's {@code pg_get_indexdef}: the {@code CREATE INDEX} statement as the server renders it
 * @param method     the access method, for example {@code btree}
 * @param unique     whether the index is unique
 * @param valid      false when a concurrent build failed and left it unusable (it is not used by queries)
 * @param sizeBytes  its size on disk, in bytes
 * @param kind       where it comes from
 */
public record IndexInfo(String name, String table, String definition, String method, boolean unique, boolean valid,
                        long sizeBytes, Kind kind) {

    /** Where an index comes from. */
    public enum Kind {
        /** Needed by a constraint: a primary key, a unique constraint or a unique index of the changelog. */
        CONSTRAINT,
        /** A default index of the changelog ({@link Migrations#defaultIndexNames()}). */
        DEFAULT,
        /** A custom index created by {@link Indexes#ensure}. */
        CUSTOM,
        /** Any other: a knowledge base's vector index, or one created outside agentstore. */
        OTHER
    }
}
