package dev.agentstore.persistence.memory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.memory.Memory;
import dev.agentstore.domain.memory.MemoryResource;
import dev.agentstore.domain.memory.ThreadOrder;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.Query;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The statements of {@link MemoryRepository} on threads (table {@code memories}): save, read, list, update, delete,
 * and the version checks of {@link ReadVersions} for them. Runs in the caller's transaction through {@link Sql}.
 */
final class ThreadSql {

    /** The entity name in {@link ReadVersions} and conflict messages. */
    static final String ENTITY = "Memory";
    /** Records the versions of what this class hands out and writes ({@link ReadVersions}). */
    static final ReadVersions.Entity<Memory> VERSIONS =
            new ReadVersions.Entity<>(ENTITY, Memory::id, Memory::version);

    /** Every column of a thread, as {@link #THREAD} reads them. */
    static final String COLUMNS = """
            id, resource_id, title, CAST(metadata AS text) AS metadata, last_seq, created_at, updated_at, version
            """;

    /** Creates a thread or replaces its resource, title and metadata; refused when another resource owns it. */
    private static final String SAVE_THREAD = """
            INSERT INTO memories AS m (id, resource_id, title, metadata, created_at, updated_at)
            VALUES (:id, :resourceId, CAST(:title AS text), CAST(:metadata AS jsonb), :createdAt, :updatedAt)
            ON CONFLICT (id) DO UPDATE
               SET resource_id = EXCLUDED.resource_id,
                   title       = EXCLUDED.title,
                   metadata    = EXCLUDED.metadata,
                   updated_at  = EXCLUDED.updated_at,
                   version     = m.version + 1
             WHERE m.resource_id IS NULL OR m.resource_id = EXCLUDED.resource_id
            RETURNING\s""" + COLUMNS;

    /** As {@link #SAVE_THREAD}, replacing an existing thread only when it still has version {@code :expected}. */
    private static final String SAVE_THREAD_IF_VERSION = SAVE_THREAD.replace("""
             WHERE m.resource_id IS NULL OR m.resource_id = EXCLUDED.resource_id
            """, """
             WHERE (m.resource_id IS NULL OR m.resource_id = EXCLUDED.resource_id)
               AND m.version = :expected
            """);

    /** A thread's update; {@code %s} is an extra condition ({@link #UPDATE_THREAD_IF_VERSION}) or nothing. */
    private static final String UPDATE_THREAD_WHERE = """
            UPDATE memories
               SET title      = COALESCE(CAST(:title AS text), title),
                   metadata   = jsonb_merge_patch(metadata, CAST(:patch AS jsonb)),
                   updated_at = :now,
                   version    = version + 1
             WHERE id = :id%s
            RETURNING\s""" + COLUMNS;

    private static final String UPDATE_THREAD = UPDATE_THREAD_WHERE.formatted("");

    /** As {@link #UPDATE_THREAD}, only when the thread still has version {@code :expected}; no row = not written. */
    private static final String UPDATE_THREAD_IF_VERSION = UPDATE_THREAD_WHERE.formatted(" AND version = :expected");

    private static final String SELECT_THREAD = "SELECT " + COLUMNS + " FROM memories WHERE id = :id";

    private static final String SELECT_THREAD_FOR_UPDATE = SELECT_THREAD + " FOR UPDATE";

    /** Why a checked thread write wrote nothing: the thread's version and resource, no row when it is gone. */
    private static final String THREAD_VERSION = "SELECT version, resource_id FROM memories WHERE id = :id";

    private static final String DELETE_THREAD = "DELETE FROM memories WHERE id = :id";

    /**
     * Moves thread {@code :id}, locked by the caller, and every message in it to resource {@code :resourceId}.
     */
    private static final String MOVE_THREAD = """
            WITH moved AS (
                UPDATE memories SET resource_id = :resourceId, updated_at = :now, version = version + 1
                 WHERE id = :id
                RETURNING\s""" + COLUMNS + """
            ), messages AS (
                UPDATE memory_messages SET resource_id = :resourceId WHERE memory_id = :id
            )
            SELECT * FROM moved
            """;

