package dev.agentstore.domain.memory;

/** The direction of a listing: oldest first ({@link #ASC}) or newest first ({@link #DESC}). */
public enum SortDirection {
    /** Ascending: oldest (lowest sequence or time) first. */
    ASC,
    /** Descending: newest (highest sequence or time) first. */
    DESC
}
