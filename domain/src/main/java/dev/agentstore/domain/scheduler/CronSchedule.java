package dev.agentstore.domain.scheduler;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Optional;

/**
 * A validated UNIX cron expression (five fields: minute, hour, day of month, month, day of week; for example
 * {@code 0 * * * *} for "every hour on the hour"), parsed with cron-utils'
 * {@code CronType.UNIX} definition and evaluated in UTC. Ranges ({@code 9-17}), lists ({@code 1,15}), steps
 * ({@code *}{@code /15}) and names ({@code MON}, {@code JAN}) are accepted; six-field (seconds) expressions and
 * nicknames such as {@code @hourly} are not. As in UNIX cron, when both day of month and day of week are restricted
 * a day matching either fires.
 *
 * <p>Immutable and thread-safe; equal when the (whitespace-normalised) expressions are equal.
 */
public final class CronSchedule {

    /** Describes the accepted format, for error messages. */
    public static final String EXPECTED_FORMAT =
            "a UNIX cron expression with 5 fields 'minute hour day-of-month month day-of-week', e.g. '0 * * * *'";

    private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    private static final ZonedDateTime NEVER_CHECK_FROM = ZonedDateTime.of(2000, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

    private final String expression;
    private final ExecutionTime executionTime;

    private CronSchedule(String expression, ExecutionTime executionTime) {
        this.expression = expression;
        this.executionTime = executionTime;
    }

    /**
     * Parses and validates a cron expression.
     *
     * @param expression five space-separated fields; surrounding and repeated whitespace is normalised
     * @return the schedule
     * @throws InvalidInputException when the expression is blank, longer than 255 characters, not a valid five-field
     *                               UNIX cron expression, or can never fire (such as {@code 0 0 30 2 *}); the
     *                               message quotes the expression and names the expected format
     */
    public static CronSchedule parse(String expression) {
        if (expression == null || expression.isBlank() || expression.length() > Check.MAX_NAME_LENGTH) {
            throw new InvalidInputException("cron expression must not be blank and at most " + Check.MAX_NAME_LENGTH
                    + " characters, was " + (expression == null ? "null" : expression.length() + " characters")
                    + "; expected " + EXPECTED_FORMAT + " (a one-shot job has no cron expression: null)");
        }
        String normalised = expression.trim().replaceAll("\\s+", " ");
        ExecutionTime executionTime;
        try {
            Cron cron = PARSER.parse(normalised);
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
        return new CronSchedule(normalised, executionTime);
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

    /**
     * The first fire time strictly after {@code after}, in UTC, at whole minutes.
     *
     * @param after the reference instant, typically the clock's now
     * @return the next fire time, later than {@code after}
     * @throws InvalidInputException when {@code after} is {@code null} or the schedule has no fire time after it
     */
    public Instant nextAfter(Instant after) {
        Check.notNull("after", after);
        return executionTime.nextExecution(after.atZone(ZoneOffset.UTC))
                .map(ZonedDateTime::toInstant)
                .orElseThrow(() -> new InvalidInputException("cron expression '" + expression
                        + "' has no fire time after " + after));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CronSchedule other && other.expression.equals(expression);
    }

    @Override
    public int hashCode() {
        return expression.hashCode();
    }

    /** @return the expression */
    @Override
    public String toString() {
        return expression;
    }
}
