package dev.agentstore.persistence;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.atomic.AtomicReference;

/** A settable clock for tests (as db-scheduler's SettableClock); starts at the real time, truncated to ms. */
public final class MutableClock extends Clock {

    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.now().truncatedTo(ChronoUnit.MILLIS));

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("MutableClock is UTC only");
    }

    @Override
    public Instant instant() {
        return now.get();
    }

    /** @param instant the new time */
    public void set(Instant instant) {
        now.set(instant);
    }

    /** @param duration how far to move the clock forward */
    public void advance(Duration duration) {
        now.updateAndGet(i -> i.plus(duration));
    }
}
