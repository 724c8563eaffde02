package dev.agentstore.persistence.feed;

import org.jdbi.v3.core.Jdbi;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One read for the subscriptions that want the same one: after a wake-up, every subscription of a selection would
 * send nearly the same query; the first sends it and the others at the same or a later cursor take its result, each
 * the part after its own cursor. Without this, a notification costs one query per subscription (ten subscriptions of
 * one flow: ten reads per event).
 *
 * <p>A result read after {@code from} below the horizon of its snapshot is the complete, ordered list of the
 * selection's events after {@code from} up to that horizon (every older transaction has ended), or, when it holds
 * {@code limit} events, up to its last one; so its events after a cursor {@code c >= from} are exactly what a read
 * after {@code c} would return up to there, for any subscription, whenever it asks. A full result says nothing after
 * its last event: a step at or past that event reads anew. A result is only taken by a step that began no later
 * than the read did ({@link #generation()}: every wake-up moves it on): a read that began before the wake-up that
 * started a step might not see the commit that the wake-up announced. The reading step completes the result before
 * it delivers, so a slow listener never holds up another subscription's step.
 *
 * <p>Thread-safe. Keeps the latest read of each (selection, batch size) until the next wake-up: {@link #advance()}
 * drops the reads that are done, which no step that begins after it may take, so no batch is kept longer.
 */
final class SharedReads {

    private record Key(FeedSelection selection, int limit) {
    }

    private record Read(FeedCursor from, long generation, int limit, CompletableFuture<List<FeedEvent>> events) {

        /**
         * Whether a step that began at generation {@code since} at cursor {@code at} may take its part of this read:
         * the read began after the step did, from a cursor not after {@code at}, and (once done) covers something
         * after {@code at}: it is not a full batch that ends at or before it.
         */
        boolean serves(FeedCursor at, long since) {
            if (generation < since || from.compareTo(at) > 0) {
                return false;
            }
            List<FeedEvent> done = events.isDone() && !events.isCompletedExceptionally() ? events.join() : null;
            return done == null || done.size() < limit || done.get(done.size() - 1).cursor().compareTo(at) > 0;
        }
    }

    /**
     * What a step gets.
     *
     * @param events the events after the step's cursor, in feed order
     * @param more   whether more may be waiting right away (the read was a full batch)
     */
    record Batch(List<FeedEvent> events, boolean more) {
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
     * The next events of {@code selection} after {@code from}: the part after {@code from} of a read in flight or
     * done that {@linkplain Read#serves serves} the step, else a new read on this thread.
     *
     * @param since the generation the asking step took when it began
     * @return at most {@code limit} events, in feed order; {@code more} when the read was a full batch
     * @throws RuntimeException the read's failure (to the reader and to every step that took its result)
     */
    Batch read(FeedSelection selection, FeedCursor from, int limit, long since) {
        Key key = new Key(selection, limit);
        CompletableFuture<List<FeedEvent>> mine = new CompletableFuture<>();
        Read fresh = new Read(from, generation.get(), limit, mine);
        Read taken = latest.compute(key, (k, old) -> old != null && old.serves(from, since) ? old : fresh);
        if (taken != fresh) {
            Batch part = partAfter(join(taken), from, limit);
            if (!part.events().isEmpty() || !part.more()) {
                return part;
            }
            // it was in flight when taken and ended at or before this cursor: read the next batch anew
            latest.put(key, fresh);
        }
        try {
            List<FeedEvent> events = jdbi.withHandle(h -> FeedSql.read(h, selection, from, limit, null));
            mine.complete(events);
            return new Batch(events, events.size() == limit);
        } catch (Throwable e) { // the steps waiting for this read must not wait forever
            latest.remove(key, fresh);
            mine.completeExceptionally(e);
            throw e;
        }
    }

    private static List<FeedEvent> join(Read read) {
        try {
            return read.events().join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    private static Batch partAfter(List<FeedEvent> events, FeedCursor from, int limit) {
        int first = 0;
        while (first < events.size() && events.get(first).cursor().compareTo(from) <= 0) {
            first++;
        }
        return new Batch(events.subList(first, events.size()), events.size() == limit);
    }
}
