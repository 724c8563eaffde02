package dev.agentstore.persistence.memory;

import dev.agentstore.persistence.support.AbstractRepository;
import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.knowledge.Embedder;
import dev.agentstore.domain.memory.ClonedThread;
import dev.agentstore.domain.memory.ForgottenResource;
import dev.agentstore.domain.memory.Memory;
import dev.agentstore.domain.memory.MemoryMessage;
import dev.agentstore.domain.memory.MemoryRecall;
import dev.agentstore.domain.memory.MemoryResource;
import dev.agentstore.domain.memory.MemoryVariables;
import dev.agentstore.domain.memory.MessageQuery;
import dev.agentstore.domain.memory.MessageUpdate;
import dev.agentstore.domain.memory.NewMessage;
import dev.agentstore.domain.memory.RecalledMessage;
import dev.agentstore.domain.memory.SemanticRecall;
import dev.agentstore.domain.memory.SortDirection;
import dev.agentstore.domain.memory.ThreadOrder;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.SingleStatement;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Conversational memory: threads, messages, resources with working memory, and {@code remember}/{@code recall} with
 * variable snapshots. Tables, order, recall, locks, transactions, caller's times and the read-modify-write checks
 * ({@link ReadVersions}): see the package description ({@link dev.agentstore.persistence.memory}).
 */
@ApplicationScoped
public class MemoryRepository extends AbstractRepository {

    /** Largest accepted number of messages (or updates, or ids) in one call: 10,000. */
    public static final int MAX_BATCH = 10_000;

    /** Largest accepted {@code limit} of {@link #recall} and {@link #lastMessages}: 10,000. */
    public static final int MAX_RECALL = 10_000;

    /**
     * As {@link #saveThread(String, String, String, JsonNode, Instant, Instant)} with the clock's times.
     * @return the thread as stored
     * @throws InvalidInputException        when a parameter is invalid; nothing is written
     * @throws NotFoundException            when a thread with this id belongs to another resource; nothing written
     * @throws ConcurrencyConflictException when this unit of work read the thread and another transaction changed it
     *                                      since; nothing is written
     */
    public Memory saveThread(String id, String resourceId, String title, JsonNode metadata) {
        return saveThread(id, resourceId, title, metadata, null, null);
    }

    /**
     * Saves a thread in one upsert: creates it, or replaces the title and metadata of this resource's thread (or
     * claims a memory without resource); see "Threads" in the package description (and for importing threads).
     * @param id         the thread's id, 1–255 characters
     * @param resourceId the resource it belongs to, 1–255 characters
     * @param title      the title, at most 1,000 characters, or {@code null}
     * @param metadata   a JSON object, or {@code null} for an empty one
     * @param createdAt  a new thread's creation time, to the microsecond, or {@code null} for the clock's; an
     *                   existing thread keeps its creation time
     * @param updatedAt  its update time, to the microsecond, or {@code null} for the clock's
     * @return the thread as stored
     * @throws InvalidInputException        when a parameter is invalid (an instant as {@link Check#instant}); nothing
     *                                      is written
     * @throws NotFoundException            when a thread with this id belongs to another resource; nothing written
     * @throws ConcurrencyConflictException when this unit of work read the thread and another transaction changed it
     *                                      since; nothing is written
     */
    public Memory saveThread(String id, String resourceId, String title, JsonNode metadata, Instant createdAt,
                             Instant updatedAt) {
        return new ThreadSql(em).save(id, resourceId, title, metadata, createdAt, updatedAt, now());
    }

    /**
     * {@return the thread {@code id}, or empty when there is none} The version read is remembered for the unit of
     * work's later writes (see the package).
     * @throws InvalidInputException when the id is invalid
     */
    public Optional<Memory> findThread(String id) {
        return new ThreadSql(em).find(id, false);
    }

    /**
     * {@return the thread {@code id}, or empty when there is none} Locks its row until the transaction ends, so that
     * its writers queue (for hot threads).
     * @throws InvalidInputException when the id is invalid
     */
    public Optional<Memory> findThreadForUpdate(String id) {
        return new ThreadSql(em).find(id, true);
    }

