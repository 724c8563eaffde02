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
 * send nearly the same query; instead they take their parts of the latest read of the selection, and only a step that
 * finds nothing new in it sends the next query, which the others then take too. Without this, a notification costs
 * one query per subscription (ten subscriptions of one flow: ten reads per event), and at a high rate the reads
 * compete with the writers for the machine.
 *
 * <p>A result read after {@code from} below the horizon of its snapshot is the complete, ordered list of the
 * selection's events after {@code from} up to that horizon (every older transaction has ended), or, when it holds
 * {@code limit} events, up to its last one; so its events after a cursor {@code c >= from} are exactly what a read
 * after {@code c} would return up to there, for any subscription, whenever it asks. A step may take its part of a read
 * that began before the step did: it then says that more may be waiting, so its subscription steps again at once.
 * A step ends with nothing only when it has seen a read that began after it did ({@link #generation()}: every wake-up
 * moves it on, so such a read sees the commit that the wake-up announced) and that holds nothing after its cursor and
 * is not a full batch. So every step delivers something or sends or joins a read that began after it: no event is
 * missed, and no step loops without progress. The reading step completes the result before it delivers, so a slow
 * listener never holds up another subscription's step.
 *
 * <p>Thread-safe. Keeps the latest read of each selection (the feed reads in one batch size), at most one batch,
 * until a newer one replaces it or the selection's last subscription closes ({@link #forget}).
 */
final class SharedReads {

    private record Read(FeedCursor from, long generation, CompletableFuture<List<FeedEvent>> events) {
    }

    /**
     * What a step gets.
     *
     * @param events the events after the step's cursor, in feed order
     * @param more   whether more may be waiting right away (the read was a full batch, or began before the step)
     */
    record Batch(List<FeedEvent> events, boolean more) {
    }

    /** Tries to share before a step reads on its own, unshared (only when other steps keep replacing the read). */
    private static final int ATTEMPTS = 3;

    private final Jdbi jdbi;
    private final AtomicLong generation = new AtomicLong();
    private final Map<FeedSelection, Read> latest = new ConcurrentHashMap<>();

    SharedReads(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** Moves the generation on: called before the subscriptions are woken (a notification, a poll, a new one). */
    void advance() {
        generation.incrementAndGet();
    }

    /** @return the current generation; a step takes it before it reads */
    long generation() {
        return generation.get();
    }

    /** Drops the kept reads of {@code selection}: its last subscription has closed. */
    void forget(FeedSelection selection) {
        latest.remove(selection);
    }

    /**
     * The next events of {@code selection} after {@code from}: the part after {@code from} of the latest read of the
     * selection (in flight or done) when it has one, else of a read that began at or after {@code since}, sent by
     * this step or joined.
     *
     * @param since the generation the asking step took when it began
     * @return at most {@code limit} events, in feed order
     * @throws RuntimeException the read's failure (to the reader and to every step that took its result)
     */
    Batch read(FeedSelection selection, FeedCursor from, int limit, long since) {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Read shared = latest.get(selection);
            if (shared != null && shared.from().compareTo(from) <= 0) {
                Batch part = partAfter(join(shared), from, limit);
                boolean current = shared.generation() >= since;
                if (!part.events().isEmpty()) {
                    return current ? part : new Batch(part.events(), true);
                }
                if (current && !part.more()) {
                    return part; // nothing after the cursor, up to a horizon taken after the step began
                }
            }
            CompletableFuture<List<FeedEvent>> mine = new CompletableFuture<>();
            Read fresh = new Read(from, generation.get(), mine);
            Read taken = latest.compute(selection, (k, old) -> old != null && old != shared
                    && old.from().compareTo(from) <= 0 && old.generation() >= since ? old : fresh);
            if (taken == fresh) {
                return send(fresh, selection, limit);
            }
        }
        return query(selection, from, limit);
    }

    private Batch send(Read read, FeedSelection selection, int limit) {
        try {
            Batch batch = query(selection, read.from(), limit);
            read.events().complete(batch.events());
            return batch;
        } catch (Throwable e) { // the steps waiting for this read must not wait forever
            latest.remove(selection, read);
            read.events().completeExceptionally(e);
            throw e;
        }
    }

    /** The one query: the selection's next {@code limit} events after {@code from}, on a pool connection. */
    private Batch query(FeedSelection selection, FeedCursor from, int limit) {
        List<FeedEvent> events = jdbi.withHandle(h -> FeedSql.read(h, selection, from, limit, null));
        return new Batch(events, events.size() == limit);
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
