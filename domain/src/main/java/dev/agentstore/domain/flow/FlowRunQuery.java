package dev.agentstore.domain.flow;

import dev.agentstore.domain.Check;

import java.time.Instant;

/**
 * Which runs a listing across flows returns, and in which order. Every criterion is optional; an absent one matches
 * every run. Immutable; the {@code with…} methods return copies.
 *
 * @param flowName    runs of this flow only, or {@code null} for every flow
 * @param resourceId  runs of this resource only, or {@code null} for every resource
 * @param filter      statuses and start-time range ({@link FlowRunFilter#ALL} for every run); {@code null} means
 *                    {@link FlowRunFilter#ALL}
 * @param oldestFirst {@code false} (the default): newest first, {@code startedAt} descending then id descending;
 *                    {@code true}: oldest first, both ascending
 */
public record FlowRunQuery(String flowName, String resourceId, FlowRunFilter filter, boolean oldestFirst) {

    /** Every run of every flow, newest first. */
    public static final FlowRunQuery ALL = new FlowRunQuery(null, null, FlowRunFilter.ALL, false);

    /**
     * @throws dev.agentstore.domain.InvalidInputException when {@code flowName} or {@code resourceId} is blank or
     *                                                     longer than 255 characters
     */
    public FlowRunQuery {
        flowName = Check.optionalName("flowName", flowName);
        resourceId = Check.optionalName("resourceId", resourceId);
        filter = filter == null ? FlowRunFilter.ALL : filter;
    }

    /**
     * @param name the flow, or {@code null} for every flow
     * @return this query on that flow
     */
    public FlowRunQuery withFlow(String name) {
        return new FlowRunQuery(name, resourceId, filter, oldestFirst);
    }

    /**
     * @param id the resource, or {@code null} for every resource
     * @return this query on that resource
     */
    public FlowRunQuery withResource(String id) {
        return new FlowRunQuery(flowName, id, filter, oldestFirst);
    }

    /**
     * @param statuses the statuses to match; none matches every status
     * @return this query on these statuses
     */
    public FlowRunQuery withStatuses(FlowRunStatus... statuses) {
        return new FlowRunQuery(flowName, resourceId, filter.withStatuses(statuses), oldestFirst);
    }

    /**
     * @param from runs started at or after this instant, or {@code null}
     * @param to   runs started at or before this instant, or {@code null}
     * @return this query on that start-time range (inclusive)
     */
    public FlowRunQuery startedBetween(Instant from, Instant to) {
        return new FlowRunQuery(flowName, resourceId, filter.startedBetween(from, to), oldestFirst);
    }

    /** @return this query, oldest first */
    public FlowRunQuery inOldestFirstOrder() {
        return new FlowRunQuery(flowName, resourceId, filter, true);
    }
}
