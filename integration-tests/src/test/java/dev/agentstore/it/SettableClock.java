package dev.agentstore.it;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/** A UTC clock that stands still until a test moves it; thread-safe. */
public class SettableClock extends Clock {

    private final AtomicReference<Instant> now;

    /** @param start the first instant it reads */
    public SettableClock(Instant start) {
        this.now = new AtomicReference<>(start);
    }

    /** @param step how far to move the clock forward */
    public void advance(Duration step) {
        now.updateAndGet(t -> t.plus(step));
    }

    @Override
    public Instant instant() {
        return now.get();
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("a SettableClock reads UTC only");
    }
}
