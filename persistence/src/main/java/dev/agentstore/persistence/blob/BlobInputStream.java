package dev.agentstore.persistence.blob;

import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;

/**
 * A blob's content read chunk by chunk (one query and one chunk in memory at a time) on the unit of work's
 * connection; valid until that unit of work ends. The content row was share-locked when the stream was opened, so
 * the chunks cannot be deleted while they are read.
 */
final class BlobInputStream extends InputStream {

    private final EntityManager em;
    private final String key;
    private final long contentId;
    private final int chunkCount;
    private int nextSeq;
    private byte[] chunk = new byte[0];
    private int position;
    private boolean closed;

    BlobInputStream(EntityManager em, String key, long contentId, int chunkCount) {
        this.em = em;
        this.key = key;
        this.contentId = contentId;
        this.chunkCount = chunkCount;
    }

    @Override
    public int read() throws IOException {
        return available() > 0 || next() ? chunk[position++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        if (available() == 0 && !next()) {
            return -1;
        }
        int n = Math.min(len, available());
        System.arraycopy(chunk, position, b, off, n);
        position += n;
        return n;
    }

    @Override
    public int available() throws IOException {
        if (closed) {
            throw new IOException("blob stream of key " + key + " is closed");
        }
        return chunk.length - position;
    }

    /** Writes the rest of the content to {@code out} a whole chunk at a time. */
    @Override
    public long transferTo(OutputStream out) throws IOException {
        Objects.requireNonNull(out, "out");
        long total = 0;
        while (available() > 0 || next()) {
            int n = available();
            out.write(chunk, position, n);
            position += n;
            total += n;
        }
        return total;
    }

    @Override
    public void close() {
        closed = true;
        chunk = new byte[0];
        position = 0;
    }

    /** Loads the next chunk; false at the end of the content. */
    private boolean next() throws IOException {
        if (nextSeq >= chunkCount) {
            return false;
        }
        if (!em.isOpen()) {
            throw new IOException("blob stream of key " + key + " read after its unit of work ended: read it inside"
                    + " the unit of work, or use get(key, OutputStream)");
        }
        int seq = nextSeq;
        try {
            chunk = Sql.call(em, "read Blob key=" + key + " chunk " + seq, h -> h.createQuery(BlobSql.CHUNK)
                    .bind("contentId", contentId)
                    .bind("seq", seq)
                    .mapTo(byte[].class)
                    .findOne()
                    .orElseThrow(() -> new AgentStoreException("read Blob key=" + key + ": chunk " + seq
                            + " is missing")));
        } catch (AgentStoreException | IllegalStateException e) {
            throw new IOException(e.getMessage(), e);
        }
        position = 0;
        nextSeq++;
        return true;
    }
}
