package dev.agentstore.domain.flow;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * A run's progress rolled up from its steps (Compozy's progress info): how many steps there are, how many in each
 * status, and the share that is done.
 *
 * @param total    how many steps were counted
 * @param byStatus how many of them are in each status; every status is a key (0 when none)
 */
public record FlowStepProgress(long total, Map<FlowStepStatus, Long> byStatus) {

    /**
     * Copies the counts; statuses missing from {@code byStatus} count 0.
     */
    public FlowStepProgress {
        EnumMap<FlowStepStatus, Long> all = new EnumMap<>(FlowStepStatus.class);
        for (FlowStepStatus s : FlowStepStatus.values()) {
            all.put(s, byStatus == null ? 0L : byStatus.getOrDefault(s, 0L));
        }
        byStatus = Collections.unmodifiableMap(all);
    }

    /**
     * @param status a status
     * @return how many steps are in it
     */
    public long count(FlowStepStatus status) {
        return byStatus.get(status);
    }

    /** @return how many steps are done (in a terminal status) */
    public long done() {
        return byStatus.entrySet().stream().filter(e -> e.getKey().isTerminal()).mapToLong(Map.Entry::getValue).sum();
    }

    /** @return how many steps are active (pending, running, waiting or paused) */
    public long active() {
        return total - done();
    }

    /** @return how many steps failed ({@link FlowStepStatus#FAILED} or {@link FlowStepStatus#TIMED_OUT}) */
    public long failed() {
        return count(FlowStepStatus.FAILED) + count(FlowStepStatus.TIMED_OUT);
    }

    /** @return the share of steps that are done, in percent (0–100); 0 when there are no steps */
    public double percentDone() {
        return total == 0 ? 0.0 : 100.0 * done() / total;
    }
}
