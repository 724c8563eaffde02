package dev.agentstore.domain.memory;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.time.Instant;
import java.util.List;

/**
 * What a message listing returns: the messages of one thread, optionally only those
 * of one resource and created within an inclusive time range, in sequence order, plus any {@link MessageInclude}d
 * messages (of any thread) with their context. Build it with {@link #of(String)} and the {@code with...} methods.
 *
 * @param memoryId   the thread, required
 * @param resourceId only messages of this resource (also for included messages and their context), or {@code null}
 * @param from       only messages created at or after this instant, or {@code null}
 * @param to         only messages created at or before this instant, or {@code null}
 * @param direction  {@link SortDirection#ASC} oldest (lowest sequence) first, or {@link SortDirection#DESC}
 * @param include    messages to include with context; not filtered by the time range; at most
 *                   {@value #MAX_INCLUDES}
 */
public record MessageQuery(String memoryId, String resourceId, Instant from, Instant to, SortDirection direction,
                           List<MessageInclude> include) {

    /** Most includes in one query: 1,000. */
    public static final int MAX_INCLUDES = 1000;

    /**
     * Validates and copies.
     *
     * @throws InvalidInputException when the thread id is {@code null} or blank, another id is invalid, {@code from}
     *                               is after {@code to}, either is outside PostgreSQL's {@code timestamptz} range,
     *                               or there are too many includes
     */
    public MessageQuery {
        MemoryText.id("memoryId", memoryId);
        MemoryText.optionalId("resourceId", resourceId);
        if (from != null) {
            Check.instant("from", from);
        }
        if (to != null) {
            Check.instant("to", to);
        }
        if (from != null && to != null && from.isAfter(to)) {
            throw new InvalidInputException("from must not be after to, was " + from + " > " + to);
        }
        Check.notNull("direction", direction);
        include = include == null ? List.of() : List.copyOf(Check.noNulls("include", include));
        if (include.size() > MAX_INCLUDES) {
            throw new InvalidInputException("include must have at most " + MAX_INCLUDES + " entries, had "
                    + include.size());
        }
    }

    /**
     * @param memoryId the thread
     * @return every message of the thread, oldest first, with no includes
     * @throws InvalidInputException when {@code memoryId} is {@code null} or blank
     */
    public static MessageQuery of(String memoryId) {
        return new MessageQuery(memoryId, null, null, null, SortDirection.ASC, List.of());
    }

    /**
     * @param resource only messages of this resource
     * @return a copy with this filter
     */
    public MessageQuery withResourceId(String resource) {
        return new MessageQuery(memoryId, Check.notNull("resourceId", resource), from, to, direction, include);
    }

    /**
     * @param start created at or after, or {@code null}
     * @param end   created at or before, or {@code null}
     * @return a copy with this inclusive range
     */
    public MessageQuery createdBetween(Instant start, Instant end) {
        return new MessageQuery(memoryId, resourceId, start, end, direction, include);
    }

    /**
     * @param order the direction
     * @return a copy in this direction
     */
    public MessageQuery orderedBy(SortDirection order) {
        return new MessageQuery(memoryId, resourceId, from, to, order, include);
    }

    /**
     * @param includes messages to include with context
     * @return a copy with these includes (replacing any earlier ones)
     */
    public MessageQuery including(MessageInclude... includes) {
        Check.notNull("include", includes);
        return new MessageQuery(memoryId, resourceId, from, to, direction, List.of(includes));
    }
}
