package dev.agentstore.persistence.memory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.memory.Memory;
import dev.agentstore.domain.memory.MemoryMessage;
import dev.agentstore.domain.memory.MemoryVariables;
import dev.agentstore.domain.memory.MessageUpdate;
import dev.agentstore.domain.memory.NewMessage;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;
import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The statements of {@link MemoryRepository} that write messages (table {@code memory_messages}, and the sequence
 * numbers, update times and versions of their threads in {@code memories}): appends, updates and deletes. Runs in the
 * caller's transaction through {@link Sql}.
 */
final class MessageWriteSql {

    /**
     * The allocation step of {@link #SAVE_MESSAGES}: takes {@code :n} sequence numbers of the existing thread
     * {@code :memoryId} (locking its row until commit) and bumps its update time to {@code :now}; no row when the
     * thread does not exist.
     */
    private static final String ALLOCATE = """
            UPDATE memories
               SET last_seq = last_seq + :n, updated_at = :now, version = version + 1
             WHERE id = :memoryId
            RETURNING last_seq - :n AS base, resource_id
            """;

    /** As {@link #ALLOCATE}, creating the memory (no resource, no title) when it does not exist: always one row. */
    private static final String ENSURE_AND_ALLOCATE = """
            INSERT INTO memories AS m (id, last_seq, created_at, updated_at)
            VALUES (:memoryId, :n, :now, :now)
            ON CONFLICT (id) DO UPDATE
               SET last_seq = m.last_seq + EXCLUDED.last_seq, updated_at = EXCLUDED.updated_at,
                   version = m.version + 1
            RETURNING m.last_seq - :n AS base, m.resource_id
            """;

    /**
     * After an allocation CTE {@code alloc(base, resource_id)}: upserts a batch (a JSON array {@code :input}, ids
     * distinct, {@code :n} elements) into thread {@code :memoryId} with sequence numbers base + 1, base + 2, ... in
     * array order. A new id is inserted; an id of this thread keeps its sequence number and creation time and takes
     * the new role, content and resource; an id of another thread moves here (new sequence number) and that thread's
     * update time is bumped to {@code :now} (its thread is found by one primary-key probe per input row, whatever the
     * plan's statistics). A message without a resource gets the thread's. Writes nothing when {@code alloc} has no
     * row.
     */
    private static final String UPSERT_AFTER_ALLOCATION = """
            , input AS (
                SELECT e ->> 'id' AS id, e ->> 'role' AS role, e -> 'content' AS content,
                       e ->> 'resourceId' AS resource_id, CAST(e ->> 'createdAt' AS timestamptz) AS created_at, x.ord
                  FROM jsonb_array_elements(CAST(:input AS jsonb)) WITH ORDINALITY AS x(e, ord)
            ), left_threads AS (
                UPDATE memories
                   SET updated_at = :now, version = version + 1
                 WHERE id IN (SELECT (SELECT mm.memory_id FROM memory_messages mm WHERE mm.id = i.id) FROM input i)
                   AND id <> :memoryId
                   AND EXISTS (SELECT 1 FROM alloc)
            )
            INSERT INTO memory_messages AS m (id, memory_id, seq, role, content, resource_id, created_at)
            SELECT i.id, :memoryId, a.base + i.ord, i.role, i.content, COALESCE(i.resource_id, a.resource_id),
                   i.created_at
              FROM input i CROSS JOIN alloc a
             ORDER BY i.ord
            ON CONFLICT (id) DO UPDATE
               SET memory_id   = EXCLUDED.memory_id,
                   seq         = CASE WHEN m.memory_id = EXCLUDED.memory_id THEN m.seq ELSE EXCLUDED.seq END,
                   role        = EXCLUDED.role,
                   content     = EXCLUDED.content,
                   embedding   = CASE WHEN m.content = EXCLUDED.content THEN m.embedding END,
                   resource_id = EXCLUDED.resource_id
            RETURNING id, seq, resource_id, created_at
            """;

    /** {@code saveMessages}: allocation and upsert in one statement; no row when the thread does not exist. */
    private static final String SAVE_MESSAGES = "WITH alloc AS (" + ALLOCATE + ")" + UPSERT_AFTER_ALLOCATION;

    /** {@code remember}: creation on first use, allocation and upsert in one statement. */
    private static final String REMEMBER_MESSAGES = "WITH alloc AS (" + ENSURE_AND_ALLOCATE + ")"
            + UPSERT_AFTER_ALLOCATION;

