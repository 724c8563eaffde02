package dev.agentstore.persistence.record;

import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.record.Record;
import dev.agentstore.persistence.support.Sql;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.SqlStatement;

import java.time.Instant;

/** The statements of {@link RecordRepository} on {@code records}, and how their rows become {@link Record}s. */
final class RecordSql {

    /** A whole record, as {@link #RECORD} reads it. */
    static final String COLUMNS = """
            r.id, CAST(r.data AS text) AS data, CAST(r.metadata AS text) AS metadata, r.created_at, r.updated_at, \
            r.version""";

    /** Inserts one record; no row when the id exists. */
    static final String INSERT = """
            INSERT INTO records (id, data, metadata, created_at, updated_at, version)
            VALUES (:id, CAST(:data AS jsonb), CAST(:metadata AS jsonb), :now, :now, 0)
            ON CONFLICT (id) DO NOTHING
            RETURNING id
            """;

    /** {@code :rows}: a JSON array of {"id", "data", "metadata"} objects; one statement for the whole batch. */
    static final String INSERT_BATCH = """
            INSERT INTO records (id, data, metadata, created_at, updated_at, version)
            SELECT e ->> 'id', e -> 'data', e -> 'metadata', :now, :now, 0
              FROM jsonb_array_elements(CAST(:rows AS jsonb)) WITH ORDINALITY AS t(e, n)
             ORDER BY n
            ON CONFLICT (id) DO NOTHING
            RETURNING id
            """;

    /** Takes back the rows of a batch that hit a duplicate ({@code :ids}, rows this transaction just inserted). */
    static final String UNDO_BATCH = """
            DELETE FROM records
             WHERE id = ANY(:ids)
            """;

    /**
     * Creates or replaces a batch of records in one statement. {@code :rows} is a JSON array of {"id", "data",
     * "metadata"?, "expected"?} objects with unique ids: an absent {@code metadata} keeps the stored one ({} for a new
     * record); {@code expected} is the version the unit of work read ({@code -1}: read as absent), absent when it read
     * none. Each row goes to one branch, so no branch looks rows up: {@code updated} (read with a version: updated
     * only if it still has it, never inserted), {@code created} (read as absent: inserted only if still absent),
     * {@code replaced} and {@code kept} (not read: inserted or replaced, with the given or the stored metadata). A row
     * not written returns nothing. Inserts lock in id order.
     */
    static final String UPSERT_BATCH = """
            WITH input AS (
                SELECT e ->> 'id' AS id, e -> 'data' AS data, e -> 'metadata' AS metadata,
                       CAST(e ->> 'expected' AS bigint) AS expected
                  FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS t(e)
            ), updated AS (
                UPDATE records r
                   SET data = i.data, metadata = COALESCE(i.metadata, r.metadata), updated_at = :now,
                       version = r.version + 1
                  FROM input i
                 WHERE i.expected >= 0 AND r.id = i.id AND r.version = i.expected
                %1$s
            ), created AS (
                INSERT INTO records AS r (id, data, metadata, created_at, updated_at, version)
                SELECT id, data, COALESCE(metadata, jsonb_build_object()), :now, :now, 0
                  FROM input
                 WHERE expected < 0
                 ORDER BY id
                ON CONFLICT (id) DO NOTHING
                %1$s
            ), replaced AS (
                INSERT INTO records AS r (id, data, metadata, created_at, updated_at, version)
                SELECT id, data, metadata, :now, :now, 0
                  FROM input
                 WHERE expected IS NULL AND metadata IS NOT NULL
                 ORDER BY id
                ON CONFLICT (id) DO UPDATE
                   SET data = EXCLUDED.data, metadata = EXCLUDED.metadata, updated_at = EXCLUDED.updated_at,
                       version = r.version + 1
                %1$s
            ), kept AS (
                INSERT INTO records AS r (id, data, metadata, created_at, updated_at, version)
                SELECT id, data, jsonb_build_object(), :now, :now, 0
                  FROM input
                 WHERE expected IS NULL AND metadata IS NULL
                 ORDER BY id
                ON CONFLICT (id) DO UPDATE
                   SET data = EXCLUDED.data, updated_at = EXCLUDED.updated_at, version = r.version + 1
                %1$s
            )
            SELECT * FROM updated
             UNION ALL SELECT * FROM created
             UNION ALL SELECT * FROM replaced
             UNION ALL SELECT * FROM kept
            """.formatted("RETURNING r.id, CAST(r.metadata AS text) AS metadata, r.created_at, r.version");

    /** Deletes the records matching a filter; {@code %s} is the rendered filter on {@code records r}. */
    static final String CLEAR = """
            DELETE FROM records r
             WHERE %s
            """;

    /** {@code :metadata} NULL keeps the stored metadata ({} for a new record). */
    static final String UPSERT = """
            INSERT INTO records AS r (id, data, metadata, created_at, updated_at, version)
            VALUES (:id, CAST(:data AS jsonb), COALESCE(CAST(:metadata AS jsonb), jsonb_build_object()), :now, :now, 0)
            ON CONFLICT (id) DO UPDATE
               SET data = EXCLUDED.data,
                   metadata = COALESCE(CAST(:metadata AS jsonb), r.metadata),
                   updated_at = EXCLUDED.updated_at,
                   version = r.version + 1
            RETURNING CAST(r.metadata AS text) AS metadata, r.created_at, r.version
            """;

    /** A record's update; {@code %s} is an extra condition ({@link #UPDATE_IF_VERSION}) or nothing. */
    private static final String UPDATE_WHERE = """
            UPDATE records r
               SET data = CAST(:data AS jsonb), metadata = COALESCE(CAST(:metadata AS jsonb), r.metadata),
                   updated_at = :now, version = r.version + 1
             WHERE r.id = :id%s
            RETURNING CAST(r.metadata AS text) AS metadata, r.created_at, r.version
            """;

    /** Replaces a record's data (and metadata unless {@code :metadata} is NULL); no row when it is missing. */
    static final String UPDATE = UPDATE_WHERE.formatted("");

    /** As {@link #UPDATE}, only when the record still has version {@code :expected}; no row = not written. */
    static final String UPDATE_IF_VERSION = UPDATE_WHERE.formatted(" AND r.version = :expected");

    /** Why a compare-and-set wrote nothing: the record's version, no row when it is gone. */
    static final String VERSION_OF = """
            SELECT version
              FROM records
             WHERE id = :id
            """;

    static final String GET = """
            SELECT %s
              FROM records r
             WHERE r.id = :id
            """.formatted(COLUMNS);

    static final String GET_FOR_UPDATE = GET + " FOR UPDATE";

    static final String DELETE = """
            DELETE FROM records
             WHERE id = :id
            """;

    static final String DELETE_IF_VERSION = """
            DELETE FROM records
             WHERE id = :id
               AND version = :expected
            """;

    /** A row of {@link #COLUMNS} as a record. */
    static final RowMapper<Record> RECORD = (rs, ctx) -> Record.of(rs.getString("id"),
            Json.parse("data", rs.getString("data")), Json.parse("metadata", rs.getString("metadata")),
            Sql.instant(rs, "created_at"), Sql.instant(rs, "updated_at"), rs.getLong("version"));

    private RecordSql() {
    }

    /** Binds the values {@link #INSERT}, {@link #UPSERT} and the updates take. */
    static <S extends SqlStatement<S>> S bindRecord(S statement, String id, String data, String metadata,
                                                   Instant now) {
        return statement.bindMap(Sql.parameters("id", id, "data", data, "metadata", metadata, "now", now));
    }
}
