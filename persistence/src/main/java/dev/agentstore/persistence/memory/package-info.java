/**
 * Conversational memory: {@link MemoryRepository} on the tables {@code memories} (threads), {@code memory_messages},
 * {@code memory_resources} (working memory) and {@code memory_variables}. The repository validates and delegates to
 * package-private statement classes, one per table or concern, that hold the SQL and its row mapping and run it through
 * {@link dev.agentstore.persistence.support.Sql}.
 *
 * <p><b>Order.</b> Every message has a sequence number, unique within its thread and increasing in append order.
 * Appends allocate their numbers with {@code UPDATE memories SET last_seq = last_seq + n ... RETURNING last_seq} (n =
 * the batch's distinct ids), a CTE of the same statement that writes the messages, which also bumps the thread's
 * {@code updated_at} and locks its row until commit: concurrent appends to one thread queue on that lock, never fail,
 * and get disjoint, increasing ranges (gap-free unless a batch upserts existing messages of the thread, whose numbers
 * stay unused). Listings order by sequence, never by a timestamp alone, so equal timestamps are no problem.
 *
 * <p><b>Transactions.</b> {@link MemoryRepository} runs in the caller's transaction and never begins or commits one.
 * Through {@code store.memories()} each call is its own unit of work, and saving, listing and recalling messages
 * ({@link dev.agentstore.persistence.support.SingleStatement}) run in autocommit mode. Input is validated before the
 * first write. Everything returned is built from the rows read, a snapshot attached to no persistence context.
 *
 * <p><b>Threads.</b> {@link MemoryRepository#saveThread} creates a thread or replaces the title and metadata of an
 * existing one (creation time, messages and sequence kept). The save is scoped to the resource: a thread of another
 * resource is neither changed nor taken over and is reported as not found (as by {@code getThread(id, resourceId)}, so
 * ids of other resources cannot be probed); a memory without a resource (created by {@code remember}) is claimed.
 * The form with {@code createdAt} and {@code updatedAt} imports threads from another store with their history: a new
 * thread gets the caller's times, cut to the microsecond (PostgreSQL's precision, so what is returned is what is
 * stored), and an existing one keeps its creation time and gets the caller's update time; {@code null} is the clock's
 * time, as in the other form. Both instants are checked ({@link dev.agentstore.domain.Check#instant}) before anything
 * is written, and thread listings order by the stored times, imported or not.
 *
 * <p><b>Saving.</b> {@link MemoryRepository#saveMessages} writes nothing for an unknown thread. New ids are appended in
 * list order after the thread's last message; an id already in this thread is updated in place (role, content,
 * resource; sequence number and creation time stay); an id of another thread moves here. The same id twice in a list
 * is saved once, with the last occurrence's values, at the first occurrence's position. A message without a resource
 * gets the thread's.
 *
 * <p><b>Listing.</b> {@link MemoryRepository#listMessages} reads the page one row beyond it (so {@code hasMore} needs
 * no count), a {@code count(*)} only when a total is asked for and the page does not show it (a non-empty page
 * without a row beyond it, or an empty first page, ends the listing), and all includes with their context in one
 * query, whatever the number of includes. {@code hasMore} accounts for messages already returned as included
 * context (Mastra's rule): it is true only when a matching message beyond the page is not among the included ones
 * (when the first row beyond the page is included, the count statement also tells this); {@code total} still counts
 * the thread's matching messages.
 * {@link MemoryRepository#listMessagesByResource} reads the messages of one resource in every thread, on the index
 * {@code (resource_id, created_at, memory_id, seq)}, ordered by creation time, thread id and sequence in the given
 * direction, the same way (one row beyond the page, a count only when needed: at most two statements).
 * {@link MemoryRepository#getMessages} reads messages by id in one statement and skips unknown ids.
 *
 * <p><b>Updating messages.</b> {@link MemoryRepository#updateMessages} sets a role, merges a content patch
 * ({@code jsonb_merge_patch}) and moves a message to another thread (appended after its last message, with a new
 * sequence number), bumping the update time of every thread that gained, lost or holds a changed message, in at most
 * four statements: lock the messages, check the target threads, bump and allocate, one multi-row {@code UPDATE}. An
 * unknown message fails the call; {@link MemoryRepository#updateExistingMessages} skips it instead (Mastra's
 * {@code updateMessages}), and a missing target thread of an existing message still fails it.
 *
 * <p><b>Clone, move, forget.</b> {@link MemoryRepository#cloneThread} defaults, for {@code null} arguments: a random
 * UUID as the new id, the source's resource, "Clone of " and the source's title, empty metadata. It share-locks the
 * source thread (so it is neither deleted nor appended to meanwhile), inserts the new thread and copies every message
 * in sequence order under a new random UUID, renumbered 1, 2, 3 ... (role, content and creation time kept; the resource
 * is the new thread's, or the message's own when the new thread has none); the new thread's metadata gets a
 * {@code clone} object ({@code sourceThreadId}, {@code clonedAt}, {@code lastMessageId} when there were messages), as
 * Mastra's. Four statements in one unit of work; a taken {@code newId} fails with a
 * {@link dev.agentstore.domain.DuplicateException} before anything is written. {@link MemoryRepository#moveThread} is
 * Mastra's {@code updateThreadResourceId}: it locks the thread's row ({@code FOR UPDATE}, the lock appends take first),
 * then one statement sets the resource of the thread and of every message in it, so both move or neither does and an
 * append racing the move ends in the new resource; it bumps the update time and version, is checked against a version
 * the unit of work read, and returns a thread already in the resource unchanged, writing nothing.
 * {@link MemoryRepository#forgetResource} locks the resource's threads, then in one statement deletes their messages
 * and the resource's messages in other threads (bumping those threads), and its threads (variables cascade); then its
 * working memory. An unknown resource forgets nothing.
 *
 * <p><b>Recall.</b> The last N messages of a thread are read backwards from the unique index
 * {@code (memory_id, seq DESC)}: N index entries, no sort, whatever the table's size (never a {@code ROW_NUMBER()} over
 * the whole table). {@link MemoryRepository#recall} then applies Draive's rule
 * ({@link dev.agentstore.domain.memory.MemoryRecall#fromCleanTurn}): the window is cut at its first clean turn, so the
 * context never begins with a tool response or a model output whose request was cut off, and may hold fewer than N
 * messages; {@link MemoryRepository#lastMessages} returns the window as it is.
 *
 * <p><b>Semantic recall.</b> A message may carry an embedding (column {@code embedding}, untyped pgvector, NULL when
 * never embedded). {@link MemoryRepository#saveMessages(String, java.util.List, dev.agentstore.domain.knowledge.Embedder)}
 * embeds the text of each message ({@link dev.agentstore.domain.memory.MessageText}) before writing anything, then
 * saves and stores the embeddings (two statements); {@link MemoryRepository#embedMessages} stores the caller's. A save
 * or update that changes a message's content sets its embedding to NULL. {@link MemoryRepository#semanticRecall} is one
 * statement: an exact cosine ranking of the scope's embedded messages of the query's dimension (a thread through
 * {@code (memory_id, seq DESC)}, a resource through {@code (resource_id, created_at, memory_id, seq)}), the
 * {@code topK} kept, and per hit two bounded reads of {@code (memory_id, seq DESC)} for its neighbours; the rows read
 * follow the scope's size, not the table's (no approximate index: see {@code docs/memory-recall.md}).
 *
 * <p><b>First use.</b> {@link MemoryRepository#remember} creates its memory row in the same single upsert that
 * allocates sequence numbers, so concurrent first uses cannot fail, and no {@link MemoryRepository#ensureMemory} call
 * is needed first.
 *
 * <p><b>Locks.</b> Appends lock the thread's row, then write messages. {@link MemoryRepository#updateMessages} and
 * {@link MemoryRepository#deleteMessages} lock the messages first (so a message cannot move away between reading and
 * writing it), then their threads; when such a call and a concurrent save touch the same message ids, PostgreSQL may
 * resolve the crossing locks as a deadlock, reported as {@link dev.agentstore.domain.ConcurrencyConflictException}: run
 * units of work that update or delete messages through {@code fromTransactionWithRetry}.
 *
 * <p><b>Read-modify-write.</b> A thread that a unit of work read ({@link MemoryRepository#findThread},
 * {@link MemoryRepository#getThread}, {@link MemoryRepository#listThreads},
 * {@link MemoryRepository#findThreadForUpdate}, or its own earlier write) is written by
 * {@link MemoryRepository#updateThread} and {@link MemoryRepository#saveThread} only if it still has the version read;
 * a resource it read ({@link MemoryRepository#getResource}, {@link MemoryRepository#getResourceForUpdate}) is written
 * by {@link MemoryRepository#updateResource} only if it still has the version read, or is still absent when it read as
 * absent ({@link dev.agentstore.persistence.support.ReadVersions}). The write is one statement with
 * {@code WHERE version = ?} (an insert that fails on an existing resource, for one read as absent); when another
 * transaction changed the row in between it writes nothing and fails with a
 * {@link dev.agentstore.domain.ConcurrencyConflictException} carrying both versions, so a title, metadata value or
 * working memory computed from a read is never lost; {@code fromTransactionWithRetry} re-runs the unit of work. The
 * {@code ...ForUpdate} reads lock the row instead, so concurrent writers queue (for hot rows). Callers outside a unit
 * of work pass the version they read (the {@code updateThread} and {@code updateResource} overloads with an
 * {@code expectedVersion}). Message writes (appends, updates, deletes: relative, they bump the thread's version),
 * {@link MemoryRepository#deleteThread} and {@link MemoryRepository#deleteResource} are not checked; a unit of work's
 * own message write to a thread it read counts as its own write when no other transaction wrote the thread in between,
 * so a later update in it does not conflict with itself. With nothing read, every write is the one-statement form.
 */
package dev.agentstore.persistence.memory;
