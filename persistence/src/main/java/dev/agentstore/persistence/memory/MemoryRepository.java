package dev.agentstore.persistence.memory;

import dev.agentstore.domain.AgentStoreException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.memory.Memory;
import dev.agentstore.domain.memory.MemoryMessage;
import dev.agentstore.domain.memory.MemoryRecall;
import dev.agentstore.domain.memory.MemoryResource;
import dev.agentstore.domain.memory.MemoryVariables;
import dev.agentstore.domain.memory.MessageInclude;
import dev.agentstore.domain.memory.MessageQuery;
import dev.agentstore.domain.memory.MessageRole;
import dev.agentstore.domain.memory.MessageUpdate;
import dev.agentstore.domain.memory.NewMessage;
import dev.agentstore.domain.memory.SortDirection;
import dev.agentstore.domain.memory.ThreadOrder;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import dev.agentstore.persistence.support.PersistenceErrors;
import dev.agentstore.persistence.support.NumberedStatement;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.SingleStatement;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.PersistenceContext;
import jakarta.transaction.Transactional;
import jakarta.persistence.Query;
import org.hibernate.Session;
import org.hibernate.jdbc.ReturningWork;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Conversational memory: threads, messages, resources with working memory, and {@code remember}/{@code recall}
 * with variable snapshots, on the tables {@code memories}, {@code memory_messages}, {@code memory_resources}
 * and {@code memory_variables}.
 *
 * <p><b>Order.</b> Every message has a sequence number, unique within its thread and increasing in append order.
 * Appends allocate their numbers with {@code UPDATE memories SET last_seq = last_seq + n ... RETURNING last_seq} (n =
 * the batch's distinct ids), a CTE of the same statement that writes the messages, which also bumps the thread's
 * {@code updated_at} and locks its row until commit: concurrent appends to one thread queue on that lock, never fail,
 * and get disjoint, increasing ranges (gap-free unless a batch upserts existing messages of the thread, whose numbers
 * stay unused). Listings order by sequence, never by a timestamp alone, so equal timestamps are no problem.
 *
 * <p><b>Recall.</b> The last N messages of a thread are read backwards from the unique index
 * {@code (memory_id, seq DESC)}: N index entries, no sort, whatever the table's size (never a
 * {@code ROW_NUMBER()} over the whole table).
 *
 * <p><b>First use.</b> {@link #remember} creates its memory row in the same single upsert that allocates sequence
 * numbers, so concurrent first uses cannot fail, and no {@link #ensureMemory} call is needed
 * first.
 *
 * <p><b>Locks.</b> Appends lock the thread's row, then write messages. {@link #updateMessages} and
 * {@link #deleteMessages} lock the messages first (so a message cannot move away between reading and writing it),
 * then their threads; when such a call and a concurrent save touch the same message ids, PostgreSQL may resolve the
 * crossing locks as a deadlock, reported as {@link dev.agentstore.domain.ConcurrencyConflictException}: run units of
 * work that update or delete messages through {@code fromTransactionWithRetry}.
 *
 * <p><b>Read-modify-write.</b> A thread that a unit of work read ({@link #findThread}, {@link #getThread},
 * {@link #listThreads}, {@link #findThreadForUpdate}, or its own earlier write) is written by {@link #updateThread} and
 * {@link #saveThread} only if it still has the version read; a resource it read ({@link #getResource},
 * {@link #getResourceForUpdate}) is written by {@link #updateResource} only if it still has the version read, or is
 * still absent when it read as absent ({@link ReadVersions}). The write is one statement with
 * {@code WHERE version = ?} (an insert that fails on an existing resource, for one read as absent); when another
 * transaction changed the row in between it writes nothing and fails with a {@link ConcurrencyConflictException}
 * carrying both versions, so a title, metadata value or working memory computed from a read is never lost;
 * {@code fromTransactionWithRetry} re-runs the unit of work. The {@code ...ForUpdate} reads lock the row instead, so
 * concurrent writers queue (for hot rows). Callers outside a unit of work pass the version they read
 * ({@link #updateThread(String, String, JsonNode, long)}, {@link #updateResource(String, String, JsonNode, long)}).
 * Message writes (appends, updates, deletes: relative, they bump the thread's version), {@link #deleteThread} and
 * {@link #deleteResource} are not checked; a unit of work's own message write to a thread it read counts as its own
 * write when no other transaction wrote the thread in between, so a later update in it does not conflict with itself.
 * With nothing read, every write is the one-statement form.
 *
 * <p><b>Transactions.</b> Runs in the caller's transaction; never begins or commits one. Through
 * {@code store.memories()} each call is its own unit of work, and saving, listing and recalling messages
 * ({@link SingleStatement}) run in autocommit mode. Input is validated before
 * the first write. Writes are native statements that bypass the persistence context: entities the caller loaded
 * earlier in the same persistence context are not refreshed by them. Saving, listing and recalling messages run
 * their statements as plain JDBC on the transaction's connection, build the results directly (no entities) and do
 * not flush changes pending in the persistence context. Everything returned is a detached snapshot.
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
@Transactional(dontRollbackOn = AgentStoreException.class)
public class MemoryRepository {

    /** Largest accepted number of messages (or updates, or ids) in one call: 10,000. */
    public static final int MAX_BATCH = 10_000;

    /** Largest accepted {@code limit} of {@link #recall} and {@link #lastMessages}: 10,000. */
    public static final int MAX_RECALL = 10_000;

    /** Creates a thread or replaces its resource, title and metadata; refused when another resource owns it. */
    private static final String SAVE_THREAD = """
            INSERT INTO memories AS m (id, resource_id, title, metadata, created_at, updated_at)
            VALUES (?1, ?2, CAST(?3 AS text), CAST(?4 AS jsonb), ?5, ?5)
            ON CONFLICT (id) DO UPDATE
               SET resource_id = EXCLUDED.resource_id,
                   title       = EXCLUDED.title,
                   metadata    = EXCLUDED.metadata,
                   updated_at  = EXCLUDED.updated_at,
                   version     = m.version + 1
             WHERE m.resource_id IS NULL OR m.resource_id = EXCLUDED.resource_id
            RETURNING version
            """;

    /** A thread's update; {@code %s} is an extra condition ({@link #UPDATE_THREAD_IF_VERSION}) or nothing. */
    private static final String UPDATE_THREAD_WHERE = """
            UPDATE memories
               SET title      = COALESCE(CAST(?2 AS text), title),
                   metadata   = jsonb_merge_patch(metadata, CAST(?3 AS jsonb)),
                   updated_at = ?4,
                   version    = version + 1
             WHERE id = ?1%s
            RETURNING version
            """;

    private static final String UPDATE_THREAD = UPDATE_THREAD_WHERE.formatted("");

    /** As {@link #UPDATE_THREAD}, only when the thread still has version ?5; no row = not written. */
    private static final String UPDATE_THREAD_IF_VERSION = UPDATE_THREAD_WHERE.formatted(" AND version = ?5");

    /** As {@link #SAVE_THREAD}, replacing an existing thread only when it still has version ?6. */
    private static final String SAVE_THREAD_IF_VERSION = SAVE_THREAD.replace("""
             WHERE m.resource_id IS NULL OR m.resource_id = EXCLUDED.resource_id
            """, """
             WHERE (m.resource_id IS NULL OR m.resource_id = EXCLUDED.resource_id)
               AND m.version = ?6
            """);

    /** Why a checked thread write wrote nothing: the thread's version and resource, no row when it is gone. */
    private static final String THREAD_VERSION = "SELECT version, resource_id FROM memories WHERE id = ?1";

    private static final String DELETE_THREAD = "DELETE FROM memories WHERE id = ?1";

    private static final String THREADS_WHERE = """
             FROM memories
             WHERE resource_id = ?1
               AND metadata @> CAST(?2 AS jsonb)
            """;

    /**
     * The allocation step of {@link #SAVE_MESSAGES}: takes ?3 sequence numbers of the existing thread ?2 (locking its
     * row until commit) and bumps its update time to ?4; no row when the thread does not exist.
     */
    private static final String ALLOCATE = """
            UPDATE memories
               SET last_seq = last_seq + ?3, updated_at = ?4, version = version + 1
             WHERE id = ?2
            RETURNING last_seq - ?3 AS base, resource_id
            """;

    /** As {@link #ALLOCATE}, creating the memory (no resource, no title) when it does not exist: always one row. */
    private static final String ENSURE_AND_ALLOCATE = """
            INSERT INTO memories AS m (id, last_seq, created_at, updated_at)
            VALUES (?2, ?3, ?4, ?4)
            ON CONFLICT (id) DO UPDATE
               SET last_seq = m.last_seq + EXCLUDED.last_seq, updated_at = EXCLUDED.updated_at,
                   version = m.version + 1
            RETURNING m.last_seq - ?3 AS base, m.resource_id
            """;

    private static final String ENSURE = """
            INSERT INTO memories (id, created_at, updated_at) VALUES (?1, ?2, ?2)
            ON CONFLICT (id) DO NOTHING
            """;

    /**
     * After an allocation CTE {@code alloc(base, resource_id)}: upserts a batch (a JSON array ?1, ids distinct, ?3
     * elements) into thread ?2 with sequence numbers base + 1, base + 2, ... in array order. A new id is inserted; an
     * id of this thread keeps its sequence number and creation time and takes the new role, content and resource; an
     * id of another thread moves here (new sequence number) and that thread's update time is bumped to ?4 (its thread
     * is found by one primary-key probe per input row, whatever the plan's statistics). A message without a resource
     * gets the thread's. Writes nothing when {@code alloc} has no row.
     */
    private static final String UPSERT_AFTER_ALLOCATION = """
            , input AS (
                SELECT e ->> 'id' AS id, e ->> 'role' AS role, e -> 'content' AS content,
                       e ->> 'resourceId' AS resource_id, CAST(e ->> 'createdAt' AS timestamptz) AS created_at, x.ord
                  FROM jsonb_array_elements(CAST(?1 AS jsonb)) WITH ORDINALITY AS x(e, ord)
            ), left_threads AS (
                UPDATE memories
                   SET updated_at = ?4, version = version + 1
                 WHERE id IN (SELECT (SELECT mm.memory_id FROM memory_messages mm WHERE mm.id = i.id) FROM input i)
                   AND id <> ?2
                   AND EXISTS (SELECT 1 FROM alloc)
            )
            INSERT INTO memory_messages AS m (id, memory_id, seq, role, content, resource_id, created_at)
            SELECT i.id, ?2, a.base + i.ord, i.role, i.content, COALESCE(i.resource_id, a.resource_id), i.created_at
              FROM input i CROSS JOIN alloc a
             ORDER BY i.ord
            ON CONFLICT (id) DO UPDATE
               SET memory_id   = EXCLUDED.memory_id,
                   seq         = CASE WHEN m.memory_id = EXCLUDED.memory_id THEN m.seq ELSE EXCLUDED.seq END,
                   role        = EXCLUDED.role,
                   content     = EXCLUDED.content,
                   resource_id = EXCLUDED.resource_id
            RETURNING id, seq, resource_id, created_at
            """;

    /** {@link #saveMessages}: allocation and upsert in one statement; no row when the thread does not exist. */
    private static final String SAVE_MESSAGES = "WITH alloc AS (" + ALLOCATE + ")" + UPSERT_AFTER_ALLOCATION;

    /** {@link #remember}: creation on first use, allocation and upsert in one statement. */
    private static final String REMEMBER_MESSAGES = "WITH alloc AS (" + ENSURE_AND_ALLOCATE + ")"
            + UPSERT_AFTER_ALLOCATION;

    /**
     * The last ?2 messages of a thread, newest first: a backward read of (memory_id, seq DESC), no sort. Its columns
     * are those of every statement that reads messages, in the order {@link #readMessages} reads them.
     */
    static final String LAST_MESSAGES = """
            SELECT id, memory_id, seq, role, CAST(content AS text), resource_id, created_at
              FROM memory_messages
             WHERE memory_id = ?1
             ORDER BY seq DESC
             LIMIT ?2
            """;

    private static final String MESSAGES_WHERE = """
             FROM memory_messages
             WHERE memory_id = ?1
               AND (CAST(?2 AS varchar) IS NULL OR resource_id = CAST(?2 AS varchar))
               AND (CAST(?3 AS timestamptz) IS NULL OR created_at >= CAST(?3 AS timestamptz))
               AND (CAST(?4 AS timestamptz) IS NULL OR created_at <= CAST(?4 AS timestamptz))
            """;

    /**
     * Every include (a JSON array of {id, previous, next}) with its context, in one statement: per include two
     * bounded index reads of (memory_id, seq) in its target's thread. Optional resource filter ?2.
     */
    static final String INCLUDED = """
            SELECT c.id, c.memory_id, c.seq, c.role, CAST(c.content AS text), c.resource_id, c.created_at
              FROM jsonb_to_recordset(CAST(?1 AS jsonb)) AS i(id text, previous int, next int)
              JOIN memory_messages t ON t.id = i.id
                                    AND (CAST(?2 AS varchar) IS NULL OR t.resource_id = CAST(?2 AS varchar))
             CROSS JOIN LATERAL (
                   (SELECT * FROM memory_messages b
                     WHERE b.memory_id = t.memory_id AND b.seq <= t.seq
                       AND (CAST(?2 AS varchar) IS NULL OR b.resource_id = CAST(?2 AS varchar))
                     ORDER BY b.seq DESC LIMIT i.previous + 1)
                   UNION ALL
                   (SELECT * FROM memory_messages a
                     WHERE a.memory_id = t.memory_id AND a.seq > t.seq
                       AND (CAST(?2 AS varchar) IS NULL OR a.resource_id = CAST(?2 AS varchar))
                     ORDER BY a.seq LIMIT i.next)
             ) c
            """;

    /** The messages of {@link #MESSAGES_WHERE} with the columns of {@link #LAST_MESSAGES}; order and range follow. */
    private static final String PAGE = "SELECT id, memory_id, seq, role, CAST(content AS text), resource_id, created_at"
            + MESSAGES_WHERE;

    // the statements of the message paths, run as plain JDBC (see NumberedStatement)
    private static final NumberedStatement SAVE = new NumberedStatement(SAVE_MESSAGES);
    private static final NumberedStatement REMEMBER = new NumberedStatement(REMEMBER_MESSAGES);
    private static final NumberedStatement LAST = new NumberedStatement(LAST_MESSAGES);
    private static final NumberedStatement PAGE_ASC = new NumberedStatement(PAGE
            + " ORDER BY seq ASC LIMIT CAST(?5 AS bigint) OFFSET ?6");
    private static final NumberedStatement PAGE_DESC = new NumberedStatement(PAGE
            + " ORDER BY seq DESC LIMIT CAST(?5 AS bigint) OFFSET ?6");
    private static final NumberedStatement COUNT = new NumberedStatement("SELECT count(*)" + MESSAGES_WHERE);
    private static final NumberedStatement INCLUDE = new NumberedStatement(INCLUDED);

    /** Locks the messages an update changes and tells which thread each is in. */
    private static final String LOCK_MESSAGES = """
            SELECT id, memory_id FROM memory_messages
             WHERE id IN (SELECT jsonb_array_elements_text(CAST(?1 AS jsonb)))
             ORDER BY id
               FOR UPDATE
            """;

    /** The target threads of moves that exist, locked so that they cannot be deleted before the move. */
    private static final String EXISTING_THREADS = """
            SELECT id FROM memories WHERE id IN (SELECT jsonb_array_elements_text(CAST(?1 AS jsonb)))
             ORDER BY id
               FOR NO KEY UPDATE
            """;

    /** Bumps every thread of a JSON object {threadId: n} and allocates n sequence numbers in each. */
    private static final String BUMP_AND_ALLOCATE = """
            UPDATE memories m
               SET last_seq = m.last_seq + CAST(a.value AS bigint), updated_at = ?2, version = m.version + 1
              FROM jsonb_each_text(CAST(?1 AS jsonb)) AS a(key, value)
             WHERE m.id = a.key
            RETURNING m.id, m.last_seq, m.version
            """;

    private static final String UPDATE_MESSAGES = """
            UPDATE memory_messages m
               SET role      = COALESCE(u.role, m.role),
                   content   = CASE WHEN u.patch IS NULL THEN m.content ELSE jsonb_merge_patch(m.content, u.patch) END,
                   memory_id = COALESCE(u.memory_id, m.memory_id),
                   seq       = COALESCE(u.seq, m.seq)
              FROM jsonb_to_recordset(CAST(?1 AS jsonb)) AS u(id text, role text, patch jsonb, memory_id text, seq bigint)
             WHERE m.id = u.id
            RETURNING m.id, m.memory_id, m.seq, m.role, CAST(m.content AS text), m.resource_id, m.created_at
            """;

    /** Deletes messages and bumps the update time of their threads; returns how many were deleted. */
    private static final String DELETE_MESSAGES = """
            WITH removed AS (
                DELETE FROM memory_messages
                 WHERE id IN (SELECT jsonb_array_elements_text(CAST(?1 AS jsonb)))
                RETURNING memory_id
            ), touched AS (
                UPDATE memories SET updated_at = ?2, version = version + 1
                 WHERE id IN (SELECT memory_id FROM removed)
                RETURNING id, version
            )
            SELECT (SELECT count(*) FROM removed), (SELECT CAST(jsonb_object_agg(id, version) AS text) FROM touched)
            """;

    /** The next variables revision, taken while the memory's row is locked by the allocation before it. */
    private static final String INSERT_VARIABLES = """
            INSERT INTO memory_variables (memory_id, revision, variables, created_at)
            SELECT ?1, COALESCE(max(revision), 0) + 1, CAST(?2 AS jsonb), ?3
              FROM memory_variables
             WHERE memory_id = ?1
            RETURNING revision
            """;

    private static final String LATEST_VARIABLES = """
            SELECT * FROM memory_variables WHERE memory_id = ?1 ORDER BY revision DESC LIMIT 1
            """;

    private static final String VARIABLES_HISTORY = """
            SELECT * FROM memory_variables WHERE memory_id = ?1 ORDER BY revision
            """;

    private static final String UPDATE_RESOURCE = """
            INSERT INTO memory_resources AS r (id, working_memory, metadata, created_at, updated_at)
            VALUES (?1, CAST(?2 AS text), jsonb_merge_patch(CAST('{}' AS jsonb), CAST(?3 AS jsonb)), ?4, ?4)
            ON CONFLICT (id) DO UPDATE
               SET working_memory = COALESCE(EXCLUDED.working_memory, r.working_memory),
                   metadata       = jsonb_merge_patch(r.metadata, CAST(?3 AS jsonb)),
                   updated_at     = EXCLUDED.updated_at,
                   version        = r.version + 1
            RETURNING version
            """;

    /** As {@link #UPDATE_RESOURCE} for an existing resource that still has version ?5; no row = not written. */
    private static final String UPDATE_RESOURCE_IF_VERSION = """
            UPDATE memory_resources r
               SET working_memory = COALESCE(CAST(?2 AS text), r.working_memory),
                   metadata       = jsonb_merge_patch(r.metadata, CAST(?3 AS jsonb)),
                   updated_at     = ?4,
                   version        = r.version + 1
             WHERE r.id = ?1
               AND r.version = ?5
            RETURNING version
            """;

    /** As {@link #UPDATE_RESOURCE} for a resource read as absent: no row when one exists. */
    private static final String INSERT_RESOURCE = """
            INSERT INTO memory_resources AS r (id, working_memory, metadata, created_at, updated_at)
            VALUES (?1, CAST(?2 AS text), jsonb_merge_patch(CAST('{}' AS jsonb), CAST(?3 AS jsonb)), ?4, ?4)
            ON CONFLICT (id) DO NOTHING
            RETURNING version
            """;

    private static final String RESOURCE_VERSION = "SELECT version FROM memory_resources WHERE id = ?1";

    private static final String DELETE_RESOURCE = "DELETE FROM memory_resources WHERE id = ?1";

    /** The entity names in {@link ReadVersions} and conflict messages. */
    private static final String THREAD = "Memory";
    private static final String RESOURCE = "MemoryResource";

    /** What {@link ReadVersions} records for a resource that {@link #getResource} found absent. */
    private static final long ABSENT = ReadVersions.ABSENT;

    private static final String RETRY = "; retry the unit of work (it re-reads the current state)";

    @PersistenceContext(unitName = "agentstore")
    private EntityManager em;
    @Inject
    private Clock clock;

    /** For CDI's proxy; the container injects the entity manager. */
    protected MemoryRepository() {
    }

    /**
     * Standalone use: a repository bound to one entity manager (one transaction).
     *
     * @param em    the transaction's entity manager
     * @param clock where the time comes from
     */
    public MemoryRepository(EntityManager em, Clock clock) {
        this.em = em;
        this.clock = clock;
    }

    // ------------------------------------------------------------------------------------------------ threads

    /**
     * Saves a thread: creates it, or replaces the title and metadata of an existing
     * one (its creation time, messages and sequence are kept). One upsert statement, then a read. The save is scoped
     * to the resource: a thread that belongs to another resource is neither changed nor taken over, and is reported
     * as not found (as by {@link #getThread(String, String)}, so ids of other resources cannot be probed); a memory
     * without a resource (created by {@link #remember}) is claimed.
     *
     * @param id         the thread's id, 1–255 characters
     * @param resourceId the resource it belongs to, 1–255 characters
     * @param title      the title, at most 1,000 characters, or {@code null}
     * @param metadata   a JSON object, or {@code null} for an empty one
     * @return the thread as stored
     * @throws InvalidInputException        when a parameter is invalid; nothing is written
     * @throws NotFoundException            when a thread with this id belongs to another resource; nothing is
     *                                      written
     * @throws ConcurrencyConflictException when this unit of work read the thread and another transaction changed it
     *                                      since (see the class description); nothing is written
     */
    public Memory saveThread(String id, String resourceId, String title, JsonNode metadata) {
        Memory valid = Memory.create(id, Check.notNull("resourceId", resourceId), title, metadata, now());
        OptionalLong expected = versions().expected(THREAD, id);
        return db("save Memory id=" + id, () -> {
            Query save = em.createNativeQuery(expected.isPresent() ? SAVE_THREAD_IF_VERSION : SAVE_THREAD)
                    .setParameter(1, valid.id())
                    .setParameter(2, valid.resourceId())
                    .setParameter(3, valid.title())
                    .setParameter(4, JsonWrites.print(em, "metadata", valid.metadata()))
                    .setParameter(5, valid.createdAt());
            if (expected.isPresent()) {
                save.setParameter(6, expected.getAsLong());
            }
            List<?> rows = save.getResultList();
            if (rows.isEmpty()) {
                Object[] current = threadVersion(id);
                if (expected.isPresent() && current != null && (current[1] == null || resourceId.equals(current[1]))) {
                    throw ReadVersions.conflict(THREAD, id, expected.getAsLong(), ((Number) current[0]).longValue());
                }
                // reported as a missing thread of this resource, as getThread(id, resourceId) does
                throw new NotFoundException("Memory", "id=" + id + ", resourceId=" + resourceId);
            }
            return load(id, ((Number) rows.get(0)).longValue());
        });
    }

    /**
     * Reads a thread. In a unit of work, the version read is remembered: a later {@link #updateThread} or
     * {@link #saveThread} of the thread in the same unit of work writes only if the thread still has that version
     * (see the class description). So are the versions of {@link #getThread} and {@link #listThreads}.
     *
     * @param id the thread's id
     * @return the thread, or empty when there is none
     * @throws InvalidInputException when the id is invalid
     */
    public Optional<Memory> findThread(String id) {
        Memory.requireId("id", id);
        return db("get Memory id=" + id,
                () -> Optional.ofNullable(em.find(Memory.class, id)).map(this::detach).map(this::read));
    }

    /**
     * Reads a thread and locks its row ({@code SELECT ... FOR UPDATE}) until the transaction ends, so that writers
     * of the thread (including appends of messages) queue behind this unit of work instead of failing its later
     * write with a conflict: the form for hot threads. Needs a transaction (a unit of work, or a container
     * transaction).
     *
     * @param id the thread's id
     * @return the thread, or empty when there is none
     * @throws InvalidInputException when the id is invalid
     */
    public Optional<Memory> findThreadForUpdate(String id) {
        Memory.requireId("id", id);
        return db("get Memory id=" + id + " for update", () -> Optional.ofNullable(
                em.find(Memory.class, id, LockModeType.PESSIMISTIC_WRITE)).map(this::detach).map(this::read));
    }

    /**
     * Reads a thread, whatever resource it belongs to.
     *
     * @param id the thread's id
     * @return the thread
     * @throws InvalidInputException when the id is invalid
     * @throws NotFoundException     when there is no such thread
     */
    public Memory getThread(String id) {
        return findThread(id).orElseThrow(() -> new NotFoundException("Memory", "id=" + id));
    }

    /**
     * Reads a thread of one resource: a thread of another resource (or of none) is reported exactly as a missing
     * one, so a caller cannot probe other resources' thread ids.
     *
     * @param id         the thread's id
     * @param resourceId the resource it must belong to
     * @return the thread
     * @throws InvalidInputException when an id is invalid
     * @throws NotFoundException     when there is no such thread of this resource
     */
    public Memory getThread(String id, String resourceId) {
        MemoryResource.requireId(resourceId);
        return findThread(id).filter(m -> m.belongsTo(resourceId))
                .orElseThrow(() -> new NotFoundException("Memory", "id=" + id + ", resourceId=" + resourceId));
    }

    /**
     * Lists the threads of a resource, in two statements (the page and
     * the count). Threads with equal timestamps are ordered by id, so consecutive pages neither repeat nor skip a
     * thread.
     *
     * @param resourceId     the resource
     * @param metadataFilter a JSON object the metadata must contain ({@code metadata @> filter}: every key, with
     *                       equal value, nested objects matched the same way), or {@code null} for every thread
     * @param order          by creation or update time, either direction
     * @param page           which page; a page beyond the last has no items but the right total
     * @return the page
     * @throws InvalidInputException when a parameter is invalid
     */
    public Page<Memory> listThreads(String resourceId, JsonNode metadataFilter, ThreadOrder order, PageRequest page) {
        Check.notNull("page", page);
        return threads(resourceId, metadataFilter, order, page);
    }

    /**
     * As {@link #listThreads(String, JsonNode, ThreadOrder, PageRequest)} with every matching thread on one page;
     * {@code perPage} of the result is the number of threads.
     *
     * @param resourceId     the resource
     * @param metadataFilter a JSON object the metadata must contain, or {@code null}
     * @param order          the order
     * @return every matching thread
     * @throws InvalidInputException when a parameter is invalid
     */
    public Page<Memory> listAllThreads(String resourceId, JsonNode metadataFilter, ThreadOrder order) {
        return threads(resourceId, metadataFilter, order, null);
    }

    /**
     * Renames a thread and merges a metadata patch in one statement ({@code jsonb_merge_patch}, RFC 7386 as
     * {@link Json#mergePatch}: objects merge, {@code null} deletes a key), so concurrent patches of different keys are
     * all kept. Bumps the update time and version. After a read of the thread in the same unit of work, only if the
     * thread still has the version read (see the class description).
     *
     * @param id            the thread's id
     * @param title         the new title, or {@code null} to keep it
     * @param metadataPatch a JSON object, or {@code null} to keep the metadata
     * @return the thread after the update
     * @throws InvalidInputException        when a parameter is invalid; nothing is written
     * @throws NotFoundException            when there is no such thread
     * @throws ConcurrencyConflictException when this unit of work read the thread and another transaction changed it
     *                                      since (see the class description); nothing is written
     */
    public Memory updateThread(String id, String title, JsonNode metadataPatch) {
        Memory.requireId("id", id);
        return updateThread(id, title, metadataPatch, versions().expected(THREAD, id));
    }

    /**
     * As {@link #updateThread(String, String, JsonNode)}, only if the thread still has {@code expectedVersion}
     * (compare-and-set, for callers that read it in an earlier unit of work, or outside any): one
     * {@code UPDATE ... WHERE version = ?}.
     *
     * @param id              the thread's id
     * @param title           the new title, or {@code null} to keep it
     * @param metadataPatch   a JSON object, or {@code null} to keep the metadata
     * @param expectedVersion the version the caller read ({@link Memory#version()})
     * @return the thread after the update
     * @throws InvalidInputException        when a parameter is invalid; nothing is written
     * @throws NotFoundException            when there is no such thread
     * @throws ConcurrencyConflictException when the thread's version is not {@code expectedVersion} (it carries both
     *                                      versions); nothing is written
     */
    public Memory updateThread(String id, String title, JsonNode metadataPatch, long expectedVersion) {
        Memory.requireId("id", id);
        Check.notNegative("expectedVersion", expectedVersion);
        return updateThread(id, title, metadataPatch, OptionalLong.of(expectedVersion));
    }

    private Memory updateThread(String id, String title, JsonNode metadataPatch, OptionalLong expected) {
        Memory.requireTitle(title);
        String patch = metadataPatch == null ? "{}" : JsonWrites.print(em, "metadataPatch",
                Memory.requireMetadata("metadataPatch", metadataPatch));
        Instant now = now();
        return db("update Memory id=" + id, () -> {
            Query update = em.createNativeQuery(expected.isPresent() ? UPDATE_THREAD_IF_VERSION : UPDATE_THREAD)
                    .setParameter(1, id)
                    .setParameter(2, title)
                    .setParameter(3, patch)
                    .setParameter(4, now);
            if (expected.isPresent()) {
                update.setParameter(5, expected.getAsLong());
            }
            List<?> rows = update.getResultList();
            if (rows.isEmpty()) {
                Object[] current = expected.isPresent() ? threadVersion(id) : null;
                if (current != null) {
                    throw ReadVersions.conflict(THREAD, id, expected.getAsLong(), ((Number) current[0]).longValue());
                }
                throw new NotFoundException("Memory", "id=" + id);
            }
            return load(id, ((Number) rows.get(0)).longValue());
        });
    }

    /**
     * Deletes a thread with its messages and variable snapshots (foreign keys {@code ON DELETE CASCADE}). One
     * statement.
     *
     * @param id the thread's id
     * @return whether a thread was deleted
     * @throws InvalidInputException when the id is invalid
     */
    public boolean deleteThread(String id) {
        Memory.requireId("id", id);
        return db("delete Memory id=" + id,
                () -> em.createNativeQuery(DELETE_THREAD).setParameter(1, id).executeUpdate() == 1);
    }

    // ----------------------------------------------------------------------------------------------- messages

    /**
     * Saves messages to a thread in the caller's transaction: one statement whatever
     * the batch size, which allocates the sequence numbers (locking the thread's row, see "Order" above), upserts every
     * message (the batch travels as one JSON array) and returns what this method returns; for an unknown thread it
     * writes nothing. New ids are appended in list order after the thread's last message; an id already in this thread
     * is updated in place (role, content, resource; its sequence number and creation time stay); an id of another
     * thread moves here. The same id twice in the list is saved once, with the last occurrence's values, at the first
     * occurrence's position. The thread's update time is bumped. A message without a resource gets the thread's.
     *
     * @param memoryId the thread's id
     * @param messages the messages, 1 to {@value #MAX_BATCH}
     * @return the saved messages in sequence order, as stored
     * @throws InvalidInputException when a parameter is invalid; nothing is written
     * @throws NotFoundException     when there is no such thread; nothing is written
     */
    @SingleStatement
    public List<MemoryMessage> saveMessages(String memoryId, List<NewMessage> messages) {
        Memory.requireId("memoryId", memoryId);
        Map<String, NewMessage> batch = distinct(messages);
        return db("save MemoryMessages into Memory id=" + memoryId, () -> {
            List<MemoryMessage> saved = upsert(SAVE, memoryId, batch, now());
            if (saved.isEmpty()) {
                // no thread: the statement allocated nothing and wrote nothing
                throw new NotFoundException("Memory", "id=" + memoryId);
            }
            appended(memoryId);
            return saved;
        });
    }

    /**
     * The last {@code limit} messages of a thread, oldest first: one statement reading the index
     * {@code (memory_id, seq DESC)} backwards from the end, as fast at a million rows as at ten.
     *
     * @param memoryId the thread's id
     * @param limit    how many, 1 to {@value #MAX_RECALL}
     * @return up to {@code limit} messages in sequence order; empty for an unknown thread
     * @throws InvalidInputException when a parameter is invalid
     */
    @SingleStatement
    public List<MemoryMessage> lastMessages(String memoryId, int limit) {
        Memory.requireId("memoryId", memoryId);
        Check.range("limit", limit, 1, MAX_RECALL);
        return db("recall MemoryMessages of Memory id=" + memoryId, () -> {
            List<MemoryMessage> newestFirst = readMessages(LAST, memoryId, limit);
            Collections.reverse(newestFirst);
            return newestFirst;
        });
    }

    /**
     * Lists a thread's messages with the total: as
     * {@link #listMessages(MessageQuery, PageRequest, boolean)} with {@code includeTotal} true.
     *
     * @param query the thread (required), filters, direction and includes
     * @param page  which page of the thread's matching messages
     * @return the page (with its total) and the included messages
     * @throws InvalidInputException when a parameter is invalid
     */
    @SingleStatement
    public MessageListing listMessages(MessageQuery query, PageRequest page) {
        return listMessages(query, page, true);
    }

    /**
     * Lists a thread's messages, with or without the total, in at
     * most three statements whatever the number of includes: the page, read one row beyond it so that
     * {@code hasMore} needs no count; a {@code count(*)} of the matching messages only when a total is asked for and
     * the page does not show it (a non-empty page without a row beyond it, or an empty first page, ends the listing,
     * so its total is known); and all includes with their context in one query. Reading the last messages with
     * {@code includeTotal} false and no includes is one statement.
     *
     * @param query        the thread (required), filters, direction and includes
     * @param page         which page of the thread's matching messages
     * @param includeTotal whether the page's {@code total} must be counted; when {@code false} and the page does not
     *                     show it, {@code total} is {@link Page#TOTAL_NOT_COUNTED}
     * @return the page and the included messages
     * @throws InvalidInputException when a parameter is invalid
     */
    @SingleStatement
    public MessageListing listMessages(MessageQuery query, PageRequest page, boolean includeTotal) {
        Check.notNull("page", page);
        return listing(query, page, includeTotal);
    }

    /**
     * As {@link #listMessages(MessageQuery, PageRequest)} with every matching message on one
     * page.
     *
     * @param query the thread, filters, direction and includes
     * @return every matching message and the included ones
     * @throws InvalidInputException when a parameter is invalid
     */
    public MessageListing listAllMessages(MessageQuery query) {
        return listing(query, null, false);
    }

    /**
     * Updates stored messages: a new role, a content merge (JSON Merge Patch,
     * {@code jsonb_merge_patch}), a move to another thread (appended after its last message, with a new sequence
     * number). Bumps the update time of every thread that gained, lost or holds a changed message. At most four
     * statements whatever the number of updates: lock the messages, check the target threads, bump and allocate, one
     * multi-row UPDATE.
     *
     * @param updates the updates, 1 to {@value #MAX_BATCH}, each message at most once
     * @return the messages after the update, in the order of {@code updates}
     * @throws InvalidInputException when an update is invalid or a message appears twice; nothing is written
     * @throws NotFoundException     when a message or a target thread does not exist; nothing is written
     */
    public List<MemoryMessage> updateMessages(List<MessageUpdate> updates) {
        Check.noNulls("updates", updates);
        Check.range("updates (size)", updates.size(), 1, MAX_BATCH);
        Set<String> ids = new LinkedHashSet<>();
        Set<String> targets = new LinkedHashSet<>();
        for (MessageUpdate u : updates) {
            if (!ids.add(u.id())) {
                throw new InvalidInputException("updates must name each message once, " + u.id() + " appears twice");
            }
            if (u.role() == null && u.contentPatch() == null && u.memoryId() == null) {
                throw new InvalidInputException("update of MemoryMessage id=" + u.id() + " changes nothing");
            }
            JsonWrites.check(em, "updates[" + (ids.size() - 1) + "].contentPatch", u.contentPatch());
            if (u.memoryId() != null) {
                targets.add(u.memoryId());
            }
        }
        return db("update MemoryMessages", () -> {
            Map<String, String> threadOf = new HashMap<>();
            for (Object row : em.createNativeQuery(LOCK_MESSAGES).setParameter(1, jsonArray(ids)).getResultList()) {
                Object[] r = (Object[]) row;
                threadOf.put((String) r[0], (String) r[1]);
            }
            for (String id : ids) {
                if (!threadOf.containsKey(id)) {
                    throw new NotFoundException("MemoryMessage", "id=" + id);
                }
            }
            if (!targets.isEmpty()) {
                Set<String> existing = new HashSet<>();
                for (Object id : em.createNativeQuery(EXISTING_THREADS).setParameter(1, jsonArray(targets))
                        .getResultList()) {
                    existing.add((String) id);
                }
                for (String t : targets) {
                    if (!existing.contains(t)) {
                        throw new NotFoundException("Memory", "id=" + t);
                    }
                }
            }
            // per touched thread: how many messages move into it
            Map<String, Long> incoming = new LinkedHashMap<>();
            for (MessageUpdate u : updates) {
                String from = threadOf.get(u.id());
                incoming.merge(from, 0L, Long::sum);
                if (u.memoryId() != null && !u.memoryId().equals(from)) {
                    incoming.merge(u.memoryId(), 1L, Long::sum);
                }
            }
            ObjectNode counts = Json.object();
            incoming.forEach(counts::put);
            Map<String, Long> nextSeq = new HashMap<>();
            for (Object row : em.createNativeQuery(BUMP_AND_ALLOCATE).setParameter(1, Json.print(counts))
                    .setParameter(2, now()).getResultList()) {
                Object[] r = (Object[]) row;
                nextSeq.put((String) r[0], ((Number) r[1]).longValue() - incoming.get((String) r[0]) + 1);
                versions().wroteRelative(THREAD, (String) r[0], ((Number) r[2]).longValue());
            }
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
            for (Object row : em.createNativeQuery(UPDATE_MESSAGES).setParameter(1, Json.print(rows))
                    .getResultList()) {
                Object[] r = (Object[]) row;
                updated.put((String) r[0], MemoryMessage.stored((String) r[0], (String) r[1], ((Number) r[2]).longValue(),
                        MessageRole.valueOf((String) r[3]), Json.parse("content", (String) r[4]), (String) r[5],
                        instant(r[6])));
            }
            return updates.stream().map(u -> updated.get(u.id())).toList();
        });
    }

    /**
     * Deletes messages by id and bumps the update time of their threads, in one statement. Unknown ids are ignored.
     *
     * @param ids the message ids, 1 to {@value #MAX_BATCH}
     * @return how many messages were deleted
     * @throws InvalidInputException when an id is invalid
     */
    public int deleteMessages(List<String> ids) {
        Set<String> valid = ids(ids);
        return db("delete MemoryMessages", () -> {
            Object[] row = (Object[]) em.createNativeQuery(DELETE_MESSAGES)
                    .setParameter(1, jsonArray(valid)).setParameter(2, now()).getSingleResult();
            if (row[1] != null) {
                Json.parse("touched", (String) row[1]).fields()
                        .forEachRemaining(t -> versions().wroteRelative(THREAD, t.getKey(), t.getValue().asLong()));
            }
            return ((Number) row[0]).intValue();
        });
    }

    // ------------------------------------------------------------------------------------ remember and recall

    /**
     * Appends context elements and, optionally, a new variables snapshot to a memory, creating the memory (without
     * resource or title) on first use in the same single upsert that allocates the sequence numbers, so concurrent
     * first uses cannot fail. Elements are saved as by {@link #saveMessages}, in the same statement. With no elements
     * and no variables it only ensures the memory exists. One statement, two with variables.
     *
     * @param memoryId  the memory's id
     * @param elements  the messages to append, 0 to {@value #MAX_BATCH}
     * @param variables a JSON object to store as the next snapshot, or {@code null} for none
     * @return the saved messages in sequence order
     * @throws InvalidInputException when a parameter is invalid; nothing is written
     */
    public List<MemoryMessage> remember(String memoryId, List<NewMessage> elements, JsonNode variables) {
        Memory.requireId("memoryId", memoryId);
        Map<String, NewMessage> batch = Check.noNulls("elements", elements).isEmpty() ? Map.of() : distinct(elements);
        String vars = variables == null ? null : JsonWrites.print(em, "variables", MemoryVariables.requireVariables(variables));
        return db("remember in Memory id=" + memoryId, () -> {
            Instant now = now();
            // with no elements the statement still creates or locks the memory: the variables' revision relies on it
            List<MemoryMessage> saved = upsert(REMEMBER, memoryId, batch, now);
            appended(memoryId);
            if (vars != null) {
                em.createNativeQuery(INSERT_VARIABLES).setParameter(1, memoryId).setParameter(2, vars)
                        .setParameter(3, now).getSingleResult();
            }
            return saved;
        });
    }

    /**
     * As {@link #remember(String, List, JsonNode)} without variables.
     *
     * @param memoryId the memory's id
     * @param elements the messages to append
     * @return the saved messages in sequence order
     * @throws InvalidInputException when a parameter is invalid; nothing is written
     */
    public List<MemoryMessage> remember(String memoryId, NewMessage... elements) {
        Check.notNull("elements", elements);
        return remember(memoryId, Arrays.asList(elements), null);
    }

    /**
     * Creates a memory (no resource, no title) unless it exists, with
     * {@code INSERT ... ON CONFLICT DO NOTHING}: one statement, safe under concurrency.
     *
     * @param memoryId the memory's id
     * @return whether it was created
     * @throws InvalidInputException when the id is invalid
     */
    public boolean ensureMemory(String memoryId) {
        Memory.requireId("memoryId", memoryId);
        return db("ensure Memory id=" + memoryId, () -> em.createNativeQuery(ENSURE)
                .setParameter(1, memoryId).setParameter(2, now()).executeUpdate() == 1);
    }

    /**
     * Recalls a memory: its last {@code limit} messages (as
     * {@link #lastMessages}) and its newest variables. Two statements; writes nothing, so an unknown memory recalls
     * as empty.
     *
     * @param memoryId the memory's id
     * @param limit    how many messages, 1 to {@value #MAX_RECALL}
     * @return the messages, oldest first, and the variables ({@code {}} and revision 0 when none were stored)
     * @throws InvalidInputException when a parameter is invalid
     */
    public MemoryRecall recall(String memoryId, int limit) {
        List<MemoryMessage> messages = lastMessages(memoryId, limit);
        return variables(memoryId)
                .map(v -> new MemoryRecall(messages, v.variables(), v.revision()))
                .orElseGet(() -> new MemoryRecall(messages, Json.object(), 0));
    }

    /**
     * @param memoryId the memory's id
     * @return its newest variables snapshot, or empty when none was stored
     * @throws InvalidInputException when the id is invalid
     */
    public Optional<MemoryVariables> variables(String memoryId) {
        Memory.requireId("memoryId", memoryId);
        return db("read MemoryVariables of Memory id=" + memoryId, () -> variablesOf(em.createNativeQuery(
                LATEST_VARIABLES, MemoryVariables.class).setParameter(1, memoryId)).stream().findFirst());
    }

    /**
     * @param memoryId the memory's id
     * @return every variables snapshot of the memory, oldest (revision 1) first
     * @throws InvalidInputException when the id is invalid
     */
    public List<MemoryVariables> variablesHistory(String memoryId) {
        Memory.requireId("memoryId", memoryId);
        return db("read MemoryVariables of Memory id=" + memoryId, () -> variablesOf(em.createNativeQuery(
                VARIABLES_HISTORY, MemoryVariables.class).setParameter(1, memoryId)));
    }

    // ------------------------------------------------------------------------------------------- resources

    /**
     * Creates or updates a resource's working memory in one upsert: the working
     * memory text is replaced when given; the metadata patch is merged (JSON Merge Patch, RFC 7386, not a
     * shallow replace of top-level keys), so concurrent patches of different keys are all kept. After a read of the
     * resource in the same unit of work, only if it still has the version read, or is still absent (see the class
     * description).
     *
     * @param resourceId    the resource's id
     * @param workingMemory the new working memory text (may be empty), or {@code null} to keep it
     * @param metadataPatch a JSON object, or {@code null} to keep the metadata
     * @return the resource as stored
     * @throws InvalidInputException        when a parameter is invalid; nothing is written
     * @throws ConcurrencyConflictException when this unit of work read the resource (or its absence) and another
     *                                      transaction changed, created or deleted it since (see the class
     *                                      description); nothing is written
     */
    public MemoryResource updateResource(String resourceId, String workingMemory, JsonNode metadataPatch) {
        MemoryResource.requireId(resourceId);
        return updateResource(resourceId, workingMemory, metadataPatch, versions().expected(RESOURCE, resourceId));
    }

    /**
     * As {@link #updateResource(String, String, JsonNode)} for an existing resource, only if it still has
     * {@code expectedVersion} (compare-and-set, for callers that read it in an earlier unit of work, or outside
     * any): one {@code UPDATE ... WHERE version = ?}.
     *
     * @param resourceId      the resource's id
     * @param workingMemory   the new working memory text (may be empty), or {@code null} to keep it
     * @param metadataPatch   a JSON object, or {@code null} to keep the metadata
     * @param expectedVersion the version the caller read ({@link MemoryResource#version()})
     * @return the resource as stored
     * @throws InvalidInputException        when a parameter is invalid; nothing is written
     * @throws ConcurrencyConflictException when the resource's version is not {@code expectedVersion} (it carries
     *                                      both versions), or it is gone; nothing is written
     */
    public MemoryResource updateResource(String resourceId, String workingMemory, JsonNode metadataPatch,
                                         long expectedVersion) {
        MemoryResource.requireId(resourceId);
        Check.notNegative("expectedVersion", expectedVersion);
        return updateResource(resourceId, workingMemory, metadataPatch, OptionalLong.of(expectedVersion));
    }

    /**
     * The upsert when {@code expected} is empty; else the compare-and-set, or, for {@link #ABSENT}, an insert that
     * fails when the resource exists.
     */
    private MemoryResource updateResource(String resourceId, String workingMemory, JsonNode metadataPatch,
                                          OptionalLong expected) {
        JsonWrites.text(em, "workingMemory", MemoryResource.requireWorkingMemory(workingMemory));
        String patch = metadataPatch == null ? "{}" : JsonWrites.print(em, "metadataPatch",
                Memory.requireMetadata("metadataPatch", metadataPatch));
        Instant now = now();
        return db("update MemoryResource id=" + resourceId, () -> {
            boolean compare = expected.isPresent() && expected.getAsLong() != ABSENT;
            Query write = em.createNativeQuery(expected.isEmpty() ? UPDATE_RESOURCE
                            : compare ? UPDATE_RESOURCE_IF_VERSION : INSERT_RESOURCE)
                    .setParameter(1, resourceId)
                    .setParameter(2, workingMemory)
                    .setParameter(3, patch)
                    .setParameter(4, now);
            if (compare) {
                write.setParameter(5, expected.getAsLong());
            }
            List<?> rows = write.getResultList();
            if (rows.isEmpty()) {
                throw resourceConflict(resourceId, expected.getAsLong());
            }
            long version = ((Number) rows.get(0)).longValue();
            MemoryResource r = em.find(MemoryResource.class, resourceId);
            if (r.version() != version) {
                em.refresh(r);
            }
            em.detach(r);
            versions().wrote(RESOURCE, resourceId, r.version());
            return r;
        });
    }

    /**
     * @param resourceId the resource's id
     * @return the resource, or empty when there is none
     * @throws InvalidInputException when the id is invalid
     */
    public Optional<MemoryResource> getResource(String resourceId) {
        MemoryResource.requireId(resourceId);
        return resource(resourceId, LockModeType.NONE, "get MemoryResource id=" + resourceId);
    }

    /**
     * Reads a resource and locks its row ({@code SELECT ... FOR UPDATE}) until the transaction ends, so that writers
     * of the resource queue behind this unit of work instead of failing its later {@link #updateResource} with a
     * conflict: the form for hot resources. A missing resource is not locked. Needs a transaction (a unit of work,
     * or a container transaction).
     *
     * @param resourceId the resource's id
     * @return the resource, or empty when there is none
     * @throws InvalidInputException when the id is invalid
     */
    public Optional<MemoryResource> getResourceForUpdate(String resourceId) {
        MemoryResource.requireId(resourceId);
        return resource(resourceId, LockModeType.PESSIMISTIC_WRITE,
                "get MemoryResource id=" + resourceId + " for update");
    }

    private Optional<MemoryResource> resource(String resourceId, LockModeType lock, String context) {
        return db(context, () -> {
            MemoryResource r = em.find(MemoryResource.class, resourceId, lock);
            if (r != null) {
                em.detach(r);
            }
            versions().read(RESOURCE, resourceId, r == null ? ABSENT : r.version());
            return Optional.ofNullable(r);
        });
    }

    /**
     * Deletes a resource's working memory (its threads are kept). One statement.
     *
     * @param resourceId the resource's id
     * @return whether it existed
     * @throws InvalidInputException when the id is invalid
     */
    public boolean deleteResource(String resourceId) {
        MemoryResource.requireId(resourceId);
        boolean deleted = db("delete MemoryResource id=" + resourceId,
                () -> em.createNativeQuery(DELETE_RESOURCE).setParameter(1, resourceId).executeUpdate() == 1);
        versions().wrote(RESOURCE, resourceId, ABSENT);
        return deleted;
    }

    // ---------------------------------------------------------------------------------------------- private

    private Page<Memory> threads(String resourceId, JsonNode metadataFilter, ThreadOrder order, PageRequest page) {
        MemoryResource.requireId(resourceId);
        Check.notNull("order", order);
        String filter = metadataFilter == null ? "{}"
                : JsonWrites.print(em, "metadataFilter", Memory.requireMetadata("metadataFilter", metadataFilter));
        String orderBy = switch (order) {
            case CREATED_ASC -> " ORDER BY created_at ASC, id ASC";
            case CREATED_DESC -> " ORDER BY created_at DESC, id DESC";
            case UPDATED_ASC -> " ORDER BY updated_at ASC, id ASC";
            case UPDATED_DESC -> " ORDER BY updated_at DESC, id DESC";
        };
        return db("list Memories of resource " + resourceId, () -> {
            List<Memory> items = new ArrayList<>();
            Query select = em.createNativeQuery("SELECT *" + THREADS_WHERE + orderBy
                    + " LIMIT CAST(?3 AS bigint) OFFSET ?4", Memory.class)
                    .setParameter(1, resourceId).setParameter(2, filter)
                    .setParameter(3, page == null ? null : (long) page.perPage())
                    .setParameter(4, page == null ? 0L : page.offset());
            for (Object m : select.getResultList()) {
                items.add(read(detach((Memory) m)));
            }
            if (page == null) {
                return new Page<>(items, 0, items.size(), items.size(), false);
            }
            long total = ((Number) em.createNativeQuery("SELECT count(*)" + THREADS_WHERE)
                    .setParameter(1, resourceId).setParameter(2, filter).getSingleResult()).longValue();
            return Page.of(items, page.page(), page.perPage(), total);
        });
    }

    /** {@code page == null}: every matching message (no count); otherwise see {@link #listMessages}. */
    private MessageListing listing(MessageQuery query, PageRequest page, boolean includeTotal) {
        Check.notNull("query", query);
        NumberedStatement select = query.direction() == SortDirection.ASC ? PAGE_ASC : PAGE_DESC;
        return db("list MemoryMessages of Memory id=" + query.memoryId(), () -> {
            // one row beyond the page tells whether a later page has rows
            List<MemoryMessage> rows = readMessages(select, query.memoryId(), query.resourceId(), query.from(),
                    query.to(), page == null ? null : page.perPage() + 1L, page == null ? 0L : page.offset());
            Page<MemoryMessage> result;
            if (page == null) {
                result = new Page<>(rows, 0, rows.size(), rows.size(), false);
            } else {
                boolean hasMore = rows.size() > page.perPage();
                List<MemoryMessage> items = hasMore ? rows.subList(0, page.perPage()) : rows;
                long total;
                if (!hasMore && (!items.isEmpty() || page.page() == 0)) {
                    total = page.offset() + items.size(); // the listing ends on this page
                } else if (includeTotal) {
                    total = jdbc(c -> {
                        try (PreparedStatement ps = COUNT.prepare(c, query.memoryId(), query.resourceId(),
                                query.from(), query.to()); ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            return rs.getLong(1);
                        }
                    });
                } else {
                    total = Page.TOTAL_NOT_COUNTED;
                }
                result = new Page<>(items, page.page(), page.perPage(), total, hasMore);
            }
            List<MemoryMessage> included = List.of();
            if (!query.include().isEmpty()) {
                ArrayNode includes = JsonNodeFactory.instance.arrayNode();
                for (MessageInclude i : query.include()) {
                    includes.addObject().put("id", i.id()).put("previous", i.previous()).put("next", i.next());
                }
                Map<String, MemoryMessage> byId = new LinkedHashMap<>();
                readMessages(INCLUDE, Json.print(includes), query.resourceId())
                        .forEach(m -> byId.putIfAbsent(m.id(), m));
                List<MemoryMessage> sorted = new ArrayList<>(byId.values());
                sorted.sort(MessageListing.CHRONOLOGICAL);
                included = sorted;
            }
            return new MessageListing(result, included);
        });
    }

    /**
     * Runs {@link #SAVE_MESSAGES} or {@link #REMEMBER_MESSAGES}: one statement, as plain JDBC.
     *
     * @return the saved messages in sequence order; empty when the thread does not exist (nothing was written)
     */
    private List<MemoryMessage> upsert(NumberedStatement statement, String memoryId, Map<String, NewMessage> batch,
                                       Instant now) {
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
        List<MemoryMessage> saved = jdbc(c -> {
            List<MemoryMessage> rows = new ArrayList<>(batch.size());
            try (PreparedStatement ps = statement.prepare(c, Json.print(input), memoryId, (long) batch.size(), now);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    NewMessage m = batch.get(rs.getString(1));
                    rows.add(MemoryMessage.of(m.id(), memoryId, rs.getLong(2), m.role(), m.content(), rs.getString(3),
                            rs.getObject(4, OffsetDateTime.class).toInstant()));
                }
            }
            return rows;
        });
        saved.sort(Comparator.comparingLong(MemoryMessage::seq));
        return saved;
    }

    /**
     * Validates a batch and keeps each id once: the last occurrence's values at the first occurrence's position.
     *
     * @return the messages by id, in that order
     */
    private static Map<String, NewMessage> distinct(List<NewMessage> messages) {
        Check.noNulls("messages", messages);
        Check.range("messages (size)", messages.size(), 1, MAX_BATCH);
        Map<String, NewMessage> byId = new LinkedHashMap<>();
        for (NewMessage m : messages) {
            byId.put(m.id(), m);
        }
        return byId;
    }

    private static Set<String> ids(List<String> ids) {
        Check.noNulls("ids", ids);
        Check.range("ids (size)", ids.size(), 1, MAX_BATCH);
        Set<String> valid = new LinkedHashSet<>();
        for (String id : ids) {
            valid.add(Memory.requireId("id", id));
        }
        return valid;
    }

    private static String jsonArray(Set<String> values) {
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        values.forEach(a::add);
        return Json.print(a);
    }

    /**
     * Runs a statement that selects messages (the columns of {@link #LAST_MESSAGES}, in that order) as plain JDBC and
     * builds them directly: no entities, nothing enters the persistence context.
     */
    private List<MemoryMessage> readMessages(NumberedStatement statement, Object... values) {
        return jdbc(c -> {
            List<MemoryMessage> out = new ArrayList<>();
            try (PreparedStatement ps = statement.prepare(c, values); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(MemoryMessage.stored(rs.getString(1), rs.getString(2), rs.getLong(3),
                            MessageRole.valueOf(rs.getString(4)), Json.parse("content", rs.getString(5)),
                            rs.getString(6), rs.getObject(7, OffsetDateTime.class).toInstant()));
                }
            }
            return out;
        });
    }

    /** Runs JDBC work on the transaction's connection; an {@link java.sql.SQLException} comes out as Hibernate's. */
    private <T> T jdbc(ReturningWork<T> work) {
        return em.unwrap(Session.class).doReturningWork(work);
    }

    private List<MemoryVariables> variablesOf(Query q) {
        List<MemoryVariables> out = new ArrayList<>();
        for (Object v : q.getResultList()) {
            em.detach(v);
            out.add((MemoryVariables) v);
        }
        return out;
    }

    /**
     * Reads the thread after a native write; refreshes a copy loaded earlier in this persistence context. The version
     * the write left becomes the one remembered for the thread, when this transaction read it.
     */
    private Memory load(String id, long version) {
        Memory m = em.find(Memory.class, id);
        if (m.version() != version) {
            em.refresh(m);
        }
        versions().wrote(THREAD, id, m.version());
        return detach(m);
    }

    /** Remembers the version of a thread handed out in this transaction ({@link ReadVersions}). */
    private Memory read(Memory m) {
        versions().read(THREAD, m.id(), m.version());
        return m;
    }

    /** @return the thread's version and resource id, {@code null} when the thread is gone */
    private Object[] threadVersion(String id) {
        List<?> rows = em.createNativeQuery(THREAD_VERSION).setParameter(1, id).getResultList();
        return rows.isEmpty() ? null : (Object[]) rows.get(0);
    }

    /**
     * After an append of messages to a thread this transaction read (one version bump), moves the remembered version
     * to the one the append left: one extra read, only when a version is remembered.
     */
    private void appended(String memoryId) {
        if (versions().expected(THREAD, memoryId).isPresent()) {
            Object[] current = threadVersion(memoryId); // locked by the append: the version it left
            if (current != null) {
                versions().wroteRelative(THREAD, memoryId, ((Number) current[0]).longValue());
            }
        }
    }


    /** Why a checked resource write wrote nothing. */
    private ConcurrencyConflictException resourceConflict(String resourceId, long expected) {
        List<?> rows = em.createNativeQuery(RESOURCE_VERSION).setParameter(1, resourceId).getResultList();
        if (rows.isEmpty()) {
            return new ConcurrencyConflictException(RESOURCE + " " + resourceId + " was deleted concurrently:"
                    + " expected version " + expected + RETRY, null);
        }
        long actual = ((Number) rows.get(0)).longValue();
        if (expected == ABSENT) {
            return new ConcurrencyConflictException(RESOURCE + " " + resourceId + " was created concurrently: it was"
                    + " read as absent, found version " + actual + RETRY, null);
        }
        return ReadVersions.conflict(RESOURCE, resourceId, expected, actual);
    }

    private ReadVersions versions() {
        return ReadVersions.of(em);
    }

    private Memory detach(Memory m) {
        em.detach(m);
        return m;
    }

    private static Instant instant(Object value) {
        if (value instanceof Instant i) {
            return i;
        }
        if (value instanceof OffsetDateTime o) {
            return o.toInstant();
        }
        if (value instanceof Timestamp t) {
            return t.toInstant();
        }
        throw new IllegalStateException("unexpected timestamp type " + (value == null ? null : value.getClass()));
    }

    /** "Now" at PostgreSQL's precision, so that what is returned equals what is stored. */
    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    private static <T> T db(String context, Supplier<T> work) {
        try {
            return work.get();
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate(context, e);
        }
    }
}