    private static final String ENSURE = """
            INSERT INTO memories (id, created_at, updated_at) VALUES (:id, :now, :now)
            ON CONFLICT (id) DO NOTHING
            """;

    private static final String THREADS_WHERE = """
             FROM memories
             WHERE resource_id = :resourceId
               AND metadata @> CAST(:filter AS jsonb)
            """;

    /** A page of a resource's threads per order; {@code :limit} NULL reads every thread. */
    private static final Map<ThreadOrder, String> LIST_THREADS = new EnumMap<>(Map.of(
            ThreadOrder.CREATED_ASC, list("created_at ASC, id ASC"),
            ThreadOrder.CREATED_DESC, list("created_at DESC, id DESC"),
            ThreadOrder.UPDATED_ASC, list("updated_at ASC, id ASC"),
            ThreadOrder.UPDATED_DESC, list("updated_at DESC, id DESC")));

    private static final String COUNT_THREADS = "SELECT count(*)" + THREADS_WHERE;

    /** A {@code memories} row with the columns of {@link #COLUMNS}. */
    static final RowMapper<Memory> THREAD = (rs, ctx) -> Memory.stored(rs.getString("id"),
            rs.getString("resource_id"), rs.getString("title"), Json.parse("metadata", rs.getString("metadata")),
            rs.getLong("last_seq"), Sql.instant(rs, "created_at"), Sql.instant(rs, "updated_at"),
            rs.getLong("version"));

    private final EntityManager em;

    ThreadSql(EntityManager em) {
        this.em = em;
    }

    private static String list(String orderBy) {
        return "SELECT " + COLUMNS + THREADS_WHERE + " ORDER BY " + orderBy
                + " LIMIT CAST(:limit AS bigint) OFFSET :offset";
    }

    /** As {@link #save(String, String, String, JsonNode, Instant, Instant, Instant)} at {@code now}. */
    Memory save(String id, String resourceId, String title, JsonNode metadata, Instant now) {
        return save(id, resourceId, title, metadata, null, null, now);
    }

    /**
     * Validates and saves a thread: the upsert, or, when this transaction read the thread, the upsert that replaces it
     * only at the version read. A new thread gets {@code createdAt} and {@code updatedAt} (each {@code null}:
     * {@code now}), cut to microseconds, PostgreSQL's precision, so that what is returned equals what is stored; an
     * existing one keeps its creation time and gets {@code updatedAt}. The instants are checked before anything else.
     */
    Memory save(String id, String resourceId, String title, JsonNode metadata, Instant createdAt, Instant updatedAt,
                Instant now) {
        Instant created = micros(Check.instant("createdAt", createdAt), now);
        Instant updated = micros(Check.instant("updatedAt", updatedAt), now);
        Memory valid = Memory.create(id, Check.notNull("resourceId", resourceId), title, metadata, created);
        OptionalLong expected = versions().expected(ENTITY, id);
        String json = JsonWrites.print(em, "metadata", valid.metadata());
        return Sql.call(em, "save Memory id=" + id, h -> {
            Query save = h.createQuery(expected.isPresent() ? SAVE_THREAD_IF_VERSION : SAVE_THREAD)
                    .bind("id", id)
                    .bind("resourceId", valid.resourceId())
                    .bind("title", valid.title())
                    .bind("metadata", json)
                    .bind("createdAt", valid.createdAt())
                    .bind("updatedAt", updated);
            expected.ifPresent(version -> save.bind("expected", version));
            Optional<Memory> saved = save.map(THREAD).findOne();
            if (saved.isEmpty()) {
                Optional<Current> current = current(h, id);
                if (expected.isPresent() && current.isPresent() && (current.get().resourceId() == null
                        || valid.resourceId().equals(current.get().resourceId()))) {
                    throw ReadVersions.conflict(ENTITY, id, expected.getAsLong(), current.get().version());
                }
                // reported as a missing thread of this resource, as getThread(id, resourceId) does
                throw new NotFoundException("Memory", "id=" + id + ", resourceId=" + valid.resourceId());
            }
            return VERSIONS.wrote(em, saved.get());
        });
    }

