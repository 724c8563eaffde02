package dev.agentstore.cli.store;

import com.pgvector.PGvector;
import dev.agentstore.cli.ingest.Chunk;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * INTERIM chunk store over plain JDBC and pgvector, used until the library's knowledge repository
 * ({@code KnowledgeRepository}) is available: one table {@code cli_chunks} (384-dimension {@code vector}, cosine
 * HNSW index) in the configured schema, created on first use. Upserts by (knowledge base, document, ordinal).
 */
public final class JdbcChunkStore implements ChunkStore {

    /** The only dimension this interim table supports (all-MiniLM-L6-v2). */
    public static final int DIMENSION = 384;

    private static final String DDL = """
            CREATE TABLE IF NOT EXISTS cli_chunks (
                kb           varchar(200) NOT NULL,
                document_id  varchar(1000) NOT NULL,
                ordinal      integer NOT NULL,
                title        text,
                heading      text,
                content      text NOT NULL,
                content_hash varchar(64) NOT NULL,
                embedding    vector(384) NOT NULL,
                created_at   timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (kb, document_id, ordinal));
            CREATE INDEX IF NOT EXISTS cli_chunks_embedding_hnsw ON cli_chunks USING hnsw (embedding vector_cosine_ops)
            """;
    private static final String HASHES = "SELECT document_id, ordinal, content_hash FROM cli_chunks WHERE kb = ?";
    private static final String UPSERT = """
            INSERT INTO cli_chunks (kb, document_id, ordinal, title, heading, content, content_hash, embedding)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (kb, document_id, ordinal) DO UPDATE SET title = excluded.title, heading = excluded.heading,
                content = excluded.content, content_hash = excluded.content_hash, embedding = excluded.embedding,
                created_at = now()
            """;
    private static final String DELETE = "DELETE FROM cli_chunks WHERE kb = ? AND document_id = ? AND ordinal = ?";
    private static final String COUNT = "SELECT count(*) FROM cli_chunks WHERE kb = ?";
    private static final String SEARCH = """
            SELECT document_id, ordinal, title, heading, content, 1 - (embedding <=> ?) AS score, %s
            FROM cli_chunks
            WHERE kb = ? AND (?::text IS NULL OR document_id = ?) AND (?::text IS NULL OR title = ?)
              AND (?::text IS NULL OR heading = ?)
            ORDER BY embedding <=> ? LIMIT ?
            """;

    private final DataSource dataSource;
    private final int efSearch;

    /**
     * @param dataSource connections whose search_path starts with the target schema
     * @param efSearch   HNSW {@code ef_search} (candidate list size) for index searches
     */
    public JdbcChunkStore(DataSource dataSource, int efSearch) {
        this.dataSource = dataSource;
        this.efSearch = efSearch;
    }

    @Override
    public void ensureBase(String kb, int dimension) {
        if (dimension != DIMENSION) {
            throw new IllegalStateException("knowledge base " + kb + ": this store holds " + DIMENSION
                    + "-dimension vectors, the embedder gives " + dimension);
        }
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            c.setAutoCommit(true);
            for (String sql : DDL.split(";")) {
                st.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not create table cli_chunks: " + e.getMessage(), e);
        }
    }

    @Override
    public Map<String, String> storedHashes(String kb) {
        Map<String, String> out = new HashMap<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(HASHES)) {
            ps.setString(1, kb);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1) + "#" + rs.getInt(2), rs.getString(3));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not read stored chunks of " + kb + ": " + e.getMessage(), e);
        }
        return out;
    }

    @Override
    public void upsert(String kb, List<Chunk> chunks, List<float[]> vectors) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(UPSERT)) {
                for (int i = 0; i < chunks.size(); i++) {
                    Chunk ch = chunks.get(i);
                    ps.setString(1, kb);
                    ps.setString(2, ch.documentId());
                    ps.setInt(3, ch.ordinal());
                    ps.setString(4, ch.title());
                    ps.setString(5, ch.heading());
                    ps.setString(6, ch.content());
                    ps.setString(7, ch.contentHash());
                    ps.setObject(8, new PGvector(vectors.get(i)));
                    ps.addBatch();
                }
                ps.executeBatch();
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not store " + chunks.size() + " chunks: " + e.getMessage(), e);
        }
    }

    @Override
    public int delete(String kb, java.util.Collection<String> keys) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(DELETE)) {
            c.setAutoCommit(true);
            for (String key : keys) {
                int hash = key.lastIndexOf('#');
                ps.setString(1, kb);
                ps.setString(2, key.substring(0, hash));
                ps.setInt(3, Integer.parseInt(key.substring(hash + 1)));
                ps.addBatch();
            }
            int n = 0;
            for (int r : ps.executeBatch()) {
                n += Math.max(0, r);
            }
            return n;
        } catch (SQLException e) {
            throw new IllegalStateException("could not delete stale chunks " + keys + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<ChunkHit> search(String kb, float[] query, int k, Map<String, String> filter, boolean exact,
                                 boolean withEmbedding) {
        String sql = SEARCH.formatted(withEmbedding ? "embedding::text" : "NULL::text");
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                if (exact) {
                    st.execute("SET LOCAL enable_indexscan = off");
                    st.execute("SET LOCAL enable_bitmapscan = off");
                } else {
                    st.execute("SET LOCAL hnsw.ef_search = " + Math.max(efSearch, k));
                    st.execute("SET LOCAL hnsw.iterative_scan = relaxed_order");
                }
            }
            List<ChunkHit> hits = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                PGvector q = new PGvector(query);
                String doc = filter.get("document");
                String title = filter.get("title");
                String heading = filter.get("heading");
                ps.setObject(1, q);
                ps.setString(2, kb);
                ps.setString(3, doc);
                ps.setString(4, doc);
                ps.setString(5, title);
                ps.setString(6, title);
                ps.setString(7, heading);
                ps.setString(8, heading);
                ps.setObject(9, q);
                ps.setInt(10, k);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String emb = rs.getString(7);
                        hits.add(new ChunkHit(rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4),
                                rs.getString(5), rs.getDouble(6), emb == null ? null : new PGvector(emb).toArray()));
                    }
                }
            }
            c.commit();
            return hits;
        } catch (SQLException e) {
            throw new IllegalStateException("search failed: " + e.getMessage(), e);
        }
    }

    @Override
    public long count(String kb) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(COUNT)) {
            ps.setString(1, kb);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not count chunks: " + e.getMessage(), e);
        }
    }
}
