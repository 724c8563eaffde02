package dev.agentstore.domain.scheduler;

import dev.agentstore.domain.InvalidInputException;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CronScheduleTest {

    @Test
    void nullMeansNoSchedule() {
        assertThat(CronSchedule.parseOptional(null)).isEmpty();
        assertThat(CronSchedule.parseOptional("0 * * * *")).contains(CronSchedule.parse("0 * * * *"));
    }

    @Nested
    class Accepted {

        @Test
        void acceptsAFiveFieldUnixExpressionAndNormalisesItsWhitespace() {
            assertThat(CronSchedule.parse("0 * * * *").expression()).isEqualTo("0 * * * *");
            assertThat(CronSchedule.parse("  0   *\t* * *  ").expression()).isEqualTo("0 * * * *");
            assertThat(CronSchedule.parse(" 0  * * * *")).isEqualTo(CronSchedule.parse("0 * * * *"))
                    .hasSameHashCodeAs(CronSchedule.parse("0 * * * *"));
        }

        @Test
        void nextFireTimeIsStrictlyAfterTheReferenceInUtc() {
            CronSchedule hourly = CronSchedule.parse("0 * * * *");
            assertThat(hourly.nextAfter(Instant.parse("2030-01-01T10:17:00Z"))).isEqualTo("2030-01-01T11:00:00Z");
            assertThat(hourly.nextAfter(Instant.parse("2030-01-01T11:00:00Z"))).isEqualTo("2030-01-01T12:00:00Z");
            assertThat(hourly.nextAfter(Instant.parse("2030-01-01T10:59:59.999Z"))).isEqualTo("2030-01-01T11:00:00Z");
            assertThat(CronSchedule.parse("30 2 * * *").nextAfter(Instant.parse("2030-12-31T23:00:00Z")))
                    .isEqualTo("2031-01-01T02:30:00Z");
        }

        @Test
        void stepsRangesAndDayNamesAreUnderstood() {
            CronSchedule officeHours = CronSchedule.parse("*/15 9-17 * * MON-FRI");
            // 2030-01-04 is a Friday: after 17:50 the next slot is Monday 09:00
            assertThat(officeHours.nextAfter(Instant.parse("2030-01-04T17:50:00Z"))).isEqualTo("2030-01-07T09:00:00Z");
            assertThat(officeHours.nextAfter(Instant.parse("2030-01-07T09:01:00Z"))).isEqualTo("2030-01-07T09:15:00Z");
        }

        @Test
        void restrictingBothDayOfMonthAndDayOfWeekFiresOnEitherAsInUnixCron() {
            // 2030-01-01 is a Tuesday; the 13th or any Friday: Friday the 4th comes first
            assertThat(CronSchedule.parse("0 0 13 * 5").nextAfter(Instant.parse("2030-01-01T12:00:00Z")))
                    .isEqualTo("2030-01-04T00:00:00Z");
        }

        @Test
        void sixFieldsPutSecondsFirstAndKeepTheUnixRulesForTheOthers() {
            CronSchedule halfMinute = CronSchedule.parse("30 * * * * *");
            assertThat(halfMinute.nextAfter(Instant.parse("2030-01-01T10:17:00Z"))).isEqualTo("2030-01-01T10:17:30Z");
            assertThat(halfMinute.nextAfter(Instant.parse("2030-01-01T10:17:30Z"))).isEqualTo("2030-01-01T10:18:30Z");
            assertThat(CronSchedule.parse("*/20 0 9 * * MON-FRI").nextAfter(Instant.parse("2030-01-04T09:00:40Z")))
                    .isEqualTo("2030-01-07T09:00:00Z");
            assertThat(CronSchedule.parse("0 0 0 13 * 5").nextAfter(Instant.parse("2030-01-01T12:00:00Z")))
                    .isEqualTo("2030-01-04T00:00:00Z");
        }

        @Test
        void aTimeZoneMovesTheFireTimesToItsWallClockAcrossDaylightSavingTime() {
            CronSchedule nineInBerlin = CronSchedule.parse("0 9 * * *", CronSchedule.zone("Europe/Berlin"));
            // winter: UTC+1; summer (after 2030-03-31): UTC+2
            assertThat(nineInBerlin.nextAfter(Instant.parse("2030-01-01T10:17:00Z"))).isEqualTo("2030-01-02T08:00:00Z");
            assertThat(nineInBerlin.nextAfter(Instant.parse("2030-04-01T10:00:00Z"))).isEqualTo("2030-04-02T07:00:00Z");
            assertThat(nineInBerlin.zone().getId()).isEqualTo("Europe/Berlin");
            assertThat(nineInBerlin).isNotEqualTo(CronSchedule.parse("0 9 * * *"));
            assertThat(CronSchedule.parse("0 9 * * *", null)).isEqualTo(CronSchedule.parse("0 9 * * *"));
        }

        @Test
        void aLeapDayScheduleIsValidAndFindsTheNextLeapYear() {
            assertThat(CronSchedule.parse("0 0 29 2 *").nextAfter(Instant.parse("2030-01-01T00:00:00Z")))
                    .isEqualTo("2032-02-29T00:00:00Z");
        }
    }

    @Nested
    class Rejected {

        @Test
        void sevenFieldExpressionsAreRejectedNamingTheSettingAndTheExpectedFormatWithoutQuotingTheValue() {
            assertThatThrownBy(() -> CronSchedule.parse("0 0 * * * * 2030"))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("cron")
                    .hasMessageNotContaining("'0 0 * * * * 2030'")
                    .hasMessageContaining("5 fields")
                    .hasMessageContaining("6 fields")
                    .hasMessageContaining("'0 * * * *'");
        }

        @Test
        void aSixFieldExpressionWithAnInvalidSecondOrAnUnknownZoneIsRejectedNamingWhich() {
            assertThatThrownBy(() -> CronSchedule.parse("60 * * * * *")).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("cron");
            assertThatThrownBy(() -> CronSchedule.zone("Mars/Olympus")).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("timeZone");
            assertThatThrownBy(() -> JobSchedule.cron("0 * * * *", " ")).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("timeZone");
        }

        @Test
        void malformedExpressionsAreRejected() {
            for (String bad : new String[]{"61 * * * *", "* 24 * * *", "bogus", "@hourly", "0 * * *", "0 * * 13 *"}) {
                assertThatThrownBy(() -> CronSchedule.parse(bad)).as(bad)
                        .isInstanceOf(InvalidInputException.class)
                        .hasMessageContaining("cron")
                        .hasMessageNotContaining("'" + bad + "'")
                        .hasMessageContaining(CronSchedule.EXPECTED_FORMAT);
            }
        }

        @Test
        void blankNullAndOversizedExpressionsAreRejected() {
            assertThatThrownBy(() -> CronSchedule.parse(null)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("cron expression must not be blank").hasMessageContaining("was null")
                    .hasMessageContaining(CronSchedule.EXPECTED_FORMAT);
            assertThatThrownBy(() -> CronSchedule.parse("   ")).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("cron expression must not be blank").hasMessageContaining(CronSchedule.EXPECTED_FORMAT);
            assertThatThrownBy(() -> CronSchedule.parse("0 * * * " + "*".repeat(300)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("at most 255")
                    .hasMessageContaining("was 308 characters");
        }

        @Test
        void anExpressionThatNeverFiresIsRejected() {
            assertThatThrownBy(() -> CronSchedule.parse("0 0 30 2 *"))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("'0 0 30 2 *' never fires");
        }
    }
}
