package dev.agentstore.domain.flow;

import dev.agentstore.domain.InvalidInputException;

import java.util.Locale;

/**
 * The status of a {@link FlowRun}. {@link #RUNNING} and {@link #AWAITING} are active and may move to each other or
 * to any terminal status; {@link #COMPLETED}, {@link #FAILED} and {@link #CANCELLED} are terminal and final.
 */
public enum FlowRunStatus {
    /** Steps are executing. */
    RUNNING(FlowStat.RUNNING),
    /** Waiting for an event or a time before the next step. */
    AWAITING(FlowStat.AWAITING),
    /** Finished successfully (terminal). */
    COMPLETED(FlowStat.SUCCESS),
    /** Finished with an error (terminal). */
    FAILED(FlowStat.FAILURE),
    /** Stopped on request (terminal). */
    CANCELLED(FlowStat.CANCELLED);

    private final FlowStat stat;

    FlowRunStatus(FlowStat stat) {
        this.stat = stat;
    }

    /** @return whether this status is final: {@link #COMPLETED}, {@link #FAILED} or {@link #CANCELLED} */
    public boolean isTerminal() {
        return this != RUNNING && this != AWAITING;
    }

    /**
     * @return the flow counter that counts runs in this status: {@link FlowStat#RUNNING}, {@link FlowStat#AWAITING},
     * {@link FlowStat#SUCCESS}, {@link FlowStat#FAILURE} or {@link FlowStat#CANCELLED}
     */
    public FlowStat stat() {
        return stat;
    }

    /**
     * @param target the status to move to
     * @return whether a run in this status may move to {@code target}: this status is active and {@code target}
     * differs from it
     */
    public boolean canMoveTo(FlowRunStatus target) {
        return !isTerminal() && target != null && target != this;
    }

    /**
     * Parses a status in its lower-case spelling ({@code running}, {@code awaiting}, {@code completed}, {@code failed},
     * {@code cancelled} or {@code canceled}), case-insensitive.
     *
     * @param value the text
     * @return the status
     * @throws InvalidInputException when {@code value} is {@code null} or names no status
     */
    public static FlowRunStatus parse(String value) {
        if (value != null) {
            String v = value.trim().toUpperCase(Locale.ROOT);
            if (v.equals("CANCELED")) {
                return CANCELLED;
            }
            for (FlowRunStatus s : values()) {
                if (s.name().equals(v)) {
                    return s;
                }
            }
        }
        throw new InvalidInputException("status must be one of running, awaiting, completed, failed, cancelled; was "
                + (value == null ? "null" : "'" + value + "'"));
    }
}
