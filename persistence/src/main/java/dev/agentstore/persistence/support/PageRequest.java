package dev.agentstore.persistence.support;

import dev.agentstore.domain.Check;

/**
 * A zero-based page number and a page size.
 *
 * @param page    zero-based page number, 0 or more
 * @param perPage rows per page, 1 to {@value #MAX_PER_PAGE}
 */
public record PageRequest(int page, int perPage) {

    /** Largest accepted page size. */
    public static final int MAX_PER_PAGE = 1000;

    /**
     * @throws dev.agentstore.domain.InvalidInputException when {@code page} is negative or {@code perPage} is outside
     *                                                     1–{@value #MAX_PER_PAGE}
     */
    public PageRequest {
        Check.range("page", page, 0, Integer.MAX_VALUE);
        Check.range("perPage", perPage, 1, MAX_PER_PAGE);
    }

    /**
     * @param page zero-based page number
     * @param perPage rows per page
     * @return the request
     */
    public static PageRequest of(int page, int perPage) {
        return new PageRequest(page, perPage);
    }

    /** @return the first page of 20 rows */
    public static PageRequest first() {
        return new PageRequest(0, 20);
    }

    /** @return the row offset, {@code page * perPage} */
    public long offset() {
        return (long) page * perPage;
    }
}
