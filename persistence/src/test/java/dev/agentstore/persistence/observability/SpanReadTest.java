package dev.agentstore.persistence.observability;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.observability.NewSpan;
import dev.agentstore.domain.observability.Span;
import dev.agentstore.domain.observability.SpanEntity;
import dev.agentstore.domain.observability.SpanStatus;
import dev.agentstore.domain.observability.SpanType;
import dev.agentstore.domain.observability.Trace;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Spans as the repository reads them from rows (positional mapping, ids in stored form, JSON parsed on first use):
 * every value as written, the same tree on every call and from every thread, start-time ties in hex order.
 */
@ExtendWith(AgentStoreExtension.class)
class SpanReadTest {

    private static final Instant T0 = Instant.parse("2026-04-02T08:00:00.000001Z");

    @Test
    void everyValueReadsBackAsWrittenAndEachJsonValueIsOneTree(AgentStore store) {
        String t = SpanRepositoryTest.traceId();
        String root = SpanRepositoryTest.spanId();
        JsonNode input = Json.parse("input", "{\"text\":\"tab\\there, quote \\\" \\u00e9\\u4e2d\",\"n\":[1,2.5,null]}");
        JsonNode output = Json.parse("output", "[{\"deep\":{\"deeper\":true}},\"\\\\back\"]");
        NewSpan written = NewSpan.builder(t, root, "agent.run", SpanType.AGENT_RUN, T0)
                .entity(SpanEntity.of("agent", "a-1", "Agent One")).runId("run-1").threadId("th-1")
                .resourceId("res-1").userId("user-1").endedAt(T0.plusMillis(5)).status(SpanStatus.ERROR)
                .error(Json.parse("error", "{\"message\":\"boom\"}")).input(input).output(output)
                .attributes(Json.object().put("gen_ai.request.model", "m")).metadata(Json.object().put("k", 1))
                .build();
        store.spans().createAll(List.of(written));

        Span s = store.spans().getTrace(t).orElseThrow().root();

        assertThat(s.traceId()).isEqualTo(t);
        assertThat(s.spanId()).isEqualTo(root);
        assertThat(s.parentSpanId()).isNull();
        assertThat(s.entity()).isEqualTo(SpanEntity.of("agent", "a-1", "Agent One"));
        assertThat(List.of(s.runId(), s.threadId(), s.resourceId(), s.userId()))
                .containsExactly("run-1", "th-1", "res-1", "user-1");
        assertThat(s.startedAt()).isEqualTo(T0);
        assertThat(s.endedAt()).isEqualTo(T0.plusMillis(5));
        assertThat(s.status()).isEqualTo(SpanStatus.ERROR);
        assertThat(s.createdAt()).isNotNull();
        assertThat(s.updatedAt()).isNull();
        assertThat(s.isLight()).isFalse();
        assertThat(s.input()).isEqualTo(input).isSameAs(s.input());
        assertThat(s.output()).isEqualTo(output).isSameAs(s.output());
        assertThat(s.error()).isEqualTo(written.error());
        assertThat(s.attributes()).isEqualTo(written.attributes());
        assertThat(s.metadata()).isEqualTo(written.metadata());
        Span light = store.spans().getTraceLight(t).orElseThrow().root();
        assertThat(light.isLight()).isTrue();
        assertThat(light.error()).isEqualTo(written.error());
        assertThat(light.input()).isNull();
        assertThat(light.metadata()).isNull();
    }

    @Test
    void threadsReadingAJsonValueFirstAtTheSameTimeAllGetTheWholeValue(AgentStore store) throws Exception {
        String t = SpanRepositoryTest.traceId();
        JsonNode input = Json.object().put("text", "x".repeat(5_000)).set("list", Json.parse("l", "[1,2,3,4,5]"));
        store.spans().createAll(List.of(SpanRepositoryTest.span(t, SpanRepositoryTest.spanId(), null, T0)
                .input(input).build()));
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < 20; round++) {
                Span s = store.spans().getTrace(t).orElseThrow().root();
                CountDownLatch start = new CountDownLatch(1);
                List<Future<JsonNode>> reads = new ArrayList<>();
                for (int i = 0; i < threads; i++) {
                    reads.add(pool.submit(() -> {
                        start.await();
                        return s.input();
                    }));
                }
                start.countDown();
                for (Future<JsonNode> read : reads) {
                    assertThat(read.get(10, TimeUnit.SECONDS)).isEqualTo(input);
                }
                assertThat(s.input()).isSameAs(s.input());
            }
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void childrenStartedAtTheSameTimeAreInHexOrderOfTheirIdsHighBitIncluded(AgentStore store) {
        String t = SpanRepositoryTest.traceId();
        String root = "00000000000000aa";
        String low = "0000000000000001";
        String high = "8000000000000000"; // a negative bigint: signed order would put it first
        String mid = "7fffffffffffffff";
        Instant at = T0.plusMillis(1);
        store.spans().createAll(List.of(SpanRepositoryTest.span(t, high, root, at).build(),
                SpanRepositoryTest.span(t, mid, root, at).build(), SpanRepositoryTest.span(t, root, null, T0).build(),
                SpanRepositoryTest.span(t, low, root, at).build()));

        Trace trace = store.spans().getTrace(t).orElseThrow();

        assertThat(trace.spans()).extracting(Span::spanId).containsExactly(root, low, mid, high);
        assertThat(trace.spans()).extracting(Span::parentSpanId).containsExactly(null, root, root, root);
    }
}
