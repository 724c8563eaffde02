package dev.agentstore.domain.flow;

import dev.agentstore.domain.InvalidInputException;

import java.util.Locale;

/**
 * The status of a {@link FlowRun}: the union of the seed stores' run statuses.
 *
 * <p><b>Active</b> statuses: {@link #PENDING} (created, not started), {@link #RUNNING}, {@link #AWAITING} (waiting for
 * an event or a time) and {@link #SUSPENDED} (stopped until a caller resumes it). <b>Terminal</b> statuses, which are
 * final: {@link #COMPLETED}, {@link #FAILED}, {@link #CANCELLED} and {@link #TIMED_OUT}.
 *
 * <p><b>Allowed transitions</b> ({@link #canMoveTo}):
 * <pre>
 * PENDING   -&gt; RUNNING, AWAITING, SUSPENDED, COMPLETED, FAILED, CANCELLED, TIMED_OUT
 * RUNNING   -&gt; AWAITING, SUSPENDED, COMPLETED, FAILED, CANCELLED, TIMED_OUT
 * AWAITING  -&gt; RUNNING, SUSPENDED, COMPLETED, FAILED, CANCELLED, TIMED_OUT
 * SUSPENDED -&gt; RUNNING, AWAITING, COMPLETED, FAILED, CANCELLED, TIMED_OUT
 * COMPLETED, FAILED, CANCELLED, TIMED_OUT -&gt; none
 * </pre>
 * That is: from an active status to any other status except {@link #PENDING} (a started run is never pending again);
 * never out of a terminal status, and never to the status the run is in.
 *
 * <p>Flow counters ({@link #stat()}): {@link #RUNNING} counts in {@code stats.running}, {@link #AWAITING} and
 * {@link #SUSPENDED} in {@code stats.awaiting}, {@link #COMPLETED} in {@code stats.success}, {@link #FAILED} and
 * {@link #TIMED_OUT} in {@code stats.failure}, {@link #CANCELLED} in {@code stats.cancelled}; a {@link #PENDING} run
 * counts in {@code stats.total} only.
 */
public enum FlowRunStatus {
    /** Created but not started yet (Mastra's {@code pending}). */
    PENDING(null),
    /** Steps are executing. */
    RUNNING(FlowStat.RUNNING),
    /** Waiting for an event or a time before the next step (nvent's {@code awaiting}, Mastra's {@code waiting}). */
    AWAITING(FlowStat.AWAITING),
    /** Stopped until a caller resumes it, for example for human input (Mastra's {@code suspended}). */
    SUSPENDED(FlowStat.AWAITING),
    /** Finished successfully (terminal; Mastra's {@code success}). */
    COMPLETED(FlowStat.SUCCESS),
    /** Finished with an error (terminal). */
    FAILED(FlowStat.FAILURE),
    /** Stopped on request (terminal). */
    CANCELLED(FlowStat.CANCELLED),
    /** Ran out of time (terminal; counted as a failure). */
    TIMED_OUT(FlowStat.FAILURE);

    private final FlowStat stat;

    FlowRunStatus(FlowStat stat) {
        this.stat = stat;
    }

    /**
     * @return whether this status is final: {@link #COMPLETED}, {@link #FAILED}, {@link #CANCELLED} or
     * {@link #TIMED_OUT}
     */
    public boolean isTerminal() {
        return this == COMPLETED || this == FAILED || this == CANCELLED || this == TIMED_OUT;
    }

    /**
     * @return the flow counter that counts runs in this status: {@link FlowStat#RUNNING}, {@link FlowStat#AWAITING}
     * (also for {@link #SUSPENDED}), {@link FlowStat#SUCCESS}, {@link FlowStat#FAILURE} (also for {@link #TIMED_OUT})
     * or {@link FlowStat#CANCELLED}; {@code null} for {@link #PENDING}, which no counter but {@code total} counts
     */
    public FlowStat stat() {
        return stat;
    }

    /**
     * @param target the status to move to
     * @return whether a run in this status may move to {@code target}: this status is active, {@code target} differs
     * from it and is not {@link #PENDING} (see the class description)
     */
    public boolean canMoveTo(FlowRunStatus target) {
        return !isTerminal() && target != null && target != this && target != PENDING;
    }

    /**
     * Parses a status in its lower-case spelling, case-insensitive: {@code pending}, {@code running},
     * {@code awaiting} (also {@code waiting}), {@code suspended}, {@code completed} (also {@code success}),
     * {@code failed}, {@code cancelled} (also {@code canceled}), {@code timed_out} (also {@code timedout},
     * {@code timed-out}, {@code timeout}).
     *
     * @param value the text
     * @return the status
     * @throws InvalidInputException when {@code value} is {@code null} or names no status
     */
    public static FlowRunStatus parse(String value) {
        if (value != null) {
            String v = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
            switch (v) {
                case "CANCELED" -> {
                    return CANCELLED;
                }
                case "WAITING" -> {
                    return AWAITING;
                }
                case "SUCCESS" -> {
                    return COMPLETED;
                }
                case "TIMEDOUT", "TIMEOUT" -> {
                    return TIMED_OUT;
                }
                default -> {
                    for (FlowRunStatus s : values()) {
                        if (s.name().equals(v)) {
                            return s;
                        }
                    }
                }
            }
        }
        throw new InvalidInputException("status must be one of pending, running, awaiting, suspended, completed, "
                + "failed, cancelled, timed_out; was " + (value == null ? "null" : "'" + value + "'"));
    }
}
