package dev.agentstore.bench;

import org.postgresql.PGConnection;
import org.postgresql.largeobject.LargeObject;
import org.postgresql.largeobject.LargeObjectManager;

import java.io.InputStream;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Random;
import java.util.zip.CRC32C;

/**
 * BLOBS: one blob of 10 MB and one of 100 MB (scaled) written and read back through {@code store.blobs()} (chunked
 * {@code bytea}, SHA-256 computed on the way in), against two raw-JDBC prototypes on the same pool settings: the same
 * 1 MiB {@code bytea} chunk rows ({@code .jdbc}) and PostgreSQL large objects ({@code .lo}, pgjdbc's
 * {@link LargeObjectManager}, written and read in 1 MiB pieces). The content is generated as it is read (never held
 * whole in memory) and read back into a CRC32C, which is the check. Each line reports MB/s (10^6 bytes) and the
 * phase's heap peak, which for a streaming path does not grow with the blob.
 */
final class BlobWorkload implements Workload {

    static final int CHUNK = 1 << 20;

    private static final String CREATE_PROTOTYPE = """
            CREATE TABLE IF NOT EXISTS bench_blob_chunks (blob_id bigint, seq integer, data bytea NOT NULL,
                                                          PRIMARY KEY (blob_id, seq));
            ALTER TABLE bench_blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL
            """;
    private static final String INSERT_CHUNK = "INSERT INTO bench_blob_chunks (blob_id, seq, data) VALUES (?, ?, ?)";
    private static final String SELECT_CHUNK = "SELECT data FROM bench_blob_chunks WHERE blob_id = ? AND seq = ?";

    @Override
    public String id() {
        return "BLOBS";
    }

    @Override
    public void run(Bench b) throws Exception {
        b.sql(CREATE_PROTOTYPE);
        for (int mb : new int[]{10, 100}) {
            long size = Math.max(CHUNK, Math.round(mb * 1_000_000L * b.scale));
            String tag = mb + "mb";
            if (b.options.phase("BLOBS.put." + tag) || b.options.phase("BLOBS.get." + tag)) {
                api(b, tag, size);
            }
            if (b.options.phase("BLOBS.put." + tag + ".jdbc") || b.options.phase("BLOBS.get." + tag + ".jdbc")) {
                bytea(b, tag, size);
            }
            if (b.options.phase("BLOBS.put." + tag + ".copy")) {
                byteaCopy(b, tag, size);
            }
            if (b.options.phase("BLOBS.put." + tag + ".lo") || b.options.phase("BLOBS.get." + tag + ".lo")) {
                largeObject(b, tag, size);
            }
        }
    }

    private static void api(Bench b, String tag, long size) throws Exception {
        String key = "bench/" + tag;
        b.store.blobs().delete(key);
        long seed = b.seed() + size;
        long expected = crc(content(size, seed));
        start();
        long t0 = System.nanoTime();
        b.store.blobs().put(key, content(size, seed), "application/octet-stream", null);
        long put = System.nanoTime() - t0;
        emit(b, "BLOBS.put." + tag, size, put, null);

        Crc sink = new Crc();
        start();
        t0 = System.nanoTime();
        b.store.blobs().get(key, sink);
        long get = System.nanoTime() - t0;
        emit(b, "BLOBS.get." + tag, size, get, sink.check(size, expected));
        b.store.blobs().delete(key);
    }