    /** {@code time} at microsecond precision, or {@code otherwise} when it is {@code null}. */
    private static Instant micros(Instant time, Instant otherwise) {
        return time == null ? otherwise : time.truncatedTo(ChronoUnit.MICROS);
    }

    /** Validates and reads a thread of one resource; one of another resource (or none) is reported as missing. */
    Memory get(String id, String resourceId) {
        MemoryResource.requireId(resourceId);
        return find(id, false).filter(m -> m.belongsTo(resourceId))
                .orElseThrow(() -> new NotFoundException("Memory", "id=" + id + ", resourceId=" + resourceId));
    }

    /** Validates the id and reads a thread, locking its row when {@code forUpdate}; remembers the version read. */
    Optional<Memory> find(String id, boolean forUpdate) {
        Memory.requireId("id", id);
        return Sql.call(em, "get Memory id=" + id + (forUpdate ? " for update" : ""), h -> h
                        .createQuery(forUpdate ? SELECT_THREAD_FOR_UPDATE : SELECT_THREAD)
                        .bind("id", id)
                        .map(THREAD)
                        .findOne())
                .map(x -> VERSIONS.read(em, x));
    }

    /**
     * The threads of a resource whose metadata contains {@code metadataFilter} ({@code null}: every one), in
     * {@code order}; {@code page == null}: every one, without a count. Validates first; remembers the versions read.
     */
    Page<Memory> list(String resourceId, JsonNode metadataFilter, ThreadOrder order, PageRequest page) {
        MemoryResource.requireId(resourceId);
        Check.notNull("order", order);
        String filter = metadataFilter == null ? "{}"
                : JsonWrites.print(em, "metadataFilter", Memory.requireMetadata("metadataFilter", metadataFilter));
        Long limit = page == null ? null : (long) page.perPage();
        return Sql.call(em, "list Memories of resource " + resourceId, h -> {
            List<Memory> items = h.createQuery(LIST_THREADS.get(order))
                    .bind("resourceId", resourceId)
                    .bind("filter", filter)
                    .bind("limit", limit)
                    .bind("offset", page == null ? 0L : page.offset())
                    .map(THREAD)
                    .list();
            items.forEach(x -> VERSIONS.read(em, x));
            if (page == null) {
                return new Page<>(items, 0, items.size(), items.size(), false);
            }
            long total = h.createQuery(COUNT_THREADS)
                    .bind("resourceId", resourceId)
                    .bind("filter", filter)
                    .mapTo(long.class)
                    .one();
            return Page.of(items, page.page(), page.perPage(), total);
        });
    }

    /** As {@link #update(String, String, JsonNode, Instant, OptionalLong)} at the version this transaction read. */
    Memory update(String id, String title, JsonNode metadataPatch, Instant now) {
        Memory.requireId("id", id);
        return update(id, title, metadataPatch, now, versions().expected(ENTITY, id));
    }

    /** Validates and updates a thread only at version {@code expected}. */
    Memory update(String id, String title, JsonNode metadataPatch, Instant now, long expected) {
        Memory.requireId("id", id);
        Check.notNegative("expectedVersion", expected);
        return update(id, title, metadataPatch, now, OptionalLong.of(expected));
    }