    /**
     * {@return the thread {@code id}, whatever resource it belongs to}
     * @throws InvalidInputException when the id is invalid
     * @throws NotFoundException     when there is no such thread
     */
    public Memory getThread(String id) {
        return findThread(id).orElseThrow(() -> new NotFoundException("Memory", "id=" + id));
    }

    /**
     * Reads a thread of one resource; a thread of another resource (or none) is reported as missing.
     * @param id         the thread's id
     * @param resourceId the resource it must belong to
     * @return the thread
     * @throws InvalidInputException when an id is invalid
     * @throws NotFoundException     when there is no such thread of this resource
     */
    public Memory getThread(String id, String resourceId) {
        return new ThreadSql(em).get(id, resourceId);
    }

    /**
     * Lists the threads of a resource in two statements (page, count); ties are ordered by id.
     * @param resourceId     the resource
     * @param metadataFilter a JSON object the metadata must contain ({@code metadata @> filter}), or {@code null}
     * @param order          by creation or update time, either direction
     * @param page           which page; a page beyond the last has no items but the right total
     * @return the page
     * @throws InvalidInputException when a parameter is invalid
     */
    public Page<Memory> listThreads(String resourceId, JsonNode metadataFilter, ThreadOrder order, PageRequest page) {
        return new ThreadSql(em).list(resourceId, metadataFilter, order, Check.notNull("page", page));
    }

    /**
     * As {@link #listThreads(String, JsonNode, ThreadOrder, PageRequest)} (same parameters) on one page.
     * @return every matching thread
     * @throws InvalidInputException when a parameter is invalid
     */
    public Page<Memory> listAllThreads(String resourceId, JsonNode metadataFilter, ThreadOrder order) {
        return new ThreadSql(em).list(resourceId, metadataFilter, order, null);
    }

    /**
     * Moves a thread and all its messages to another resource, atomically (see "Clone, move, forget").
     * @param id         the thread's id
     * @param resourceId the resource it moves to
     * @return the thread as stored
     * @throws InvalidInputException        when an id is invalid
     * @throws NotFoundException            when there is no such thread
     * @throws ConcurrencyConflictException when another transaction changed the thread since this unit of work read it
     */
    public Memory moveThread(String id, String resourceId) {
        return new ThreadSql(em).move(id, resourceId, now());
    }

    /**
     * Clones thread {@code sourceId} with its messages as thread {@code newId} of {@code resourceId}, titled
     * {@code title}, with {@code metadata} and a {@code clone} key (defaults for {@code null}: see "Clone").
     * @return the new thread and, per source message id, its copy's id, in sequence order
     * @throws InvalidInputException when a parameter is invalid; nothing is written
     * @throws NotFoundException     when there is no source thread; nothing is written
     * @throws DuplicateException    when a thread {@code newId} exists; nothing is written
     */
    public ClonedThread cloneThread(String sourceId, String newId, String resourceId, String title,
                                    JsonNode metadata) {
        return new ThreadCloneSql(em).clone(sourceId, newId, resourceId, title, metadata, now());
    }

    /**
     * Forgets a resource: its threads, messages, variables and working memory (see "Clone, move, forget").
     * @param resourceId the resource's id
     * @return how many threads and messages were deleted, and whether working memory was
     * @throws InvalidInputException when the id is invalid
     */
    public ForgottenResource forgetResource(String resourceId) {
        return new ResourceSql(em).forget(resourceId, now());
    }

    /**
     * Renames a thread and merges a metadata patch (RFC 7386) in one statement, checked as the package describes.
     * @param id            the thread's id
     * @param title         the new title, or {@code null} to keep it
     * @param metadataPatch a JSON object, or {@code null} to keep the metadata
     * @return the thread after the update
     * @throws InvalidInputException        when a parameter is invalid; nothing is written
     * @throws NotFoundException            when there is no such thread
     * @throws ConcurrencyConflictException when this unit of work read the thread and another transaction changed it
     *                                      since; nothing is written
     */
    public Memory updateThread(String id, String title, JsonNode metadataPatch) {
        return new ThreadSql(em).update(id, title, metadataPatch, now());
    }

