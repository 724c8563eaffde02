package dev.agentstore.cli.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.cli.ingest.Chunk;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.knowledge.ChunkMatch;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.knowledge.SearchOptions;
import dev.agentstore.persistence.query.Filter;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The CLI's chunks in the library's knowledge store: {@code uow.knowledge()} (a cosine knowledge base with its HNSW
 * index, created on first use) and {@code uow.chunks()} (batched upserts, deletes, HNSW search with filters). A chunk's
 * id is {@code documentId#ordinal}; its title and heading go into the payload ({@code payload.title},
 * {@code payload.heading}), filterable like the document id.
 */
public final class RepositoryChunkStore implements ChunkStore {

    /** Read-only: (document, ordinal, hash) of a base's chunks without loading their embeddings. */
    private static final String HASHES = "SELECT document_id, ordinal, content_hash FROM chunks WHERE knowledge_base = ?";

    /**
     * Exact nearest neighbours, for measuring the index's recall: the un-cast {@code embedding <=> ?} and the bound
     * base name match no partial expression index, so PostgreSQL scans the base's rows and sorts them all.
     */
    private static final String EXACT = """
            SELECT document_id, ordinal, payload ->> 'title', payload ->> 'heading', content, 1 - (embedding <=> ?) AS score
            FROM chunks WHERE knowledge_base = ? AND (?::text IS NULL OR document_id = ?)
              AND (?::text IS NULL OR payload ->> 'title' = ?) AND (?::text IS NULL OR payload ->> 'heading' = ?)
            ORDER BY embedding <=> ?, id LIMIT ?
            """;

    private final AgentStore store;
    private final int efSearch;

    /**
     * @param store    the open store
     * @param efSearch HNSW {@code ef_search} for index searches
     */
    public RepositoryChunkStore(AgentStore store, int efSearch) {
        this.store = store;
        this.efSearch = efSearch;
    }

    @Override
    public void ensureBase(String kb, int dimension) {
        store.inTransaction(uow -> {
            KnowledgeBase base = uow.knowledge().find(kb).orElse(null);
            if (base == null) {
                uow.knowledge().create(kb, dimension, Distance.COSINE, IndexSpec.hnsw());
            } else if (base.dimension() != dimension) {
                throw new IllegalStateException("knowledge base " + kb + " holds " + base.dimension()
                        + "-dimension vectors, the embedder gives " + dimension);
            }
        });
    }

    @Override
    public Map<String, String> storedHashes(String kb) {
        Map<String, String> out = new HashMap<>();
        try (Connection c = store.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(HASHES)) {
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
        List<NewChunk> rows = new ArrayList<>(chunks.size());
        for (int i = 0; i < chunks.size(); i++) {
            Chunk c = chunks.get(i);
            Map<String, String> payload = new HashMap<>();
            if (c.title() != null) {
                payload.put("title", c.title());
            }
            if (c.heading() != null) {
                payload.put("heading", c.heading());
            }
            rows.add(NewChunk.of(c.documentId(), c.ordinal(), c.content(), vectors.get(i))
                    .withId(c.documentId() + "#" + c.ordinal()).withPayload(Json.MAPPER.valueToTree(payload)));
        }
        store.inTransaction(uow -> uow.chunks().upsert(kb, rows));
    }

    @Override
    public int delete(String kb, Collection<String> keys) {
        return store.fromTransaction(uow -> uow.chunks().delete(kb, keys));
    }

    @Override
    public List<ChunkHit> search(String kb, float[] query, int k, Map<String, String> filter, boolean exact,
                                 boolean withEmbedding) {
        if (exact) {
            return exactSearch(kb, query, k, filter);
        }
        SearchOptions options = options(k, filter);
        return run(kb, query, withEmbedding ? options.withEmbeddings() : options);
    }

    @Override
    public List<ChunkHit> searchMmr(String kb, float[] query, int k, Map<String, String> filter, double lambda) {
        return run(kb, query, options(k, filter).withMmr(lambda, SearchOptions.DEFAULT_MMR_MULTIPLIER));
    }

    private SearchOptions options(int k, Map<String, String> filter) {
        SearchOptions options = SearchOptions.top(k).withEfSearch(Math.max(efSearch, k));
        List<Filter> filters = new ArrayList<>();
        filter.forEach((key, value) -> filters.add(Filter.eq(key.equals("document") ? "documentId" : "payload." + key, value)));
        if (!filters.isEmpty()) {
            options = options.withFilter(filters.size() == 1 ? filters.get(0) : Filter.and(filters.toArray(Filter[]::new)));
        }
        return options;
    }

    private List<ChunkHit> run(String kb, float[] query, SearchOptions o) {
        List<ChunkMatch> matches = store.fromTransaction(uow -> {
            // ChunkRepository disables sorting for its nearest-neighbour statement; the resulting 1e10 plan cost makes
            // PostgreSQL JIT-compile every search (about 100 ms here, for a 2 ms index scan); JIT never pays off for
            // these short statements, so it is off for this transaction
            uow.entityManager().createNativeQuery("SELECT set_config('jit', 'off', true)").getSingleResult();
            return uow.chunks().search(kb, query, o);
        });
        return matches.stream().map(m -> new ChunkHit(m.documentId(), m.ordinal(), text(m.payload(), "title"),
                text(m.payload(), "heading"), m.content(), m.score(), m.embedding())).toList();
    }

    private List<ChunkHit> exactSearch(String kb, float[] query, int k, Map<String, String> filter) {
        List<ChunkHit> hits = new ArrayList<>();
        try (Connection c = store.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(EXACT)) {
            com.pgvector.PGvector q = new com.pgvector.PGvector(query);
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
                    hits.add(new ChunkHit(rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            rs.getDouble(6), null));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("exact search failed: " + e.getMessage(), e);
        }
        return hits;
    }

    @Override
    public long count(String kb) {
        return store.fromTransaction(uow -> uow.knowledge().find(kb).isPresent() ? uow.chunks().count(kb) : 0L);
    }

    private static String text(JsonNode payload, String field) {
        return payload != null && payload.path(field).isTextual() ? payload.get(field).asText() : null;
    }
}
