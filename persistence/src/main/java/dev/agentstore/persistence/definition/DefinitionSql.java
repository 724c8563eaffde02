package dev.agentstore.persistence.definition;

import dev.agentstore.domain.definition.Definition;
import dev.agentstore.domain.definition.DefinitionKind;
import dev.agentstore.domain.definition.DefinitionStatus;
import dev.agentstore.domain.definition.DefinitionVersion;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.support.Sql;
import org.jdbi.v3.core.mapper.RowMapper;

import java.util.UUID;

/** The statements and row mappers of {@link DefinitionRepository}. */
final class DefinitionSql {

    private DefinitionSql() {
    }

    /** Every column of {@code definitions}, as {@link #DEFINITION} reads them. */
    static final String COLUMNS = """
            kind, id, status, published_version, latest_version, author, CAST(metadata AS text) AS metadata,
                   version, created, updated
            """;

    static final String INSERT = """
            INSERT INTO definitions (kind, id, status, latest_version, author, metadata, version, created, updated)
            VALUES (:kind, :id, 'DRAFT', 1, :author, CAST(:metadata AS jsonb), 0, :now, :now)
            RETURNING\s""" + COLUMNS;

    /**
     * Numbers the next version: the row lock this update takes serialises version creation per definition until the
     * transaction ends, and a rolled-back transaction gives its number back, so numbers have no gaps or duplicates.
     * Not an in-place update of what the caller read: {@code version} stays.
     */
    static final String NEXT_NUMBER = """
            UPDATE definitions
               SET latest_version = latest_version + 1, updated = :now
             WHERE kind = :kind AND id = :id
            RETURNING latest_version
            """;

    /**
     * Numbers the next version as {@link #NEXT_NUMBER} does, creating the definition ({@code DRAFT}, version 1) when
     * it does not exist: the revision logs' append. A concurrent creation of the same id waits on the primary key,
     * then updates; a rollback gives the number back.
     */
    static final String APPEND_NUMBER = """
            INSERT INTO definitions AS d (kind, id, status, latest_version, author, metadata, version, created,
                                          updated)
            VALUES (:kind, :id, 'DRAFT', 1, :author, CAST('{}' AS jsonb), 0, :now, :now)
            ON CONFLICT (kind, id) DO UPDATE SET latest_version = d.latest_version + 1, updated = excluded.updated
            RETURNING latest_version
            """;

    /**
     * The version's {@code seq_id} comes from {@code templates_seq} or {@code configurations_seq} for those kinds
     * (CASE evaluates only the branch taken) and is NULL for the others.
     */
    static final String INSERT_VERSION = """
            INSERT INTO definition_versions (kind, definition_id, number, content, change_message, author, created,
                                             seq_id)
            VALUES (:kind, :id, :number, CAST(:content AS jsonb), :message, :author, :now,
                    CASE CAST(:kind AS text) WHEN 'template' THEN nextval('templates_seq')
                                             WHEN 'configuration' THEN nextval('configurations_seq') END)
            RETURNING id, seq_id
            """;

    static final String GET = "SELECT " + COLUMNS + """
              FROM definitions
             WHERE kind = :kind AND id = :id
            """;

    /** Metadata and author, in place; {@code :expected} NULL means unchecked. */
    static final String UPDATE = """
            UPDATE definitions
               SET metadata = coalesce(CAST(:metadata AS jsonb), metadata), author = coalesce(:author, author),
                   version = version + 1, updated = :now
             WHERE kind = :kind AND id = :id
               AND (CAST(:expected AS bigint) IS NULL OR version = :expected)
            RETURNING\s""" + COLUMNS;

    /** Points at an existing version and marks the definition published. */
    static final String PUBLISH = """
            UPDATE definitions d
               SET published_version = :number, status = 'PUBLISHED', version = version + 1, updated = :now
             WHERE kind = :kind AND id = :id
               AND (CAST(:expected AS bigint) IS NULL OR version = :expected)
               AND EXISTS (SELECT 1 FROM definition_versions v
                            WHERE v.kind = d.kind AND v.definition_id = d.id AND v.number = :number)
            RETURNING\s""" + COLUMNS;

    static final String SET_STATUS = """
            UPDATE definitions
               SET status = :status, version = version + 1, updated = :now
             WHERE kind = :kind AND id = :id
               AND (CAST(:expected AS bigint) IS NULL OR version = :expected)
            RETURNING\s""" + COLUMNS;

    static final String DELETE = """
            DELETE FROM definitions WHERE kind = :kind AND id = :id
            """;

    /** Deletes a definition and counts the versions it had (the statement's snapshot still sees them). */
    static final String DELETE_COUNTING = """
            WITH gone AS (DELETE FROM definitions WHERE kind = :kind AND id = :id RETURNING kind, id)
            SELECT count(v.number)
              FROM gone g
              JOIN definition_versions v ON v.kind = g.kind AND v.definition_id = g.id
            """;

