package dev.agentstore.persistence.memory;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.knowledge.Embedder;
import dev.agentstore.domain.memory.Memory;
import dev.agentstore.domain.memory.MemoryMessage;
import dev.agentstore.domain.memory.MessageText;
import dev.agentstore.domain.memory.NewMessage;
import dev.agentstore.domain.memory.RecallScope;
import dev.agentstore.domain.memory.RecalledMessage;
import dev.agentstore.domain.memory.SemanticRecall;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;
import org.jdbi.v3.core.argument.Argument;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The statements of semantic recall (column {@code memory_messages.embedding}): storing message embeddings, and the
 * recall itself, one statement that finds the nearest embedded messages of a thread or resource by an exact scan of
 * that scope and reads each one's neighbours from the index {@code (memory_id, seq DESC)}. Runs in the caller's
 * transaction through {@link Sql}; stateless apart from the entity manager.
 */
final class MessageRecallSql {

    /** Largest accepted embedding dimension: pgvector's {@code vector} limit, 16,000. */
    static final int MAX_DIMENSION = 16_000;

    /** Sets (or clears, for a NULL text) the embedding of each message of {@code :ids}; unknown ids match nothing. */
    private static final String EMBED = """
            UPDATE memory_messages m
               SET embedding = CAST(e.embedding AS vector)
              FROM unnest(CAST(:ids AS text[]), CAST(:embeddings AS text[])) AS e(id, embedding)
             WHERE m.id = e.id
            """;

    /**
     * The recall: {@code hits} are the {@code :topK} embedded messages of the scope ({@code %1$s}) nearest to
     * {@code :query} by cosine distance, ties by {@code %2$s}, read by an exact scan of the scope's rows through its
     * B-tree index (only embeddings of the query's dimension take part); then, per hit, two bounded backward and
     * forward reads of {@code (memory_id, seq DESC)} in its thread. A message appears once per hit it belongs to.
     */
    static final String RECALL = """
            WITH hits AS MATERIALIZED (
                SELECT id, memory_id, seq, embedding <=> CAST(:query AS vector) AS distance
                  FROM memory_messages
                 WHERE %1$s
                   AND embedding IS NOT NULL AND vector_dims(embedding) = :dimension
                 ORDER BY distance, %2$s
                 LIMIT :topK
            )
            SELECT c.id, c.memory_id, c.seq, c.role, CAST(c.content AS text) AS content, c.resource_id, c.created_at,
                   CASE WHEN c.id = t.id THEN t.distance END AS distance
              FROM hits t
             CROSS JOIN LATERAL (
                   (SELECT b.id, b.memory_id, b.seq, b.role, b.content, b.resource_id, b.created_at
                      FROM memory_messages b
                     WHERE b.memory_id = t.memory_id AND b.seq <= t.seq
                     ORDER BY b.seq DESC LIMIT :before + 1)
                   UNION ALL
                   (SELECT a.id, a.memory_id, a.seq, a.role, a.content, a.resource_id, a.created_at
                      FROM memory_messages a
                     WHERE a.memory_id = t.memory_id AND a.seq > t.seq
                     ORDER BY a.seq LIMIT :after)
             ) c
            """;

    /** {@link #RECALL} in one thread, {@code :scopeId}. */
    static final String RECALL_THREAD = RECALL.formatted("memory_id = :scopeId", "seq");

    /** {@link #RECALL} over one resource's messages in every thread, {@code :scopeId}. */
    static final String RECALL_RESOURCE = RECALL.formatted("resource_id = :scopeId", "created_at, memory_id, seq");

    private final EntityManager em;

    MessageRecallSql(EntityManager em) {
        this.em = em;
    }

    /**
     * Embeds the text of each distinct message ({@link MessageText}; the last of equal ids wins, as saving does),
     * then saves the batch with {@code save} and stores the embeddings: NULL for a message without text.
     */
    List<MemoryMessage> saveEmbedded(List<NewMessage> messages, Embedder embedder,
                                     Function<List<NewMessage>, List<MemoryMessage>> save) {
        Check.noNulls("messages", messages);
        Check.notNull("embedder", embedder);
        Map<String, String> texts = new LinkedHashMap<>();
        messages.forEach(m -> texts.put(m.id(), MessageText.of(m.content())));
        Map<String, float[]> vectors = embed(texts, embedder);
        List<MemoryMessage> saved = save.apply(messages);
        store(vectors);
        return saved;
    }

    /** Validates and stores embeddings of existing messages; returns how many messages were found. */
    int embedMessages(Map<String, float[]> embeddings) {
        Check.notNull("embeddings", embeddings);
        Check.range("embeddings (size)", embeddings.size(), 1, MemoryRepository.MAX_BATCH);
        Map<String, float[]> sorted = new TreeMap<>(); // rows locked in one order
        embeddings.forEach((id, v) -> sorted.put(Memory.requireId("id", id), requireVector("embeddings[" + id + "]",
                v, -1)));
        return store(sorted);
    }