    /**
     * Renames a thread ({@code null}: keeps the title) and merges a metadata patch ({@code null}: none); only at
     * version {@code expected} when present. Validates first.
     */
    Memory update(String id, String title, JsonNode metadataPatch, Instant now, OptionalLong expected) {
        Memory.requireTitle(title);
        String patch = metadataPatch == null ? "{}"
                : JsonWrites.print(em, "metadataPatch", Memory.requireMetadata("metadataPatch", metadataPatch));
        return Sql.call(em, "update Memory id=" + id, h -> {
            Query update = h.createQuery(expected.isPresent() ? UPDATE_THREAD_IF_VERSION : UPDATE_THREAD)
                    .bind("id", id)
                    .bind("title", title)
                    .bind("patch", patch)
                    .bind("now", now);
            expected.ifPresent(version -> update.bind("expected", version));
            Optional<Memory> updated = update.map(THREAD).findOne();
            if (updated.isEmpty()) {
                Optional<Current> current = expected.isPresent() ? current(h, id) : Optional.empty();
                if (current.isPresent()) {
                    throw ReadVersions.conflict(ENTITY, id, expected.getAsLong(), current.get().version());
                }
                throw new NotFoundException("Memory", "id=" + id);
            }
            return VERSIONS.wrote(em, updated.get());
        });
    }

    boolean delete(String id) {
        Memory.requireId("id", id);
        return Sql.call(em, "delete Memory id=" + id, h -> h.createUpdate(DELETE_THREAD)
                .bind("id", id)
                .execute() == 1);
    }

    /**
     * Validates and moves a thread with all its messages to another resource; at the version this transaction read,
     * if it read one. Two statements: the thread's row is locked first, so that the move's snapshot holds every append
     * committed before it and later appends wait. Already there: nothing is written, the thread is returned as it is.
     */
    Memory move(String id, String resourceId, Instant now) {
        Memory.requireId("id", id);
        MemoryResource.requireId(resourceId);
        OptionalLong expected = versions().expected(ENTITY, id);
        return Sql.call(em, "move Memory id=" + id + " to resource " + resourceId, h -> {
            Memory current = h.createQuery(SELECT_THREAD_FOR_UPDATE).bind("id", id).map(THREAD).findOne()
                    .orElseThrow(() -> new NotFoundException("Memory", "id=" + id));
            if (expected.isPresent() && current.version() != expected.getAsLong()) {
                throw ReadVersions.conflict(ENTITY, id, expected.getAsLong(), current.version());
            }
            if (current.belongsTo(resourceId)) {
                return VERSIONS.read(em, current);
            }
            return VERSIONS.wrote(em, h.createQuery(MOVE_THREAD)
                    .bind("id", id)
                    .bind("resourceId", resourceId)
                    .bind("now", now)
                    .map(THREAD)
                    .one());
        });
    }

    /** Creates a memory without resource or title unless it exists; whether it was created. */
    boolean ensure(String id, Instant now) {
        Memory.requireId("memoryId", id);
        return Sql.call(em, "ensure Memory id=" + id, h -> h.createUpdate(ENSURE)
                .bind("id", id)
                .bind("now", now)
                .execute() == 1);
    }

    /**
     * After an append of messages to a thread this transaction read (one version bump), moves the remembered version
     * to the one the append left: one extra read, only when a version is remembered.
     */
    void appended(Handle h, String memoryId) {
        if (versions().expected(ENTITY, memoryId).isPresent()) {
            // locked by the append: the version it left
            current(h, memoryId).ifPresent(c -> versions().wroteRelative(ENTITY, memoryId, c.version()));
        }
    }

    /** Remembers the version of a thread a relative write (a message write) left. */
    void wroteRelative(String memoryId, long version) {
        versions().wroteRelative(ENTITY, memoryId, version);
    }



    /** The thread's version and resource, empty when the thread is gone. */
    private static Optional<Current> current(Handle h, String id) {
        return h.createQuery(THREAD_VERSION)
                .bind("id", id)
                .map((rs, ctx) -> new Current(rs.getLong("version"), rs.getString("resource_id")))
                .findOne();
    }

    private ReadVersions versions() {
        return ReadVersions.of(em);
    }

    /** A thread's version and resource id. */
    private record Current(long version, String resourceId) {
    }
}
