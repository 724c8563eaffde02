package dev.agentstore.persistence.blob;

import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.blob.Blob;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;
import org.jdbi.v3.core.Handle;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.TreeSet;

import static dev.agentstore.persistence.blob.BlobSql.COMPLETE_PENDING;
import static dev.agentstore.persistence.blob.BlobSql.CONTENT_ID;
import static dev.agentstore.persistence.blob.BlobSql.DELETE_CONTENT_BY_ID;
import static dev.agentstore.persistence.blob.BlobSql.DELETE_KEY;
import static dev.agentstore.persistence.blob.BlobSql.DELETE_UNREFERENCED;
import static dev.agentstore.persistence.blob.BlobSql.HASH_OF_KEY;
import static dev.agentstore.persistence.blob.BlobSql.INSERT_CHUNK;
import static dev.agentstore.persistence.blob.BlobSql.INSERT_PENDING;
import static dev.agentstore.persistence.blob.BlobSql.LOCK_HASH;
import static dev.agentstore.persistence.blob.BlobSql.LOCK_KEY;
import static dev.agentstore.persistence.blob.BlobSql.ROW;
import static dev.agentstore.persistence.blob.BlobSql.UPSERT;

/**
 * The write path of blobs: the content streamed into chunk rows of a content row without a hash (the hash is known
 * only at the end), then, under the key's and the hashes' advisory locks, the content deduplicated or completed, the
 * key pointed at it and the content it pointed at before deleted when no other key refers to it.
 */
final class BlobWrites {

    /** Bytes per chunk row: 1 MiB (the last chunk of a content is shorter). */
    static final int CHUNK_SIZE = 1 << 20;

    /** Content streamed into the content row {@code contentId}, which has no hash yet. */
    record Written(long contentId, String hash, long size, int chunkCount) {
    }

    private BlobWrites() {
    }

    /**
     * Streams {@code content} into chunk rows of a new content row, holding one chunk in memory at a time.
     *
     * @throws InvalidInputException when the content is longer than {@code maxSize}; what was written is deleted
     * @throws AgentStoreException   when reading {@code content} fails; what was written is deleted
     */
    static Written write(EntityManager em, String context, InputStream content, long maxSize, Instant now) {
        return Sql.call(em, context, h -> {
            long id = h.createQuery(INSERT_PENDING).bind("created", now).mapTo(Long.class).one();
            try {
                return chunks(h, id, content, maxSize);
            } catch (IOException e) {
                h.createUpdate(DELETE_CONTENT_BY_ID).bind("id", id).execute();
                throw new AgentStoreException(context + ": reading the content failed: " + e.getMessage(), e);
            } catch (InvalidInputException e) {
                h.createUpdate(DELETE_CONTENT_BY_ID).bind("id", id).execute();
                throw e;
            }
        });
    }

    private static Written chunks(Handle h, long id, InputStream content, long maxSize) throws IOException {
        MessageDigest sha256 = sha256();
        byte[] buffer = new byte[CHUNK_SIZE];
        long size = 0;
        int seq = 0;
        int n;
        while ((n = content.readNBytes(buffer, 0, CHUNK_SIZE)) > 0) {
            size += n;
            if (size > maxSize) {
                throw new InvalidInputException("content must be at most maxSize " + maxSize + " bytes, was more");
            }
            sha256.update(buffer, 0, n);
            h.createUpdate(INSERT_CHUNK)
                    .bind("contentId", id)
                    .bind("seq", seq++)
                    .bind("data", n == CHUNK_SIZE ? buffer : Arrays.copyOf(buffer, n))
                    .execute();
            if (n < CHUNK_SIZE) {
                break; // readNBytes returns fewer bytes than asked only at the end of the stream
            }
        }
        return new Written(id, HexFormat.of().formatHex(sha256.digest()), size, seq);
    }

    /**
     * Points {@code key} at the written content: the content is kept when no content with its hash exists, and
     * deleted in favour of the existing one otherwise.
     */
    static Blob commit(EntityManager em, String key, Written w, String contentType, String metadata, Instant now) {
        return Sql.call(em, "put Blob key=" + key, h -> {
            h.createQuery(LOCK_KEY).bind("key", key).mapTo(Integer.class).one();
            Optional<String> old = h.createQuery(HASH_OF_KEY).bind("key", key).mapTo(String.class).findOne();
            TreeSet<String> hashes = new TreeSet<>(); // one order for every transaction: no deadlock between two puts
            hashes.add(w.hash());
            old.ifPresent(hashes::add);
            for (String hash : hashes) {
                h.createQuery(LOCK_HASH).bind("hash", hash).mapTo(Integer.class).one();
            }
            if (h.createQuery(CONTENT_ID).bind("hash", w.hash()).mapTo(Long.class).findOne().isPresent()) {
                h.createUpdate(DELETE_CONTENT_BY_ID).bind("id", w.contentId()).execute(); // stored once
            } else {
                h.createUpdate(COMPLETE_PENDING).bindMap(Sql.parameters("hash", w.hash(), "size", w.size(),
                        "chunkCount", w.chunkCount(), "id", w.contentId())).execute();
            }
            Blob blob = h.createQuery(UPSERT).bindMap(Sql.parameters("key", key, "hash", w.hash(), "size", w.size(),
                    "contentType", contentType, "metadata", metadata, "created", now)).map(ROW).one();
            if (old.isPresent() && !old.get().equals(w.hash())) {
                h.createUpdate(DELETE_UNREFERENCED).bind("hash", old.get()).execute();
            }
            return blob;
        });
    }

    /** Deletes a key, and its content when no other key refers to it. */
    static boolean delete(EntityManager em, String key) {
        return Sql.call(em, "delete Blob key=" + key, h -> {
            h.createQuery(LOCK_KEY).bind("key", key).mapTo(Integer.class).one();
            Optional<String> hash = h.createQuery(HASH_OF_KEY).bind("key", key).mapTo(String.class).findOne();
            if (hash.isEmpty()) {
                return false;
            }
            h.createQuery(LOCK_HASH).bind("hash", hash.get()).mapTo(Integer.class).one();
            h.createUpdate(DELETE_KEY).bind("key", key).execute();
            h.createUpdate(DELETE_UNREFERENCED).bind("hash", hash.get()).execute();
            return true;
        });
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
