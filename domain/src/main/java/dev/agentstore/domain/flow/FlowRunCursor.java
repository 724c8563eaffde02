package dev.agentstore.domain.flow;

import dev.agentstore.domain.Check;

import java.time.Instant;

/**
 * A position in a keyset listing of runs: the ({@code startedAt}, id) of the last run of a page. The next page holds
 * the runs strictly after it in the listing's order, so paging returns every run exactly once even among equal start
 * times and while runs are added.
 *
 * @param startedAt the run's start time
 * @param id        the run's surrogate id ({@link FlowRun#id()})
 */
public record FlowRunCursor(Instant startedAt, long id) {

    /** @throws dev.agentstore.domain.InvalidInputException when {@code startedAt} is {@code null} or out of range */
    public FlowRunCursor {
        Check.instant("startedAt", Check.notNull("startedAt", startedAt));
    }

    /**
     * @param run a stored run
     * @return the cursor just after {@code run}
     * @throws dev.agentstore.domain.InvalidInputException when {@code run} is {@code null} or not stored
     */
    public static FlowRunCursor after(FlowRun run) {
        Check.notNull("run", run);
        return new FlowRunCursor(run.startedAt(), Check.notNull("run.id", run.id()));
    }
}
