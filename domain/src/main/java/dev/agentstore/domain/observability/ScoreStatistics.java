package dev.agentstore.domain.observability;

import java.time.Instant;

/**
 * The scores of one scorer in one time bucket, computed in SQL over the bucket's rows. The percentiles are
 * PostgreSQL's {@code percentile_cont} (continuous: interpolated between the two nearest values, so a percentile may
 * be a value no score has).
 *
 * @param scorerId    the scorer's id
 * @param bucketStart the bucket's first instant (buckets are aligned to 2000-01-01T00:00:00Z, UTC), or {@code null}
 *                    when the statistics cover the whole requested range
 * @param count       the number of scores, 1 or more
 * @param mean        their arithmetic mean
 * @param min         the smallest
 * @param max         the largest
 * @param p50         the median, {@code percentile_cont(0.5)}
 * @param p90         {@code percentile_cont(0.9)}
 * @param p99         {@code percentile_cont(0.99)}
 */
public record ScoreStatistics(String scorerId, Instant bucketStart, long count, double mean, double min, double max,
                              double p50, double p90, double p99) {
}
