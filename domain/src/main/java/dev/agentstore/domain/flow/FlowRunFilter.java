package dev.agentstore.domain.flow;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * Which runs of a flow a listing returns. Every criterion is optional; an absent one matches every run.
 *
 * @param statuses    runs in one of these statuses; empty matches every status
 * @param startedFrom runs started at or after this instant (inclusive), or {@code null}
 * @param startedTo   runs started at or before this instant (inclusive), or {@code null}
 */
public record FlowRunFilter(Set<FlowRunStatus> statuses, Instant startedFrom, Instant startedTo) {

    /** Matches every run. */
    public static final FlowRunFilter ALL = new FlowRunFilter(Set.of(), null, null);

    /**
     * Copies {@code statuses} ({@code null} means every status).
     *
     * @throws InvalidInputException when {@code statuses} contains {@code null}, {@code startedFrom} is after
     *                               {@code startedTo}, or either lies outside PostgreSQL's timestamptz range
     */
    public FlowRunFilter {
        statuses = statuses == null || statuses.isEmpty() ? Set.of()
                : Set.copyOf(EnumSet.copyOf(Check.noNulls("statuses", statuses)));
        Check.instant("startedFrom", startedFrom);
        Check.instant("startedTo", startedTo);
        if (startedFrom != null && startedTo != null && startedFrom.isAfter(startedTo)) {
            throw new InvalidInputException("startedFrom must not be after startedTo, was " + startedFrom + " > "
                    + startedTo);
        }
    }

    /**
     * @param statuses the statuses to match; none matches every status
     * @return a filter on these statuses and this filter's time range
     * @throws InvalidInputException when a status is {@code null}
     */
    public FlowRunFilter withStatuses(FlowRunStatus... statuses) {
        Check.notNull("statuses", statuses);
        return new FlowRunFilter(Set.copyOf(Check.noNulls("statuses", Arrays.asList(statuses))), startedFrom, startedTo);
    }

    /**
     * @param from runs started at or after this instant, or {@code null}
     * @param to   runs started at or before this instant, or {@code null}
     * @return a filter on this range and this filter's statuses
     * @throws InvalidInputException when {@code from} is after {@code to}
     */
    public FlowRunFilter startedBetween(Instant from, Instant to) {
        return new FlowRunFilter(statuses, from, to);
    }
}
