package dev.agentstore.domain.scheduler;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.Optional;

/**
 * When a {@link SchedulerJob} runs: by a cron expression in a time zone ({@link #cron(String, String)}, five or six
 * fields, see {@link CronSchedule}), at a fixed interval ({@link #every(Duration)}), or once ({@link #once()}).
 * Stored in {@code scheduler_jobs} as {@code schedule} (the cron expression), {@code time_zone} (its zone, {@code null}
 * for UTC) and {@code interval_ms}; a one-shot job has none of them.
 *
 * <p>An interval is a fixed delay: the next run is due one interval after the previous run completed (or failed for
 * good), and the first run one interval after the job is scheduled unless the caller names the first run time.
 *
 * <p>Immutable and thread-safe; equal when kind, expression, zone and interval are equal.
 */
public final class JobSchedule {

    /** The longest interval: 3,660 days (about ten years). */
    public static final Duration MAX_INTERVAL = Duration.ofDays(3660);

    private static final JobSchedule ONCE = new JobSchedule(Kind.ONCE, null, null);

    /** The three ways a job can run. */
    public enum Kind {
        /** At the fire times of a cron expression in a time zone. */
        CRON,
        /** At a fixed delay after each run. */
        INTERVAL,
        /** Once, at its next run time. */
        ONCE
    }

    private final Kind kind;
    private final CronSchedule cron;
    private final Duration interval;

    private JobSchedule(Kind kind, CronSchedule cron, Duration interval) {
        this.kind = kind;
        this.cron = cron;
        this.interval = interval;
    }

    /**
     * A cron schedule evaluated in UTC.
     *
     * @param expression five or six fields (see {@link CronSchedule})
     * @return the schedule
     * @throws InvalidInputException when the expression is invalid (the message quotes it and names the format)
     */
    public static JobSchedule cron(String expression) {
        return cron(CronSchedule.parse(expression));
    }

    /**
     * A cron schedule evaluated in a time zone.
     *
     * @param expression five or six fields (see {@link CronSchedule})
     * @param timeZone   an IANA zone id such as {@code Europe/Berlin}, an offset, or {@code null} for UTC
     * @return the schedule
     * @throws InvalidInputException when the expression or the zone is invalid (the message names which)
     */
    public static JobSchedule cron(String expression, String timeZone) {
        return cron(CronSchedule.parse(expression, CronSchedule.zone(timeZone)));
    }

    /**
     * @param cron a parsed cron schedule
     * @return the schedule
     * @throws InvalidInputException when {@code cron} is {@code null}
     */
    public static JobSchedule cron(CronSchedule cron) {
        return new JobSchedule(Kind.CRON, Check.notNull("cron", cron), null);
    }

    /**
     * A fixed-delay schedule.
     *
     * @param interval the delay between runs, in whole milliseconds, 1 ms to {@link #MAX_INTERVAL}
     * @return the schedule
     * @throws InvalidInputException when {@code interval} is {@code null}, shorter than 1 ms, longer than
     *                               {@link #MAX_INTERVAL} or not a whole number of milliseconds
     */
    public static JobSchedule every(Duration interval) {
        Check.notNull("interval", interval);
        if (interval.compareTo(Duration.ofMillis(1)) < 0 || interval.compareTo(MAX_INTERVAL) > 0
                || interval.toNanosPart() % 1_000_000 != 0) {
            throw new InvalidInputException("interval must be whole milliseconds between 1 ms and "
                    + MAX_INTERVAL.toDays() + " days, was " + interval);
        }
        return new JobSchedule(Kind.INTERVAL, null, interval);
    }

    /** @return the one-shot schedule: the job runs once, at its next run time */
    public static JobSchedule once() {
        return ONCE;
    }

    /**
     * The schedule of a stored row, for repositories (the columns passed the checks of the write that stored them).
     *
     * @param schedule     column {@code schedule}: a cron expression, or {@code null}
     * @param timeZone     column {@code time_zone}, or {@code null} for UTC
     * @param intervalMillis column {@code interval_ms}, or {@code null}
     * @return the schedule; one-shot when both {@code schedule} and {@code intervalMillis} are {@code null}
     * @throws InvalidInputException when a value is invalid
     */
    public static JobSchedule of(String schedule, String timeZone, Long intervalMillis) {
        if (schedule != null) {
            return cron(schedule, timeZone);
        }
        return intervalMillis == null ? ONCE : every(Duration.ofMillis(intervalMillis));
    }

    /** @return how the job runs */
    public Kind kind() {
        return kind;
    }

    /** @return whether the job runs more than once (cron or interval) */
    public boolean isRecurring() {
        return kind != Kind.ONCE;
    }

    /** @return the cron schedule, or empty unless {@link Kind#CRON} */
    public Optional<CronSchedule> cronSchedule() {
        return Optional.ofNullable(cron);
    }

    /** @return the interval, or empty unless {@link Kind#INTERVAL} */
    public Optional<Duration> interval() {
        return Optional.ofNullable(interval);
    }

    /** @return the cron expression (column {@code schedule}), or {@code null} unless {@link Kind#CRON} */
    public String expression() {
        return cron == null ? null : cron.expression();
    }

    /** @return the zone id (column {@code time_zone}): {@code null} for UTC and unless {@link Kind#CRON} */
    public String timeZone() {
        return cron == null || cron.zone().equals(ZoneOffset.UTC) ? null : cron.zone().getId();
    }

    /** @return the interval in milliseconds (column {@code interval_ms}), or {@code null} unless {@link Kind#INTERVAL} */
    public Long intervalMillis() {
        return interval == null ? null : interval.toMillis();
    }

    /**
     * The run after one at (or completed at) {@code after}.
     *
     * @param after the reference instant
     * @return the next cron fire time strictly after {@code after}, or {@code after} plus the interval; empty for a
     *         one-shot schedule
     * @throws InvalidInputException when {@code after} is {@code null}, or the cron expression has no fire time after
     *                               it
     */
    public Optional<Instant> nextAfter(Instant after) {
        Check.notNull("after", after);
        return switch (kind) {
            case CRON -> Optional.of(cron.nextAfter(after));
            case INTERVAL -> Optional.of(after.plus(interval));
            case ONCE -> Optional.empty();
        };
    }

    /**
     * The first run when the caller names none: the next cron fire time after {@code now}, {@code now} plus the
     * interval, or {@code now} for a one-shot job.
     *
     * @param now the scheduling time
     * @return the first run time
     */
    public Instant firstRunAfter(Instant now) {
        return nextAfter(now).orElse(now);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JobSchedule other && other.kind == kind && Objects.equals(other.cron, cron)
                && Objects.equals(other.interval, interval);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, cron, interval);
    }

    @Override
    public String toString() {
        return switch (kind) {
            case CRON -> "cron " + cron;
            case INTERVAL -> "every " + interval;
            case ONCE -> "once";
        };
    }
}