    /** Validates the query and runs {@link #RECALL} for its scope; matches and neighbours, each once, in order. */
    List<RecalledMessage> recall(float[] query, SemanticRecall recall) {
        Check.notNull("recall", recall);
        requireVector("query", query, -1);
        boolean thread = recall.scope() == RecallScope.THREAD;
        List<RecalledMessage> rows = Sql.call(em, "recall MemoryMessages of " + (thread ? "Memory id=" : "resource ")
                + recall.scopeId(), h -> h.createQuery(thread ? RECALL_THREAD : RECALL_RESOURCE)
                .bind("query", realArray(query))
                .bind("dimension", query.length)
                .bind("scopeId", recall.scopeId())
                .bind("topK", recall.topK())
                .bind("before", recall.before())
                .bind("after", recall.after())
                .map((rs, ctx) -> {
                    double distance = rs.getDouble("distance");
                    boolean match = !rs.wasNull();
                    return new RecalledMessage(MessageReadSql.MESSAGE.map(rs, ctx), match, match ? distance
                            : Double.NaN);
                })
                .list());
        Map<String, RecalledMessage> byId = new LinkedHashMap<>();
        for (RecalledMessage r : rows) {
            byId.merge(r.message().id(), r, (a, b) -> a.match() ? a : b);
        }
        List<RecalledMessage> ordered = new ArrayList<>(byId.values());
        Comparator<MemoryMessage> order = thread ? Comparator.comparingLong(MemoryMessage::seq)
                : MessageListing.CHRONOLOGICAL;
        ordered.sort(Comparator.comparing(RecalledMessage::message, order));
        return List.copyOf(ordered);
    }

    /** Validates the text, embeds it and recalls as {@link #recall(float[], SemanticRecall)}. */
    List<RecalledMessage> recall(String query, Embedder embedder, SemanticRecall recall) {
        Check.text("query", query, 100_000);
        Check.notNull("embedder", embedder);
        Check.notNull("recall", recall);
        return recall(requireVector("embedder: query embedding", embedder.embed(query), embedder.dimension()), recall);
    }

    /** Embeds the non-empty texts in batches of the embedder's size; checks every embedding returned. */
    private static Map<String, float[]> embed(Map<String, String> texts, Embedder embedder) {
        int batchSize = embedder.batchSize();
        if (batchSize < 1) {
            throw new InvalidInputException("embedder.batchSize() must be at least 1, was " + batchSize);
        }
        Map<String, float[]> vectors = new TreeMap<>();
        List<String> ids = new ArrayList<>();
        texts.forEach((id, text) -> {
            if (text.isBlank()) {
                vectors.put(id, null);
            } else {
                ids.add(id);
            }
        });
        for (int from = 0; from < ids.size(); from += batchSize) {
            List<String> batch = ids.subList(from, Math.min(ids.size(), from + batchSize));
            List<float[]> out = embedder.embedAll(batch.stream().map(texts::get).toList());
            if (out == null || out.size() != batch.size()) {
                throw new InvalidInputException("embedder: embedAll returned " + (out == null ? "null"
                        : out.size() + " embeddings") + " for " + batch.size() + " texts");
            }
            for (int i = 0; i < batch.size(); i++) {
                vectors.put(batch.get(i), requireVector("embedder: embedding of message " + batch.get(i), out.get(i),
                        embedder.dimension()));
            }
        }
        return vectors;
    }

    private int store(Map<String, float[]> vectors) {
        if (vectors.isEmpty()) {
            return 0;
        }
        String[] ids = vectors.keySet().toArray(String[]::new);
        String[] texts = vectors.values().stream().map(v -> v == null ? null : vectorText(v)).toArray(String[]::new);
        return Sql.call(em, "embed MemoryMessages", h -> h.createUpdate(EMBED)
                .bindArray("ids", String.class, (Object[]) ids)
                .bindArray("embeddings", String.class, (Object[]) texts)
                .execute());
    }

    /**
     * @param dimension the required dimension, or -1 for any from 1 to {@value #MAX_DIMENSION}
     * @return {@code vector}, once checked: not null, of that dimension, finite values only (pgvector refuses NaN and
     *         infinity)
     */
    static float[] requireVector(String parameter, float[] vector, int dimension) {
        Check.notNull(parameter, vector);
        if (dimension >= 0 ? vector.length != dimension : vector.length < 1 || vector.length > MAX_DIMENSION) {
            throw new InvalidInputException(parameter + " must have " + (dimension >= 0 ? dimension + " elements"
                    : "1 to " + MAX_DIMENSION + " elements") + ", had " + vector.length);
        }
        for (int i = 0; i < vector.length; i++) {
            if (!Float.isFinite(vector[i])) {
                throw new InvalidInputException(parameter + "[" + i + "] must be a finite number, was " + vector[i]);
            }
        }
        return vector;
    }

    /** pgvector's text form, {@code [1.0,2.5]}: the embeddings of a batch travel as one {@code text[]}. */
    private static String vectorText(float[] v) {
        StringBuilder sb = new StringBuilder(v.length * 10).append('[');
        for (int i = 0; i < v.length; i++) {
            sb.append(i == 0 ? "" : ",").append(v[i]);
        }
        return sb.append(']').toString();
    }

    /** Binds a query vector as pgjdbc binds a {@code float[]}: a binary {@code real[]}, cast to vector in SQL. */
    private static Argument realArray(float[] vector) {
        return (position, statement, ctx) -> statement.setObject(position, vector);
    }
}
