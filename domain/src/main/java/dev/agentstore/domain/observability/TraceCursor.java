package dev.agentstore.domain.observability;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * Where a listing of traces goes on: the start time and trace id of the last root span of the previous page (traces
 * are listed newest first, by {@code (started_at, trace_id)} descending). {@link #encode()} gives it as one text (for
 * an HTTP query parameter), {@link #decode} reads it back.
 *
 * @param startedAt the last listed root's start time
 * @param traceId   the last listed root's trace id, 32 lower-case hex digits
 */
public record TraceCursor(Instant startedAt, String traceId) {

    /**
     * @throws InvalidInputException when a value is missing or invalid
     */
    public TraceCursor {
        Check.instant("cursor.startedAt", Check.notNull("cursor.startedAt", startedAt));
        TraceIds.requireTraceId("cursor.traceId", traceId);
    }

    /**
     * @param root the last root span of a page
     * @return the cursor after it
     */
    public static TraceCursor after(Span root) {
        return new TraceCursor(root.startedAt(), root.traceId());
    }

    /** @return {@code <ISO-8601 start time>_<trace id>} */
    public String encode() {
        return startedAt + "_" + traceId;
    }

    /**
     * @param text what {@link #encode()} returned
     * @return the cursor
     * @throws InvalidInputException when {@code text} is not an encoded cursor
     */
    public static TraceCursor decode(String text) {
        int cut = text == null ? -1 : text.lastIndexOf('_');
        if (cut < 0) {
            throw new InvalidInputException("cursor: not a trace cursor");
        }
        try {
            return new TraceCursor(Instant.parse(text.substring(0, cut)), text.substring(cut + 1));
        } catch (DateTimeParseException e) {
            throw new InvalidInputException("cursor: not a trace cursor");
        }
    }
}
