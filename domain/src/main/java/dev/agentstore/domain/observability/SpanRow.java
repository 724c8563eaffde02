package dev.agentstore.domain.observability;

import java.time.Instant;
import java.util.UUID;

/**
 * A {@code spans} row as read, for the repository's row mapping ({@link Span#fromRow}): the ids in their stored forms
 * (trace id a {@link UUID}, span ids {@code long}s, see {@link TraceIds}) and the JSON values as the text PostgreSQL
 * printed them, not yet parsed. Nothing is checked here: the row passed the checks of {@link NewSpan} when it was
 * written, and the database's constraints since.
 *
 * @param traceId      the stored trace id
 * @param spanId       the stored span id
 * @param parentSpanId the stored parent span id, or {@code null} for a root
 * @param name         the span's name
 * @param type         what it records
 * @param entity       what it ran for
 * @param runId        the flow run, or {@code null}
 * @param threadId     the memory thread, or {@code null}
 * @param resourceId   the memory resource, or {@code null}
 * @param userId       the user, or {@code null}
 * @param startedAt    when it started
 * @param endedAt      when it ended, or {@code null}
 * @param status       its status
 * @param error        the error as JSON text, or {@code null}
 * @param input        the input as JSON text, or {@code null}
 * @param output       the output as JSON text, or {@code null}
 * @param attributes   the attributes as JSON text ({@code null} in a light read)
 * @param metadata     the metadata as JSON text ({@code null} in a light read)
 * @param createdAt    when the row was written
 * @param updatedAt    when it was last updated, or {@code null}
 */
public record SpanRow(UUID traceId, long spanId, Long parentSpanId, String name, SpanType type, SpanEntity entity,
                      String runId, String threadId, String resourceId, String userId, Instant startedAt,
                      Instant endedAt, SpanStatus status, String error, String input, String output,
                      String attributes, String metadata, Instant createdAt, Instant updatedAt) {
}
