package dev.agentstore.domain.trigger;

/**
 * Whether a trigger may fire (column {@code triggers.status}; the names match its CHECK constraint). Only an
 * {@link #ACTIVE} trigger fires; see {@link Trigger#paused}, {@link Trigger#resumed} and {@link Trigger#disabled} for the
 * transitions.
 */
public enum TriggerStatus {
    /** Fires. The status of a newly registered trigger. */
    ACTIVE,
    /** Temporarily not firing; {@link Trigger#resumed} makes it active again. */
    PAUSED,
    /** Switched off; only {@link Trigger#resumed} makes it active again, {@link Trigger#paused} is refused. */
    DISABLED
}
