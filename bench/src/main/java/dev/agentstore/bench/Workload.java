package dev.agentstore.bench;

/** One workload of WORKLOADS.md (all its phases: agentstore path, raw-JDBC baseline, batch forms). */
interface Workload {

    /** @return the id, {@code W1}... */
    String id();

    /**
     * Runs the selected phases, each from the same starting state, emitting one line per phase.
     *
     * @param b the run
     * @throws Exception when a phase cannot run at all (a failed check is reported in the line instead)
     */
    void run(Bench b) throws Exception;
}