    /** Locks the messages an update changes and tells which thread each is in. */
    private static final String LOCK_MESSAGES = """
            SELECT id, memory_id FROM memory_messages
             WHERE id IN (SELECT jsonb_array_elements_text(CAST(:ids AS jsonb)))
             ORDER BY id
               FOR UPDATE
            """;

    /** The target threads of moves that exist, locked so that they cannot be deleted before the move. */
    private static final String EXISTING_THREADS = """
            SELECT id FROM memories WHERE id IN (SELECT jsonb_array_elements_text(CAST(:ids AS jsonb)))
             ORDER BY id
               FOR NO KEY UPDATE
            """;

    /** Bumps every thread of a JSON object {threadId: n} and allocates n sequence numbers in each. */
    private static final String BUMP_AND_ALLOCATE = """
            UPDATE memories m
               SET last_seq = m.last_seq + CAST(a.value AS bigint), updated_at = :now, version = m.version + 1
              FROM jsonb_each_text(CAST(:counts AS jsonb)) AS a(key, value)
             WHERE m.id = a.key
            RETURNING m.id, m.last_seq, m.version
            """;

    private static final String UPDATE_MESSAGES = """
            UPDATE memory_messages m
               SET role      = COALESCE(u.role, m.role),
                   content   = CASE WHEN u.patch IS NULL THEN m.content ELSE jsonb_merge_patch(m.content, u.patch) END,
                   embedding = CASE WHEN u.patch IS NULL OR jsonb_merge_patch(m.content, u.patch) = m.content
                                    THEN m.embedding END,
                   memory_id = COALESCE(u.memory_id, m.memory_id),
                   seq       = COALESCE(u.seq, m.seq)
              FROM jsonb_to_recordset(CAST(:updates AS jsonb))
                   AS u(id text, role text, patch jsonb, memory_id text, seq bigint)
             WHERE m.id = u.id
            RETURNING m.id, m.memory_id, m.seq, m.role, CAST(m.content AS text) AS content, m.resource_id, m.created_at
            """;

    /** Deletes messages and bumps the update time of their threads; returns how many were deleted. */
    private static final String DELETE_MESSAGES = """
            WITH removed AS (
                DELETE FROM memory_messages
                 WHERE id IN (SELECT jsonb_array_elements_text(CAST(:ids AS jsonb)))
                RETURNING memory_id
            ), touched AS (
                UPDATE memories SET updated_at = :now, version = version + 1
                 WHERE id IN (SELECT memory_id FROM removed)
                RETURNING id, version
            )
            SELECT (SELECT count(*) FROM removed) AS deleted,
                   (SELECT CAST(jsonb_object_agg(id, version) AS text) FROM touched) AS touched
            """;

    private final EntityManager em;
    private final ThreadSql threads;

    MessageWriteSql(EntityManager em) {
        this.em = em;
        this.threads = new ThreadSql(em);
    }

    /**
     * Validates a batch and keeps each id once: the last occurrence's values at the first occurrence's position.
     *
     * @return the messages by id, in that order
     */
    private static Map<String, NewMessage> distinct(List<NewMessage> messages) {
        Check.noNulls("messages", messages);
        Check.range("messages (size)", messages.size(), 1, MemoryRepository.MAX_BATCH);
        Map<String, NewMessage> byId = new LinkedHashMap<>();
        for (NewMessage m : messages) {
            byId.put(m.id(), m);
        }
        return byId;
    }

    /** Validates message ids, each kept once. */
    static Set<String> ids(List<String> ids) {
        Check.noNulls("ids", ids);
        Check.range("ids (size)", ids.size(), 1, MemoryRepository.MAX_BATCH);
        Set<String> valid = new LinkedHashSet<>();
        for (String id : ids) {
            valid.add(Memory.requireId("id", id));
        }
        return valid;
    }

    /** Validates a batch and appends it to an existing thread in one statement; see {@code saveMessages}. */
    List<MemoryMessage> save(String memoryId, List<NewMessage> messages, Instant now) {
        Memory.requireId("memoryId", memoryId);
        Map<String, NewMessage> batch = distinct(messages);
        String input = input(batch, now);
        return Sql.call(em, "save MemoryMessages into Memory id=" + memoryId, h -> {
            List<MemoryMessage> saved = upsert(h, SAVE_MESSAGES, memoryId, batch, input, now);
            if (saved.isEmpty()) {
                // no thread: the statement allocated nothing and wrote nothing
                throw new NotFoundException("Memory", "id=" + memoryId);
            }
            threads.appended(h, memoryId);
            return saved;
        });
    }

