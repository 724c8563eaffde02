package dev.agentstore.persistence.feed;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** A listener that records what it receives, with a bounded wait for a condition on the recording. Thread-safe. */
final class FeedRecorder implements FeedListener {

    private final List<FeedEvent> events = new ArrayList<>();

    @Override
    public synchronized void onEvent(FeedEvent event) {
        events.add(event);
        notifyAll();
    }

    synchronized List<FeedEvent> events() {
        return List.copyOf(events);
    }

    synchronized List<String> cursors() {
        return events.stream().map(e -> e.cursor().toString()).toList();
    }

    /** Waits until the recording satisfies {@code condition}; fails after {@code bound}. */
    synchronized List<FeedEvent> await(Duration bound, Predicate<List<FeedEvent>> condition) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!condition.test(events)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("condition not met within " + bound + "; received " + events.size()
                        + " event(s), the last " + (events.isEmpty() ? "none" : events.get(events.size() - 1).cursor()));
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return List.copyOf(events);
    }

    /** Waits until at least {@code n} events arrived. */
    List<FeedEvent> awaitCount(int n) throws InterruptedException {
        return await(Duration.ofSeconds(30), e -> e.size() >= n);
    }
}
