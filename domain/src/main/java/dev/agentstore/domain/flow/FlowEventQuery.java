package dev.agentstore.domain.flow;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * What {@code FlowEventRepository.read(runId, query)} returns: types, time range (from, to),
 * a keyset cursor (after), limit and order. Immutable; start from {@link #defaults()} and refine:
 *
 * <pre>{@code
 * FlowEventQuery q = FlowEventQuery.defaults().types("step.failed").descending().limit(50);
 * List<FlowEvent> page = repo.read("run-1", q);
 * // next page: rows strictly after the last one in this order
 * Optional<FlowEventQuery> next = q.next(page);
 * }</pre>
 *
 * <p>Rows are ordered by {@code (ts, id)}: ascending (oldest first) or descending (newest first). The cursor
 * {@link #afterId()} is the id of a row of the same run; a read returns only rows strictly after it in the query's
 * order, so paging with the last id of each page returns every row exactly once, even when many rows share a
 * millisecond.
 *
 * @param types   event types to return; empty for all; at most {@value #MAX_TYPES} names of 1–255 characters
 * @param from    earliest {@code ts} returned, inclusive, or {@code null} for no lower bound
 * @param to      latest {@code ts} returned, inclusive, or {@code null} for no upper bound
 * @param afterId the keyset cursor: the id of the last row already seen, or {@code null} to start at the beginning
 *                (in the query's order)
 * @param limit   the most rows returned, 1–{@value #MAX_LIMIT}; {@value #DEFAULT_LIMIT} by default
 * @param order   {@link Order#ASC} (oldest first, the default) or {@link Order#DESC} (newest first)
 */
public record FlowEventQuery(Set<String> types, Instant from, Instant to, Long afterId, int limit, Order order) {

    /** Default page size. */
    public static final int DEFAULT_LIMIT = 100;
    /** Largest accepted page size. */
    public static final int MAX_LIMIT = 1000;
    /** Largest number of types in one query. */
    public static final int MAX_TYPES = 100;

    /** Row order by {@code (ts, id)}. */
    public enum Order {
        /** Oldest first: {@code ORDER BY ts ASC, id ASC}. */
        ASC,
        /** Newest first: {@code ORDER BY ts DESC, id DESC}. */
        DESC
    }

    /**
     * Validates and copies {@code types}.
     *
     * @throws InvalidInputException when {@code types} or {@code order} is {@code null}, a type is blank or longer
     *                               than 255 characters, there are more than {@value #MAX_TYPES} types,
     *                               {@code from} is after {@code to} or outside PostgreSQL's timestamptz range,
     *                               {@code afterId} is less than 1, or {@code limit}
     *                               is outside 1–{@value #MAX_LIMIT}
     */
    public FlowEventQuery {
        Check.noNulls("types", types);
        if (types.size() > MAX_TYPES) {
            throw new InvalidInputException("types must hold at most " + MAX_TYPES + " names, held " + types.size());
        }
        types.forEach(t -> Check.name("types", t));
        types = Set.copyOf(types);
        Check.instant("from", from);
        Check.instant("to", to);
        if (from != null && to != null && from.isAfter(to)) {
            throw new InvalidInputException("from (" + from + ") must not be after to (" + to + ")");
        }
        if (afterId != null && afterId < 1) {
            throw new InvalidInputException("afterId must be a positive event id, was " + afterId);
        }
        Check.range("limit", limit, 1, MAX_LIMIT);
        Check.notNull("order", order);
    }

    /** @return all types, no time bounds, no cursor, {@value #DEFAULT_LIMIT} rows, oldest first */
    public static FlowEventQuery defaults() {
        return new FlowEventQuery(Set.of(), null, null, null, DEFAULT_LIMIT, Order.ASC);
    }

    /**
     * Filters by type. (With no argument, {@code types()} is the record accessor; to drop a type filter start again
     * from {@link #defaults()}.)
     *
     * @param types the event types to return, any of them
     * @return a copy returning only these types
     * @throws InvalidInputException when a type is {@code null}, blank or longer than 255 characters
     */
    public FlowEventQuery types(String... types) {
        Check.notNull("types", types);
        return new FlowEventQuery(Set.copyOf(Check.noNulls("types", Arrays.asList(types))), from, to, afterId, limit,
                order);
    }

    /**
     * @param from earliest {@code ts}, inclusive, or {@code null}
     * @param to   latest {@code ts}, inclusive, or {@code null}
     * @return a copy with these bounds
     * @throws InvalidInputException when {@code from} is after {@code to}
     */
    public FlowEventQuery between(Instant from, Instant to) {
        return new FlowEventQuery(types, from, to, afterId, limit, order);
    }

    /**
     * @param afterId the id of the last row already seen, or {@code null} to start at the beginning
     * @return a copy with this cursor
     * @throws InvalidInputException when {@code afterId} is less than 1
     */
    public FlowEventQuery after(Long afterId) {
        return new FlowEventQuery(types, from, to, afterId, limit, order);
    }

    /**
     * @param limit the most rows returned, 1–{@value #MAX_LIMIT}
     * @return a copy with this limit
     * @throws InvalidInputException when {@code limit} is outside 1–{@value #MAX_LIMIT}
     */
    public FlowEventQuery limit(int limit) {
        return new FlowEventQuery(types, from, to, afterId, limit, order);
    }

    /** @return a copy returning the oldest rows first */
    public FlowEventQuery ascending() {
        return new FlowEventQuery(types, from, to, afterId, limit, Order.ASC);
    }

    /** @return a copy returning the newest rows first */
    public FlowEventQuery descending() {
        return new FlowEventQuery(types, from, to, afterId, limit, Order.DESC);
    }

    /**
     * The query for the page after {@code page}, a result of this query.
     *
     * @param page the rows this query returned
     * @return this query with the cursor at the last row of {@code page}, or empty when {@code page} held fewer than
     *         {@link #limit()} rows (there is nothing more to read now)
     */
    public Optional<FlowEventQuery> next(List<FlowEvent> page) {
        Check.notNull("page", page);
        if (page.size() < limit) {
            return Optional.empty();
        }
        return Optional.of(after(page.get(page.size() - 1).id()));
    }

    /**
     * The query for the page after {@code page}, a result of this query over other events that share its cursor
     * rules (trigger events: {@code triggers().events(name, query)}).
     *
     * @param page the rows this query returned
     * @param id   the id of a row, for example {@code TriggerEvent::id}
     * @param <E>  the rows' type
     * @return this query with the cursor at the last row of {@code page}, or empty when {@code page} held fewer than
     *         {@link #limit()} rows
     */
    public <E> Optional<FlowEventQuery> next(List<E> page, ToLongFunction<E> id) {
        Check.notNull("page", page);
        Check.notNull("id", id);
        if (page.size() < limit) {
            return Optional.empty();
        }
        return Optional.of(after(id.applyAsLong(page.get(page.size() - 1))));
    }
}
