package dev.agentstore.persistence.feed;

import dev.agentstore.domain.InvalidInputException;

import java.util.EnumSet;
import java.util.Set;

/**
 * Which events a subscription or durable consumer receives: one run's (its flow events and status changes), one
 * flow's (of all its runs), one trigger's events, or everything. Immutable; create with the factory methods.
 *
 * @param flowName    the flow, or {@code null}
 * @param runId       the run within {@code flowName}, or {@code null}
 * @param triggerName the trigger, or {@code null}
 */
public record FeedSelection(String flowName, String runId, String triggerName) {

    private static final int MAX_NAME = 255;

    /** @return every flow event, run status change and trigger event */
    public static FeedSelection all() {
        return new FeedSelection(null, null, null);
    }

    /**
     * @param flowName the flow
     * @return the flow events and status changes of every run of the flow
     * @throws InvalidInputException when {@code flowName} is blank or longer than 255 characters
     */
    public static FeedSelection flow(String flowName) {
        return new FeedSelection(name("flowName", flowName), null, null);
    }

    /**
     * @param flowName the run's flow
     * @param runId    the run
     * @return the run's flow events and status changes
     * @throws InvalidInputException when a name is blank or longer than 255 characters
     */
    public static FeedSelection run(String flowName, String runId) {
        return new FeedSelection(name("flowName", flowName), name("runId", runId), null);
    }

    /**
     * @param triggerName the trigger
     * @return the trigger's events
     * @throws InvalidInputException when {@code triggerName} is blank or longer than 255 characters
     */
    public static FeedSelection trigger(String triggerName) {
        return new FeedSelection(null, null, name("triggerName", triggerName));
    }

    /** @return the kinds of events this selection can contain */
    public Set<FeedKind> kinds() {
        if (triggerName != null) {
            return EnumSet.of(FeedKind.TRIGGER_EVENT);
        }
        return flowName != null ? EnumSet.of(FeedKind.FLOW_EVENT, FeedKind.RUN_STATUS) : EnumSet.allOf(FeedKind.class);
    }

    private static String name(String field, String value) {
        if (value == null || value.isBlank() || value.length() > MAX_NAME) {
            throw new InvalidInputException(field + " must be 1 to " + MAX_NAME + " characters, not blank");
        }
        return value;
    }
}
