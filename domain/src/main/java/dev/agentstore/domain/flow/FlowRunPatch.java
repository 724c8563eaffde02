package dev.agentstore.domain.flow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A validated patch for {@link FlowRun#applyPatch}: every key of the JSON object checked, and the value of each
 * column key parsed. {@link #parse} is the one place where patch keys are validated; {@link FlowRun#applyPatch}
 * applies the result to a run, and a repository may apply it in SQL instead.
 *
 * <p>For the keys it names ({@link #names}): {@link #status()}, the times, the counts and {@link #resourceId()} hold
 * the new value ({@code null} where the key accepts {@code null}); {@link #emittedEvents()},
 * {@link #awaitingSteps()} and {@link #snapshot()} hold the patch's value as given (an object to merge, or a JSON
 * {@code null}: {@code emittedEvents}/{@code awaitingSteps} become empty, {@code snapshot} is removed). Every key that
 * maps to no column is in {@link #metadata()}, to be merged into the run's metadata.
 */
public final class FlowRunPatch {

    private final Set<String> keys = new LinkedHashSet<>();
    private FlowRunStatus status;
    private Instant startedAt;
    private Instant completedAt;
    private Instant lastActivityAt;
    private Integer stepCount;
    private Integer completedSteps;
    private JsonNode emittedEvents;
    private JsonNode awaitingSteps;
    private JsonNode snapshot;
    private String resourceId;
    private final ObjectNode metadata = Json.object();

    private FlowRunPatch() {
    }

    /**
     * Validates a patch as {@link FlowRun#applyPatch} documents it (without the status-move rules, which depend on
     * the run).
     *
     * @param patch the patch, a JSON object
     * @return the validated patch; it shares nothing with {@code patch}
     * @throws InvalidInputException when {@code patch} is not an object, or a key has a value of the wrong type, an
     *                               unknown status, or is read-only ({@link FlowRun#READ_ONLY_KEYS}); the message
     *                               names the key
     */
    public static FlowRunPatch parse(JsonNode patch) {
        ObjectNode p = Json.requireObject("patch", patch);
        FlowRunPatch parsed = new FlowRunPatch();
        for (Map.Entry<String, JsonNode> field : p.properties()) {
            String key = field.getKey();
            JsonNode v = field.getValue();
            switch (key) {
                case "status" -> {
                    if (!v.isTextual()) {
                        throw wrongType(key, v, "a status name (running, awaiting, completed, failed, cancelled)");
                    }
                    parsed.status = FlowRunStatus.parse(v.textValue());
                }
                case "startedAt" -> parsed.startedAt = Check.notNull(key, instant(key, v));
                case "completedAt" -> parsed.completedAt = instant(key, v);
                case "lastActivityAt" -> parsed.lastActivityAt = instant(key, v);
                case "stepCount" -> parsed.stepCount = count(key, v);
                case "completedSteps" -> parsed.completedSteps = Check.notNull(key, count(key, v));
                case "emittedEvents" -> parsed.emittedEvents = objectOrNull(key, v);
                case "awaitingSteps" -> parsed.awaitingSteps = objectOrNull(key, v);
                case "snapshot" -> parsed.snapshot = v;
                case "resourceId" -> {
                    if (!v.isNull() && !v.isTextual()) {
                        throw wrongType(key, v, "a string or null");
                    }
                    parsed.resourceId = Check.optionalName(key, v.isNull() ? null : v.textValue());
                }
                default -> {
                    if (FlowRun.READ_ONLY_KEYS.contains(key)) {
                        throw new InvalidInputException("patch key '" + key + "' is managed by the store and cannot"
                                + " be updated");
                    }
                    parsed.metadata.set(key, v);
                    continue;
                }
            }
            parsed.keys.add(key);
        }
        return parsed;
    }

    /**
     * @param key a column key ({@code status}, {@code startedAt}, {@code completedAt}, {@code lastActivityAt},
     *            {@code stepCount}, {@code completedSteps}, {@code emittedEvents}, {@code awaitingSteps},
     *            {@code snapshot}, {@code resourceId})
     * @return whether the patch names that key
     */
    public boolean names(String key) {
        return keys.contains(key);
    }

    /** @return the column keys the patch names, in patch order; not the keys that go into {@link #metadata()} */
    public Set<String> keys() {
        return Collections.unmodifiableSet(keys);
    }

    /** @return the new status, or {@code null} when the patch names none */
    public FlowRunStatus status() {
        return status;
    }

    /** @return the new start time (never {@code null} when named) */
    public Instant startedAt() {
        return startedAt;
    }

    /** @return the new completion time, {@code null} to clear it */
    public Instant completedAt() {
        return completedAt;
    }

    /** @return the new last-activity time, {@code null} to clear it */
    public Instant lastActivityAt() {
        return lastActivityAt;
    }

    /** @return the new step count, {@code null} to clear it */
    public Integer stepCount() {
        return stepCount;
    }

    /** @return the new number of completed steps (never {@code null} when named) */
    public Integer completedSteps() {
        return completedSteps;
    }

    /** @return a copy of the object to merge into the emitted events, or a JSON {@code null} to empty them */
    public JsonNode emittedEvents() {
        return copy(emittedEvents);
    }

    /** @return a copy of the object to merge into the awaiting steps, or a JSON {@code null} to empty them */
    public JsonNode awaitingSteps() {
        return copy(awaitingSteps);
    }

    /** @return a copy of the value to merge into the snapshot (any JSON value), or a JSON {@code null} to remove it */
    public JsonNode snapshot() {
        return copy(snapshot);
    }

    /** @return the new resource id, {@code null} to clear it */
    public String resourceId() {
        return resourceId;
    }

    /** @return a copy of the keys that map to no column, an object to merge into the metadata; may be empty */
    public ObjectNode metadata() {
        return metadata.deepCopy();
    }

    private static JsonNode copy(JsonNode node) {
        return node == null ? null : node.deepCopy();
    }

    private static JsonNode objectOrNull(String key, JsonNode v) {
        if (!v.isNull() && !v.isObject()) {
            throw wrongType(key, v, "an object or null");
        }
        return v;
    }

    private static InvalidInputException wrongType(String key, JsonNode v, String expected) {
        return new InvalidInputException("patch key '" + key + "' must be " + expected + ", was "
                + "a " + v.getNodeType().name().toLowerCase());
    }

    private static Instant instant(String key, JsonNode v) {
        if (v.isNull()) {
            return null;
        }
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            return Check.instant("patch key '" + key + "'", Instant.ofEpochMilli(v.longValue()));
        }
        if (v.isTextual()) {
            try {
                return Check.instant("patch key '" + key + "'", Instant.parse(v.textValue()));
            } catch (DateTimeParseException e) {
                throw new InvalidInputException("patch key '" + key + "' must be an ISO-8601 instant, was "
                        + Check.describe(v.textValue()) + " that does not parse as one", e);
            }
        }
        throw wrongType(key, v, "an ISO-8601 instant or epoch milliseconds");
    }

    private static Integer count(String key, JsonNode v) {
        if (v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
            throw wrongType(key, v, "an integer from 0 to " + Integer.MAX_VALUE);
        }
        return v.intValue();
    }
}