    /** A keyset page of one kind, in id order (code points: the column is {@code COLLATE "C"}). */
    static final String LIST = "SELECT " + COLUMNS + """
              FROM definitions
             WHERE kind = :kind
               AND id > :after
               AND metadata @> CAST(:filter AS jsonb)
               AND (CAST(:status AS text) IS NULL OR status = :status)
             ORDER BY id
             LIMIT :limit
            """;

    /** Every column of {@code definition_versions}, as {@link #VERSION} reads them. */
    static final String VERSION_COLUMNS = """
            id, kind, definition_id, number, CAST(content AS text) AS content, change_message, author, created, seq_id
            """;

    static final String VERSION_BY_ID = "SELECT " + VERSION_COLUMNS + """
              FROM definition_versions
             WHERE id = :versionId
            """;

    static final String VERSION_BY_NUMBER = "SELECT " + VERSION_COLUMNS + """
              FROM definition_versions
             WHERE kind = :kind AND definition_id = :id AND number = :number
            """;

    /** Two versions of one definition, for a diff. */
    static final String VERSION_PAIR = "SELECT " + VERSION_COLUMNS + """
              FROM definition_versions
             WHERE kind = :kind AND definition_id = :id AND number IN (:from, :to)
            """;

    /** A keyset page, newest first: versions numbered below {@code :before}. */
    static final String VERSIONS = "SELECT " + VERSION_COLUMNS + """
              FROM definition_versions
             WHERE kind = :kind AND definition_id = :id AND number < :before
             ORDER BY number DESC
             LIMIT :limit
            """;

    /**
     * The latest version of each definition of a kind, a keyset page in id order: the primary key's order, then one
     * backward probe of {@code definition_versions_number_uq} per definition (one without versions is skipped).
     */
    static final String LATEST_VERSIONS = """
            SELECT v.id, v.kind, v.definition_id, v.number, CAST(v.content AS text) AS content, v.change_message,
                   v.author, v.created, v.seq_id
              FROM definitions d
             CROSS JOIN LATERAL (SELECT * FROM definition_versions l
                                  WHERE l.kind = d.kind AND l.definition_id = d.id
                                  ORDER BY l.number DESC
                                  LIMIT 1) v
             WHERE d.kind = :kind AND d.id > :after
             ORDER BY d.id
             LIMIT :limit
            """;

    /** A keyset page of one kind's ids that have a version, in id order. */
    static final String IDS = """
            SELECT d.id
              FROM definitions d
             WHERE d.kind = :kind AND d.id > :after
               AND EXISTS (SELECT 1 FROM definition_versions v WHERE v.kind = d.kind AND v.definition_id = d.id)
             ORDER BY d.id
             LIMIT :limit
            """;

    static final String PUBLISHED_VERSION = """
            SELECT v.id, v.kind, v.definition_id, v.number, CAST(v.content AS text) AS content, v.change_message,
                   v.author, v.created, v.seq_id
              FROM definitions d
              JOIN definition_versions v
                ON v.kind = d.kind AND v.definition_id = d.id AND v.number = d.published_version
             WHERE d.kind = :kind AND d.id = :id
            """;

    static final String COUNT_VERSIONS = """
            SELECT count(*) FROM definition_versions WHERE kind = :kind AND definition_id = :id
            """;

    /**
     * Deletes a version unless it is the published one; the definition's row is locked first so that a concurrent
     * publication of the same version waits (the foreign key {@code definitions_published_fk} is the backstop).
     */
    static final String LOCK_FOR_VERSION = """
            SELECT d.published_version, v.number
              FROM definition_versions v
              JOIN definitions d ON d.kind = v.kind AND d.id = v.definition_id
             WHERE v.id = :versionId
               FOR UPDATE OF d
            """;

    static final String DELETE_VERSION = """
            DELETE FROM definition_versions WHERE id = :versionId
            """;

    static final RowMapper<Definition> DEFINITION = (rs, ctx) -> Definition.recorded(
            DefinitionKind.fromStoredName(rs.getString("kind")), rs.getString("id"),
            DefinitionStatus.valueOf(rs.getString("status")), (Integer) rs.getObject("published_version"),
            rs.getInt("latest_version"), rs.getString("author"), Json.parse("metadata", rs.getString("metadata")),
            rs.getLong("version"), Sql.instant(rs, "created"), Sql.instant(rs, "updated"));

    static final RowMapper<DefinitionVersion> VERSION = (rs, ctx) -> DefinitionVersion.recorded(
            rs.getObject("id", UUID.class), DefinitionKind.fromStoredName(rs.getString("kind")),
            rs.getString("definition_id"), rs.getInt("number"), Json.parse("content", rs.getString("content")),
            rs.getString("change_message"), rs.getString("author"), Sql.instant(rs, "created"),
            (Long) rs.getObject("seq_id"));
}
