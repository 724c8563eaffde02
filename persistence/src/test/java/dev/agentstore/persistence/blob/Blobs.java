package dev.agentstore.persistence.blob;

import dev.agentstore.persistence.AgentStore;

import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Test content generated on the fly (never held whole in memory) and checks of what the store holds. */
final class Blobs {

    private Blobs() {
    }

    /** @return the SHA-256 of {@code bytes} as 64 lowercase hex digits, computed here independently */
    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return {@code size} pseudo-random bytes determined by {@code seed}, produced as they are read */
    static InputStream generated(long size, long seed) {
        return new InputStream() {
            private long produced;
            private long state = seed;

            @Override
            public int read() {
                if (produced >= size) {
                    return -1;
                }
                produced++;
                state = state * 6364136223846793005L + 1442695040888963407L;
                return (int) (state >>> 56) & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (produced >= size) {
                    return -1;
                }
                int n = (int) Math.min(len, size - produced);
                for (int i = 0; i < n; i++) {
                    b[off + i] = (byte) read();
                }
                return n;
            }
        };
    }

    /** @return the SHA-256 of {@link #generated}'s bytes */
    static String generatedSha256(long size, long seed) throws Exception {
        Digesting out = new Digesting();
        generated(size, seed).transferTo(out);
        return out.hex();
    }

    /** An output stream that keeps only the SHA-256 and count of what it was given. */
    static final class Digesting extends OutputStream {
        private final MessageDigest sha = digest();
        long count;
        int largestWrite;

        @Override
        public void write(int b) {
            sha.update((byte) b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            sha.update(b, off, len);
            count += len;
            largestWrite = Math.max(largestWrite, len);
        }

        String hex() {
            return HexFormat.of().formatHex(sha.digest());
        }
    }

    /** @return how many content rows the store holds (completed or being written) */
    static long contents(AgentStore store) {
        return store.fromTransaction(uow -> uow.entityManager()
                .createQuery("SELECT count(c) FROM BlobContent c", Long.class).getSingleResult());
    }

    /** @return how many content rows hold {@code hash} */
    static long contents(AgentStore store, String hash) {
        return store.fromTransaction(uow -> uow.entityManager()
                .createQuery("SELECT count(c) FROM BlobContent c WHERE c.hash = :hash", Long.class)
                .setParameter("hash", hash).getSingleResult());
    }

    /** @return how many chunk rows the store holds */
    static long chunks(AgentStore store) {
        return store.fromTransaction(uow -> uow.entityManager()
                .createQuery("SELECT count(c) FROM BlobChunk c", Long.class).getSingleResult());
    }

    /** @return how many content rows no key refers to, or that are still without a hash */
    static long unreferencedContents(AgentStore store) {
        return store.fromTransaction(uow -> uow.entityManager()
                .createQuery("SELECT count(c) FROM BlobContent c WHERE c.hash IS NULL"
                        + " OR NOT EXISTS (SELECT 1 FROM Blob b WHERE b.hash = c.hash)", Long.class)
                .getSingleResult());
    }
}