    /**
     * As {@link #updateThread(String, String, JsonNode)} (same parameters), only at {@code expectedVersion}.
     * @param expectedVersion the version the caller read ({@link Memory#version()})
     * @return the thread after the update
     * @throws InvalidInputException        when a parameter is invalid; nothing is written
     * @throws NotFoundException            when there is no such thread
     * @throws ConcurrencyConflictException when the thread's version is not {@code expectedVersion} (it carries both
     *                                      versions); nothing is written
     */
    public Memory updateThread(String id, String title, JsonNode metadataPatch, long expectedVersion) {
        return new ThreadSql(em).update(id, title, metadataPatch, now(), expectedVersion);
    }

    /**
     * {@return whether a thread was deleted} Deletes thread {@code id} with its messages and variable snapshots, in
     * one statement.
     * @throws InvalidInputException when the id is invalid
     */
    public boolean deleteThread(String id) {
        return new ThreadSql(em).delete(id);
    }

    /**
     * Saves messages to a thread in one statement whatever the batch size, bumping its update time; new ids are
     * appended in list order, known ids updated or moved here (see "Saving" in the package description).
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
     * As {@link #saveMessages(String, List)}, embedding each message's text ({@link dev.agentstore.domain.memory.MessageText}) with
     * {@code embedder} first, for {@link #semanticRecall}; two statements (see "Semantic recall" in the package).
     * @return the saved messages in sequence order, as stored
     * @throws InvalidInputException when a parameter or an embedding returned is invalid; nothing is written
     * @throws NotFoundException     when there is no such thread; nothing is written
     */
    public List<MemoryMessage> saveMessages(String memoryId, List<NewMessage> messages, Embedder embedder) {
        return new MessageRecallSql(em).saveEmbedded(messages, embedder,
                batch -> new MessageWriteSql(em).save(memoryId, batch, now()));
    }

    /**
     * {@return how many messages were embedded} Stores the caller's embeddings (id → 1 to 16,000 finite values; 1 to
     * {@value #MAX_BATCH} entries) of existing messages in one statement, skipping unknown ids.
     * @throws InvalidInputException when an id or embedding is invalid; nothing is written
     */
    public int embedMessages(Map<String, float[]> embeddings) {
        return new MessageRecallSql(em).embedMessages(embeddings);
    }

    /**
     * {@return the matches and neighbours, each once, in sequence order (resource scope: time, thread, sequence)}
     * Mastra's semantic recall: the {@code topK} messages of a scope nearest to {@code query} (cosine), each with its
     * neighbours; one statement reading the scope, not the table (see "Semantic recall" in the package).
     * @throws InvalidInputException when a parameter is invalid
     */
    @SingleStatement
    public List<RecalledMessage> semanticRecall(float[] query, SemanticRecall recall) {
        return new MessageRecallSql(em).recall(query, recall);
    }

    /**
     * {@return as {@link #semanticRecall(float[], SemanticRecall)}, for {@code query} embedded by {@code embedder}}
     * @throws InvalidInputException when a parameter or the embedding returned is invalid
     */
    @SingleStatement
    public List<RecalledMessage> semanticRecall(String query, Embedder embedder, SemanticRecall recall) {
        return new MessageRecallSql(em).recall(query, embedder, recall);
    }

    /**
     * The last {@code limit} messages of a thread, oldest first: one backward read of {@code (memory_id, seq DESC)}.
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
     * As {@link #listMessages(MessageQuery, PageRequest, boolean)} (same parameters) with {@code includeTotal} true.
     * @return the page (with its total) and the included messages
     * @throws InvalidInputException when a parameter is invalid
     */
    @SingleStatement
    public MessageListing listMessages(MessageQuery query, PageRequest page) {
        return listMessages(query, page, true);
    }

