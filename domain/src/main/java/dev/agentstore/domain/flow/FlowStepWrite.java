package dev.agentstore.domain.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.time.Instant;

/**
 * What one upsert of a {@link FlowStep} writes. {@link #of} names the step and its status; the {@code with…} methods
 * add the other fields. On an existing step a field left {@code null} keeps its stored value (a JSON {@code null}
 * node is a value: it is stored as JSON {@code null}); on a new step it stays unset, except {@code name} (defaults
 * to the step id) and {@code attempt} (defaults to 1). When not given, {@code startedAt} becomes "now" the first
 * time the step is written in an active status other than {@link FlowStepStatus#PENDING}, and {@code endedAt}
 * becomes "now" when it is written in a terminal status (and is cleared when it becomes active again). Immutable.
 *
 * @param stepId       the step's id within its run, 1–255 characters
 * @param status       the step's status
 * @param parentStepId the parent step's id in the same run, or {@code null} for a top-level step; fixed when the
 *                     step is created (an upsert naming another parent fails)
 * @param name         the step's name (Compozy's task id), 1–255 characters, or {@code null}
 * @param input        the step's input, any JSON, or {@code null}
 * @param output       the step's output, any JSON, or {@code null}
 * @param error        the step's error, any JSON, or {@code null}
 * @param attempt      the attempt number, 0 or more, or {@code null}
 * @param startedAt    when the step started, or {@code null}
 * @param endedAt      when the step ended, or {@code null}
 */
public record FlowStepWrite(String stepId, FlowStepStatus status, String parentStepId, String name, JsonNode input,
                            JsonNode output, JsonNode error, Integer attempt, Instant startedAt, Instant endedAt) {

    /**
     * Validates every field.
     *
     * @throws InvalidInputException when a field is invalid; the message names it
     */
    public FlowStepWrite {
        Check.name("stepId", stepId);
        Check.notNull("status", status);
        Check.optionalName("parentStepId", parentStepId);
        if (stepId.equals(parentStepId)) {
            throw new InvalidInputException("parentStepId must differ from stepId '" + stepId + "'");
        }
        Check.optionalName("name", name);
        if (attempt != null) {
            Check.range("attempt", attempt, 0, Integer.MAX_VALUE);
        }
        if (startedAt != null) {
            Check.instant("startedAt", startedAt);
        }
        if (endedAt != null) {
            Check.instant("endedAt", endedAt);
        }
    }

    /**
     * @param stepId the step's id within its run
     * @param status its status
     * @return a write of the id and status alone
     * @throws InvalidInputException when a parameter is invalid
     */
    public static FlowStepWrite of(String stepId, FlowStepStatus status) {
        return new FlowStepWrite(stepId, status, null, null, null, null, null, null, null, null);
    }

    /**
     * @param parentStepId the parent step's id
     * @return this write with the parent
     */
    public FlowStepWrite withParent(String parentStepId) {
        return new FlowStepWrite(stepId, status, parentStepId, name, input, output, error, attempt, startedAt,
                endedAt);
    }

    /**
     * @param name the step's name
     * @return this write with the name
     */
    public FlowStepWrite withName(String name) {
        return new FlowStepWrite(stepId, status, parentStepId, name, input, output, error, attempt, startedAt,
                endedAt);
    }

    /**
     * @param input the step's input
     * @return this write with the input
     */
    public FlowStepWrite withInput(JsonNode input) {
        return new FlowStepWrite(stepId, status, parentStepId, name, input, output, error, attempt, startedAt,
                endedAt);
    }

    /**
     * @param output the step's output
     * @return this write with the output
     */
    public FlowStepWrite withOutput(JsonNode output) {
        return new FlowStepWrite(stepId, status, parentStepId, name, input, output, error, attempt, startedAt,
                endedAt);
    }

    /**
     * @param error the step's error
     * @return this write with the error
     */
    public FlowStepWrite withError(JsonNode error) {
        return new FlowStepWrite(stepId, status, parentStepId, name, input, output, error, attempt, startedAt,
                endedAt);
    }

    /**
     * @param attempt the attempt number
     * @return this write with the attempt
     */
    public FlowStepWrite withAttempt(int attempt) {
        return new FlowStepWrite(stepId, status, parentStepId, name, input, output, error, attempt, startedAt,
                endedAt);
    }

    /**
     * @param startedAt when the step started
     * @param endedAt   when it ended, or {@code null}
     * @return this write with the times
     */
    public FlowStepWrite withTimes(Instant startedAt, Instant endedAt) {
        return new FlowStepWrite(stepId, status, parentStepId, name, input, output, error, attempt, startedAt,
                endedAt);
    }
}