    private static void bytea(Bench b, String tag, long size) throws Exception {
        b.sql("TRUNCATE bench_blob_chunks");
        long seed = b.seed() + size;
        long expected = crc(content(size, seed));
        byte[] buffer = new byte[CHUNK];
        start();
        long t0 = System.nanoTime();
        int chunks = 0;
        try (Connection c = b.jdbc.getConnection(); InputStream in = content(size, seed)) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(INSERT_CHUNK)) {
                int n;
                while ((n = in.readNBytes(buffer, 0, CHUNK)) > 0) {
                    ps.setLong(1, 1);
                    ps.setInt(2, chunks++);
                    ps.setBytes(3, n == CHUNK ? buffer : java.util.Arrays.copyOf(buffer, n));
                    ps.executeUpdate();
                }
            }
            c.commit();
            c.setAutoCommit(true);
        }
        long put = System.nanoTime() - t0;
        emit(b, "BLOBS.put." + tag + ".jdbc", size, put, null);

        Crc sink = new Crc();
        start();
        t0 = System.nanoTime();
        try (Connection c = b.jdbc.getConnection(); PreparedStatement ps = c.prepareStatement(SELECT_CHUNK)) {
            c.setAutoCommit(false);
            for (int seq = 0; seq < chunks; seq++) {
                ps.setLong(1, 1);
                ps.setInt(2, seq);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    sink.write(rs.getBytes(1));
                }
            }
            c.commit();
            c.setAutoCommit(true);
        }
        long get = System.nanoTime() - t0;
        emit(b, "BLOBS.get." + tag + ".jdbc", size, get, sink.check(size, expected));
        b.sql("TRUNCATE bench_blob_chunks");
    }

    /** The {@code bytea} prototype written with {@code COPY ... FROM STDIN (FORMAT binary)}: rows stream without a round trip each. */
    private static void byteaCopy(Bench b, String tag, long size) throws Exception {
        b.sql("TRUNCATE bench_blob_chunks");
        long seed = b.seed() + size;
        byte[] buffer = new byte[CHUNK];
        start();
        long t0 = System.nanoTime();
        try (Connection c = b.jdbc.getConnection(); InputStream in = content(size, seed)) {
            c.setAutoCommit(false);
            org.postgresql.copy.CopyIn copy = c.unwrap(PGConnection.class).getCopyAPI()
                    .copyIn("COPY bench_blob_chunks (blob_id, seq, data) FROM STDIN (FORMAT binary)");
            java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(26);
            copy.writeToCopy(new byte[]{'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0,
                    0, 0, 0, 0, 0, 0, 0, 0}, 0, 19);
            int n;
            int seq = 0;
            while ((n = in.readNBytes(buffer, 0, CHUNK)) > 0) {
                header.clear();
                header.putShort((short) 3).putInt(8).putLong(1).putInt(4).putInt(seq++).putInt(n);
                copy.writeToCopy(header.array(), 0, 26);
                copy.writeToCopy(buffer, 0, n);
            }
            copy.writeToCopy(new byte[]{(byte) 0xff, (byte) 0xff}, 0, 2);
            copy.endCopy();
            c.commit();
            c.setAutoCommit(true);
        }
        long put = System.nanoTime() - t0;
        long rows = b.queryLong("SELECT count(*) FROM bench_blob_chunks");
        emit(b, "BLOBS.put." + tag + ".copy", size, put,
                rows == (size + CHUNK - 1) / CHUNK ? null : rows + " chunk rows");
        b.sql("TRUNCATE bench_blob_chunks");
    }

    private static void largeObject(Bench b, String tag, long size) throws Exception {
        long seed = b.seed() + size;
        long expected = crc(content(size, seed));
        byte[] buffer = new byte[CHUNK];
        long oid;
        start();
        long t0 = System.nanoTime();
        try (Connection c = b.jdbc.getConnection(); InputStream in = content(size, seed)) {
            c.setAutoCommit(false); // large objects work only inside a transaction
            LargeObjectManager lom = c.unwrap(PGConnection.class).getLargeObjectAPI();
            oid = lom.createLO(LargeObjectManager.READWRITE);
            try (LargeObject lo = lom.open(oid, LargeObjectManager.WRITE)) {
                int n;
                while ((n = in.readNBytes(buffer, 0, CHUNK)) > 0) {
                    lo.write(buffer, 0, n);
                }
            }
            c.commit();
            c.setAutoCommit(true);
        }
        long put = System.nanoTime() - t0;
        emit(b, "BLOBS.put." + tag + ".lo", size, put, null);

        Crc sink = new Crc();
        start();
        t0 = System.nanoTime();
        try (Connection c = b.jdbc.getConnection()) {
            c.setAutoCommit(false);
            LargeObjectManager lom = c.unwrap(PGConnection.class).getLargeObjectAPI();
            try (LargeObject lo = lom.open(oid, LargeObjectManager.READ)) {
                int n;
                while ((n = lo.read(buffer, 0, CHUNK)) > 0) {
                    sink.write(buffer, 0, n);
                }
            }
            lom.unlink(oid); // untimed in spirit, but one statement: an orphan otherwise
            c.commit();
            c.setAutoCommit(true);
        }
        long get = System.nanoTime() - t0;
        emit(b, "BLOBS.get." + tag + ".lo", size, get, sink.check(size, expected));
    }

    /** Collects garbage and resets the heap peak, so a phase's peak is its own. */
    private static void start() {
        System.gc();
        Bench.resetHeapPeak();
    }

    private static void emit(Bench b, String phase, long size, long nanos, String failure) {
        Latencies lat = new Latencies(1);
        lat.add(nanos);
        b.emit(new Result(phase).timing(1, nanos, lat)
                .put("bytes", size)
                .put("mb_per_s", Result.round(size / 1e6 / (nanos / 1e9), 1))
                .put("max_heap_mb", Runtime.getRuntime().maxMemory() / (1024 * 1024))
                .check(failure));
    }

    /**
     * @return {@code size} bytes: a fixed random MiB repeated, each repetition's first 8 bytes replaced by its
     *         number, so no two chunks are equal; produced as read (a copy per read, nothing else)
     */
    static InputStream content(long size, long seed) {
        byte[] pattern = new byte[CHUNK];
        new Random(seed).nextBytes(pattern);
        return new InputStream() {
            private long position;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (position >= size) {
                    return -1;
                }
                int offset = (int) (position % CHUNK);
                int n = (int) Math.min(Math.min(len, CHUNK - offset), size - position);
                System.arraycopy(pattern, offset, b, off, n);
                long repetition = position / CHUNK;
                for (int i = offset; i < 8 && i < offset + n; i++) {
                    b[off + i - offset] = (byte) (repetition >>> (8 * i));
                }
                position += n;
                return n;
            }
        };
    }

    private static long crc(InputStream in) throws Exception {
        Crc sink = new Crc();
        in.transferTo(sink);
        return sink.crc.getValue();
    }

    /** Keeps only a CRC32C and a count of what it was given. */
    static final class Crc extends OutputStream {
        final CRC32C crc = new CRC32C();
        long count;

        @Override
        public void write(int b) {
            crc.update(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            crc.update(b, off, len);
            count += len;
        }

        String check(long size, long expected) {
            if (count != size) {
                return "read " + count + " bytes, expected " + size;
            }
            return crc.getValue() == expected ? null : "content differs (CRC32C)";
        }
    }
}
