package dev.agentstore.domain.trigger;

/** What makes a trigger fire (column {@code triggers.type}; the names match its CHECK constraint). */
public enum TriggerType {
    /** Fires when a matching event is emitted. */
    EVENT,
    /** Fires on a schedule (cron or interval). */
    SCHEDULE,
    /** Fires on an incoming HTTP call. */
    WEBHOOK,
    /** Fires only when a caller fires it explicitly. */
    MANUAL
}
