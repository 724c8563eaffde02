package dev.agentstore.domain.flow;

/**
 * A flow's counters at the moment it was read. All values are 0 or more.
 *
 * @param total     runs started
 * @param success   runs completed
 * @param failure   runs failed
 * @param running   runs running now
 * @param awaiting  runs awaiting now
 * @param cancelled runs cancelled
 */
public record FlowStats(long total, long success, long failure, long running, long awaiting, long cancelled) {

    /**
     * @param stat the counter
     * @return its value
     */
    public long get(FlowStat stat) {
        return switch (stat) {
            case TOTAL -> total;
            case SUCCESS -> success;
            case FAILURE -> failure;
            case RUNNING -> running;
            case AWAITING -> awaiting;
            case CANCELLED -> cancelled;
        };
    }
}
