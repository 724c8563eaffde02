package dev.agentstore.persistence.knowledge;

import com.pgvector.PGvector;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.knowledge.Chunk;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.persistence.support.Sql;
import org.jdbi.v3.core.argument.Argument;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.SqlStatement;

import java.time.Instant;
import java.util.List;

/**
 * The statements on the {@code chunks} table that {@link ChunkRepository} runs (the search is
 * {@link SearchStatement}), and the mapping of its rows to {@link Chunk}s. Every value is a named parameter; the
 * embedding travels as a binary {@code real[]} ({@link #realArray}), no float text to format and parse, and is cast to
 * {@code vector} in SQL.
 */
final class ChunkSql {

    static final String COLUMNS = """
            id, document_id, ordinal, content, content_hash, CAST(payload AS text) AS payload_text,
                   CAST(meta AS text) AS meta_text, created_at, CAST(embedding AS text) AS embedding_text""";

    static final String GET = "SELECT " + COLUMNS + """

              FROM chunks
             WHERE knowledge_base = :base
               AND id = :id""";

    static final String BY_DOCUMENT = "SELECT " + COLUMNS + """

              FROM chunks
             WHERE knowledge_base = :base
               AND document_id = :documentId
             ORDER BY ordinal, id""";

    static final String EXISTING_HASHES = """
            SELECT DISTINCT content_hash
              FROM chunks
             WHERE knowledge_base = :base
               AND content_hash = ANY (:hashes)""";

    static final String CONTENT_HASHES = "SELECT id, content_hash FROM chunks WHERE knowledge_base = :base";

    static final String COUNT = "SELECT count(*) FROM chunks WHERE knowledge_base = :base";

    static final String DELETE_IDS = "DELETE FROM chunks WHERE knowledge_base = :base AND id = ANY (:ids)";

    static final String DELETE_DOCUMENT = "DELETE FROM chunks WHERE knowledge_base = :base AND document_id = :documentId";

    static final String DELETE_ALL = "DELETE FROM chunks WHERE knowledge_base = :base";

    private static final String UPSERT_HEAD = """
            INSERT INTO chunks (knowledge_base, id, dimension, document_id, ordinal, content, content_hash, embedding,
                                payload, meta, created_at)
            VALUES\s""";

    /** An upsert replaces everything but the creation time. */
    private static final String UPSERT_TAIL = """

            ON CONFLICT (knowledge_base, id) DO UPDATE
               SET dimension = EXCLUDED.dimension,
                   document_id = EXCLUDED.document_id,
                   ordinal = EXCLUDED.ordinal,
                   content = EXCLUDED.content,
                   content_hash = EXCLUDED.content_hash,
                   embedding = EXCLUDED.embedding,
                   payload = EXCLUDED.payload,
                   meta = EXCLUDED.meta
            """;

    /** The upsert of a full batch, built once. */
    private static final String FULL_UPSERT = upsertSql(ChunkRepository.UPSERT_BATCH_SIZE);

    private ChunkSql() {
    }

    /**
     * @param rows how many rows, 1 to {@link ChunkRepository#UPSERT_BATCH_SIZE}
     * @return {@code INSERT … VALUES (…), (…) ON CONFLICT … DO UPDATE} for that many rows: {@code :base},
     *         {@code :dimension} and {@code :createdAt} shared, the others numbered by row ({@code :id0}, {@code :id1},
     *         …)
     */
    static String upsert(int rows) {
        return rows == ChunkRepository.UPSERT_BATCH_SIZE ? FULL_UPSERT : upsertSql(rows);
    }

    private static String upsertSql(int rows) {
        StringBuilder sql = new StringBuilder(UPSERT_HEAD);
        for (int i = 0; i < rows; i++) {
            sql.append(i == 0 ? "" : ",\n       ")
                    .append("(:base, :id").append(i).append(", :dimension, :documentId").append(i)
                    .append(", :ordinal").append(i).append(", :content").append(i).append(", :contentHash").append(i)
                    .append(", CAST(:embedding").append(i).append(" AS vector), CAST(:payload").append(i)
                    .append(" AS jsonb), CAST(:meta").append(i).append(" AS jsonb), :createdAt)");
        }
        return sql.append(UPSERT_TAIL).toString();
    }

    /**
     * Binds the rows of {@link #upsert(int)}.
     *
     * @param statement the statement made from {@code upsert(batch.size())}
     * @param kb        the base
     * @param batch     the rows, validated
     * @param createdAt the creation time of new rows
     * @param <S>       the statement type
     * @return {@code statement}
     */
    static <S extends SqlStatement<S>> S bindUpsert(S statement, KnowledgeBase kb, List<Chunk> batch,
                                                    Instant createdAt) {
        statement.bind("base", kb.name())
                .bind("dimension", kb.dimension())
                .bind("createdAt", createdAt);
        for (int i = 0; i < batch.size(); i++) {
            Chunk c = batch.get(i);
            statement.bind("id" + i, c.id())
                    .bind("documentId" + i, c.documentId())
                    .bind("ordinal" + i, c.ordinal())
                    .bind("content" + i, c.content())
                    .bind("contentHash" + i, c.contentHash())
                    .bind("embedding" + i, realArray(c.embedding()))
                    .bind("payload" + i, Json.print(c.payload()))
                    .bind("meta" + i, Json.print(c.meta()));
        }
        return statement;
    }

    /**
     * @param vector an embedding
     * @return the argument binding it as pgjdbc binds a {@code float[]}: a {@code real[]} parameter (binary), which
     *         SQL casts to the vector type
     */
    static Argument realArray(float[] vector) {
        return (position, statement, ctx) -> statement.setObject(position, vector);
    }

    /**
     * @param kb the base the rows belong to
     * @return the mapper of rows of {@link #GET} and {@link #BY_DOCUMENT}
     */
    static RowMapper<Chunk> row(KnowledgeBase kb) {
        return (rs, ctx) -> Chunk.restore(kb.name(), rs.getString("id"), kb.dimension(), rs.getString("document_id"),
                rs.getInt("ordinal"), rs.getString("content"), rs.getString("content_hash"),
                new PGvector(rs.getString("embedding_text")).toArray(),
                Json.parse("payload", rs.getString("payload_text")),
                Json.parse("meta", rs.getString("meta_text")),
                Sql.instant(rs, "created_at"));
    }
}
