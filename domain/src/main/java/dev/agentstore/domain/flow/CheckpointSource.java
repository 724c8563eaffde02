package dev.agentstore.domain.flow;

/**
 * What wrote a {@link FlowCheckpoint}: one of a run's snapshot writes, an explicit checkpoint, a fork or a resume.
 */
public enum CheckpointSource {
    /** {@code FlowRunRepository.replaceSnapshot}. */
    REPLACE,
    /** {@code FlowRunRepository.mergeSnapshot}. */
    MERGE,
    /** {@code FlowRunRepository.setStepResult}; the checkpoint's step is the step set. */
    STEP,
    /** {@code CheckpointRepository.put}: the snapshot replaced with the caller's step, next steps and metadata. */
    PUT,
    /** The first checkpoint of a run forked from another run's checkpoint (its parent). */
    FORK,
    /** A run resumed from an earlier checkpoint of its own (its parent); the checkpoints in between are superseded. */
    RESUME
}