    /**
     * Lists a thread's messages, with or without the total, in at most three statements (see "Listing" in the package).
     * @param query        the thread (required), filters, direction and includes
     * @param page         which page of the thread's matching messages
     * @param includeTotal whether the page's {@code total} must be counted; when {@code false} and the page does not
     *                     show it, {@code total} is {@link Page#TOTAL_NOT_COUNTED}
     * @return the page and the included messages
     * @throws InvalidInputException when a parameter is invalid
     */
    @SingleStatement
    public MessageListing listMessages(MessageQuery query, PageRequest page, boolean includeTotal) {
        return new MessageReadSql(em).listing(Check.notNull("query", query), Check.notNull("page", page), includeTotal);
    }

    /**
     * As {@link #listMessages(MessageQuery, PageRequest)} with every matching message on one page.
     * @return every matching message and the included ones
     * @throws InvalidInputException when a parameter is invalid
     */
    public MessageListing listAllMessages(MessageQuery query) {
        return new MessageReadSql(em).listing(Check.notNull("query", query), null, false);
    }

    /**
     * Messages by id, whatever thread they are in; unknown ids are skipped. One statement.
     * @param ids the message ids, 1 to {@value #MAX_BATCH}
     * @return the messages found, ordered by creation time, then thread id, then sequence
     * @throws InvalidInputException when an id is invalid
     */
    @SingleStatement
    public List<MemoryMessage> getMessages(List<String> ids) {
        return new MessageReadSql(em).byIds(ids);
    }

    /**
     * A page of the messages of {@code resourceId} across its threads created from {@code from} to {@code to}
     * (inclusive; {@code null}: open) in {@code direction}; order and statements: see "Listing" in the package.
     * @return the page with its total
     * @throws InvalidInputException when a parameter is invalid
     */
    public Page<MemoryMessage> listMessagesByResource(String resourceId, Instant from, Instant to,
                                                      SortDirection direction, PageRequest page) {
        return new MessageReadSql(em).byResource(resourceId, from, to, direction, page);
    }

    /**
     * As {@link #updateMessages(List)}, but updates of unknown messages are skipped (with none left, none written).
     * @param updates the updates, 1 to {@value #MAX_BATCH}, each message at most once
     * @return the updated messages, in the order of {@code updates}, without the skipped ones
     * @throws InvalidInputException when an update is invalid or a message appears twice; nothing is written
     * @throws NotFoundException     when a target thread of an existing message does not exist; nothing is written
     */
    public List<MemoryMessage> updateExistingMessages(List<MessageUpdate> updates) {
        return new MessageWriteSql(em).update(updates, now(), true);
    }

    /**
     * Updates stored messages (role, content merge, move): see "Updating messages" in the package description.
     * @param updates the updates, 1 to {@value #MAX_BATCH}, each message at most once
     * @return the messages after the update, in the order of {@code updates}
     * @throws InvalidInputException when an update is invalid or a message appears twice; nothing is written
     * @throws NotFoundException     when a message or a target thread does not exist; nothing is written
     */
    public List<MemoryMessage> updateMessages(List<MessageUpdate> updates) {
        return new MessageWriteSql(em).update(updates, now(), false);
    }

    /**
     * Deletes messages by id and bumps the update time of their threads, in one statement. Unknown ids are ignored.
     * @param ids the message ids, 1 to {@value #MAX_BATCH}
     * @return how many messages were deleted
     * @throws InvalidInputException when an id is invalid
     */
    public int deleteMessages(List<String> ids) {
        return new MessageWriteSql(em).delete(ids, now());
    }

    /**
     * Appends context elements (as {@link #saveMessages}) and, optionally, a variables snapshot to a memory, creating
     * it on first use in the same upsert; with neither it only ensures the memory. One statement, two with variables.
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
     * As {@link #remember(String, List, JsonNode)} (same parameters) without variables.
     * @return the saved messages in sequence order
     * @throws InvalidInputException when a parameter is invalid; nothing is written
     */
    public List<MemoryMessage> remember(String memoryId, NewMessage... elements) {
        return remember(memoryId, Arrays.asList(Check.notNull("elements", elements)), null);
    }

