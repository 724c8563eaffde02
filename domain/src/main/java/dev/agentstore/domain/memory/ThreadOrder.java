package dev.agentstore.domain.memory;

/**
 * The order of a thread listing, as Mastra's {@code orderBy: {field: createdAt | updatedAt, direction}}. Threads with
 * equal timestamps are ordered by id in the same direction, so paging never repeats or skips a thread.
 */
public enum ThreadOrder {
    /** Oldest created first. */
    CREATED_ASC,
    /** Newest created first (Mastra's default). */
    CREATED_DESC,
    /** Least recently updated first. */
    UPDATED_ASC,
    /** Most recently updated first. */
    UPDATED_DESC
}
