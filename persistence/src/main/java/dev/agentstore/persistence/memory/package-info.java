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
 * <p><b>Recall.</b> The last N messages of a thread are read backwards from the unique index
 * {@code (memory_id, seq DESC)}: N index entries, no sort, whatever the table's size (never a {@code ROW_NUMBER()} over
 * the whole table).
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
