package dev.agentstore.langchain4j;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongUnaryOperator;

/**
 * A knowledge base's chunk count as {@link AgentStoreEmbeddingStore} needs it to choose between an exact and an index
 * search: only whether it is below a threshold, so counted with {@code ChunkRepository.countAtMost} (its cost bounded
 * by the threshold, not the base) and cached for {@link #TTL_NANOS}. Writes through the adapter keep the cache an
 * upper bound (an add counts its rows even when they replace chunks, a removal forgets the count), so a base that
 * grows through the adapter is never searched exactly above the threshold; one that grows through other writers is
 * at most {@link #TTL_NANOS} late. Thread-safe: concurrent recounts are harmless.
 */
final class BaseSize {

    /** How long a count is reused: 10 seconds. */
    static final long TTL_NANOS = 10_000_000_000L;

    private record Count(long chunks, long limit, long at) {
    }

    private final AtomicReference<Count> cached = new AtomicReference<>();

    /**
     * @param limit   the threshold, ≥ 1
     * @param counter counts the base's chunks up to the given limit
     * @return whether the base has fewer than {@code limit} chunks (as of at most {@link #TTL_NANOS} ago)
     */
    boolean below(long limit, LongUnaryOperator counter) {
        long now = System.nanoTime();
        Count c = cached.get();
        if (c == null || c.limit() < limit && c.chunks() >= c.limit() || now - c.at() > TTL_NANOS) {
            c = new Count(counter.applyAsLong(limit), limit, now);
            cached.set(c);
        }
        return c.chunks() < limit;
    }

    /** @param rows how many chunks were added or replaced */
    void added(int rows) {
        cached.updateAndGet(c -> c == null ? null : new Count(c.chunks() + rows, c.limit(), c.at()));
    }

    /** Forgets the count (after a removal, which may have removed any number). */
    void forget() {
        cached.set(null);
    }
}
