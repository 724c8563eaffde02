package dev.agentstore.persistence.observability;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.json.JsonLimits;
import dev.agentstore.domain.observability.NewSpan;
import dev.agentstore.domain.observability.SpanEntity;
import dev.agentstore.domain.observability.SpanType;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Not a test: a profiling loop for the client CPU of {@code createAll} without a database. Encodes W9-shaped spans
 * (see {@code shared/bench/WORKLOADS.md}) in batches of 500 into a {@link CopyInCapture} that drops the bytes, the way
 * {@link SpanRepository#createAll} does ({@code api}) and the way the bench's raw-JDBC baseline does ({@code raw}:
 * {@code Json.print} and COPY escaping, no checks), and prints thread CPU time and allocated bytes per 50,000 spans.
 * Run it under JFR to see the top frames:
 * <pre>{@code java -XX:StartFlightRecording=filename=/tmp/spancopy.jfr,settings=profile -cp ... \
 *     dev.agentstore.persistence.observability.SpanCopyProfile api 20}</pre>
 */
public final class SpanCopyProfile {

    private static final int SPANS = 50_000;
    private static final int BATCH = 500;
    private static final String[] TYPES = {"model_generation", "tool_call", "workflow_step"};

    private SpanCopyProfile() {
    }

    /**
     * @param args {@code api|raw} and the number of rounds of 50,000 spans
     * @throws Exception never on a good run
     */
    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "api";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        List<List<NewSpan>> batches = spans();
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Instant now = Instant.parse("2026-12-07T00:00:00Z");
        for (int r = 0; r < rounds; r++) {
            long cpu = mx.getCurrentThreadCpuTime();
            long alloc = mx.getCurrentThreadAllocatedBytes();
            long bytes = 0;
            for (List<NewSpan> batch : batches) {
                CopyInCapture sink = new CopyInCapture(null);
                if (mode.equals("raw")) {
                    raw(sink, batch, now);
                } else {
                    SpanCopy.rows(batch, JsonLimits.DEFAULTS, now).sendTo(sink);
                }
                bytes += sink.bytes();
            }
            cpu = mx.getCurrentThreadCpuTime() - cpu;
            alloc = mx.getCurrentThreadAllocatedBytes() - alloc;
            System.out.printf("%s round %d: %.1f ms CPU per %d spans (%.0f spans/s of CPU), %.1f MB allocated, "
                    + "%.1f MB sent%n", mode, r, cpu / 1e6, SPANS, SPANS / (cpu / 1e9), alloc / 1e6, bytes / 1e6);
        }
    }

    /** W9's shapes: 25 spans a trace, attributes of 4 members, input and output of 200 characters. */
    private static List<List<NewSpan>> spans() {
        Random rng = new Random(42);
        List<List<NewSpan>> batches = new ArrayList<>();
        List<NewSpan> batch = new ArrayList<>(BATCH);
        String traceId = null;
        Instant base = Instant.parse("2024-01-01T00:00:00Z");
        for (int n = 0; n < SPANS; n++) {
            int t = n / 25;
            int i = n % 25;
            if (i == 0) {
                traceId = String.format("%016x%016x", rng.nextLong() | 1, rng.nextLong());
            }
            String type = i == 0 ? "agent_run" : TYPES[i % 3];
            ObjectNode attributes = Json.object();
            attributes.put("gen_ai.request.model", "model-" + (i % 4));
            attributes.put("gen_ai.usage.input_tokens", rng.nextInt(4096));
            attributes.put("gen_ai.usage.output_tokens", rng.nextInt(1024));
            attributes.put("note", text(rng, 120));
            Instant started = base.plusMillis(t * 60_000L + i * 10L);
            batch.add(NewSpan.builder(traceId, String.format("%016x", (long) (i + 1) << 8 | t & 0xff),
                            i == 0 ? "agent.run" : type + "." + i, SpanType.fromValue(type), started)
                    .parentSpanId(i == 0 ? null : String.format("%016x", (long) ((i - 1) / 4 + 1) << 8 | t & 0xff))
                    .entity(SpanEntity.of("agent", null, "agent-" + t % 20))
                    .endedAt(started.plusMillis(rng.nextInt(1000))).attributes(attributes)
                    .input(Json.object().put("text", text(rng, 200)))
                    .output(Json.object().put("text", text(rng, 200))).build());
            if (batch.size() == BATCH) {
                batches.add(batch);
                batch = new ArrayList<>(BATCH);
            }
        }
        return batches;
    }

    private static String text(Random rng, int len) {
        String alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        char[] c = new char[len];
        for (int i = 0; i < len; i++) {
            c[i] = alnum.charAt(rng.nextInt(alnum.length()));
        }
        return new String(c);
    }

    /** The bench's raw baseline ({@code TraceWorkload.copy}): printed, escaped, no checks. */
    private static void raw(CopyInCapture sink, List<NewSpan> batch, Instant now) {
        StringBuilder text = new StringBuilder(batch.size() * 1100);
        for (NewSpan s : batch) {
            text.append(s.traceId()).append('\t').append(Long.parseUnsignedLong(s.spanId(), 16)).append('\t')
                    .append(s.parentSpanId() == null ? "\\N"
                            : Long.toString(Long.parseUnsignedLong(s.parentSpanId(), 16)))
                    .append('\t').append(escape(s.name())).append('\t').append(s.type().name())
                    .append("\tagent\t").append(escape(s.entity().name())).append('\t')
                    .append(s.startedAt()).append('\t').append(s.endedAt()).append("\tUNSET\t")
                    .append(escape(Json.print(s.input()))).append('\t')
                    .append(escape(Json.print(s.output()))).append('\t')
                    .append(escape(Json.print(s.attributes()))).append("\t{}\t").append(now).append('\n');
        }
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8); // what pgjdbc's reader-based copyIn does
        sink.writeToCopy(bytes, 0, bytes.length);
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t");
    }

}
