package dev.agentstore.domain.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;

import java.util.Iterator;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What an experiment records for one item ({@code ExperimentRepository.upsertResult}).
 *
 * @param output    the target's output, any JSON value, or {@code null} when there is none
 * @param latencyMs the item's latency in milliseconds, 0 or more, or {@code null} when not measured
 * @param error     the item's error message (1–10,000 characters) when it failed, {@code null} when it succeeded
 * @param traceId   the OpenTelemetry trace id of the item's run, 32 lowercase hex digits not all zero, or
 *                  {@code null}
 * @param scores    scorer id (1–255 characters) → a finite number; {@code null} for none
 */
public record ResultValues(JsonNode output, Long latencyMs, String error, String traceId, JsonNode scores) {

    /** The pattern of a trace id: OpenTelemetry's 16 bytes as lowercase hex. */
    public static final Pattern TRACE_ID = Pattern.compile("[0-9a-f]{32}");

    /** @throws InvalidInputException when a value is invalid; the message names it */
    public ResultValues {
        output = output == null ? null : output.deepCopy();
        if (latencyMs != null) {
            Check.notNegative("latencyMs", latencyMs);
        }
        Experiment.requireError(error);
        if (traceId != null && (!TRACE_ID.matcher(traceId).matches() || traceId.equals("0".repeat(32)))) {
            throw new InvalidInputException("traceId must be 32 lowercase hex digits, not all zero, was "
                    + Check.describe(traceId));
        }
        scores = requireScores(scores);
    }

    /**
     * A succeeded item.
     *
     * @param output    the output, or {@code null}
     * @param latencyMs the latency in milliseconds, or {@code null}
     * @param traceId   the trace id, or {@code null}
     * @param scores    scorer id → score; {@code null} for none
     * @return the values
     * @throws InvalidInputException when a value is invalid
     */
    public static ResultValues succeeded(JsonNode output, Long latencyMs, String traceId, Map<String, Double> scores) {
        return new ResultValues(output, latencyMs, null, traceId, scores == null ? null : Json.of("scores", scores));
    }

    /**
     * A failed item.
     *
     * @param error     the error message, 1–10,000 characters
     * @param latencyMs the latency in milliseconds, or {@code null}
     * @param traceId   the trace id, or {@code null}
     * @return the values
     * @throws InvalidInputException when a value is invalid
     */
    public static ResultValues failed(String error, Long latencyMs, String traceId) {
        return new ResultValues(null, latencyMs, Check.notNull("error", error), traceId, null);
    }

    private static ObjectNode requireScores(JsonNode scores) {
        if (scores == null) {
            return Json.object();
        }
        ObjectNode object = Json.requireObject("scores", scores);
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> score = it.next();
            Check.name("scorer id", score.getKey());
            JsonNode value = score.getValue();
            if (!value.isNumber() || !Double.isFinite(value.doubleValue())) {
                throw new InvalidInputException("scores: the score of " + score.getKey() + " must be a finite number");
            }
        }
        return object;
    }
}