    /**
     * Validates and appends a batch (possibly empty) to a memory, creating it on first use, then stores a variables
     * snapshot when one is given; see {@code remember}.
     */
    List<MemoryMessage> remember(String memoryId, List<NewMessage> elements, JsonNode variables, Instant now) {
        Memory.requireId("memoryId", memoryId);
        Map<String, NewMessage> batch = Check.noNulls("elements", elements).isEmpty() ? Map.of() : distinct(elements);
        String vars = variables == null ? null
                : JsonWrites.print(em, "variables", MemoryVariables.requireVariables(variables));
        String input = input(batch, now);
        return Sql.call(em, "remember in Memory id=" + memoryId, h -> {
            // with no elements the statement still creates or locks the memory: the variables' revision relies on it
            List<MemoryMessage> saved = upsert(h, REMEMBER_MESSAGES, memoryId, batch, input, now);
            threads.appended(h, memoryId);
            if (vars != null) {
                VariablesSql.insert(h, memoryId, vars, now);
            }
            return saved;
        });
    }

    /**
     * Validates the updates (each message once, each changing something) and applies them; see updateMessages. With
     * {@code skipUnknown}, updates of messages that do not exist are left out (and their target threads unchecked)
     * instead of failing the call; the result then holds only the updated messages.
     */
    List<MemoryMessage> update(List<MessageUpdate> all, Instant now, boolean skipUnknown) {
        Check.noNulls("updates", all);
        Check.range("updates (size)", all.size(), 1, MemoryRepository.MAX_BATCH);
        Set<String> ids = new LinkedHashSet<>();
        for (MessageUpdate u : all) {
            if (!ids.add(u.id())) {
                throw new InvalidInputException("updates must name each message once, " + u.id() + " appears twice");
            }
            if (u.role() == null && u.contentPatch() == null && u.memoryId() == null) {
                throw new InvalidInputException("update of MemoryMessage id=" + u.id() + " changes nothing");
            }
            JsonWrites.check(em, "updates[" + (ids.size() - 1) + "].contentPatch", u.contentPatch());
        }
        return Sql.call(em, "update MemoryMessages", h -> {
            Map<String, String> threadOf = lock(h, ids, skipUnknown);
            List<MessageUpdate> updates = all.stream().filter(u -> threadOf.containsKey(u.id())).toList();
            if (updates.isEmpty()) {
                return List.of();
            }
            Set<String> targets = new LinkedHashSet<>();
            updates.forEach(u -> {
                if (u.memoryId() != null) {
                    targets.add(u.memoryId());
                }
            });
            requireThreads(h, targets);
            // per touched thread: how many messages move into it
            Map<String, Long> incoming = new LinkedHashMap<>();
            for (MessageUpdate u : updates) {
                String from = threadOf.get(u.id());
                incoming.merge(from, 0L, Long::sum);
                if (u.memoryId() != null && !u.memoryId().equals(from)) {
                    incoming.merge(u.memoryId(), 1L, Long::sum);
                }
            }
            Map<String, Long> nextSeq = allocate(h, incoming, now);
            ArrayNode rows = JsonNodeFactory.instance.arrayNode();
            for (MessageUpdate u : updates) {
                ObjectNode row = rows.addObject().put("id", u.id());
                if (u.role() != null) {
                    row.put("role", u.role().name());
                }
                if (u.contentPatch() != null) {
                    row.set("patch", u.contentPatch());
                }
                if (u.memoryId() != null && !u.memoryId().equals(threadOf.get(u.id()))) {
                    long seq = nextSeq.merge(u.memoryId(), 1L, Long::sum) - 1;
                    row.put("memory_id", u.memoryId()).put("seq", seq);
                }
            }
            Map<String, MemoryMessage> updated = new HashMap<>();
            h.createQuery(UPDATE_MESSAGES)
                    .bind("updates", Json.print(rows))
                    .map(MessageReadSql.MESSAGE)
                    .forEach(m -> updated.put(m.id(), m));
            return updates.stream().map(u -> updated.get(u.id())).toList();
        });
    }

    /** Validates message ids, deletes them and bumps their threads in one statement; how many were deleted. */
    int delete(List<String> ids, Instant now) {
        String valid = jsonArray(ids(ids));
        Deleted deleted = Sql.call(em, "delete MemoryMessages", h -> h.createQuery(DELETE_MESSAGES)
                .bind("ids", valid)
                .bind("now", now)
                .map((rs, ctx) -> new Deleted(rs.getInt("deleted"), rs.getString("touched")))
                .one());
        if (deleted.touched() != null) {
            Json.parse("touched", deleted.touched()).fields()
                    .forEachRemaining(t -> threads.wroteRelative(t.getKey(), t.getValue().asLong()));
        }
        return deleted.count();
    }

