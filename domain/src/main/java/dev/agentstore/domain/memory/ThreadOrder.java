package dev.agentstore.domain.memory;

/**
 * The order of a thread listing: by creation or update time, ascending or descending. Threads with
 * equal timestamps are ordered by id in the same direction, so paging never repeats or skips a thread.
 */
public enum ThreadOrder {
    /** Oldest created first. */
    CREATED_ASC,
    /** Newest created first. */
    CREATED_DESC,
    /** Least recently updated first. */
    UPDATED_ASC,
    /** Most recently updated first. */
    UPDATED_DESC
}
