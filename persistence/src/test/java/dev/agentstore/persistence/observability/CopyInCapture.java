package dev.agentstore.persistence.observability;

import org.postgresql.copy.CopyIn;
import org.postgresql.util.ByteStreamWriter;

import java.io.ByteArrayOutputStream;

/** A {@link CopyIn} without a server: keeps what is written (when given a stream) and counts it. */
final class CopyInCapture implements CopyIn {

    private final ByteArrayOutputStream out;
    private long bytes;

    /** @param out where the bytes go, or {@code null} to drop them */
    CopyInCapture(ByteArrayOutputStream out) {
        this.out = out;
    }

    /** @return the bytes written so far */
    long bytes() {
        return bytes;
    }

    @Override
    public void writeToCopy(byte[] buf, int off, int siz) {
        bytes += siz;
        if (out != null) {
            out.write(buf, off, siz);
        }
    }

    @Override
    public void writeToCopy(ByteStreamWriter from) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void flushCopy() {
    }

    @Override
    public long endCopy() {
        return bytes;
    }

    @Override
    public int getFieldCount() {
        return 0;
    }

    @Override
    public int getFormat() {
        return 0;
    }

    @Override
    public int getFieldFormat(int field) {
        return 0;
    }

    @Override
    public boolean isActive() {
        return false;
    }

    @Override
    public void cancelCopy() {
    }

    @Override
    public long getHandledRowCount() {
        return 0;
    }
}
