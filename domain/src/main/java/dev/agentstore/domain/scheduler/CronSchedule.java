package dev.agentstore.domain.scheduler;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Optional;

/**
 * A validated cron expression and the time zone it is evaluated in (UTC unless given). Five fields are UNIX cron
 * (minute, hour, day of month, month, day of week; {@code 0 * * * *} is "every hour on the hour"), parsed with
 * cron-utils' {@code CronType.UNIX} definition; six fields put a seconds field first (second, minute, hour, day of
 * month, month, day of week; {@code 30 0 * * * *} is "30 seconds past every hour"), with the same rules for the other
 * five. Ranges ({@code 9-17}), lists ({@code 1,15}), steps ({@code *}{@code /15}) and names ({@code MON}, {@code JAN})
 * are accepted; nicknames such as {@code @hourly} are not. As in UNIX cron, when both day of month and day of week
 * are restricted a day matching either fires. In a zone with daylight saving time, fire times follow the local wall
 * clock (cron-utils' rules for skipped and repeated local times).
 *
 * <p>Immutable and thread-safe; equal when the (whitespace-normalised) expressions and the zones are equal.
 */
public final class CronSchedule {

    /** Describes the accepted format, for error messages. */
    public static final String EXPECTED_FORMAT =
            "a UNIX cron expression with 5 fields 'minute hour day-of-month month day-of-week', e.g. '0 * * * *',"
                    + " or 6 fields with seconds first 'second minute hour day-of-month month day-of-week'";

    private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

