package dev.agentstore.domain.observability;

import dev.agentstore.domain.InvalidInputException;

import java.util.regex.Pattern;

/**
 * Checks of W3C Trace Context ids (the ids OpenTelemetry uses) as agentstore stores them: lowercase hex, 32
 * characters (16 bytes) for a trace id, 16 characters (8 bytes) for a span id, never all zeros (the W3C
 * specification's invalid id).
 */
public final class TraceContextIds {

    private static final Pattern TRACE_ID = Pattern.compile("[0-9a-f]{32}");
    private static final Pattern SPAN_ID = Pattern.compile("[0-9a-f]{16}");

    private TraceContextIds() {
    }

    /**
     * @param parameter the parameter's name, for the message
     * @param traceId   the trace id, or {@code null}
     * @return {@code traceId}
     * @throws InvalidInputException when it is not 32 lowercase hex characters or is all zeros
     */
    public static String traceId(String parameter, String traceId) {
        return check(parameter, traceId, TRACE_ID, 32);
    }

    /**
     * @param parameter the parameter's name, for the message
     * @param spanId    the span id, or {@code null}
     * @return {@code spanId}
     * @throws InvalidInputException when it is not 16 lowercase hex characters or is all zeros
     */
    public static String spanId(String parameter, String spanId) {
        return check(parameter, spanId, SPAN_ID, 16);
    }

    private static String check(String parameter, String id, Pattern pattern, int length) {
        if (id == null) {
            return null;
        }
        if (!pattern.matcher(id).matches()) {
            throw new InvalidInputException(parameter + " must be " + length + " lowercase hex characters (W3C Trace"
                    + " Context)");
        }
        if (id.chars().allMatch(c -> c == '0')) {
            throw new InvalidInputException(parameter + " must not be all zeros (W3C Trace Context)");
        }
        return id;
    }
}
