package dev.agentstore.persistence.feed;

import dev.agentstore.domain.InvalidInputException;

import java.util.Comparator;

/**
 * A position in the change feed: after the event at {@code (tx, kind, id)}. Events are ordered by the writing
 * transaction's id ({@code tx}, PostgreSQL's {@code pg_current_xact_id()}), then by kind rank, then by row id; a
 * reader only reads transactions older than every running one, so nothing can later appear before a position that
 * was read. Survives PostgreSQL restarts (transaction ids are durable), not a dump and restore into another cluster.
 *
 * <p>{@link #toString()} gives a compact text ({@code "tx.kind.id"}) that {@link #parse} reads back: usable as a
 * Server-Sent Events {@code id} so that a reconnecting browser resumes through {@code Last-Event-ID}. It is also the
 * event's deduplication key. Immutable.
 *
 * @param tx   the transaction id (0 for rows written before the feed existed)
 * @param kind the kind rank ({@link FeedKind#rank()}), 0 before every kind
 * @param id   the row id within the kind's table
 */
public record FeedCursor(long tx, int kind, long id) implements Comparable<FeedCursor> {

    /** Before every event: a subscription from here reads the whole history still stored. */
    public static final FeedCursor START = new FeedCursor(0, 0, 0);

    private static final Comparator<FeedCursor> ORDER = Comparator.comparingLong(FeedCursor::tx)
            .thenComparingInt(FeedCursor::kind).thenComparingLong(FeedCursor::id);

    /**
     * @throws InvalidInputException when a part is negative or the kind is above 3
     */
    public FeedCursor {
        if (tx < 0 || id < 0 || kind < 0 || kind > 3) {
            throw new InvalidInputException("cursor must have tx >= 0, kind 0..3 and id >= 0");
        }
    }

    /**
     * @param text a cursor's {@link #toString()} text
     * @return the cursor
     * @throws InvalidInputException when {@code text} is not one ({@code cursor} named)
     */
    public static FeedCursor parse(String text) {
        String[] parts = text == null ? new String[0] : text.trim().split("\\.");
        if (parts.length != 3) {
            throw new InvalidInputException("cursor must be tx.kind.id");
        }
        try {
            return new FeedCursor(Long.parseLong(parts[0]), Integer.parseInt(parts[1]), Long.parseLong(parts[2]));
        } catch (NumberFormatException e) {
            throw new InvalidInputException("cursor must be tx.kind.id, three numbers", e);
        }
    }

    /** @return {@code "tx.kind.id"} */
    @Override
    public String toString() {
        return tx + "." + kind + "." + id;
    }

    @Override
    public int compareTo(FeedCursor other) {
        return ORDER.compare(this, other);
    }

    /**
     * The lower bound on the row id of {@code other} within transaction {@link #tx()}: rows of a kind before this
     * cursor's kind are all read, rows of a later kind are all unread.
     */
    long idBoundFor(FeedKind other) {
        if (other.rank() < kind) {
            return Long.MAX_VALUE;
        }
        return other.rank() == kind ? id : -1;
    }
}
