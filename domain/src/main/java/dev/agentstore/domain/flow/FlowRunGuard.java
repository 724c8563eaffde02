package dev.agentstore.domain.flow;

import dev.agentstore.domain.Check;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * What a guarded write of a run requires of the run as stored; nothing is written when a requirement fails.
 *
 * <ul>
 * <li>{@code expectedVersion}: the run's version must be this one (compare-and-set against a version the caller
 * read); otherwise the write fails with a {@code ConcurrencyConflictException} naming the run and both versions.</li>
 * <li>{@code statuses}: the run must be in one of these statuses ("apply only if the run is in status S"); otherwise
 * the write returns empty. Empty: any status.</li>
 * </ul>
 *
 * @param expectedVersion the version the run must have, or {@code null} for any
 * @param statuses        the statuses the run must be in, empty for any; unmodifiable
 */
public record FlowRunGuard(Long expectedVersion, Set<FlowRunStatus> statuses) {

    /** No requirement. */
    public static final FlowRunGuard NONE = new FlowRunGuard(null, Set.of());

    /**
     * @throws dev.agentstore.domain.InvalidInputException when {@code expectedVersion} is negative or a status is
     *                                                     {@code null}
     */
    public FlowRunGuard {
        if (expectedVersion != null) {
            Check.notNegative("expectedVersion", expectedVersion);
        }
        statuses = statuses == null || statuses.isEmpty() ? Set.of()
                : Set.copyOf(EnumSet.copyOf(Check.noNulls("statuses", statuses)));
    }

    /**
     * @param version the version the run must have
     * @return a guard on that version
     */
    public static FlowRunGuard version(long version) {
        return new FlowRunGuard(version, Set.of());
    }

    /**
     * @param statuses the statuses the run must be in
     * @return a guard on these statuses
     */
    public static FlowRunGuard statusIn(FlowRunStatus... statuses) {
        Check.notNull("statuses", statuses);
        return new FlowRunGuard(null, Set.copyOf(Check.noNulls("statuses", Arrays.asList(statuses))));
    }

    /**
     * @param version the version the run must have as well
     * @return this guard, also on that version
     */
    public FlowRunGuard andVersion(long version) {
        return new FlowRunGuard(version, statuses);
    }

    /**
     * @param status a run's status
     * @return whether {@code status} passes the status requirement
     */
    public boolean admits(FlowRunStatus status) {
        return statuses.isEmpty() || statuses.contains(status);
    }
}
