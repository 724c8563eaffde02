package dev.agentstore.persistence.feed;

import java.util.Optional;

/**
 * A running subscription or durable consumer instance. Thread-safe; {@link #close()} may be called from any thread,
 * the listener included.
 */
public interface Subscription extends AutoCloseable {

    /** @return the position after the last event delivered (for a durable consumer: the one it started from) */
    FeedCursor cursor();

    /** @return whether it was closed, by {@link #close()} or by a failure */
    boolean isClosed();

    /** @return the listener's exception that closed it, if that is what closed it */
    Optional<Throwable> failure();

    /**
     * Stops delivery: the listener is not called again, except for the one call that may be under way or about
     * to start on the feed's thread when this runs. Idempotent.
     */
    @Override
    void close();
}
