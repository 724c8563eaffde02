package dev.agentstore.persistence.support;

import java.util.List;

/**
 * One page of a listing.
 *
 * @param items   the rows of this page, in the listing's order; unmodifiable
 * @param page    the zero-based page number that was asked for
 * @param perPage the page size that was asked for
 * @param total   the number of rows matching the filter, over all pages; {@link #TOTAL_NOT_COUNTED} when the
 *                caller asked a listing not to count them (only listings with such an option, e.g.
 *                {@code MemoryRepository.listMessages(query, page, false)}, return it)
 * @param hasMore whether a later page has rows
 * @param <T>     the row type
 */
public record Page<T>(List<T> items, int page, int perPage, long total, boolean hasMore) {

    /** The {@link #total()} of a page whose listing was asked not to count the matching rows: -1. */
    public static final long TOTAL_NOT_COUNTED = -1;

    /** Defensive copy of the items. */
    public Page {
        items = List.copyOf(items);
    }

    /**
     * @param items   the rows of this page
     * @param page    zero-based page number
     * @param perPage page size
     * @param total   total matching rows
     * @param <T>     the row type
     * @return the page, with {@code hasMore} derived from {@code total}
     */
    public static <T> Page<T> of(List<T> items, int page, int perPage, long total) {
        return new Page<>(items, page, perPage, total, ((long) page + 1) * perPage < total);
    }
}
