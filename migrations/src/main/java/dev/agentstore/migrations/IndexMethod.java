package dev.agentstore.migrations;

import java.util.Locale;

/** The PostgreSQL index access methods a custom index ({@link IndexDefinition}) may use. */
public enum IndexMethod {
    /** B-tree: equality, ranges, sorting, {@code UNIQUE}; the default. */
    BTREE,
    /** Hash: equality on one key only. */
    HASH,
    /** GIN: containment and key existence on {@code jsonb} and arrays. */
    GIN,
    /** BRIN: ranges over columns that follow the physical order of the rows, such as append times. */
    BRIN;

    /** @return the access method's name in SQL, for example {@code btree} */
    public String sqlName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
