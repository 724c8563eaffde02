package dev.agentstore.persistence.memory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.memory.ClonedThread;
import dev.agentstore.domain.memory.Memory;
import dev.agentstore.domain.memory.MemoryResource;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The statements of {@link MemoryRepository#cloneThread}: a copy of a thread with its messages in order under new ids
 * (tables {@code memories} and {@code memory_messages}). Runs in the caller's transaction through {@link Sql}.
 */
final class ThreadCloneSql {

    /** The source thread, share-locked so that it is neither deleted nor appended to while it is copied. */
    private static final String SOURCE = "SELECT " + ThreadSql.COLUMNS + " FROM memories WHERE id = :id FOR SHARE";

    /** The source's message ids in sequence order. */
    private static final String SOURCE_MESSAGES = "SELECT id FROM memory_messages WHERE memory_id = :id ORDER BY seq";

    /** The new thread; no row when the id is taken. */
    private static final String INSERT_THREAD = """
            INSERT INTO memories (id, resource_id, title, metadata, last_seq, created_at, updated_at)
            VALUES (:id, CAST(:resourceId AS varchar), CAST(:title AS text), CAST(:metadata AS jsonb), :lastSeq, :now,
                    :now)
            ON CONFLICT (id) DO NOTHING
            RETURNING\s""" + ThreadSql.COLUMNS;

    /**
     * Copies the messages named by {@code :copies} (a JSON array of {source, id, seq}) into thread {@code :threadId}:
     * role, content and creation time kept, the resource set to {@code :resourceId} when given.
     */
    private static final String COPY_MESSAGES = """
            INSERT INTO memory_messages (id, memory_id, seq, role, content, resource_id, created_at)
            SELECT c.id, :threadId, c.seq, s.role, s.content, COALESCE(CAST(:resourceId AS varchar), s.resource_id),
                   s.created_at
              FROM jsonb_to_recordset(CAST(:copies AS jsonb)) AS c(source text, id text, seq bigint)
              JOIN memory_messages s ON s.id = c.source
            """;

    private final EntityManager em;

    ThreadCloneSql(EntityManager em) {
        this.em = em;
    }

    /** Validates and clones; see {@link MemoryRepository#cloneThread}. */
    ClonedThread clone(String sourceId, String newId, String resourceId, String title, JsonNode metadata,
                       Instant now) {
        Memory.requireId("sourceThreadId", sourceId);
        String id = newId == null ? UUID.randomUUID().toString() : Memory.requireId("newThreadId", newId);
        if (resourceId != null) {
            MemoryResource.requireId(resourceId);
        }
        Memory.requireTitle(title);
        ObjectNode meta = (ObjectNode) (metadata == null ? Json.object() : Memory.requireMetadata("metadata", metadata));
        return Sql.call(em, "clone Memory id=" + sourceId + " as id=" + id, h -> {
            Memory source = h.createQuery(SOURCE).bind("id", sourceId).map(ThreadSql.THREAD).findOne()
                    .orElseThrow(() -> new NotFoundException("Memory", "id=" + sourceId));
            List<String> sourceMessages = h.createQuery(SOURCE_MESSAGES).bind("id", sourceId)
                    .mapTo(String.class).list();
            Map<String, String> ids = new LinkedHashMap<>();
            ArrayNode copies = JsonNodeFactory.instance.arrayNode();
            for (String m : sourceMessages) {
                String copy = UUID.randomUUID().toString();
                ids.put(m, copy);
                copies.addObject().put("source", m).put("id", copy).put("seq", ids.size());
            }
            ObjectNode clone = meta.putObject("clone").put("sourceThreadId", sourceId).put("clonedAt", now.toString());
            if (!sourceMessages.isEmpty()) {
                clone.put("lastMessageId", sourceMessages.get(sourceMessages.size() - 1));
            }
            String newTitle = title != null ? title : source.title() == null ? null
                    : cut("Clone of " + source.title());
            String owner = resourceId != null ? resourceId : source.resourceId();
            Memory thread = h.createQuery(INSERT_THREAD)
                    .bind("id", id)
                    .bind("resourceId", owner)
                    .bind("title", newTitle)
                    .bind("metadata", JsonWrites.print(em, "metadata", meta))
                    .bind("lastSeq", (long) ids.size())
                    .bind("now", now)
                    .map(ThreadSql.THREAD)
                    .findOne()
                    .orElseThrow(() -> new DuplicateException("Memory id=" + id + " already exists", null));
            if (!ids.isEmpty()) {
                h.createUpdate(COPY_MESSAGES)
                        .bind("threadId", id)
                        .bind("resourceId", owner)
                        .bind("copies", Json.print(copies))
                        .execute();
            }
            return new ClonedThread(ThreadSql.VERSIONS.wrote(em, thread), ids);
        });
    }

    /** A title within {@link Memory#MAX_TITLE_LENGTH}. */
    private static String cut(String title) {
        return title.length() <= Memory.MAX_TITLE_LENGTH ? title : title.substring(0, Memory.MAX_TITLE_LENGTH);
    }
}
