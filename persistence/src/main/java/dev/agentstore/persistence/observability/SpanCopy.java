package dev.agentstore.persistence.observability;

import dev.agentstore.domain.observability.NewSpan;
import org.jdbi.v3.core.Handle;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/**
 * A batch of spans as one {@code COPY spans (...) FROM STDIN} in PostgreSQL's text format, through pgjdbc's
 * {@code CopyManager} on the handle's connection (so in the caller's transaction). The JSON values arrive already
 * printed and checked; the text format's escapes (backslash, tab, newline, carriage return) are applied here and
 * {@code \N} is SQL NULL. One round trip for the whole batch: the rows stream to the server in 64 KiB pieces and the
 * result comes back once.
 */
final class SpanCopy {

    private static final String COPY = "COPY spans (" + SpanSql.WRITE_COLUMNS.replace('\n', ' ') + ") FROM STDIN";

    private static final int CHUNK = 64 * 1024;

    private SpanCopy() {
    }

    /**
     * The printed JSON of one span: error, input, output, attributes, metadata ({@code null} for SQL NULL).
     *
     * @param error      the error, or {@code null}
     * @param input      the input, or {@code null}
     * @param output     the output, or {@code null}
     * @param attributes the attributes
     * @param metadata   the metadata
     */
    record Printed(String error, String input, String output, String attributes, String metadata) {
    }

    /**
     * @param handle  the call's handle
     * @param spans   the spans
     * @param printed their JSON, same order
     * @param now     the rows' {@code created_at}
     * @return the number of rows written
     * @throws SQLException when the server refuses the copy (nothing is written then)
     */
    static long copy(Handle handle, List<NewSpan> spans, List<Printed> printed, Instant now) throws SQLException {
        CopyIn in = handle.getConnection().unwrap(PGConnection.class).getCopyAPI().copyIn(COPY);
        try {
            StringBuilder row = new StringBuilder(CHUNK + 8192);
            String created = now.toString();
            for (int i = 0; i < spans.size(); i++) {
                NewSpan s = spans.get(i);
                Printed p = printed.get(i);
                String parent = s.parentSpanId() == null ? null
                        : Long.toString(Long.parseUnsignedLong(s.parentSpanId(), 16));
                String[] columns = {s.traceId(), Long.toString(Long.parseUnsignedLong(s.spanId(), 16)), parent,
                        s.name(), s.type().name(), s.entity().type(), s.entity().id(), s.entity().name(), s.runId(),
                        s.threadId(), s.resourceId(), s.userId(), s.startedAt().toString(),
                        s.endedAt() == null ? null : s.endedAt().toString(), s.status().name(), p.error(), p.input(),
                        p.output(), p.attributes(), p.metadata()};
                for (String column : columns) {
                    text(row, column);
                    row.append('\t');
                }
                row.append(created).append('\n');
                if (row.length() >= CHUNK) {
                    send(in, row);
                }
            }
            send(in, row);
            return in.endCopy();
        } finally {
            if (in.isActive()) {
                in.cancelCopy();
            }
        }
    }

    private static void send(CopyIn in, StringBuilder row) throws SQLException {
        byte[] bytes = row.toString().getBytes(StandardCharsets.UTF_8);
        in.writeToCopy(bytes, 0, bytes.length);
        row.setLength(0);
    }

    /** A value in COPY's text format: {@code \N} for NULL, the four special characters escaped. */
    private static void text(StringBuilder out, String value) {
        if (value == null) {
            out.append("\\N");
            return;
        }
        int first = 0;
        while (first < value.length() && !special(value.charAt(first))) {
            first++;
        }
        out.append(value, 0, first); // most values have none of the four: one bulk copy
        for (int i = first; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> out.append(c);
            }
        }
    }

    private static boolean special(char c) {
        return c == '\\' || c == '\n' || c == '\r' || c == '\t';
    }
}
