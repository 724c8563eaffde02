package dev.agentstore.domain.flow;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

/**
 * A flow's checkpoint setting: its runs record a checkpoint at each snapshot write, and {@code prune} keeps the
 * checkpoints {@link #retention()} says (released checkpoints are always kept). Immutable; thread-safe.
 *
 * @param retention which checkpoints {@code prune} keeps
 * @param keepLast  for {@link CheckpointRetention#KEEP_LAST}: how many per run, 1 or more; {@code null} otherwise
 */
public record CheckpointPolicy(CheckpointRetention retention, Integer keepLast) {

    /**
     * @throws InvalidInputException when {@code retention} is {@code null}, or {@code keepLast} is given with another
     *                               retention than {@link CheckpointRetention#KEEP_LAST}, missing with it, or below 1
     */
    public CheckpointPolicy {
        Check.notNull("retention", retention);
        if ((retention == CheckpointRetention.KEEP_LAST) != (keepLast != null)) {
            throw new InvalidInputException("keepLast must be given exactly when retention is KEEP_LAST, was "
                    + keepLast + " with " + retention);
        }
        if (keepLast != null) {
            Check.range("keepLast", keepLast, 1, Integer.MAX_VALUE);
        }
    }

    /** @return record checkpoints and keep them all */
    public static CheckpointPolicy keepAll() {
        return new CheckpointPolicy(CheckpointRetention.KEEP_ALL, null);
    }

    /**
     * @param count how many checkpoints per run {@code prune} keeps, the newest, 1 or more
     * @return record checkpoints and keep the newest {@code count} per run
     * @throws InvalidInputException when {@code count} is below 1
     */
    public static CheckpointPolicy keepLast(int count) {
        return new CheckpointPolicy(CheckpointRetention.KEEP_LAST, count);
    }

    /** @return record checkpoints while a run is active; {@code prune} deletes those of terminal runs */
    public static CheckpointPolicy noneAfterCompletion() {
        return new CheckpointPolicy(CheckpointRetention.NONE_AFTER_COMPLETION, null);
    }
}
