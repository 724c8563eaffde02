package dev.agentstore.persistence.feed;

import java.time.Instant;

/**
 * One event of the change feed. Immutable.
 *
 * @param cursor      its position; {@code cursor.toString()} is its unique id (deduplication, SSE {@code id})
 * @param kind        what it reports
 * @param flowName    the flow (flow events, status changes), else {@code null}
 * @param runId       the run (flow events, status changes), else {@code null}
 * @param triggerName the trigger (trigger events), else {@code null}
 * @param type        the event's type, or the status the run entered ({@link FeedKind#RUN_STATUS})
 * @param stepName    the step of a flow event, or {@code null}
 * @param occurredAt  the event's timestamp, or when the status changed (the writing transaction's start)
 * @param data        the event's JSON data as text, or {@code null}
 */
public record FeedEvent(FeedCursor cursor, FeedKind kind, String flowName, String runId, String triggerName,
                        String type, String stepName, Instant occurredAt, String data) {
}
