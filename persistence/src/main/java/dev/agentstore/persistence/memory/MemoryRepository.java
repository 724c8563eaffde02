package dev.agentstore.persistence.memory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.AgentStoreException;
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
import dev.agentstore.domain.memory.MessageQuery;
import dev.agentstore.domain.memory.MessageUpdate;
import dev.agentstore.domain.memory.NewMessage;
import dev.agentstore.domain.memory.ThreadOrder;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.SingleStatement;
import dev.agentstore.persistence.support.Sql;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.transaction.Transactional;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Conversational memory: threads, messages, resources with working memory, and {@code remember}/{@code recall} with
 * variable snapshots, on the tables {@code memories}, {@code memory_messages}, {@code memory_resources} and
 * {@code memory_variables}.
 *
 * <p>How messages are ordered and recalled, what a call locks, and how a write is checked against what the unit of work
 * read ({@link ReadVersions}): see the package description ({@link dev.agentstore.persistence.memory}).
 *
 * <p><b>Transactions.</b> Runs in the caller's transaction; never begins or commits one. Through
 * {@code store.memories()} each call is its own unit of work, and saving, listing and recalling messages
 * ({@link SingleStatement}) run in autocommit mode. Input is validated before the first write. The statements run
 * through {@link Sql} on the unit of work's connection (the memory entities are read-only to JPA); everything returned
 * is built from the rows read, a snapshot attached to no persistence context.
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

    /**
     * Saves a thread: creates it, or replaces the title and metadata of an existing one (its creation time, messages
     * and sequence are kept). One upsert statement. The save is scoped to the resource: a thread that belongs to
     * another resource is neither changed nor taken over, and is reported as not found (as by
     * {@link #getThread(String, String)}, so ids of other resources cannot be probed); a memory without a resource
     * (created by {@link #remember}) is claimed.
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
     *                                      since (see the package description); nothing is written
     */
    public Memory saveThread(String id, String resourceId, String title, JsonNode metadata) {
        return new ThreadSql(em).save(id, resourceId, title, metadata, now());
    }

    /**
     * Reads a thread. In a unit of work, the version read (here, by {@link #getThread} or by {@link #listThreads}) is
     * remembered for the unit of work's later writes of the thread (see the package description).
     *
     * @param id the thread's id
     * @return the thread, or empty when there is none
     * @throws InvalidInputException when the id is invalid
     */
    public Optional<Memory> findThread(String id) {
        return new ThreadSql(em).find(id, false);
    }

    /**
     * Reads a thread and locks its row ({@code SELECT ... FOR UPDATE}) until the transaction ends, so that writers of
     * the thread (including appends of messages) queue behind this unit of work instead of failing its later write with
     * a conflict: the form for hot threads. Needs a transaction (a unit of work, or a container transaction).
     *
     * @param id the thread's id
     * @return the thread, or empty when there is none
     * @throws InvalidInputException when the id is invalid
     */
    public Optional<Memory> findThreadForUpdate(String id) {
        return new ThreadSql(em).find(id, true);
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
     * Reads a thread of one resource: a thread of another resource (or of none) is reported exactly as a missing one,
     * so a caller cannot probe other resources' thread ids.
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
     * Lists the threads of a resource, in two statements (the page and the count). Threads with equal timestamps are
     * ordered by id, so consecutive pages neither repeat nor skip a thread.
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
        return new ThreadSql(em).list(resourceId, metadataFilter, order, page);
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
        return new ThreadSql(em).list(resourceId, metadataFilter, order, null);
    }

    /**
     * Renames a thread and merges a metadata patch in one statement ({@code jsonb_merge_patch}, RFC 7386 as
     * {@link Json#mergePatch}: objects merge, {@code null} deletes a key), so concurrent patches of different keys are
     * all kept. Bumps the update time and version. After a read of the thread in the same unit of work, only if the
     * thread still has the version read (see the package description).
     *
     * @param id            the thread's id
     * @param title         the new title, or {@code null} to keep it
     * @param metadataPatch a JSON object, or {@code null} to keep the metadata
     * @return the thread after the update
     * @throws InvalidInputException        when a parameter is invalid; nothing is written
     * @throws NotFoundException            when there is no such thread
     * @throws ConcurrencyConflictException when this unit of work read the thread and another transaction changed it
     *                                      since (see the package description); nothing is written
     */
    public Memory updateThread(String id, String title, JsonNode metadataPatch) {
        return new ThreadSql(em).update(id, title, metadataPatch, now());
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
        return new ThreadSql(em).update(id, title, metadataPatch, now(), OptionalLong.of(expectedVersion));
    }

    /**
     * Deletes a thread with its messages and variable snapshots (foreign keys {@code ON DELETE CASCADE}), in one
     * statement.
     *
     * @param id the thread's id
     * @return whether a thread was deleted
     * @throws InvalidInputException when the id is invalid
     */
    public boolean deleteThread(String id) {
        return new ThreadSql(em).delete(id);
    }

    /**
     * Saves messages to a thread: one statement whatever the batch size, which allocates the sequence numbers (locking
     * the thread's row, see the package description) and upserts every message; for an unknown thread it writes
     * nothing. New ids are appended in list order after the thread's last message; an id already in this thread is
     * updated in place (role, content, resource; its sequence number and creation time stay); an id of another thread
     * moves here. The same id twice in the list is saved once, with the last occurrence's values, at the first
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
        return new MessageWriteSql(em).save(memoryId, messages, now());
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
        return new MessageReadSql(em).last(memoryId, limit);
    }

    /**
     * Lists a thread's messages with the total: as {@link #listMessages(MessageQuery, PageRequest, boolean)} with
     * {@code includeTotal} true.
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
     * Lists a thread's messages, with or without the total, in at most three statements whatever the number of
     * includes: the page, read one row beyond it so that {@code hasMore} needs no count; a {@code count(*)} of the
     * matching messages only when a total is asked for and the page does not show it (a non-empty page without a row
     * beyond it, or an empty first page, ends the listing, so its total is known); and all includes with their context
     * in one query. Reading the last messages with {@code includeTotal} false and no includes is one statement.
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
        return new MessageReadSql(em).listing(Check.notNull("query", query), page, includeTotal);
    }

    /**
     * As {@link #listMessages(MessageQuery, PageRequest)} with every matching message on one page.
     *
     * @param query the thread, filters, direction and includes
     * @return every matching message and the included ones
     * @throws InvalidInputException when a parameter is invalid
     */
    public MessageListing listAllMessages(MessageQuery query) {
        return new MessageReadSql(em).listing(Check.notNull("query", query), null, false);
    }

    /**
     * Updates stored messages: a new role, a content merge (JSON Merge Patch, {@code jsonb_merge_patch}), a move to
     * another thread (appended after its last message, with a new sequence number). Bumps the update time of every
     * thread that gained, lost or holds a changed message. At most four statements whatever the number of updates: lock
     * the messages, check the target threads, bump and allocate, one multi-row UPDATE.
     *
     * @param updates the updates, 1 to {@value #MAX_BATCH}, each message at most once
     * @return the messages after the update, in the order of {@code updates}
     * @throws InvalidInputException when an update is invalid or a message appears twice; nothing is written
     * @throws NotFoundException     when a message or a target thread does not exist; nothing is written
     */
    public List<MemoryMessage> updateMessages(List<MessageUpdate> updates) {
        return new MessageWriteSql(em).update(updates, now());
    }

    /**
     * Deletes messages by id and bumps the update time of their threads, in one statement. Unknown ids are ignored.
     *
     * @param ids the message ids, 1 to {@value #MAX_BATCH}
     * @return how many messages were deleted
     * @throws InvalidInputException when an id is invalid
     */
    public int deleteMessages(List<String> ids) {
        return new MessageWriteSql(em).delete(ids, now());
    }

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
        return new MessageWriteSql(em).remember(memoryId, elements, variables, now());
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
     * Creates a memory (no resource, no title) unless it exists, with {@code INSERT ... ON CONFLICT DO NOTHING}: one
     * statement, safe under concurrency.
     *
     * @param memoryId the memory's id
     * @return whether it was created
     * @throws InvalidInputException when the id is invalid
     */
    public boolean ensureMemory(String memoryId) {
        return new ThreadSql(em).ensure(memoryId, now());
    }

    /**
     * Recalls a memory: its last {@code limit} messages (as {@link #lastMessages}) and its newest variables. Two
     * statements; writes nothing, so an unknown memory recalls as empty.
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
        return new VariablesSql(em).latest(memoryId);
    }

    /**
     * @param memoryId the memory's id
     * @return every variables snapshot of the memory, oldest (revision 1) first
     * @throws InvalidInputException when the id is invalid
     */
    public List<MemoryVariables> variablesHistory(String memoryId) {
        return new VariablesSql(em).history(memoryId);
    }

    /**
     * Creates or updates a resource's working memory in one upsert: the working memory text is replaced when given; the
     * metadata patch is merged (JSON Merge Patch, RFC 7386, not a shallow replace of top-level keys), so concurrent
     * patches of different keys are all kept. After a read of the resource in the same unit of work, only if it still
     * has the version read, or is still absent (see the package description).
     *
     * @param resourceId    the resource's id
     * @param workingMemory the new working memory text (may be empty), or {@code null} to keep it
     * @param metadataPatch a JSON object, or {@code null} to keep the metadata
     * @return the resource as stored
     * @throws InvalidInputException        when a parameter is invalid; nothing is written
     * @throws ConcurrencyConflictException when this unit of work read the resource (or its absence) and another
     *                                      transaction changed, created or deleted it since (see the package
     *                                      description); nothing is written
     */
    public MemoryResource updateResource(String resourceId, String workingMemory, JsonNode metadataPatch) {
        return new ResourceSql(em).update(resourceId, workingMemory, metadataPatch, now());
    }

    /**
     * As {@link #updateResource(String, String, JsonNode)} for an existing resource, only if it still has
     * {@code expectedVersion} (compare-and-set, for callers that read it in an earlier unit of work, or outside any):
     * one {@code UPDATE ... WHERE version = ?}.
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
        return new ResourceSql(em).update(resourceId, workingMemory, metadataPatch, now(),
                OptionalLong.of(expectedVersion));
    }

    /**
     * @param resourceId the resource's id
     * @return the resource, or empty when there is none
     * @throws InvalidInputException when the id is invalid
     */
    public Optional<MemoryResource> getResource(String resourceId) {
        return new ResourceSql(em).find(resourceId, false);
    }

    /**
     * Reads a resource and locks its row ({@code SELECT ... FOR UPDATE}) until the transaction ends, so that writers of
     * the resource queue behind this unit of work instead of failing its later {@link #updateResource} with a conflict:
     * the form for hot resources. A missing resource is not locked. Needs a transaction (a unit of work, or a container
     * transaction).
     *
     * @param resourceId the resource's id
     * @return the resource, or empty when there is none
     * @throws InvalidInputException when the id is invalid
     */
    public Optional<MemoryResource> getResourceForUpdate(String resourceId) {
        return new ResourceSql(em).find(resourceId, true);
    }

    /**
     * Deletes a resource's working memory (its threads are kept). One statement.
     *
     * @param resourceId the resource's id
     * @return whether it existed
     * @throws InvalidInputException when the id is invalid
     */
    public boolean deleteResource(String resourceId) {
        return new ResourceSql(em).delete(resourceId);
    }

    /** "Now" at PostgreSQL's precision, so that what is returned equals what is stored. */
    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
