package dev.agentstore.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.observability.NewSpan;
import dev.agentstore.domain.observability.SpanEntity;
import dev.agentstore.domain.observability.SpanStatus;
import dev.agentstore.domain.observability.SpanType;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The trace of one demo flow run: a {@link SpanType#WORKFLOW_RUN} root span and one child span per step, with W3C
 * ids drawn at random, as an OpenTelemetry SDK would make them. Not thread-safe; one per run.
 */
final class RunTrace {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final String runId;
    private final String flow;
    private final Instant start;
    private final String traceId = hex(16);
    private final String rootSpanId = hex(8);
    private final Map<String, String> spanIds = new LinkedHashMap<>();
    private final List<NewSpan> children = new ArrayList<>();

    private RunTrace(String runId, String flow, Instant start) {
        this.runId = runId;
        this.flow = flow;
        this.start = start;
    }

    /**
     * @param runId the run
     * @param flow  its flow
     * @param start when the run started (the root span's start)
     * @return a trace with its root span still open
     */
    static RunTrace of(String runId, String flow, Instant start) {
        return new RunTrace(runId, flow, start);
    }

    /**
     * Adds a step's span under the root.
     *
     * @param type       the span type
     * @param step       the step's name, also the span's name
     * @param started    when the step started
     * @param ended      when it ended, not before {@code started}
     * @param input      the step's input, or {@code null}
     * @param output     the step's output, or {@code null}
     * @param attributes span attributes ({@code gen_ai.*} where they apply), or {@code null}
     */
    void child(SpanType type, String step, Instant started, Instant ended, JsonNode input, JsonNode output,
               JsonNode attributes) {
        String spanId = hex(8);
        spanIds.put(step, spanId);
        children.add(NewSpan.builder(traceId, spanId, step, type, started).parentSpanId(rootSpanId)
                .entity(SpanEntity.of("workflow_step", step, step)).runId(runId).endedAt(ended).status(SpanStatus.OK)
                .input(input).output(output).attributes(attributes).build());
    }

    /**
     * @param ended when the run ended
     * @return the root span (ended at {@code ended}) followed by the step spans, in start order
     */
    List<NewSpan> spans(Instant ended) {
        List<NewSpan> all = new ArrayList<>();
        all.add(NewSpan.builder(traceId, rootSpanId, flow, SpanType.WORKFLOW_RUN, start)
                .entity(SpanEntity.of("workflow", flow, flow)).runId(runId).endedAt(ended).status(SpanStatus.OK).build());
        all.addAll(children);
        return all;
    }

    /** @return the trace id, 32 lower-case hex digits */
    String traceId() {
        return traceId;
    }

    /**
     * @param step a step added with {@link #child}
     * @return its span id, 16 lower-case hex digits
     */
    String spanId(String step) {
        return spanIds.get(step);
    }

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        b[0] |= 1; // never all zeros (W3C's invalid id)
        return HexFormat.of().formatHex(b);
    }
}
