package dev.agentstore.domain.partition;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * How much time one partition of a time-partitioned table covers. Periods are calendar days or calendar months in
 * UTC: a partition covers {@code [start, next(start))}, both bounds at midnight UTC.
 */
public enum PartitionWidth {

    /** One partition per calendar day (UTC). */
    DAILY,

    /** One partition per calendar month (UTC). */
    MONTHLY;

    /**
     * @param instant a point in time
     * @return the first day of the period that holds {@code instant}
     */
    public LocalDate periodOf(Instant instant) {
        LocalDate day = LocalDate.ofInstant(instant, ZoneOffset.UTC);
        return this == DAILY ? day : day.withDayOfMonth(1);
    }

    /**
     * @param start the first day of a period
     * @return the first day of the period after it
     */
    public LocalDate next(LocalDate start) {
        return this == DAILY ? start.plusDays(1) : start.plusMonths(1);
    }
}
