package dev.agentstore.persistence.knowledge;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.knowledge.Embedder;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.domain.knowledge.NewTextChunk;
import dev.agentstore.domain.knowledge.TextUpsert;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.Sql;
import dev.agentstore.persistence.support.UnnestColumns;
import jakarta.persistence.EntityManager;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Embedding on write for {@link ChunkRepository#upsertTexts}: reads the stored content hashes of the given ids,
 * embeds only new or changed content in batches of {@link Embedder#batchSize()}, upserts those, and brings the
 * document id, ordinal, payload and meta of unchanged chunks up to date in one statement. Stateless.
 */
final class ChunkWrites {

    private static final String HASHES_OF_IDS = """
            SELECT id, content_hash
              FROM chunks
             WHERE knowledge_base = :base
               AND id = ANY (:ids)""";

    /** Unchanged content: the other fields are set where they differ (no write when nothing differs). */
    private static final String UPDATE_UNCHANGED = """
            UPDATE chunks c
               SET document_id = u.document_id, ordinal = u.ordinal,
                   payload = CAST(u.payload AS jsonb), meta = CAST(u.meta AS jsonb)
              FROM unnest(CAST(:ids AS text[]), CAST(:hashes AS text[]), CAST(:documentIds AS text[]),
                          CAST(:ordinals AS int[]), CAST(:payloads AS text[]), CAST(:metas AS text[]))
                   AS u(id, content_hash, document_id, ordinal, payload, meta)
             WHERE c.knowledge_base = :base
               AND c.id = u.id
               AND c.content_hash = u.content_hash
               AND (c.document_id, c.ordinal, c.payload, c.meta)
                   IS DISTINCT FROM (u.document_id, u.ordinal, CAST(u.payload AS jsonb), CAST(u.meta AS jsonb))""";

    private ChunkWrites() {
    }

    static TextUpsert upsertTexts(EntityManager em, String base, List<NewTextChunk> texts, Embedder embedder,
                                  Function<List<NewChunk>, List<String>> upsert) {
        KnowledgeBase.requireName(base);
        Check.noNulls("texts", texts);
        Check.notNull("embedder", embedder);
        int batchSize = embedder.batchSize();
        if (batchSize < 1) {
            throw new InvalidInputException("embedder.batchSize() must be at least 1, was " + batchSize);
        }
        List<String> ids = new ArrayList<>(texts.size());
        Map<String, NewTextChunk> byId = new LinkedHashMap<>(); // the last of equal ids wins, as in upsert
        for (int i = 0; i < texts.size(); i++) {
            NewTextChunk t = texts.get(i);
            JsonWrites.text(em, "texts[" + i + "].content", t.content());
            JsonWrites.check(em, "texts[" + i + "].payload", t.payload());
            JsonWrites.check(em, "texts[" + i + "].meta", t.meta());
            ids.add(t.id());
            byId.put(t.id(), t);
        }
        Map<String, String> stored = new HashMap<>();
        KnowledgeBase kb = Sql.call(em, "read content hashes of chunks of KnowledgeBase " + base, h -> {
            KnowledgeBase read = KnowledgeBaseSql.get(h, base);
            if (!byId.isEmpty()) {
                h.createQuery(HASHES_OF_IDS).bind("base", read.name())
                        .bindArray("ids", String.class, byId.keySet())
                        .map((rs, ctx) -> Map.entry(rs.getString("id"), rs.getString("content_hash")))
                        .forEach(e -> stored.put(e.getKey(), e.getValue()));
            }
            return read;
        });
        if (embedder.dimension() != kb.dimension()) {
            throw new InvalidInputException("embedder: dimension " + embedder.dimension() + " does not match knowledge"
                    + " base " + base + " (dimension " + kb.dimension() + ")");
        }
        List<NewTextChunk> changed = new ArrayList<>();
        List<NewTextChunk> unchanged = new ArrayList<>();
        for (NewTextChunk t : byId.values()) {
            (t.contentHash().equals(stored.get(t.id())) ? unchanged : changed).add(t);
        }
        int batches = 0;
        for (int from = 0; from < changed.size(); from += batchSize) {
            List<NewTextChunk> batch = changed.subList(from, Math.min(changed.size(), from + batchSize));
            List<float[]> vectors = embedder.embedAll(batch.stream().map(NewTextChunk::content).toList());
            batches++;
            if (vectors == null || vectors.size() != batch.size()) {
                throw new InvalidInputException("embedder: embedAll returned " + (vectors == null ? "null"
                        : vectors.size() + " embeddings") + " for " + batch.size() + " texts");
            }
            List<NewChunk> rows = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                rows.add(batch.get(i).withEmbedding(vectors.get(i)));
            }
            upsert.apply(rows);
        }
        if (!unchanged.isEmpty()) {
            unchanged.sort(Comparator.comparing(NewTextChunk::id)); // rows locked in one order
            updateUnchanged(em, kb, unchanged);
        }
        return new TextUpsert(ids, changed.size(), unchanged.size(), batches);
    }

    private static void updateUnchanged(EntityManager em, KnowledgeBase kb, List<NewTextChunk> unchanged) {
        Map<String, Object> values = UnnestColumns.rows(unchanged.size())
                .column("ids", String.class, i -> unchanged.get(i).id())
                .column("hashes", String.class, i -> unchanged.get(i).contentHash())
                .column("documentIds", String.class, i -> unchanged.get(i).documentId())
                .column("ordinals", Integer.class, i -> unchanged.get(i).ordinal())
                .column("payloads", String.class, i -> Json.print(unchanged.get(i).payload()))
                .column("metas", String.class, i -> Json.print(unchanged.get(i).meta()))
                .values();
        values.put("base", kb.name());
        Sql.run(em, "update unchanged chunks of KnowledgeBase " + kb.name(),
                h -> h.createUpdate(UPDATE_UNCHANGED).bindMap(values).execute());
    }
}
