package dev.agentstore.persistence.feed;

import org.jdbi.v3.core.Jdbi;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One read for the subscriptions that want the same one: after a wake-up, every subscription of a selection that is
 * at the same cursor would send the same query; the first sends it and the others take its result. Without this, a
 * notification costs one query per subscription (ten subscriptions of one flow: ten identical reads per event).
 *
 * <p>A result read after {@code from} below the horizon of its snapshot is the complete, ordered list of the
 * selection's events after {@code from} up to that horizon (every older transaction has ended), so it is correct for
 * any subscription at {@code from}, whenever it asks. It is only taken by a step that began no later than the read
 * did ({@link #generation()}: every wake-up moves it on): a read that began before the wake-up that started a step
 * might not see the commit that the wake-up announced. The reading step completes the result before it delivers, so
 * a slow listener never holds up another subscription's step.
 *
 * <p>Thread-safe. Keeps the latest read of each (selection, batch size) until the next wake-up: {@link #advance()}
 * drops the reads that are done, which no step that begins after it may take, so no batch is kept longer.
 */
final class SharedReads {

    private record Key(FeedSelection selection, int limit) {
    }

    private record Read(FeedCursor from, long generation, CompletableFuture<List<FeedEvent>> events) {
    }

    private final Jdbi jdbi;
    private final AtomicLong generation = new AtomicLong();
    private final Map<Key, Read> latest = new ConcurrentHashMap<>();

    SharedReads(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** Moves the generation on: called before the subscriptions are woken (a notification, a poll, a new one). */
    void advance() {
        generation.incrementAndGet();
        latest.values().removeIf(r -> r.events().isDone());
    }

    /** @return the current generation; a step takes it before it reads */
    long generation() {
        return generation.get();
    }

    /**
     * The next events of {@code selection} after {@code from}: a read in flight or done that began at or after
     * {@code since}, else a new read on this thread.
     *
     * @param since the generation the asking step took when it began
     * @return at most {@code limit} events, in feed order
     * @throws RuntimeException the read's failure (to the reader and to every step that took its result)
     */
    List<FeedEvent> read(FeedSelection selection, FeedCursor from, int limit, long since) {
        Key key = new Key(selection, limit);
        CompletableFuture<List<FeedEvent>> mine = new CompletableFuture<>();
        Read fresh = new Read(from, generation.get(), mine);
        Read taken = latest.compute(key, (k, old) ->
                old != null && old.from().equals(from) && old.generation() >= since ? old : fresh);
        if (taken != fresh) {
            try {
                return taken.events().join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : e;
            }
        }
        try {
            List<FeedEvent> events = jdbi.withHandle(h -> FeedSql.read(h, selection, from, limit, null));
            mine.complete(events);
            return events;
        } catch (Throwable e) { // the steps waiting for this read must not wait forever
            latest.remove(key, fresh);
            mine.completeExceptionally(e);
            throw e;
        }
    }
}
