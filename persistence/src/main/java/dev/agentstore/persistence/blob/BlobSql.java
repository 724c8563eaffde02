package dev.agentstore.persistence.blob;

import dev.agentstore.domain.blob.Blob;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.support.Sql;
import org.jdbi.v3.core.mapper.RowMapper;

/** The statements of the blob tables and the row mapper of {@code blobs}. */
final class BlobSql {

    /** Serialises writes of one key until the transaction ends (two int keys: table, key). */
    static final String LOCK_KEY = """
            SELECT 1 FROM pg_advisory_xact_lock(hashtext('agentstore.blobs'), hashtext(:key))
            """;

    /**
     * Serialises the statements that add or drop a reference to one content until the transaction ends: a put that
     * refers to existing content and a delete of that content's last other key never both succeed.
     */
    static final String LOCK_HASH = """
            SELECT 1 FROM pg_advisory_xact_lock(hashtext('agentstore.blob_contents'), hashtext(:hash))
            """;

    /** Content being written: no hash yet. */
    static final String INSERT_PENDING = """
            INSERT INTO blob_contents (created) VALUES (:created) RETURNING id
            """;

    static final String INSERT_CHUNK = """
            INSERT INTO blob_chunks (content_id, seq, data) VALUES (:contentId, :seq, :data)
            """;

    static final String CONTENT_ID = """
            SELECT id FROM blob_contents WHERE hash = :hash
            """;

    static final String COMPLETE_PENDING = """
            UPDATE blob_contents SET hash = :hash, size = :size, chunk_count = :chunkCount WHERE id = :id
            """;

    static final String DELETE_CONTENT_BY_ID = """
            DELETE FROM blob_contents WHERE id = :id
            """;

    /** Deletes a content no key refers to any more; run under {@link #LOCK_HASH}. */
    static final String DELETE_UNREFERENCED = """
            DELETE FROM blob_contents c
             WHERE c.hash = :hash
               AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.hash = :hash)
            """;

    static final String HASH_OF_KEY = """
            SELECT hash FROM blobs WHERE key = :key
            """;

    /** Every column of {@code blobs}, as {@link #ROW} reads them. */
    static final String COLUMNS = """
            b.key, b.hash, b.size, b.content_type, CAST(b.metadata AS text) AS metadata, b.created
            """;

    static final String UPSERT = """
            INSERT INTO blobs AS b (key, hash, size, content_type, metadata, created)
            VALUES (:key, :hash, :size, :contentType, CAST(:metadata AS jsonb), :created)
            ON CONFLICT (key) DO UPDATE
               SET hash = EXCLUDED.hash, size = EXCLUDED.size, content_type = EXCLUDED.content_type,
                   metadata = EXCLUDED.metadata, created = EXCLUDED.created
            RETURNING
            """ + COLUMNS;

    static final String DELETE_KEY = """
            DELETE FROM blobs WHERE key = :key
            """;

    static final String GET = "SELECT " + COLUMNS + """
              FROM blobs b
             WHERE b.key = :key
            """;

    /**
     * A blob with where its bytes are; the content row is share-locked so that no other transaction can delete the
     * chunks while they are read.
     */
    static final String OPEN = "SELECT " + COLUMNS + """
            , c.id AS content_id, c.chunk_count
              FROM blobs b
              JOIN blob_contents c ON c.hash = b.hash
             WHERE b.key = :key
               FOR SHARE OF c
            """;

    static final String CHUNK = """
            SELECT data FROM blob_chunks WHERE content_id = :contentId AND seq = :seq
            """;

    static final String GET_MANY = "SELECT " + COLUMNS + """
              FROM blobs b
             WHERE b.key = ANY(:keys)
            """;

    static final String HAS = """
            SELECT EXISTS (SELECT 1 FROM blobs WHERE key = :key)
            """;

    /** Keyset page in key order (by code point: the column's collation is "C"). */
    static final String LIST = "SELECT " + COLUMNS + """
              FROM blobs b
             WHERE b.key > :after
             ORDER BY b.key
             LIMIT :limit
            """;

    /** A row of {@link #COLUMNS} as a blob. */
    static final RowMapper<Blob> ROW = (rs, ctx) -> Blob.recorded(rs.getString("key"), rs.getString("hash"),
            rs.getLong("size"), rs.getString("content_type"), Json.parse("metadata", rs.getString("metadata")),
            Sql.instant(rs, "created"));

    private BlobSql() {
    }
}
