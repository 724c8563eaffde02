package dev.agentstore.domain.flow;

import dev.agentstore.domain.InvalidInputException;

import java.util.Locale;

/**
 * The status of a {@link FlowStep}, Compozy's task statuses. {@link #PENDING}, {@link #RUNNING}, {@link #WAITING} and
 * {@link #PAUSED} are active; {@link #SUCCESS}, {@link #FAILED}, {@link #CANCELED} and {@link #TIMED_OUT} are
 * terminal (done). A step may be written with any status (a retry moves a failed step back to running); the run it
 * belongs to may complete only when none of its steps is active.
 */
public enum FlowStepStatus {
    /** Created, not started. */
    PENDING,
    /** Executing. */
    RUNNING,
    /** Waiting for a signal or an event. */
    WAITING,
    /** Paused (Mastra: suspended). */
    PAUSED,
    /** Finished successfully (terminal). */
    SUCCESS,
    /** Finished with an error (terminal). */
    FAILED,
    /** Stopped on request (terminal). */
    CANCELED,
    /** Gave up after its time limit (terminal); counts as a failure when the run completes. */
    TIMED_OUT;

    /** @return whether the step is done: {@link #SUCCESS}, {@link #FAILED}, {@link #CANCELED} or {@link #TIMED_OUT} */
    public boolean isTerminal() {
        return this == SUCCESS || this == FAILED || this == CANCELED || this == TIMED_OUT;
    }

    /** @return whether a top-level step in this status makes its run fail: {@link #FAILED} or {@link #TIMED_OUT} */
    public boolean isFailure() {
        return this == FAILED || this == TIMED_OUT;
    }

    /**
     * Parses a status, case-insensitive: the constant's name ({@code running}, {@code timed_out}), Compozy's
     * spelling, or one of the aliases {@code completed}/{@code succeeded} ({@link #SUCCESS}), {@code cancelled}
     * ({@link #CANCELED}), {@code suspended} ({@link #PAUSED}), {@code timedout}/{@code timed-out}
     * ({@link #TIMED_OUT}).
     *
     * @param value the text
     * @return the status
     * @throws InvalidInputException when {@code value} is {@code null} or names no status
     */
    public static FlowStepStatus parse(String value) {
        if (value != null) {
            String v = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
            switch (v) {
                case "COMPLETED", "SUCCEEDED" -> {
                    return SUCCESS;
                }
                case "CANCELLED" -> {
                    return CANCELED;
                }
                case "SUSPENDED" -> {
                    return PAUSED;
                }
                case "TIMEDOUT" -> {
                    return TIMED_OUT;
                }
                default -> {
                    for (FlowStepStatus s : values()) {
                        if (s.name().equals(v)) {
                            return s;
                        }
                    }
                }
            }
        }
        throw new InvalidInputException("status must be one of pending, running, waiting, paused, success, failed,"
                + " canceled, timed_out; was " + (value == null ? "null" : "'" + value + "'"));
    }
}