    /** Locks the messages and tells which thread each is in; every one must exist unless {@code skipUnknown}. */
    private static Map<String, String> lock(Handle h, Set<String> ids, boolean skipUnknown) {
        Map<String, String> threadOf = new HashMap<>();
        h.createQuery(LOCK_MESSAGES)
                .bind("ids", jsonArray(ids))
                .map((rs, ctx) -> Map.entry(rs.getString("id"), rs.getString("memory_id")))
                .forEach(row -> threadOf.put(row.getKey(), row.getValue()));
        for (String id : ids) {
            if (!skipUnknown && !threadOf.containsKey(id)) {
                throw new NotFoundException("MemoryMessage", "id=" + id);
            }
        }
        return threadOf;
    }

    /** Locks the target threads of moves; every one must exist. */
    private static void requireThreads(Handle h, Set<String> targets) {
        if (targets.isEmpty()) {
            return;
        }
        Set<String> existing = new HashSet<>(h.createQuery(EXISTING_THREADS)
                .bind("ids", jsonArray(targets))
                .mapTo(String.class)
                .list());
        for (String t : targets) {
            if (!existing.contains(t)) {
                throw new NotFoundException("Memory", "id=" + t);
            }
        }
    }

    /**
     * Bumps every touched thread and allocates the sequence numbers of the messages moving into it.
     *
     * @return per thread, the first sequence number allocated
     */
    private Map<String, Long> allocate(Handle h, Map<String, Long> incoming, Instant now) {
        ObjectNode counts = Json.object();
        incoming.forEach(counts::put);
        Map<String, Long> nextSeq = new HashMap<>();
        List<Allocated> rows = h.createQuery(BUMP_AND_ALLOCATE)
                .bind("counts", Json.print(counts))
                .bind("now", now)
                .map((rs, ctx) -> new Allocated(rs.getString("id"), rs.getLong("last_seq"), rs.getLong("version")))
                .list();
        for (Allocated row : rows) {
            nextSeq.put(row.id(), row.lastSeq() - incoming.get(row.id()) + 1);
            threads.wroteRelative(row.id(), row.version());
        }
        return nextSeq;
    }

    /**
     * Runs {@link #SAVE_MESSAGES} or {@link #REMEMBER_MESSAGES}: one statement.
     *
     * @return the saved messages in sequence order; empty when the thread does not exist (nothing was written)
     */
    private static List<MemoryMessage> upsert(Handle h, String statement, String memoryId,
                                              Map<String, NewMessage> batch, String input, Instant now) {
        List<MemoryMessage> saved = new ArrayList<>(batch.size());
        h.createQuery(statement)
                .bind("input", input)
                .bind("memoryId", memoryId)
                .bind("n", (long) batch.size())
                .bind("now", now)
                .map((rs, ctx) -> {
                    NewMessage m = batch.get(rs.getString("id"));
                    return MemoryMessage.of(m.id(), memoryId, rs.getLong("seq"), m.role(), m.content(),
                            rs.getString("resource_id"), Sql.instant(rs, "created_at"));
                })
                .forEach(saved::add);
        saved.sort(Comparator.comparingLong(MemoryMessage::seq));
        return saved;
    }

    /** A batch as the JSON array the upsert reads, each content checked against the store's JSON limits. */
    private String input(Map<String, NewMessage> batch, Instant now) {
        ArrayNode input = JsonNodeFactory.instance.arrayNode(batch.size());
        for (NewMessage m : batch.values()) {
            JsonWrites.check(em, "messages[" + input.size() + "].content", m.content());
            Instant createdAt = m.createdAt() != null ? m.createdAt().truncatedTo(ChronoUnit.MICROS) : now;
            input.addObject()
                    .put("id", m.id())
                    .put("role", m.role().name())
                    .put("resourceId", m.resourceId())
                    .put("createdAt", createdAt.toString())
                    .set("content", m.content());
        }
        return Json.print(input);
    }

    static String jsonArray(Collection<String> values) {
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        values.forEach(a::add);
        return Json.print(a);
    }

    /** What {@link #DELETE_MESSAGES} reports: how many were deleted, and {threadId: version} of their threads. */
    private record Deleted(int count, String touched) {
    }

    /** A thread {@link #BUMP_AND_ALLOCATE} bumped: its last sequence number and version after the bump. */
    private record Allocated(String id, long lastSeq, long version) {
    }
}
