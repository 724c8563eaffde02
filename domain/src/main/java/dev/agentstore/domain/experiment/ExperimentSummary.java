package dev.agentstore.domain.experiment;

import java.util.Map;

/**
 * The review summary of an experiment, computed in SQL over its results.
 *
 * @param experimentId the experiment's id
 * @param items        how many items its dataset version holds
 * @param results      how many results are recorded
 * @param succeeded    results without an error
 * @param failed       results with an error
 * @param pending      items without a result: {@code items - results}, never negative
 * @param latencyP50Ms the median latency in milliseconds (continuous percentile) over the results that have one, or
 *                     {@code null} when none has
 * @param latencyP90Ms the 90th percentile latency in milliseconds, or {@code null}
 * @param scores       per scorer id, its statistics over the results that have its score; unmodifiable
 */
public record ExperimentSummary(String experimentId, long items, long results, long succeeded, long failed,
                                long pending, Double latencyP50Ms, Double latencyP90Ms,
                                Map<String, ScoreStatistics> scores) {

    /** Defensive copy of the scores. */
    public ExperimentSummary {
        scores = Map.copyOf(scores);
    }

    /**
     * The statistics of one scorer's scores in an experiment.
     *
     * @param count how many results have a score of it
     * @param mean  their mean
     * @param min   the lowest
     * @param max   the highest
     */
    public record ScoreStatistics(long count, double mean, double min, double max) {
    }
}
