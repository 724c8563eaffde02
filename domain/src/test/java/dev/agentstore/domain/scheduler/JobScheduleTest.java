package dev.agentstore.domain.scheduler;

import dev.agentstore.domain.InvalidInputException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JobScheduleTest {

    private static final Instant NOW = Instant.parse("2030-01-01T10:17:00Z");

    @Test
    void cronIntervalAndOnceGiveTheirNextRunsAndColumns() {
        JobSchedule cron = JobSchedule.cron("0 9 * * *", "Europe/Berlin");
        JobSchedule every = JobSchedule.every(Duration.ofMinutes(5));
        JobSchedule once = JobSchedule.once();

        assertThat(cron.nextAfter(NOW)).contains(Instant.parse("2030-01-02T08:00:00Z"));
        assertThat(every.nextAfter(NOW)).contains(NOW.plusSeconds(300));
        assertThat(once.nextAfter(NOW)).isEmpty();
        assertThat(once.firstRunAfter(NOW)).isEqualTo(NOW);
        assertThat(List3.of(cron.expression(), cron.timeZone(), String.valueOf(cron.intervalMillis())))
                .isEqualTo(List3.of("0 9 * * *", "Europe/Berlin", "null"));
        assertThat(every.intervalMillis()).isEqualTo(300_000L);
        assertThat(JobSchedule.cron("0 9 * * *").timeZone()).isNull();
        assertThat(JobSchedule.of("0 9 * * *", "Europe/Berlin", null)).isEqualTo(cron);
        assertThat(JobSchedule.of(null, null, 300_000L)).isEqualTo(every);
        assertThat(JobSchedule.of(null, null, null)).isEqualTo(once);
        assertThat(List3.of(cron.isRecurring(), every.isRecurring(), once.isRecurring()))
                .isEqualTo(List3.of(true, true, false));
    }

    @Test
    void intervalsOutsideTheRangeOrFinerThanAMillisecondAreRejected() {
        for (Duration bad : new Duration[]{Duration.ZERO, Duration.ofMillis(-1), Duration.ofNanos(1500),
                JobSchedule.MAX_INTERVAL.plusMillis(1)}) {
            assertThatThrownBy(() -> JobSchedule.every(bad)).as(bad.toString())
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("interval");
        }
        assertThatThrownBy(() -> JobSchedule.every(null)).isInstanceOf(InvalidInputException.class);
    }

    /** A tiny tuple for comparing several values in one assertion. */
    private record List3<A, B, C>(A a, B b, C c) {
        static <A, B, C> List3<A, B, C> of(A a, B b, C c) {
            return new List3<>(a, b, c);
        }
    }
}
