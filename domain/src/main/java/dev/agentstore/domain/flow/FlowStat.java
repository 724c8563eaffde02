package dev.agentstore.domain.flow;

import dev.agentstore.domain.InvalidInputException;

import java.util.Locale;

/**
 * The counters of a {@link Flow}, each stored in its own column and changed only by atomic SQL increments (columns
 * {@code stats_*}). {@link #TOTAL}, {@link #SUCCESS}, {@link #FAILURE} and {@link #CANCELLED}
 * count runs over the flow's life; {@link #RUNNING} and {@link #AWAITING} are gauges of the runs in that status now.
 */
public enum FlowStat {
    /** Runs started. */
    TOTAL("total"),
    /** Runs that completed. */
    SUCCESS("success"),
    /** Runs that failed. */
    FAILURE("failure"),
    /** Runs running now. */
    RUNNING("running"),
    /** Runs awaiting an event or a time now. */
    AWAITING("awaiting"),
    /** Runs that were cancelled. */
    CANCELLED("cancelled");

    private final String key;

    FlowStat(String key) {
        this.key = key;
    }

    /** @return the counter's field path, for example {@code stats.total} */
    public String field() {
        return "stats." + key;
    }

    /**
     * Maps a counter's field path to the counter: {@code stats.total},
     * {@code stats.success}, {@code stats.failure}, {@code stats.running}, {@code stats.awaiting},
     * {@code stats.cancelled} (also {@code stats.cancel} and {@code stats.canceled}), each also without the
     * {@code stats.} prefix. Case-insensitive.
     *
     * @param field the field name
     * @return the counter
     * @throws InvalidInputException when {@code field} is {@code null} or names no counter (for example
     *                               {@code displayName} or {@code stats.bogus})
     */
    public static FlowStat fromField(String field) {
        if (field == null) {
            throw new InvalidInputException("field must name a flow counter, was null");
        }
        String f = field.trim().toLowerCase(Locale.ROOT);
        if (f.startsWith("stats.")) {
            f = f.substring("stats.".length());
        }
        switch (f) {
            case "cancel", "canceled" -> {
                return CANCELLED;
            }
            default -> {
                for (FlowStat s : values()) {
                    if (s.key.equals(f)) {
                        return s;
                    }
                }
            }
        }
        throw new InvalidInputException("field '" + field + "' is not a flow counter; expected one of stats.total,"
                + " stats.success, stats.failure, stats.running, stats.awaiting, stats.cancelled");
    }
}
