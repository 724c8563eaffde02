package dev.agentstore.persistence.feed;

/**
 * What a {@link FeedEvent} reports. The {@link #rank()} orders the kinds of one transaction inside a
 * {@link FeedCursor}; it is stored in cursors and in durable consumers' positions, so it never changes.
 */
public enum FeedKind {
    /** A row appended to {@code flow_events}. */
    FLOW_EVENT(1),
    /** A run entered a status (its first one included); the event's {@code type} is the status. */
    RUN_STATUS(2),
    /** A row appended to {@code trigger_events}. */
    TRIGGER_EVENT(3);

    private final int rank;

    FeedKind(int rank) {
        this.rank = rank;
    }

    /** @return the stored number of the kind, 1 to 3 */
    public int rank() {
        return rank;
    }

    /**
     * @param rank a stored number
     * @return its kind
     * @throws IllegalArgumentException when no kind has it
     */
    public static FeedKind ofRank(int rank) {
        for (FeedKind kind : values()) {
            if (kind.rank == rank) {
                return kind;
            }
        }
        throw new IllegalArgumentException("no feed kind " + rank);
    }
}
