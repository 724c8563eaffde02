package dev.agentstore.domain.experiment;

/**
 * Where an experiment is: {@link #PENDING} when created, {@link #RUNNING} once started, then {@link #COMPLETED} or
 * {@link #FAILED} (both final). A pending experiment may fail without having started.
 */
public enum ExperimentStatus {
    /** Created, not started. */
    PENDING,
    /** Started; results are being recorded. */
    RUNNING,
    /** Finished; every result the runner meant to record is recorded. */
    COMPLETED,
    /** Stopped by an error of the run as a whole (an item's error is a result, not this). */
    FAILED;

    /** @return whether no further move is possible */
    public boolean isFinal() {
        return this == COMPLETED || this == FAILED;
    }
}
