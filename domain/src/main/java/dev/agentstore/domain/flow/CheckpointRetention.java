package dev.agentstore.domain.flow;

/** Which checkpoints of a flow's runs {@code CheckpointRepository.prune} keeps ({@link CheckpointPolicy}). */
public enum CheckpointRetention {
    /** Every checkpoint. */
    KEEP_ALL,
    /** The newest {@link CheckpointPolicy#keepLast()} checkpoints of each run. */
    KEEP_LAST,
    /** None of a run that is terminal (completed, failed or cancelled); an active run keeps every checkpoint. */
    NONE_AFTER_COMPLETION
}