    /** UNIX cron's definition (as cron-utils builds {@code CronType.UNIX}) with a seconds field in front. */
    private static final CronParser PARSER_WITH_SECONDS = new CronParser(CronDefinitionBuilder.defineCron()
            .withSeconds().withValidRange(0, 59).withStrictRange().and()
            .withMinutes().withValidRange(0, 59).withStrictRange().and()
            .withHours().withValidRange(0, 23).withStrictRange().and()
            .withDayOfMonth().withValidRange(1, 31).withStrictRange().and()
            .withMonth().withValidRange(1, 12).withStrictRange().and()
            .withDayOfWeek().withValidRange(0, 7).withMondayDoWValue(1).withIntMapping(7, 0).withStrictRange().and()
            .instance());
    private static final ZonedDateTime NEVER_CHECK_FROM = ZonedDateTime.of(2000, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

    private final String expression;
    private final ZoneId zone;
    private final ExecutionTime executionTime;

    private CronSchedule(String expression, ZoneId zone, ExecutionTime executionTime) {
        this.expression = expression;
        this.zone = zone;
        this.executionTime = executionTime;
    }

    /**
     * Parses and validates a cron expression, evaluated in UTC.
     *
     * @param expression five or six space-separated fields; surrounding and repeated whitespace is normalised
     * @return the schedule
     * @throws InvalidInputException when the expression is blank, longer than 255 characters, not a valid five- or
     *                               six-field cron expression, or can never fire (such as {@code 0 0 30 2 *}); the
     *                               message quotes the expression and names the expected format
     */
    public static CronSchedule parse(String expression) {
        return parse(expression, ZoneOffset.UTC);
    }

    /**
     * Parses and validates a cron expression evaluated in a time zone.
     *
     * @param expression five or six space-separated fields, as {@link #parse(String)}
     * @param zone       the zone whose wall clock the fields describe; {@code null} means UTC
     * @return the schedule
     * @throws InvalidInputException as {@link #parse(String)}
     */
    public static CronSchedule parse(String expression, ZoneId zone) {
        if (expression == null || expression.isBlank() || expression.length() > Check.MAX_NAME_LENGTH) {
            throw new InvalidInputException("cron expression must not be blank and at most " + Check.MAX_NAME_LENGTH
                    + " characters, was " + (expression == null ? "null" : expression.length() + " characters")
                    + "; expected " + EXPECTED_FORMAT + " (a one-shot job has no cron expression: null)");
        }
        String normalised = expression.trim().replaceAll("\\s+", " ");
        int fields = normalised.split(" ").length;
        if (fields != 5 && fields != 6) {
            throw new InvalidInputException("cron: invalid cron expression (" + Check.describe(normalised) + "): "
                    + fields + " fields; expected " + EXPECTED_FORMAT);
        }
        ExecutionTime executionTime;
        try {
            Cron cron = (fields == 5 ? PARSER : PARSER_WITH_SECONDS).parse(normalised);
            cron.validate();
            executionTime = ExecutionTime.forCron(cron);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("cron: invalid cron expression (" + Check.describe(normalised) + "): "
                    + e.getMessage()
                    + "; expected " + EXPECTED_FORMAT, e);
        }
        if (executionTime.nextExecution(NEVER_CHECK_FROM).isEmpty()) {
            throw new InvalidInputException("cron expression '" + normalised + "' never fires; expected "
                    + EXPECTED_FORMAT);
        }
        return new CronSchedule(normalised, zone == null ? ZoneOffset.UTC : zone, executionTime);
    }

    /**
     * Parses a time-zone id, as {@link ZoneId#of(String)}.
     *
     * @param timeZone an IANA zone id such as {@code Europe/Berlin}, an offset such as {@code +02:00}, or {@code UTC};
     *                 {@code null} means UTC
     * @return the zone
     * @throws InvalidInputException when {@code timeZone} is blank, longer than 64 characters or not a zone id known
     *                               to the JVM (the message names {@code timeZone})
     */
    public static ZoneId zone(String timeZone) {
        if (timeZone == null) {
            return ZoneOffset.UTC;
        }
        Check.text("timeZone", timeZone, 64);
        try {
            return ZoneId.of(timeZone);
        } catch (DateTimeException e) {
            throw new InvalidInputException("timeZone: unknown time zone (" + Check.describe(timeZone)
                    + "); expected an IANA zone id such as 'Europe/Berlin', an offset such as '+02:00', or 'UTC'", e);
        }
    }

    /**
     * As {@link #parse(String)}, but {@code null} means "no schedule" (a one-shot job).
     *
     * @param expression a cron expression, or {@code null}
     * @return the schedule, or empty for {@code null}
     * @throws InvalidInputException as {@link #parse(String)}
     */
    public static Optional<CronSchedule> parseOptional(String expression) {
        return expression == null ? Optional.empty() : Optional.of(parse(expression));
    }

    /** @return the expression, whitespace-normalised, as stored in {@code scheduler_jobs.schedule} */
    public String expression() {
        return expression;
    }

    /** @return the zone whose wall clock the fields describe; {@link ZoneOffset#UTC} unless one was given */
    public ZoneId zone() {
        return zone;
    }

    /**
     * The first fire time strictly after {@code after}, evaluated in {@link #zone()}, at whole minutes (five fields)
     * or whole seconds (six fields).
     *
     * @param after the reference instant, typically the clock's now
     * @return the next fire time, later than {@code after}
     * @throws InvalidInputException when {@code after} is {@code null} or the schedule has no fire time after it
     */
    public Instant nextAfter(Instant after) {
        Check.notNull("after", after);
        return executionTime.nextExecution(after.atZone(zone))
                .map(ZonedDateTime::toInstant)
                .orElseThrow(() -> new InvalidInputException("cron expression '" + expression
                        + "' has no fire time after " + after));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CronSchedule other && other.expression.equals(expression) && other.zone.equals(zone);
    }

    @Override
    public int hashCode() {
        return expression.hashCode() * 31 + zone.hashCode();
    }

    /** @return the expression, followed by the zone in brackets unless it is UTC */
    @Override
    public String toString() {
        return zone.equals(ZoneOffset.UTC) ? expression : expression + " [" + zone.getId() + "]";
    }
}
