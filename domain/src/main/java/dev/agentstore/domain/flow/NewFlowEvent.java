package dev.agentstore.domain.flow;

import com.fasterxml.jackson.databind.JsonNode;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * An event to append to a run's log: what {@code FlowEventRepository.append}
 * and {@code appendAll} take. Validated on construction, so a list of them can only hold valid events; the
 * repository assigns the id and, when {@link #ts()} is {@code null}, the time.
 *
 * <pre>{@code
 * NewFlowEvent e = NewFlowEvent.of("run-1", "etl", "step.completed")
 *         .step("extract", "extract-0").attempt(1).data(Json.parse("data", "{\"rows\":42}"));
 * }</pre>
 *
 * @param runId    the run's id, 1–255 characters, not blank
 * @param flowName the flow's name, 1–255 characters, not blank
 * @param type     the event type, for example {@code flow.started}, 1–255 characters, not blank
 * @param stepName the step's name, or {@code null}; 1–255 characters, not blank, when given
 * @param stepId   the step instance's id, or {@code null}; 1–255 characters, not blank, when given
 * @param attempt  the retry attempt, 0 or more, or {@code null}
 * @param data     the payload, any JSON value ({@link com.fasterxml.jackson.databind.node.NullNode} is stored as
 *                 JSON {@code null}), or {@code null} for no payload (SQL {@code NULL}); copied
 * @param ts       when it happened, truncated to milliseconds (the column is {@code timestamptz(3)}); {@code null}
 *                 means "the repository clock's now at append"; between {@link #MIN_TS} and {@link #MAX_TS}
 */
public record NewFlowEvent(String runId, String flowName, String type, String stepName, String stepId,
                           Integer attempt, JsonNode data, Instant ts) {

    /** Earliest accepted time: 0001-01-01T00:00:00Z. */
    public static final Instant MIN_TS = Instant.parse("0001-01-01T00:00:00Z");
    /** Latest accepted time: 9999-12-31T23:59:59.999Z. */
    public static final Instant MAX_TS = Instant.parse("9999-12-31T23:59:59.999Z");

    /**
     * Validates and normalises: {@code ts} is truncated to milliseconds, {@code data} is copied.
     *
     * @throws InvalidInputException when a name is blank or longer than 255 characters, {@code attempt} is negative,
     *                               or {@code ts} is outside {@link #MIN_TS}–{@link #MAX_TS}
     */
    public NewFlowEvent {
        Check.name("runId", runId);
        Check.name("flowName", flowName);
        Check.name("type", type);
        Check.optionalName("stepName", stepName);
        Check.optionalName("stepId", stepId);
        if (attempt != null) {
            Check.notNegative("attempt", attempt);
        }
        data = data == null ? null : data.deepCopy();
        if (ts != null) {
            ts = ts.truncatedTo(ChronoUnit.MILLIS);
            if (ts.isBefore(MIN_TS) || ts.isAfter(MAX_TS)) {
                throw new InvalidInputException("ts must be between " + MIN_TS + " and " + MAX_TS + ", was " + ts);
            }
        }
    }

    /**
     * @param runId    the run's id
     * @param flowName the flow's name
     * @param type     the event type
     * @return an event without step, attempt, payload or time (the repository stamps its clock's now)
     * @throws InvalidInputException when a name is blank or longer than 255 characters
     */
    public static NewFlowEvent of(String runId, String flowName, String type) {
        return new NewFlowEvent(runId, flowName, type, null, null, null, null, null);
    }

    /**
     * @param stepName the step's name, or {@code null}
     * @param stepId   the step instance's id, or {@code null}
     * @return a copy with these step fields
     * @throws InvalidInputException when a given value is blank or longer than 255 characters
     */
    public NewFlowEvent step(String stepName, String stepId) {
        return new NewFlowEvent(runId, flowName, type, stepName, stepId, attempt, data, ts);
    }

    /**
     * @param attempt the retry attempt, 0 or more, or {@code null}
     * @return a copy with this attempt
     * @throws InvalidInputException when {@code attempt} is negative
     */
    public NewFlowEvent attempt(Integer attempt) {
        return new NewFlowEvent(runId, flowName, type, stepName, stepId, attempt, data, ts);
    }

    /**
     * @param data the payload, any JSON value, or {@code null} for none
     * @return a copy with this payload
     */
    public NewFlowEvent data(JsonNode data) {
        return new NewFlowEvent(runId, flowName, type, stepName, stepId, attempt, data, ts);
    }

    /**
     * @param ts when it happened (truncated to ms), or {@code null} for the repository clock's now at append
     * @return a copy with this time
     * @throws InvalidInputException when {@code ts} is outside {@link #MIN_TS}–{@link #MAX_TS}
     */
    public NewFlowEvent at(Instant ts) {
        return new NewFlowEvent(runId, flowName, type, stepName, stepId, attempt, data, ts);
    }

    /** @return a copy of the payload, or {@code null} when there is none */
    @Override
    public JsonNode data() {
        return data == null ? null : data.deepCopy();
    }

    /** @return the payload itself, not a copy: for {@link FlowEvent}, which never hands it out uncopied either */
    JsonNode sharedData() {
        return data;
    }
}
