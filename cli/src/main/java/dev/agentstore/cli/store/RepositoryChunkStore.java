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
        SearchOptions options = SearchOptions.top(k).withEfSearch(Math.max(efSearch, k));
        List<Filter> filters = new ArrayList<>();
        filter.forEach((key, value) -> filters.add(Filter.eq(key.equals("document") ? "documentId" : "payload." + key, value)));
        if (!filters.isEmpty()) {
            options = options.withFilter(filters.size() == 1 ? filters.get(0) : Filter.and(filters.toArray(Filter[]::new)));
        }
        if (withEmbedding) {
            options = options.withEmbeddings();
        }
        SearchOptions o = options;
        List<ChunkMatch> matches = store.fromTransaction(uow -> {
            if (exact) {
                // no index scan in this transaction: the same statement becomes an exact sequential scan and sort
                uow.entityManager().createNativeQuery("SELECT set_config('enable_indexscan', 'off', true)").getSingleResult();
                uow.entityManager().createNativeQuery("SELECT set_config('enable_bitmapscan', 'off', true)").getSingleResult();
            }
            return uow.chunks().search(kb, query, o);
        });
        return matches.stream().map(m -> new ChunkHit(m.documentId(), m.ordinal(), text(m.payload(), "title"),
                text(m.payload(), "heading"), m.content(), m.score(), m.embedding())).toList();
    }

    @Override
    public long count(String kb) {
        return store.fromTransaction(uow -> uow.knowledge().find(kb).isPresent() ? uow.chunks().count(kb) : 0L);
    }

    private static String text(JsonNode payload, String field) {
        return payload != null && payload.path(field).isTextual() ? payload.get(field).asText() : null;
    }
}
