package dev.agentstore.persistence.query;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A search: a {@link Filter}, sort keys, a window ({@code limit}/{@code offset}) and an optional projection. Immutable;
 * each method returns a changed copy:
 *
 * <pre>{@code
 * Query q = Query.where(Filter.gte("data.age", 18))
 *         .orderBy(Sort.by("data.age").numeric().descending(), Sort.by("data.name"))
 *         .limit(20).offset(40)
 *         .select("data.name", "data.age");
 * }</pre>
 *
 * Repositories add their own final tiebreak (the id) after the sort keys, so paging is stable. With a projection a
 * repository returns only the selected fields.
 *
 * @param filter     the condition; {@link Filter#all()} for every row
 * @param sort       the sort keys, most significant first; may be empty (then only the repository's tiebreak)
 * @param limit      the most rows to return, 1 to {@value #MAX_LIMIT}
 * @param offset     how many matching rows to skip, 0 or more
 * @param projection the fields to return; empty for whole rows
 */
public record Query(Filter filter, List<Sort> sort, int limit, long offset, List<FieldPath> projection) {

    /** Limit when none is given: 100 rows. */
    public static final int DEFAULT_LIMIT = 100;

    /** Largest accepted limit: 10,000 rows. */
    public static final int MAX_LIMIT = 10_000;

    /** Most sort keys: 16. */
    public static final int MAX_SORT_KEYS = 16;

    /** Most projected fields: 64. */
    public static final int MAX_PROJECTION = 64;

    /**
     * @param filter     the condition
     * @param sort       the sort keys; copied
     * @param limit      1 to {@value #MAX_LIMIT}
     * @param offset     0 or more
     * @param projection the fields to return; copied
     * @throws InvalidInputException when a part is {@code null} or out of range
     */
    public Query {
        Check.notNull("filter", filter);
        sort = List.copyOf(Check.noNulls("sort", sort));
        if (sort.size() > MAX_SORT_KEYS) {
            throw new InvalidInputException("sort must have at most " + MAX_SORT_KEYS + " keys, had " + sort.size());
        }
        Check.range("limit", limit, 1, MAX_LIMIT);
        Check.notNegative("offset", offset);
        projection = List.copyOf(Check.noNulls("projection", projection));
        if (projection.size() > MAX_PROJECTION) {
            throw new InvalidInputException("projection must have at most " + MAX_PROJECTION + " fields, had "
                    + projection.size());
        }
    }

    /** @return every row, unsorted apart from the repository's tiebreak, the first {@value #DEFAULT_LIMIT} */
    public static Query all() {
        return new Query(Filter.all(), List.of(), DEFAULT_LIMIT, 0, List.of());
    }

    /**
     * @param filter the condition
     * @return the rows matching {@code filter}, the first {@value #DEFAULT_LIMIT}
     * @throws InvalidInputException when {@code filter} is {@code null}
     */
    public static Query where(Filter filter) {
        return new Query(filter, List.of(), DEFAULT_LIMIT, 0, List.of());
    }

    /**
     * @param newFilter the condition replacing this query's
     * @return a copy with that filter
     * @throws InvalidInputException when {@code newFilter} is {@code null}
     */
    public Query filter(Filter newFilter) {
        return new Query(newFilter, sort, limit, offset, projection);
    }

    /**
     * @param keys the sort keys, most significant first, replacing any set before
     * @return a copy with those sort keys
     * @throws InvalidInputException when a key is {@code null} or there are more than {@value #MAX_SORT_KEYS}
     */
    public Query orderBy(Sort... keys) {
        return new Query(filter, Arrays.asList(Check.notNull("sort", keys)), limit, offset, projection);
    }

    /**
     * @param newLimit the most rows to return, 1 to {@value #MAX_LIMIT}
     * @return a copy with that limit
     * @throws InvalidInputException when out of range
     */
    public Query limit(int newLimit) {
        return new Query(filter, sort, newLimit, offset, projection);
    }

    /**
     * @param newOffset how many matching rows to skip, 0 or more
     * @return a copy with that offset
     * @throws InvalidInputException when negative
     */
    public Query offset(long newOffset) {
        return new Query(filter, sort, limit, newOffset, projection);
    }

    /**
     * @param paths the dot paths of the fields to return (for example {@code data.name}), replacing any set before;
     *              none for whole rows
     * @return a copy with that projection
     * @throws InvalidInputException when a path is invalid or there are more than {@value #MAX_PROJECTION}
     */
    public Query select(String... paths) {
        List<FieldPath> parsed = new ArrayList<>();
        for (String p : Check.notNull("paths", paths)) {
            parsed.add(FieldPath.of(p));
        }
        return new Query(filter, sort, limit, offset, parsed);
    }
}
