package dev.agentstore.bench;

/**
 * A workload whose agentstore API has not landed on this branch yet (W7 needs the memory repository, W8 the
 * knowledge/vector repository). It runs nothing and is listed as pending in the report.
 */
final class PendingWorkload implements Workload {

    private final String id;
    private final String reason;

    PendingWorkload(String id, String reason) {
        this.id = id;
        this.reason = reason;
    }

    @Override
    public String id() {
        return id;
    }

    String reason() {
        return reason;
    }

    @Override
    public void run(Bench b) {
        if (!b.warmup) {
            System.err.println("agentstore-bench: " + id + " pending: " + reason);
        }
    }
}
