package dev.agentstore.persistence.observability;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.json.JsonLimits;
import dev.agentstore.domain.observability.NewSpan;
import org.jdbi.v3.core.Handle;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/**
 * A batch of spans as one {@code COPY spans (...) FROM STDIN} in PostgreSQL's text format, through pgjdbc's
 * {@code CopyManager} on the handle's connection (so in the caller's transaction). The rows are built first, in one
 * pass over the spans: each JSON value is checked against the store's {@link JsonLimits} and written, already escaped
 * for COPY, in the same walk of its tree ({@link JsonLimits#writer}, {@link CopyText#ESCAPES}). Only a complete
 * batch is sent: a value that fails its check throws before the copy starts. One round trip for the whole batch.
 */
final class SpanCopy {

    private static final String COPY = "COPY spans (" + SpanSql.WRITE_COLUMNS.replace('\n', ' ') + ") FROM STDIN";

    private SpanCopy() {
    }

    /**
     * @param handle the call's handle
     * @param rows   the batch's rows, from {@link #rows}
     * @return the number of rows written
     * @throws SQLException when the server refuses the copy (nothing is written then)
     */
    static long send(Handle handle, CopyText rows) throws SQLException {
        CopyIn in = handle.getConnection().unwrap(PGConnection.class).getCopyAPI().copyIn(COPY);
        try {
            rows.sendTo(in);
            return in.endCopy();
        } finally {
            if (in.isActive()) {
                in.cancelCopy();
            }
        }
    }

    /**
     * The batch's rows, every JSON value checked.
     *
     * @param spans  the spans
     * @param limits the store's JSON limits
     * @param now    the rows' {@code created_at}
     * @return the rows, not yet sent
     * @throws dev.agentstore.domain.InvalidInputException when a JSON value fails its check
     */
    static CopyText rows(List<NewSpan> spans, JsonLimits limits, Instant now) {
        CopyText out = new CopyText();
        try (JsonGenerator json = Json.MAPPER.createGenerator(out, JsonEncoding.UTF8)) {
            json.setCharacterEscapes(CopyText.ESCAPES);
            json.setRootValueSeparator(null);
            JsonLimits.Writer writer = limits.writer(json);
            for (int i = 0; i < spans.size(); i++) {
                NewSpan s = spans.get(i);
                out.text(s.traceId()).tab().number(Long.parseUnsignedLong(s.spanId(), 16)).tab();
                if (s.parentSpanId() == null) {
                    out.nul().tab();
                } else {
                    out.number(Long.parseUnsignedLong(s.parentSpanId(), 16)).tab();
                }
                out.text(s.name()).tab().text(s.type().name()).tab().text(s.entity().type()).tab()
                        .text(s.entity().id()).tab().text(s.entity().name()).tab().text(s.runId()).tab()
                        .text(s.threadId()).tab().text(s.resourceId()).tab().text(s.userId()).tab()
                        .timestamp(s.startedAt()).tab().timestamp(s.endedAt()).tab().text(s.status().name()).tab();
                String field = "spans[" + i + "].";
                json(out, writer, json, field, "error", s.error());
                json(out, writer, json, field, "input", s.input());
                json(out, writer, json, field, "output", s.output());
                json(out, writer, json, field, "attributes", s.attributes());
                json(out, writer, json, field, "metadata", s.metadata());
                out.timestamp(now).newline();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("rows in memory do not fail to write", e);
        }
        return out;
    }

    private static void json(CopyText out, JsonLimits.Writer writer, JsonGenerator json, String field, String name,
                             JsonNode value) throws IOException {
        if (value == null) {
            out.nul();
        } else {
            writer.write(field + name, value);
            json.flush(); // the value's bytes into out before the tab
        }
        out.tab();
    }
}
