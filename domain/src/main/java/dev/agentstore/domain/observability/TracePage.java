package dev.agentstore.domain.observability;

import java.util.List;
import java.util.Optional;

/**
 * One page of a trace listing: root spans, newest first, and the cursor of the next page when there may be one.
 *
 * @param roots the root spans of the listed traces (with input, output, attributes and metadata)
 * @param next  the cursor after the last root when the page is full, else {@code null}
 */
public record TracePage(List<Span> roots, TraceCursor next) {

    /**
     * @param roots the root spans (copied)
     * @param next  the next page's cursor, or {@code null}
     */
    public TracePage {
        roots = List.copyOf(roots);
    }

    /** @return the next page's cursor; empty when this page is the last */
    public Optional<TraceCursor> nextCursor() {
        return Optional.ofNullable(next);
    }
}
