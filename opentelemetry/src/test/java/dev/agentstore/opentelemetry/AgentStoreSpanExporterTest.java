package dev.agentstore.opentelemetry;

import dev.agentstore.domain.json.JsonLimits;
import dev.agentstore.domain.observability.Span;
import dev.agentstore.domain.observability.SpanEntity;
import dev.agentstore.domain.observability.SpanStatus;
import dev.agentstore.domain.observability.SpanType;
import dev.agentstore.domain.observability.Trace;
import dev.agentstore.persistence.AgentStore;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The exporter under the real OpenTelemetry SDK, writing into the real PostgreSQL; traces read back through the repository. */
class AgentStoreSpanExporterTest {

    private static AgentStore store;

    @BeforeAll
    static void open() {
        store = TestStore.open(AgentStoreSpanExporterTest.class);
    }

    @AfterAll
    static void drop() {
        TestStore.drop(store);
    }

    private static SdkTracerProvider provider(SpanProcessor processor) {
        return SdkTracerProvider.builder()
                .setResource(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "support-agent")))
                .addSpanProcessor(processor)
                .build();
    }

    private static Trace trace(String traceId) {
        return store.spans().getTrace(traceId).orElseThrow(() -> new AssertionError("trace " + traceId + " not stored"));
    }

    /** An agent run with a model call and a failing tool call below it; returns the trace id. */
    private static String agentRun(Tracer tracer, String runId) {
        io.opentelemetry.api.trace.Span agent = tracer.spanBuilder("invoke_agent support")
                .setAttribute(GenAiAttributes.OPERATION_NAME, "invoke_agent")
                .setAttribute(GenAiAttributes.AGENT_NAME, "support")
                .setAttribute(GenAiAttributes.CONVERSATION_ID, "thread-1")
                .setAttribute(AgentStoreAttributes.RUN_ID, runId)
                .startSpan();
        try (Scope ignored = agent.makeCurrent()) {
            io.opentelemetry.api.trace.Span chat = tracer.spanBuilder("chat gpt-4o")
                    .setAttribute(GenAiAttributes.OPERATION_NAME, "chat")
                    .setAttribute(GenAiAttributes.REQUEST_MODEL, "gpt-4o")
                    .setAttribute(GenAiAttributes.USAGE_INPUT_TOKENS, 97L)
                    .setAttribute(GenAiAttributes.USAGE_OUTPUT_TOKENS, 52L)
                    .setAttribute(GenAiAttributes.INPUT_MESSAGES, "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"hi\"}]}]")
                    .startSpan();
            try (Scope inner = chat.makeCurrent()) {
                io.opentelemetry.api.trace.Span tool = tracer.spanBuilder("execute_tool send_email")
                        .setAttribute(GenAiAttributes.OPERATION_NAME, "execute_tool")
                        .setAttribute(GenAiAttributes.TOOL_NAME, "send_email")
                        .startSpan();
                tool.recordException(new IllegalStateException("SMTP timeout"));
                tool.setStatus(StatusCode.ERROR, "send_email failed");
                tool.end();
            }
            chat.end();
            agent.setStatus(StatusCode.OK);
        } finally {
            agent.end();
        }
        return agent.getSpanContext().getTraceId();
    }

    private static void assertAgentRun(Trace trace, String runId) {
        assertThat(trace.spans()).extracting(Span::name)
                .containsExactly("invoke_agent support", "chat gpt-4o", "execute_tool send_email");
        Span agent = trace.root();
        assertThat(agent.type()).isEqualTo(SpanType.AGENT_RUN);
        assertThat(agent.entity()).isEqualTo(SpanEntity.of("agent", "support", "support"));
        assertThat(agent.runId()).isEqualTo(runId);
        assertThat(agent.threadId()).isEqualTo("thread-1");
        assertThat(agent.status()).isEqualTo(SpanStatus.OK);
        assertThat(agent.metadata().get("resource").get("service.name").asText()).isEqualTo("support-agent");
        Span chat = trace.spans().get(1);
        assertThat(chat.parentSpanId()).isEqualTo(agent.spanId());
        assertThat(chat.type()).isEqualTo(SpanType.MODEL_GENERATION);
        assertThat(chat.attributes().get(GenAiAttributes.USAGE_INPUT_TOKENS).asLong()).isEqualTo(97);
        assertThat(chat.attributes().get(GenAiAttributes.REQUEST_MODEL).asText()).isEqualTo("gpt-4o");
        assertThat(chat.input().get(0).get("role").asText()).isEqualTo("user");
        assertThat(chat.endedAt()).isAfterOrEqualTo(chat.startedAt());
        Span tool = trace.spans().get(2);
        assertThat(tool.parentSpanId()).isEqualTo(chat.spanId());
        assertThat(tool.type()).isEqualTo(SpanType.TOOL_CALL);
        assertThat(tool.entity()).isEqualTo(SpanEntity.of("tool", "send_email", "send_email"));
        assertThat(tool.status()).isEqualTo(SpanStatus.ERROR);
        assertThat(tool.error().get("message").asText()).isEqualTo("send_email failed");
        assertThat(tool.error().get("type").asText()).isEqualTo("java.lang.IllegalStateException");
        assertThat(tool.metadata().get("events").get(0).get("name").asText()).isEqualTo("exception");
    }

    @Nested
    class UnderTheBatchSpanProcessor {

        @Test
        void nestedSpansAreWrittenAsATreeOnFlush() {
            try (SdkTracerProvider provider = provider(BatchSpanProcessor.builder(AgentStoreSpanExporter.create(store))
                    .setScheduleDelay(Duration.ofMinutes(1)).build())) {
                String traceId = agentRun(provider.get("test"), "run-batch");
                assertThat(store.spans().getTrace(traceId)).as("nothing before the batch is exported").isEmpty();
                assertThat(provider.forceFlush().join(30, TimeUnit.SECONDS).isSuccess()).isTrue();
                assertAgentRun(trace(traceId), "run-batch");
            }
        }

        @Test
        void manyTracesAreWrittenInSeveralBatchesAndShutdownExportsTheRest() {
            List<String> traceIds = new ArrayList<>();
            try (SdkTracerProvider provider = provider(BatchSpanProcessor.builder(AgentStoreSpanExporter.create(store))
                    .setMaxExportBatchSize(100).setMaxQueueSize(5_000).build())) {
                Tracer tracer = provider.get("test");
                for (int i = 0; i < 400; i++) {
                    traceIds.add(agentRun(tracer, "run-many-" + i));
                }
                // shutdown flushes the queue through the exporter; close() alone would wait only 10 s for it
                assertThat(provider.shutdown().join(60, TimeUnit.SECONDS).isSuccess()).isTrue();
            }
            assertThat(traceIds).allSatisfy(id -> assertThat(trace(id).spans()).hasSize(3));
            assertAgentRun(trace(traceIds.get(399)), "run-many-399");
        }
    }

    @Nested
    class UnderTheSimpleSpanProcessor {

        @Test
        void eachSpanIsStoredWhenItEnds() {
            try (SdkTracerProvider provider = provider(SimpleSpanProcessor.create(AgentStoreSpanExporter.create(store)))) {
                String traceId = agentRun(provider.get("test"), "run-simple");
                assertAgentRun(trace(traceId), "run-simple");
            }
        }

        @Test
        void spansEndedOnManyThreadsAtOnceAreAllStored() throws Exception {
            int threads = 8;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try (SdkTracerProvider provider = provider(SimpleSpanProcessor.create(AgentStoreSpanExporter.create(store)))) {
                Tracer tracer = provider.get("test");
                CountDownLatch start = new CountDownLatch(1);
                List<Future<List<String>>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    results.add(pool.submit(() -> {
                        start.await();
                        List<String> ids = new ArrayList<>();
                        for (int i = 0; i < 10; i++) {
                            ids.add(agentRun(tracer, "run-" + thread + "-" + i));
                        }
                        return ids;
                    }));
                }
                start.countDown();
                for (int t = 0; t < threads; t++) {
                    for (String traceId : results.get(t).get(60, TimeUnit.SECONDS)) {
                        assertThat(trace(traceId).spans()).hasSize(3);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Nested
    class Results {

        /** Spans the SDK finished, captured in memory, to export by hand. */
        private List<SpanData> finished(int traces) {
            InMemorySpanExporter memory = InMemorySpanExporter.create();
            try (SdkTracerProvider provider = provider(SimpleSpanProcessor.create(memory))) {
                for (int i = 0; i < traces; i++) {
                    agentRun(provider.get("test"), "run-results");
                }
                return memory.getFinishedSpanItems(); // closing the provider empties the memory exporter
            }
        }

        @Test
        void aBatchTheDatabaseRefusesFailsAndWritesNothingOfIt() {
            AgentStoreSpanExporter exporter = AgentStoreSpanExporter.create(store);
            List<SpanData> first = finished(1);
            assertThat(exporter.export(first).isSuccess()).isTrue();
            List<SpanData> again = new ArrayList<>(finished(1));
            again.add(first.get(0)); // already stored
            CompletableResultCode result = exporter.export(again);
            assertThat(result.isDone()).isTrue();
            assertThat(result.isSuccess()).isFalse();
            assertThat(result.getFailureThrowable()).isInstanceOf(dev.agentstore.domain.DuplicateException.class);
            assertThat(store.spans().getTrace(again.get(0).getTraceId())).isEmpty();
        }

        @Test
        void aSpanAgentstoreCannotStoreIsDroppedTheOthersAreWrittenAndTheExportFails() {
            InMemorySpanExporter memory = InMemorySpanExporter.create();
            List<SpanData> spans;
            try (SdkTracerProvider provider = provider(SimpleSpanProcessor.create(memory))) {
                Tracer tracer = provider.get("test");
                tracer.spanBuilder("bad").setAttribute(AgentStoreAttributes.SPAN_TYPE, "no_such_type").startSpan().end();
                tracer.spanBuilder("good").startSpan().end();
                spans = memory.getFinishedSpanItems();
            }
            assertThat(AgentStoreSpanExporter.create(store).export(spans).isSuccess()).isFalse();
            assertThat(store.spans().getSpan(spans.get(0).getTraceId(), spans.get(0).getSpanId())).isEmpty();
            assertThat(store.spans().getSpan(spans.get(1).getTraceId(), spans.get(1).getSpanId())).isPresent();
        }

        @Test
        void aSpanOverTheStoresJsonLimitsIsDroppedAndTheOthersAreWritten() {
            AgentStore strict = TestStore.open(AgentStoreSpanExporterTest.class,
                    new JsonLimits(1_000, 1_000, 1_000, 100, 100_000));
            try {
                InMemorySpanExporter memory = InMemorySpanExporter.create();
                List<SpanData> spans;
                try (SdkTracerProvider provider = provider(SimpleSpanProcessor.create(memory))) {
                    Tracer tracer = provider.get("test");
                    tracer.spanBuilder("before").startSpan().end();
                    tracer.spanBuilder("huge").setAttribute(GenAiAttributes.OUTPUT_MESSAGES, "x".repeat(5_000)).startSpan().end();
                    tracer.spanBuilder("after").startSpan().end();
                    spans = memory.getFinishedSpanItems();
                }
                assertThat(AgentStoreSpanExporter.create(strict).export(spans).isSuccess()).isFalse();
                assertThat(spans).extracting(s -> strict.spans().getSpan(s.getTraceId(), s.getSpanId()).isPresent())
                        .containsExactly(true, false, true);
            } finally {
                TestStore.drop(strict);
            }
        }

        @Test
        void failuresAreLoggedWithoutSpanContents() {
            InMemorySpanExporter memory = InMemorySpanExporter.create();
            List<SpanData> spans;
            try (SdkTracerProvider provider = provider(SimpleSpanProcessor.create(memory))) {
                Tracer tracer = provider.get("test");
                tracer.spanBuilder("secret-name-1").setAttribute(AgentStoreAttributes.SPAN_TYPE, "secret-type-2")
                        .startSpan().end();
                tracer.spanBuilder("secret-name-3").setAttribute("api.key", "secret-key-4")
                        .setAttribute(GenAiAttributes.INPUT_MESSAGES, "secret-prompt-5").startSpan().end();
                spans = memory.getFinishedSpanItems();
            }
            AgentStoreSpanExporter exporter = AgentStoreSpanExporter.create(store);
            PrintStream err = System.err;
            ByteArrayOutputStream captured = new ByteArrayOutputStream();
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            try {
                assertThat(exporter.export(spans).isSuccess()).isFalse(); // the first span is dropped
                assertThat(exporter.export(spans.subList(1, 2)).isSuccess()).isFalse(); // already stored
            } finally {
                System.setErr(err);
            }
            String log = captured.toString(StandardCharsets.UTF_8);
            assertThat(log).contains("dropped 1 of 2 span(s)").contains("could not write 1 span(s): DuplicateException");
            assertThat(log).doesNotContain("secret");
        }

        @Test
        void flushSucceedsAndAfterShutdownExportsFailWithoutWriting() {
            AgentStoreSpanExporter exporter = AgentStoreSpanExporter.create(store);
            assertThat(exporter.flush().isSuccess()).isTrue();
            assertThat(exporter.export(List.of()).isSuccess()).isTrue();
            assertThat(exporter.shutdown().isSuccess()).isTrue();
            assertThat(exporter.shutdown().isSuccess()).as("idempotent").isTrue();
            List<SpanData> spans = finished(1);
            assertThat(exporter.export(spans).isSuccess()).isFalse();
            assertThat(store.spans().getTrace(spans.get(0).getTraceId())).isEmpty();
            assertThat(store.spans().getTrace(finished(1).get(0).getTraceId())).as("the store stays open").isEmpty();
        }
    }
}