    /**
     * {@return whether it was created} Creates memory {@code memoryId} (no resource, no title) unless it exists: one
     * statement, safe under concurrency.
     * @throws InvalidInputException when the id is invalid
     */
    public boolean ensureMemory(String memoryId) {
        return new ThreadSql(em).ensure(memoryId, now());
    }

    /**
     * Recalls a memory as Draive does ({@link MemoryRecall#fromCleanTurn}): two statements that write nothing.
     * @param memoryId the memory's id
     * @param limit    the window: how many of the last messages are read, 1 to {@value #MAX_RECALL}
     * @return the messages, oldest first, and the variables ({@code {}} and revision 0 when none were stored)
     * @throws InvalidInputException when a parameter is invalid
     */
    public MemoryRecall recall(String memoryId, int limit) {
        return new VariablesSql(em).recall(memoryId, MemoryRecall.fromCleanTurn(lastMessages(memoryId, limit)));
    }

    /**
     * {@return the newest variables snapshot of memory {@code memoryId}, or empty when none was stored}
     * @throws InvalidInputException when the id is invalid
     */
    public Optional<MemoryVariables> variables(String memoryId) {
        return new VariablesSql(em).latest(memoryId);
    }

    /**
     * {@return every variables snapshot of memory {@code memoryId}, oldest (revision 1) first}
     * @throws InvalidInputException when the id is invalid
     */
    public List<MemoryVariables> variablesHistory(String memoryId) {
        return new VariablesSql(em).history(memoryId);
    }

    /**
     * Creates or updates a resource's working memory in one upsert, checked as the package describes.
     * @param resourceId    the resource's id
     * @param workingMemory the new working memory text (may be empty), or {@code null} to keep it
     * @param metadataPatch a JSON object, or {@code null} to keep the metadata
     * @return the resource as stored
     * @throws InvalidInputException        when a parameter is invalid; nothing is written
     * @throws ConcurrencyConflictException when this unit of work read the resource (or its absence) and another
     *                                      transaction changed, created or deleted it since; nothing is written
     */
    public MemoryResource updateResource(String resourceId, String workingMemory, JsonNode metadataPatch) {
        return new ResourceSql(em).update(resourceId, workingMemory, metadataPatch, now());
    }

    /**
     * As {@link #updateResource(String, String, JsonNode)} (same parameters) for an existing resource at
     * {@code expectedVersion}.
     * @param expectedVersion the version the caller read ({@link MemoryResource#version()})
     * @return the resource as stored
     * @throws InvalidInputException        when a parameter is invalid; nothing is written
     * @throws ConcurrencyConflictException when the resource's version is not {@code expectedVersion} (it carries
     *                                      both versions), or it is gone; nothing is written
     */
    public MemoryResource updateResource(String resourceId, String workingMemory, JsonNode metadataPatch,
                                         long expectedVersion) {
        return new ResourceSql(em).update(resourceId, workingMemory, metadataPatch, now(), expectedVersion);
    }

    /**
     * {@return the resource {@code resourceId}, or empty when there is none}
     * @throws InvalidInputException when the id is invalid
     */
    public Optional<MemoryResource> getResource(String resourceId) {
        return new ResourceSql(em).find(resourceId, false);
    }

    /**
     * {@return the resource {@code resourceId}, or empty when there is none} Locks its row until the transaction
     * ends, so that its writers queue (for hot resources).
     * @throws InvalidInputException when the id is invalid
     */
    public Optional<MemoryResource> getResourceForUpdate(String resourceId) {
        return new ResourceSql(em).find(resourceId, true);
    }

    /**
     * {@return whether it existed} Deletes a resource's working memory (threads are kept) in one statement.
     * @throws InvalidInputException when the id is invalid */
    public boolean deleteResource(String resourceId) {
        return new ResourceSql(em).delete(resourceId);
    }

    /** "Now" at PostgreSQL's precision, so that what is returned equals what is stored. */
    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
