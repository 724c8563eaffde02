package dev.agentstore.persistence.blob;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.blob.Blob;
import dev.agentstore.domain.blob.NewBlob;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.support.AbstractRepository;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.SingleStatement;
import dev.agentstore.persistence.support.Sql;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManagerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.stream.Collectors;

/**
 * Content-addressed binary storage: keys refer to content stored once per SHA-256. {@link #put} streams the content
 * in, computing its SHA-256 (64 lowercase hex digits) on the way; content equal to content already stored is stored
 * once, however many keys refer to it. A blob put without a key is keyed by its hash. {@link #delete} removes a key,
 * and its content only when no other key refers to it.
 *
 * <pre>{@code
 * Blob blob = store.blobs().put("reports/2026-12.pdf", in, "application/pdf", null);   // streams, any size
 * store.blobs().get("reports/2026-12.pdf", out);                                      // streams back
 * store.inTransaction(uow -> {
 *     try (InputStream content = uow.blobs().openStream("reports/2026-12.pdf").orElseThrow()) {
 *         content.transferTo(out);                                                    // inside the unit of work
 *     }
 * });
 * }</pre>
 *
 * <p><b>Storage and memory.</b> Content is stored as {@code bytea} rows of 1 MiB ({@code blob_chunks}); writes and
 * reads hold one chunk in memory at a time, whatever the blob's size. Why chunked {@code bytea} and not PostgreSQL
 * large objects: {@code docs/blobs.md}.
 *
 * <p><b>Size.</b> Content longer than the store's maximum ({@link #maxSize()}, the persistence unit's property
 * {@value #MAX_SIZE_PROPERTY}, default 1 GiB) is refused with an {@link InvalidInputException}: the chunks written
 * so far are deleted before it is thrown, so nothing of it is ever committed.
 *
 * <p><b>Concurrency.</b> The write of a key and the writes and deletes that add or drop a reference to one content
 * hold transaction-scoped advisory locks (per key, then per hash in hash order) until the transaction ends, so a put
 * of some content and a concurrent delete of that content's last other key never lose it: either the put comes
 * first and the delete keeps the content, or the delete comes first and the put keeps the content it streamed in.
 * The foreign key from {@code blobs} to {@code blob_contents} backs this for every writer. Streaming the content in
 * takes no lock. Keep transactions that put or delete blobs short; several puts and deletes in one transaction, in
 * different orders in concurrent transactions, can deadlock, which PostgreSQL ends by failing one of them with a
 * {@link dev.agentstore.domain.ConcurrencyConflictException} (retry with {@code fromTransactionWithRetry}).
 *
 * <p><b>Transactions.</b> Runs in the caller's transaction; never begins or commits one. A stream from
 * {@link #openStream} reads on the unit of work's connection and must be consumed before the unit of work ends
 * (with {@code store.blobs()}, each call its own unit of work, use {@link #get(String, OutputStream)} instead). The
 * statements run through {@link Sql}; the blobs handed out are built from the rows read, immutable and attached to
 * no persistence context.
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
public class BlobRepository extends AbstractRepository {

    /** The persistence unit property holding the largest accepted content, in bytes. */
    public static final String MAX_SIZE_PROPERTY = "agentstore.blobs.max-size";

    /** The default {@link #maxSize()}: 1 GiB. */
    public static final long DEFAULT_MAX_SIZE = 1L << 30;

    /** Largest accepted {@code limit} of {@link #list} and number of keys of {@link #getMany}. */
    public static final int MAX_LIMIT = 1000;

    private static final Map<EntityManagerFactory, Long> MAX_SIZES = Collections.synchronizedMap(new WeakHashMap<>());

    /**
     * Validates a maximum content size.
     *
     * @param maxSize the size in bytes
     * @return {@code maxSize}
     * @throws InvalidInputException when it is less than 1
     */
    public static long requireMaxSize(long maxSize) {
        if (maxSize < 1) {
            throw new InvalidInputException("blobMaxSize must be at least 1 byte, was " + maxSize);
        }
        return maxSize;
    }

    /**
     * @return the largest content {@link #put} accepts, in bytes: the persistence unit's property
     *         {@value #MAX_SIZE_PROPERTY}, or {@link #DEFAULT_MAX_SIZE}
     * @throws InvalidInputException when the property is not a positive integer
     */
    public long maxSize() {
        EntityManagerFactory factory = em.getEntityManagerFactory();
        Long max = MAX_SIZES.get(factory);
        if (max == null) {
            Object value = factory.getProperties().get(MAX_SIZE_PROPERTY);
            try {
                max = value == null ? DEFAULT_MAX_SIZE : requireMaxSize(Long.parseLong(value.toString().trim()));
            } catch (NumberFormatException e) {
                throw new InvalidInputException(MAX_SIZE_PROPERTY + " must be an integer (bytes)");
            }
            MAX_SIZES.put(factory, max);
        }
        return max;
    }

    /**
     * Stores content under a key, streaming it in: one chunk (1 MiB) in memory at a time. A key that exists is
     * pointed at the new content (its content type, metadata and {@code created} replaced), and its previous content
     * is deleted when no other key refers to it. Content already stored is not stored again. The stream is read to
     * its end and not closed.
     *
     * @param key         the key, 1–1,024 characters
     * @param content     the bytes, at most {@link #maxSize()} of them
     * @param contentType the content type (for example {@code image/png}), up to 255 characters, or {@code null}
     * @param metadata    a JSON object, or {@code null} for {@code {}}
     * @return the stored blob: its hash, size and {@code created} (the clock's now)
     * @throws InvalidInputException when a value is invalid or the content is longer than {@link #maxSize()}; nothing
     *                               is written
     * @throws AgentStoreException   when reading {@code content} fails (nothing is written) or a statement fails
     */
    public Blob put(String key, InputStream content, String contentType, JsonNode metadata) {
        return store(Blob.requireKey(key), content, contentType, metadata);
    }

    /**
     * Stores content keyed by its SHA-256 (Mastra's {@code put}), streaming it in; when the key exists already the
     * content is the same and only its content type, metadata and {@code created} are replaced.
     *
     * @param content     the bytes, at most {@link #maxSize()} of them
     * @param contentType the content type, or {@code null}
     * @param metadata    a JSON object, or {@code null} for {@code {}}
     * @return the stored blob, whose key is its hash
     * @throws InvalidInputException when a value is invalid or the content is too long; nothing is written
     * @throws AgentStoreException   when reading {@code content} fails (nothing is written) or a statement fails
     */
    public Blob put(InputStream content, String contentType, JsonNode metadata) {
        return store(null, content, contentType, metadata);
    }

    /**
     * Stores small blobs held in memory, in the order given, as {@link #put} does each.
     *
     * @param blobs the blobs; a {@code null} key keys a blob by its hash
     * @return the stored blobs, in the order given; unmodifiable
     * @throws InvalidInputException when the list or an element is {@code null} or a content is too long; the blobs
     *                               before it stay written in the caller's transaction (roll it back to undo them)
     */
    public List<Blob> putMany(List<NewBlob> blobs) {
        Check.noNulls("blobs", blobs);
        List<Blob> stored = new ArrayList<>(blobs.size());
        for (NewBlob blob : blobs) {
            stored.add(store(blob.key(), new ByteArrayInputStream(blob.content()), blob.contentType(),
                    blob.metadata()));
        }
        return Collections.unmodifiableList(stored);
    }

    private Blob store(String key, InputStream content, String contentType, JsonNode metadata) {
        Check.notNull("content", content);
        Blob.requireContentType(contentType);
        String metadataJson = Json.print(Blob.requireMetadata(JsonWrites.check(em, "metadata", metadata)));
        long maxSize = maxSize();
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        BlobWrites.Written written = BlobWrites.write(em, "put Blob" + (key == null ? "" : " key=" + key), content,
                maxSize, now);
        return BlobWrites.commit(em, key == null ? written.hash() : key, written, contentType, metadataJson, now);
    }

    /**
     * Reads a blob's key, hash, size, content type and metadata, without its content. One query.
     *
     * @param key the key
     * @return the blob, or empty when the key does not exist
     * @throws InvalidInputException when the key is invalid
     */
    @SingleStatement
    public Optional<Blob> get(String key) {
        Blob.requireKey(key);
        return Sql.call(em, "get Blob key=" + key, h -> h.createQuery(BlobSql.GET)
                .bind("key", key)
                .map(BlobSql.ROW)
                .findOne());
    }

    /**
     * Writes a blob's content to {@code out}, one chunk (1 MiB) at a time, in this call's transaction (the content
     * cannot be deleted meanwhile). {@code out} is not closed. One query per chunk.
     *
     * @param key the key
     * @param out where the content goes
     * @return the blob, or empty (and nothing written) when the key does not exist
     * @throws InvalidInputException when the key is invalid or {@code out} is {@code null}
     * @throws AgentStoreException   when writing to {@code out} or a statement fails
     */
    public Optional<Blob> get(String key, OutputStream out) {
        Check.notNull("out", out);
        Optional<Opened> opened = open(key);
        if (opened.isEmpty()) {
            return Optional.empty();
        }
        try (InputStream content = opened.get().content()) {
            content.transferTo(out);
        } catch (IOException e) {
            if (e.getCause() instanceof AgentStoreException ase) {
                throw ase;
            }
            throw new AgentStoreException("get Blob key=" + key + ": writing the content failed: " + e.getMessage(),
                    e);
        }
        return Optional.of(opened.get().blob());
    }

    /**
     * Opens a blob's content as a stream that reads one chunk (1 MiB) at a time on this unit of work's connection.
     * Read it, and close it, before the unit of work (or container transaction) ends: reading after that fails with
     * an {@link IOException}. The content row is share-locked until the transaction ends, so the content cannot be
     * deleted while it is read. Not thread-safe.
     *
     * @param key the key
     * @return the content, or empty when the key does not exist
     * @throws InvalidInputException when the key is invalid
     */
    public Optional<InputStream> openStream(String key) {
        return open(key).map(Opened::content);
    }

    private record Opened(Blob blob, InputStream content) {
    }

    private Optional<Opened> open(String key) {
        Blob.requireKey(key);
        return Sql.call(em, "open Blob key=" + key, h -> h.createQuery(BlobSql.OPEN)
                .bind("key", key)
                .map((rs, ctx) -> new Opened(BlobSql.ROW.map(rs, ctx),
                        new BlobInputStream(em, key, rs.getLong("content_id"), rs.getInt("chunk_count"))))
                .findOne());
    }

    /**
     * Reads several blobs' keys, hashes, sizes, content types and metadata, without their content. One query.
     *
     * @param keys the keys, at most {@value #MAX_LIMIT}; duplicates are read once
     * @return the blobs that exist, by key, in the order of {@code keys}; missing keys are left out; unmodifiable
     * @throws InvalidInputException when the collection or a key is invalid, or there are too many keys
     */
    @SingleStatement
    public Map<String, Blob> getMany(Collection<String> keys) {
        Check.batch("keys", keys, MAX_LIMIT);
        keys.forEach(Blob::requireKey);
        if (keys.isEmpty()) {
            return Map.of();
        }
        Map<String, Blob> found = Sql.call(em, "get many Blobs", h -> h.createQuery(BlobSql.GET_MANY)
                .bind("keys", keys.toArray(String[]::new))
                .map(BlobSql.ROW)
                .collect(Collectors.toMap(Blob::key, b -> b)));
        Map<String, Blob> ordered = new LinkedHashMap<>();
        for (String key : keys) {
            Blob blob = found.get(key);
            if (blob != null) {
                ordered.put(key, blob);
            }
        }
        return Collections.unmodifiableMap(ordered);
    }

    /**
     * @param key the key
     * @return whether the key exists. One query.
     * @throws InvalidInputException when the key is invalid
     */
    @SingleStatement
    public boolean has(String key) {
        Blob.requireKey(key);
        return Sql.call(em, "has Blob key=" + key, h -> h.createQuery(BlobSql.HAS)
                .bind("key", key)
                .mapTo(Boolean.class)
                .one());
    }

    /**
     * Deletes a key, and its content when no other key refers to it (content another key refers to is never
     * deleted). Takes the key's and the content's advisory locks until the transaction ends.
     *
     * @param key the key
     * @return whether the key existed
     * @throws InvalidInputException when the key is invalid
     */
    public boolean delete(String key) {
        return BlobWrites.delete(em, Blob.requireKey(key));
    }

    /**
     * Lists blobs (without content) in key order by code point, one keyset page at a time: pass {@code null} for the
     * first page and the last key of a page for the next; a page shorter than {@code limit} is the last. One query.
     *
     * @param afterKey the last key of the previous page (exclusive), or {@code null} to start at the beginning
     * @param limit    the most blobs to return, 1 to {@value #MAX_LIMIT}
     * @return the next blobs by key; unmodifiable
     * @throws InvalidInputException when the cursor or the limit is invalid
     */
    @SingleStatement
    public List<Blob> list(String afterKey, int limit) {
        String after = afterKey == null ? "" : Blob.requireKey(afterKey);
        Check.range("limit", limit, 1, MAX_LIMIT);
        return Sql.call(em, "list Blobs", h -> h.createQuery(BlobSql.LIST)
                .bind("after", after)
                .bind("limit", limit)
                .map(BlobSql.ROW)
                .collect(Collectors.toUnmodifiableList()));
    }
}
