package dev.agentstore.opentelemetry;

import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.observability.NewSpan;
import dev.agentstore.domain.observability.SpanEntity;
import dev.agentstore.domain.observability.SpanStatus;
import dev.agentstore.domain.observability.SpanType;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.KeyValue;
import io.opentelemetry.api.common.Value;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static dev.agentstore.opentelemetry.OtlpJsonTest.same;
import static org.assertj.core.api.Assertions.assertThat;

/** The mapping of spans the real SDK makes (captured in memory), without a database. */
class SpanMappingTest {

    private final InMemorySpanExporter memory = InMemorySpanExporter.create();
    private final SdkTracerProvider provider = SdkTracerProvider.builder()
            .setResource(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "svc")))
            .addSpanProcessor(SimpleSpanProcessor.create(memory))
            .build();
    private final Tracer tracer = provider.get("agent-lib", "0.9");

    @AfterEach
    void close() {
        provider.close();
    }

    /** Starts, lets {@code setup} shape and ends one span, and maps it. */
    private NewSpan mapped(String name, UnaryOperator<SpanBuilder> builder, java.util.function.Consumer<Span> setup) {
        Span span = builder.apply(tracer.spanBuilder(name)).startSpan();
        setup.accept(span);
        span.end();
        List<SpanData> finished = memory.getFinishedSpanItems();
        return SpanMapping.toNewSpan(SdkSpans.of(finished.get(finished.size() - 1)));
    }

    @Nested
    class SpanTypes {

        private SpanType typeOf(String operation, String... more) {
            return mapped("s", b -> {
                b.setAttribute(GenAiAttributes.OPERATION_NAME, operation);
                for (int i = 0; i < more.length; i += 2) {
                    b.setAttribute(more[i], more[i + 1]);
                }
                return b;
            }, s -> { }).type();
        }

        @Test
        void followTheGenAiOperationName() {
            assertThat(typeOf("invoke_agent")).isEqualTo(SpanType.AGENT_RUN);
            assertThat(typeOf("create_agent")).isEqualTo(SpanType.AGENT_RUN);
            assertThat(typeOf("chat")).isEqualTo(SpanType.MODEL_GENERATION);
            assertThat(typeOf("text_completion")).isEqualTo(SpanType.MODEL_GENERATION);
            assertThat(typeOf("generate_content")).isEqualTo(SpanType.MODEL_GENERATION);
            assertThat(typeOf("embeddings")).isEqualTo(SpanType.RAG_EMBEDDING);
            assertThat(typeOf("execute_tool")).isEqualTo(SpanType.TOOL_CALL);
            assertThat(typeOf("execute_tool", GenAiAttributes.MCP_METHOD_NAME, "tools/call")).isEqualTo(SpanType.MCP_TOOL_CALL);
            assertThat(typeOf("something_new")).isEqualTo(SpanType.GENERIC);
        }

        @Test
        void anExplicitTypeWinsAndIsNotKeptAsAnAttribute() {
            NewSpan span = mapped("step", b -> b.setAttribute(AgentStoreAttributes.SPAN_TYPE, "workflow_step")
                    .setAttribute(GenAiAttributes.OPERATION_NAME, "chat"), s -> { });
            assertThat(span.type()).isEqualTo(SpanType.WORKFLOW_STEP);
            assertThat(span.attributes().has(AgentStoreAttributes.SPAN_TYPE)).isFalse();
        }

        @Test
        void anMcpServerSpanIsAnMcpServerRequestAndAPlainSpanIsGeneric() {
            assertThat(mapped("tools/call", b -> b.setSpanKind(SpanKind.SERVER)
                    .setAttribute(GenAiAttributes.MCP_METHOD_NAME, "tools/call"), s -> { }).type())
                    .isEqualTo(SpanType.MCP_SERVER_REQUEST);
            assertThat(mapped("plain", b -> b, s -> { }).type()).isEqualTo(SpanType.GENERIC);
        }
    }

    @Nested
    class Entities {

        @Test
        void aToolSpanIsForItsToolAndAnyOtherSpanForItsAgent() {
            assertThat(mapped("t", b -> b.setAttribute(GenAiAttributes.OPERATION_NAME, "execute_tool")
                    .setAttribute(GenAiAttributes.TOOL_NAME, "search")
                    .setAttribute(GenAiAttributes.AGENT_NAME, "helper"), s -> { }).entity())
                    .isEqualTo(SpanEntity.of("tool", "search", "search"));
            assertThat(mapped("c", b -> b.setAttribute(GenAiAttributes.OPERATION_NAME, "chat")
                    .setAttribute(GenAiAttributes.AGENT_NAME, "helper"), s -> { }).entity())
                    .isEqualTo(SpanEntity.of("agent", "helper", "helper"));
            assertThat(mapped("c", b -> b, s -> { }).entity()).isEqualTo(SpanEntity.NONE);
        }

        @Test
        void explicitEntityAttributesWinAndAreNotKept() {
            NewSpan span = mapped("w", b -> b.setAttribute(AgentStoreAttributes.ENTITY_TYPE, "workflow_run")
                    .setAttribute(AgentStoreAttributes.ENTITY_ID, "wf-1")
                    .setAttribute(AgentStoreAttributes.ENTITY_NAME, "onboarding")
                    .setAttribute(GenAiAttributes.AGENT_NAME, "helper"), s -> { });
            assertThat(span.entity()).isEqualTo(SpanEntity.of("workflow_run", "wf-1", "onboarding"));
            assertThat(span.attributes().fieldNames()).toIterable().containsExactly(GenAiAttributes.AGENT_NAME);
        }
    }

    @Nested
    class Values {

        @Test
        void attributesOfEveryTypeBecomeJsonByTheirNames() {
            NewSpan span = mapped("s", b -> b
                    .setAttribute("s", "text")
                    .setAttribute("b", true)
                    .setAttribute("l", 42L)
                    .setAttribute("d", 0.5)
                    .setAttribute("nan", Double.NaN)
                    .setAttribute(AttributeKey.stringArrayKey("sa"), List.of("x", "y"))
                    .setAttribute(AttributeKey.longArrayKey("la"), List.of(1L, 2L))
                    .setAttribute(AttributeKey.booleanArrayKey("ba"), List.of(true)), s -> { });
            assertThat(same(span.attributes())).isEqualTo(Json.parse("a", "{\"s\":\"text\",\"b\":true,\"l\":42,\"d\":0.5,"
                    + "\"nan\":\"NaN\",\"sa\":[\"x\",\"y\"],\"la\":[1,2],\"ba\":[true]}"));
        }

        @Test
        void structuredValuesBecomeJsonAndStructuredMessagesAreTheInput() {
            NewSpan span = mapped("chat", b -> b
                    .setAttribute(AttributeKey.valueKey(GenAiAttributes.INPUT_MESSAGES), Value.of(Value.of(
                            KeyValue.of("role", Value.of("user")), KeyValue.of("parts", Value.of(Value.of("hi"))))))
                    .setAttribute(AttributeKey.valueKey("bytes"), Value.of(new byte[] {1, 2, 3}))
                    .setAttribute(AttributeKey.valueKey("empty"), Value.empty()), s -> { });
            assertThat(same(span.input())).isEqualTo(Json.parse("i", "[{\"role\":\"user\",\"parts\":[\"hi\"]}]"));
            assertThat(same(span.attributes())).isEqualTo(Json.parse("a", "{\"bytes\":\"AQID\",\"empty\":null}"));
        }

        @Test
        void timesKindScopeResourceEventsAndLinksAreKept() {
            SpanContext linked = SpanContext.create("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331",
                    TraceFlags.getSampled(), TraceState.builder().put("vendor", "v1").build());
            Instant start = Instant.parse("2026-12-06T10:00:00.123456789Z");
            Span span = tracer.spanBuilder("s").setSpanKind(SpanKind.CLIENT).setStartTimestamp(start)
                    .addLink(linked, Attributes.of(AttributeKey.stringKey("why"), "retry")).startSpan();
            span.addEvent("first token", Attributes.of(AttributeKey.longKey("n"), 1L), start.plusMillis(5));
            span.end(start.plusMillis(250));
            NewSpan mapped = SpanMapping.toNewSpan(SdkSpans.of(memory.getFinishedSpanItems().get(0)));
            assertThat(mapped.startedAt()).isEqualTo(Instant.parse("2026-12-06T10:00:00.123456Z"));
            assertThat(mapped.endedAt()).isEqualTo(Instant.parse("2026-12-06T10:00:00.373456Z"));
            assertThat(mapped.metadata().get("kind").asText()).isEqualTo("CLIENT");
            assertThat(same(mapped.metadata().get("scope"))).isEqualTo(Json.parse("s", "{\"name\":\"agent-lib\",\"version\":\"0.9\"}"));
            assertThat(mapped.metadata().get("resource").get("service.name").asText()).isEqualTo("svc");
            assertThat(same(mapped.metadata().get("events"))).isEqualTo(Json.parse("e", "[{\"name\":\"first token\","
                    + "\"timeUnixNano\":\"" + (TimeUnit.SECONDS.toNanos(start.getEpochSecond()) + start.getNano() + 5_000_000)
                    + "\",\"attributes\":{\"n\":1}}]"));
            assertThat(same(mapped.metadata().get("links"))).isEqualTo(Json.parse("l", "[{\"traceId\":"
                    + "\"0af7651916cd43dd8448eb211c80319c\",\"spanId\":\"b7ad6b7169203331\",\"traceState\":\"vendor=v1\","
                    + "\"attributes\":{\"why\":\"retry\"}}]"));
        }

        @Test
        void aChildKeepsItsParentAndTheLinksComeFromAttributes() {
            Span parent = tracer.spanBuilder("parent").startSpan();
            Span child = tracer.spanBuilder("child").setParent(Context.current().with(parent))
                    .setAttribute(AgentStoreAttributes.RUN_ID, "run-1")
                    .setAttribute(AgentStoreAttributes.THREAD_ID, "thread-1")
                    .setAttribute(GenAiAttributes.CONVERSATION_ID, "conversation-1")
                    .setAttribute(AgentStoreAttributes.RESOURCE_ID, "resource-1")
                    .setAttribute(GenAiAttributes.USER_ID, "user-1").startSpan();
            child.end();
            parent.end();
            NewSpan mapped = SpanMapping.toNewSpan(SdkSpans.of(memory.getFinishedSpanItems().get(0)));
            assertThat(mapped.traceId()).isEqualTo(parent.getSpanContext().getTraceId());
            assertThat(mapped.parentSpanId()).isEqualTo(parent.getSpanContext().getSpanId());
            assertThat(mapped.runId()).isEqualTo("run-1");
            assertThat(mapped.threadId()).isEqualTo("thread-1");
            assertThat(mapped.resourceId()).isEqualTo("resource-1");
            assertThat(mapped.userId()).isEqualTo("user-1");
            assertThat(same(mapped.attributes())).isEqualTo(Json.parse("a", "{\"gen_ai.conversation.id\":\"conversation-1\","
                    + "\"user.id\":\"user-1\"}"));
        }

        @Test
        void messagesWinOverToolArgumentsWhichThenStayAnAttribute() {
            NewSpan span = mapped("c", b -> b.setAttribute(GenAiAttributes.INPUT_MESSAGES, "[1]")
                    .setAttribute(GenAiAttributes.TOOL_CALL_ARGUMENTS, "{\"q\":2}"), s -> { });
            assertThat(same(span.input())).isEqualTo(Json.parse("i", "[1]"));
            assertThat(span.attributes().get(GenAiAttributes.TOOL_CALL_ARGUMENTS).asText()).isEqualTo("{\"q\":2}");
            assertThat(span.output()).isNull();
        }

        @Test
        void contentThatIsNotJsonIsKeptAsText() {
            NewSpan span = mapped("c", b -> b.setAttribute(GenAiAttributes.INPUT_MESSAGES, "[not json")
                    .setAttribute(GenAiAttributes.OUTPUT_MESSAGES, "plain answer"), s -> { });
            assertThat(span.input().asText()).isEqualTo("[not json");
            assertThat(span.output().asText()).isEqualTo("plain answer");
        }
    }

    @Nested
    class Errors {

        @Test
        void aRecordedExceptionGivesTheErrorItsMessageAndType() {
            NewSpan span = mapped("t", b -> b, s -> {
                s.recordException(new IllegalStateException("disk full"));
                s.setStatus(StatusCode.ERROR);
            });
            assertThat(span.status()).isEqualTo(SpanStatus.ERROR);
            assertThat(same(span.error())).isEqualTo(Json.parse("e", "{\"message\":\"disk full\","
                    + "\"type\":\"java.lang.IllegalStateException\"}"));
        }

        @Test
        void theStatusDescriptionComesFirstAndOkAndUnsetHaveNoError() {
            assertThat(mapped("t", b -> b, s -> {
                s.recordException(new IllegalStateException("disk full"));
                s.setStatus(StatusCode.ERROR, "could not save");
            }).error().get("message").asText()).isEqualTo("could not save");
            NewSpan ok = mapped("t", b -> b, s -> s.setStatus(StatusCode.OK));
            assertThat(ok.status()).isEqualTo(SpanStatus.OK);
            assertThat(ok.error()).isNull();
            assertThat(mapped("t", b -> b, s -> { }).status()).isEqualTo(SpanStatus.UNSET);
        }
    }
}
