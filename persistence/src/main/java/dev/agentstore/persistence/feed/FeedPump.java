package dev.agentstore.persistence.feed;

import org.jdbi.v3.core.Jdbi;

import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The delivery loop shared by subscriptions and durable consumers: {@link #wake()} asks for a {@link #step()}, which
 * runs as one task on the executor; at most one step of a pump runs at a time, and wake-ups during a step make it run
 * again. A step handles one batch and says whether more is waiting, so that pumps take turns on a bounded executor.
 * An exception out of a step closes the pump and is kept as its {@link #failure()}.
 */
abstract class FeedPump implements Subscription {

    /** Where the events are read. */
    final Jdbi jdbi;
    /** Which events. */
    final FeedSelection selection;
    /** Who gets them. */
    final FeedListener listener;
    /** The most events read and delivered at once. */
    final int batchSize;
    private final Executor executor;
    private final Runnable onClose;
    private final AtomicBoolean dirty = new AtomicBoolean();
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile boolean closed;
    private volatile Throwable failure;

    FeedPump(Jdbi jdbi, FeedSelection selection, FeedListener listener, int batchSize, Executor executor,
             Runnable onClose) {
        this.jdbi = jdbi;
        this.selection = selection;
        this.listener = listener;
        this.batchSize = batchSize;
        this.executor = executor;
        this.onClose = onClose;
    }

    /**
     * Reads and delivers one batch.
     *
     * @return whether more events may be waiting right away
     * @throws Exception to close the pump
     */
    abstract boolean step() throws Exception;

    /** Asks for a step; returns at once, on any thread. */
    final void wake() {
        dirty.set(true);
        schedule();
    }

    private void schedule() {
        if (!closed && dirty.get() && running.compareAndSet(false, true)) {
            try {
                executor.execute(this::runStep);
            } catch (RejectedExecutionException e) {
                running.set(false); // the executor is shutting down or saturated; the next wake-up tries again
            }
        }
    }

    private void runStep() {
        try {
            if (!closed && dirty.getAndSet(false) && step()) {
                dirty.set(true);
            }
        } catch (Throwable e) {
            failure = e;
            close();
        } finally {
            running.set(false);
            schedule();
        }
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            onClose.run();
        }
    }
}
