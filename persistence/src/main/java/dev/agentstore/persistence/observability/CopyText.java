package dev.agentstore.persistence.observability;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import org.postgresql.copy.CopyIn;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;

/**
 * Rows for {@code COPY ... FROM STDIN} in PostgreSQL's text format, built in memory as UTF-8 in 64 KiB chunks (no
 * copying as it grows) and sent only when complete, so a batch that fails a check halfway sends nothing. Values are
 * escaped as the format wants (backslash, tab, newline, carriage return; {@code \N} is SQL NULL). JSON goes in
 * through a Jackson generator writing to this stream with {@link #ESCAPES}, which print JSON's own escapes with the
 * backslash already doubled, so the JSON text needs no second pass. Not thread-safe: one per batch.
 */
final class CopyText extends OutputStream {

    /** Jackson escapes that print JSON already escaped for COPY's text format; see {@link CopyEscapes}. */
    static final CharacterEscapes ESCAPES = new CopyEscapes();

    private static final int CHUNK = 64 * 1024;

    private final List<byte[]> chunks = new ArrayList<>();
    private final List<Integer> lengths = new ArrayList<>();
    private final byte[] digits = new byte[20];
    private byte[] buf = new byte[CHUNK];
    private int pos;

    @Override
    public void write(int b) {
        room(1);
        buf[pos++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
        while (len > 0) {
            room(1);
            int n = Math.min(len, buf.length - pos);
            System.arraycopy(b, off, buf, pos, n);
            pos += n;
            off += n;
            len -= n;
        }
    }

    /** Ends a column. */
    CopyText tab() {
        write('\t');
        return this;
    }

    /** Ends a row. */
    CopyText newline() {
        write('\n');
        return this;
    }

    /** SQL NULL. */
    CopyText nul() {
        room(2);
        buf[pos++] = '\\';
        buf[pos++] = 'N';
        return this;
    }

    /** Text as the column's value ({@code null} for NULL): the four special characters escaped, in UTF-8. */
    CopyText text(String s) {
        if (s == null) {
            return nul();
        }
        if (s.length() <= CHUNK) { // the usual case: plain ASCII written as it is checked
            room(s.length());
            int start = pos;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c >= 0x80 || c == '\\' || c == '\n' || c == '\r' || c == '\t') {
                    pos = start;
                    return escaped(s);
                }
                buf[pos++] = (byte) c;
            }
            return this;
        }
        return escaped(s);
    }

    private CopyText escaped(String s) {
        byte[] b = s.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
                .getBytes(StandardCharsets.UTF_8);
        write(b, 0, b.length);
        return this;
    }

    /** A number in decimal. */
    CopyText number(long v) {
        int i = digits.length;
        long x = v;
        do {
            digits[--i] = (byte) ('0' + Math.abs(x % 10));
            x /= 10;
        } while (x != 0);
        if (v < 0) {
            digits[--i] = '-';
        }
        write(digits, i, digits.length - i);
        return this;
    }

    /**
     * A {@code timestamptz} to the microsecond, {@code 2024-01-01 00:00:00.000000+00} (years before 1 as
     * {@code ... BC}, as PostgreSQL prints them); {@code null} for NULL.
     */
    CopyText timestamp(Instant t) {
        if (t == null) {
            return nul();
        }
        long seconds = t.getEpochSecond();
        LocalDate day = LocalDate.ofEpochDay(Math.floorDiv(seconds, 86_400));
        int year = day.getYear() > 0 ? day.getYear() : 1 - day.getYear(); // ISO year 0 is 1 BC
        int second = (int) Math.floorMod(seconds, 86_400);
        room(36);
        pad(year, year > 99_999 ? 6 : year > 9999 ? 5 : 4).put('-').pad(day.getMonthValue(), 2).put('-')
                .pad(day.getDayOfMonth(), 2).put(' ').pad(second / 3600, 2).put(':').pad(second / 60 % 60, 2).put(':').pad(second % 60, 2)
                .put('.').pad(t.getNano() / 1000, 6).put('+').put('0').put('0');
        if (day.getYear() <= 0) {
            put(' ').put('B').put('C');
        }
        return this;
    }

    private CopyText put(char c) {
        buf[pos++] = (byte) c;
        return this;
    }

    private CopyText pad(int v, int width) {
        for (int i = pos + width - 1; i >= pos; i--) {
            buf[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        pos += width;
        return this;
    }

    /** Makes room for {@code n} more bytes in the current chunk (at most {@link #CHUNK}). */
    private void room(int n) {
        if (buf.length - pos < n) {
            chunks.add(buf);
            lengths.add(pos);
            buf = new byte[CHUNK];
            pos = 0;
        }
    }

    /**
     * @param in the open copy
     * @throws SQLException when the server refuses
     */
    void sendTo(CopyIn in) throws SQLException {
        for (int i = 0; i < chunks.size(); i++) {
            in.writeToCopy(chunks.get(i), 0, lengths.get(i));
        }
        in.writeToCopy(buf, 0, pos);
    }

    /**
     * JSON's escapes with their backslash doubled ({@code \"} is sent as {@code \\"}, which COPY reads back as
     * {@code \"}), and UTF-16 surrogates, which Jackson's UTF-8 generator prints as {@code \}{@code uXXXX} escapes,
     * likewise. Every other character prints as Jackson prints it (non-ASCII as UTF-8), and JSON text contains no raw
     * tab, newline or carriage return, so the output needs no further COPY escaping.
     */
    private static final class CopyEscapes extends CharacterEscapes {
        private final int[] codes = standardAsciiEscapesForJSON();
        private final SerializableString[] ascii = new SerializableString[128];

        CopyEscapes() {
            for (int c = 0; c < codes.length; c++) {
                if (codes[c] != ESCAPE_NONE) {
                    codes[c] = ESCAPE_CUSTOM;
                    String json = switch (c) {
                        case '"' -> "\\\"";
                        case '\\' -> "\\\\";
                        case '\b' -> "\\b";
                        case '\f' -> "\\f";
                        case '\n' -> "\\n";
                        case '\r' -> "\\r";
                        case '\t' -> "\\t";
                        default -> String.format("\\u%04x", c);
                    };
                    ascii[c] = new SerializedString(json.replace("\\", "\\\\")); // each backslash doubled for COPY
                }
            }
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return codes;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            if (ch < ascii.length) {
                return ascii[ch];
            }
            return Character.isSurrogate((char) ch) ? new SerializedString("\\\\u" + Integer.toHexString(ch)) : null;
        }
    }
}
