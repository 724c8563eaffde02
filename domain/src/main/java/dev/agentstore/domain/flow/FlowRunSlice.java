package dev.agentstore.domain.flow;

import java.util.List;

/**
 * One page of a keyset listing of runs.
 *
 * @param runs the runs, in the listing's order; unmodifiable
 * @param next the cursor for the next page, or {@code null} when no run follows
 */
public record FlowRunSlice(List<FlowRun> runs, FlowRunCursor next) {

    /** Copies {@code runs}. */
    public FlowRunSlice {
        runs = List.copyOf(runs);
    }

    /** @return whether a later page has runs ({@link #next()} is set) */
    public boolean hasMore() {
        return next != null;
    }
}
