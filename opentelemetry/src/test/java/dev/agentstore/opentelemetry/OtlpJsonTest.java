package dev.agentstore.opentelemetry;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.observability.NewSpan;
import dev.agentstore.domain.observability.SpanEntity;
import dev.agentstore.domain.observability.SpanStatus;
import dev.agentstore.domain.observability.SpanType;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringReader;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OtlpJsonTest {

    /** The JSON as the mapper reads it back, so number node types compare as in {@code Json.parse}. */
    static com.fasterxml.jackson.databind.JsonNode same(com.fasterxml.jackson.databind.JsonNode json) {
        return Json.parse("json", json.toString());
    }

    static Path sample() {
        try {
            return Path.of(OtlpJsonTest.class.getResource("/otlp/agent-trace.json").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<NewSpan> read(String text) throws IOException {
        return OtlpJson.read(new StringReader(text));
    }

    /** One OTLP/JSON document on one line holding the span given as JSON. */
    private static String document(String span) {
        return "{\"resourceSpans\":[{\"resource\":{\"attributes\":[]},\"scopeSpans\":[{\"scope\":{\"name\":\"s\"},"
                + "\"spans\":[" + span + "]}]}]}";
    }

    private static String span(String spanId, String extra) {
        return "{\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"" + spanId + "\",\"name\":\"n\","
                + "\"startTimeUnixNano\":\"1733500000000000000\"" + extra + "}";
    }

    @Nested
    class TheSampleFile {

        private final Map<String, NewSpan> spans;

        TheSampleFile() throws IOException {
            spans = OtlpJson.read(sample()).stream().collect(Collectors.toMap(NewSpan::spanId, Function.identity()));
        }

        @Test
        void yieldsEverySpanOfBothResourcesWithLowerCaseIds() {
            assertThat(spans).hasSize(5);
            assertThat(spans.values()).extracting(NewSpan::traceId).containsOnly(
                    "5b8efff798038103d269b633813fc60c", "4bf92f3577b34da6a3ce929d0e0e4736");
        }

        @Test
        void theAgentSpanIsARootAgentRunLinkedToRunThreadResourceAndUser() {
            NewSpan root = spans.get("eee19b7ec3c1b174");
            assertThat(root.isRoot()).isTrue();
            assertThat(root.type()).isEqualTo(SpanType.AGENT_RUN);
            assertThat(root.entity()).isEqualTo(SpanEntity.of("agent", "agent-42", "support"));
            assertThat(root.runId()).isEqualTo("run-1");
            assertThat(root.threadId()).isEqualTo("thread-7");
            assertThat(root.resourceId()).isEqualTo("customer-9");
            assertThat(root.userId()).isEqualTo("user-3");
            assertThat(root.startedAt()).isEqualTo(Instant.parse("2024-12-06T15:46:40Z"));
            assertThat(root.endedAt()).isEqualTo(Instant.parse("2024-12-06T15:46:42.5Z"));
            assertThat(root.status()).isEqualTo(SpanStatus.OK);
            assertThat(root.error()).isNull();
            assertThat(same(root.attributes())).isEqualTo(Json.parse("a", "{\"gen_ai.operation.name\":\"invoke_agent\","
                    + "\"gen_ai.agent.id\":\"agent-42\",\"gen_ai.agent.name\":\"support\","
                    + "\"gen_ai.conversation.id\":\"thread-7\",\"user.id\":\"user-3\"}"));
            assertThat(same(root.metadata())).isEqualTo(Json.parse("m", "{\"kind\":\"INTERNAL\","
                    + "\"resource\":{\"service.name\":\"support-agent\",\"service.version\":\"1.4.2\","
                    + "\"telemetry.sdk.language\":\"python\"},"
                    + "\"scope\":{\"name\":\"opentelemetry.instrumentation.openai_v2\",\"version\":\"2.1b0\"}}"));
        }

        @Test
        void theChatSpanIsAModelGenerationWithMessagesAsInputAndOutputAndTypedAttributes() {
            NewSpan chat = spans.get("eee19b7ec3c1b175");
            assertThat(chat.parentSpanId()).isEqualTo("eee19b7ec3c1b174");
            assertThat(chat.type()).isEqualTo(SpanType.MODEL_GENERATION);
            assertThat(chat.entity()).isEqualTo(SpanEntity.NONE);
            assertThat(chat.status()).isEqualTo(SpanStatus.UNSET);
            assertThat(chat.input().get(0).get("parts").get(0).get("content").asText()).isEqualTo("Where is my order?");
            assertThat(chat.output().get(0).get("finish_reason").asText()).isEqualTo("tool_call");
            assertThat(chat.attributes().has("gen_ai.input.messages")).isFalse();
            assertThat(chat.attributes().has("gen_ai.output.messages")).isFalse();
            assertThat(chat.attributes().get("gen_ai.usage.input_tokens").isIntegralNumber()).isTrue();
            assertThat(chat.attributes().get("gen_ai.usage.input_tokens").asLong()).isEqualTo(97);
            assertThat(chat.attributes().get("gen_ai.usage.output_tokens").asLong()).isEqualTo(52);
            assertThat(chat.attributes().get("gen_ai.request.temperature").asDouble()).isEqualTo(0.2);
            assertThat(same(chat.attributes().get("gen_ai.response.finish_reasons"))).isEqualTo(Json.parse("r", "[\"tool_calls\"]"));
            assertThat(chat.metadata().get("kind").asText()).isEqualTo("CLIENT");
            assertThat(same(chat.metadata().get("events"))).isEqualTo(Json.parse("e", "[{\"name\":\"gen_ai.content.chunk\","
                    + "\"timeUnixNano\":\"1733500000900000000\",\"attributes\":{\"index\":0}}]"));
        }

        @Test
        void theToolSpanIsAToolCallOfItsToolWithArgumentsAndResultAndItsLink() {
            NewSpan tool = spans.get("eee19b7ec3c1b176");
            assertThat(tool.type()).isEqualTo(SpanType.TOOL_CALL);
            assertThat(tool.entity()).isEqualTo(SpanEntity.of("tool", "lookup_order", "lookup_order"));
            assertThat(same(tool.input())).isEqualTo(Json.parse("i", "{\"orderId\":\"A-17\"}"));
            assertThat(same(tool.output())).isEqualTo(Json.parse("o", "{\"status\":\"shipped\"}"));
            assertThat(same(tool.metadata().get("links"))).isEqualTo(Json.parse("l", "[{\"traceId\":"
                    + "\"0af7651916cd43dd8448eb211c80319c\",\"spanId\":\"b7ad6b7169203331\",\"attributes\":{\"reason\":\"retry of\"}}]"));
        }

        @Test
        void theFailedSpanHasStatusErrorAndAnErrorFromTheStatusAndErrorType() {
            NewSpan failed = spans.get("eee19b7ec3c1b177");
            assertThat(failed.status()).isEqualTo(SpanStatus.ERROR);
            assertThat(same(failed.error())).isEqualTo(Json.parse("e", "{\"message\":\"send_email timed out\",\"type\":\"TimeoutError\"}"));
            assertThat(same(failed.attributes().get("retry"))).isEqualTo(Json.parse("r", "{\"attempts\":3,\"gave_up\":true}"));
            assertThat(failed.metadata().get("events").get(0).get("name").asText()).isEqualTo("exception");
        }

        @Test
        void theEmbeddingSpanOfTheOtherResourceIsARagEmbeddingRoot() {
            NewSpan embedding = spans.get("00f067aa0ba902b7");
            assertThat(embedding.isRoot()).isTrue();
            assertThat(embedding.type()).isEqualTo(SpanType.RAG_EMBEDDING);
            assertThat(same(embedding.metadata().get("resource"))).isEqualTo(Json.parse("r", "{\"service.name\":\"knowledge-indexer\"}"));
            assertThat(same(embedding.metadata().get("scope"))).isEqualTo(Json.parse("s", "{\"name\":\"indexer\"}"));
        }
    }

    @Nested
    class JsonLines {

        @Test
        void documentsOnePerLineAreReadInOrder() throws IOException {
            List<NewSpan> spans = read(document(span("00000000000000a1", "")) + "\n\n"
                    + document(span("00000000000000a2", ",\"parentSpanId\":\"00000000000000a1\"")) + "\n");
            assertThat(spans).extracting(NewSpan::spanId).containsExactly("00000000000000a1", "00000000000000a2");
            assertThat(spans.get(1).parentSpanId()).isEqualTo("00000000000000a1");
        }

        @Test
        void anEmptyInputHasNoSpans() throws IOException {
            assertThat(read("")).isEmpty();
            assertThat(read("{\"resourceSpans\":[]}")).isEmpty();
        }

        @Test
        void anUnendedSpanHasNoEndAndUnknownFieldsAreIgnored() throws IOException {
            NewSpan span = read(document(span("00000000000000a1", ",\"endTimeUnixNano\":\"0\",\"flags\":257,\"x\":{}"))).get(0);
            assertThat(span.endedAt()).isNull();
            assertThat(span.type()).isEqualTo(SpanType.GENERIC);
        }
    }

    @Nested
    class AttributeValues {

        @Test
        void everyAnyValueKindBecomesJson() throws IOException {
            NewSpan span = read(document(span("00000000000000a1", ",\"attributes\":["
                    + "{\"key\":\"bytes\",\"value\":{\"bytesValue\":\"AQID\"}},"
                    + "{\"key\":\"nan\",\"value\":{\"doubleValue\":\"NaN\"}},"
                    + "{\"key\":\"big\",\"value\":{\"intValue\":\"9007199254740993\"}},"
                    + "{\"key\":\"empty\",\"value\":{}},"
                    + "{\"key\":\"nested\",\"value\":{\"arrayValue\":{\"values\":[{\"arrayValue\":{\"values\":"
                    + "[{\"boolValue\":false}]}},{\"kvlistValue\":{\"values\":[{\"key\":\"a\",\"value\":"
                    + "{\"doubleValue\":1.5}}]}}]}}}]"))).get(0);
            assertThat(same(span.attributes())).isEqualTo(Json.parse("a", "{\"bytes\":\"AQID\",\"nan\":\"NaN\","
                    + "\"big\":9007199254740993,\"empty\":null,\"nested\":[[false],{\"a\":1.5}]}"));
        }
    }

    @Nested
    class BadInput {

        private void rejected(String text, String message) {
            assertThatThrownBy(() -> read(text)).isInstanceOf(InvalidInputException.class).hasMessage(message);
        }

        @Test
        void invalidJsonIsReportedWithLineAndColumn() {
            assertThatThrownBy(() -> read(document(span("00000000000000a1", "")) + "\n{\"resourceSpans\": [}"))
                    .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("line 2, column 20: not valid JSON");
        }

        @Test
        void aDocumentThatIsNotAnObjectOrHasNoResourceSpans() {
            rejected("[1]", "line 1: the document must be a JSON object (an OTLP/JSON ExportTraceServiceRequest)");
            rejected("{}", "line 1: resourceSpans missing (an array is expected)");
            rejected("{\"resourceSpans\":[{\"scopeSpans\":{}}]}", "line 1: resourceSpans[0].scopeSpans must be an array");
        }

        @Test
        void idsMustBeHexOfTheirSizeAndNotAllZeros() {
            String base64 = "{\"traceId\":\"W47/95gDgQPSabYzgT/GDA==\",\"spanId\":\"00000000000000a1\",\"name\":\"n\","
                    + "\"startTimeUnixNano\":\"1\"}";
            rejected("\n" + document(base64), "line 2: resourceSpans[0].scopeSpans[0].spans[0].traceId must be 32 hex"
                    + " digits (OTLP/JSON writes ids in hex, not base64)");
            rejected(document(span("0000000000000000", "")),
                    "line 1: resourceSpans[0].scopeSpans[0].spans[0].spanId must not be all zeros (W3C's invalid id)");
            rejected(document(span("00000000000000a1", ",\"parentSpanId\":\"abc\"")),
                    "line 1: resourceSpans[0].scopeSpans[0].spans[0].parentSpanId must be 16 hex digits (OTLP/JSON writes"
                            + " ids in hex, not base64)");
        }

        @Test
        void timesMustBeNanosecondsAndEndNotBeforeStart() {
            rejected(document("{\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"00000000000000a1\",\"name\":\"n\"}"),
                    "line 1: resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano missing");
            rejected(document(span("00000000000000a1", ",\"endTimeUnixNano\":\"soon\"")),
                    "line 1: resourceSpans[0].scopeSpans[0].spans[0].endTimeUnixNano must be a 64-bit integer (a number or"
                            + " a decimal string)");
            rejected(document(span("00000000000000a1", ",\"endTimeUnixNano\":\"1733499999999999999\"")),
                    "line 1: resourceSpans[0].scopeSpans[0].spans[0].endTimeUnixNano is before startTimeUnixNano");
        }

        @Test
        void aSpanTwiceInTheFileIsRejected() {
            rejected(document(span("00000000000000a1", "") + "," + span("00000000000000a1", "")),
                    "line 1: resourceSpans[0].scopeSpans[0].spans[1].spanId span 00000000000000a1 of trace"
                            + " 5b8efff798038103d269b633813fc60c appears twice");
        }

        @Test
        void attributeValuesMustBeTypedAnyValues() {
            rejected(document(span("00000000000000a1", ",\"attributes\":[{\"key\":\"k\",\"value\":{\"intValue\":\"x\"}}]")),
                    "line 1: resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.intValue must be a 64-bit integer"
                            + " (a number or a decimal string)");
            rejected(document(span("00000000000000a1", ",\"attributes\":[{\"key\":\"k\",\"value\":{\"text\":\"x\"}}]")),
                    "line 1: resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value has none of stringValue,"
                            + " boolValue, intValue, doubleValue, bytesValue, arrayValue, kvlistValue");
            rejected(document(span("00000000000000a1", ",\"attributes\":[{\"value\":{\"stringValue\":\"x\"}}]")),
                    "line 1: resourceSpans[0].scopeSpans[0].spans[0].attributes[0].key missing or empty");
            rejected(document(span("00000000000000a1", ",\"attributes\":[{\"key\":\"k\",\"value\":{\"kvlistValue\":"
                            + "{\"values\":[{\"value\":{\"intValue\":1}}]}}}]")),
                    "line 1: resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.kvlistValue.values[0].key missing"
                            + " or empty");
        }

        @Test
        void enumsMustBeKnownNumbersOrNames() {
            rejected(document(span("00000000000000a1", ",\"kind\":9")),
                    "line 1: resourceSpans[0].scopeSpans[0].spans[0].kind must be 0–5 or SPAN_KIND_…, one of"
                            + " [UNSPECIFIED, INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER]");
            rejected(document(span("00000000000000a1", ",\"status\":{\"code\":\"FAILED\"}")),
                    "line 1: resourceSpans[0].scopeSpans[0].spans[0].status.code must be 0–2 or STATUS_CODE_…, one of"
                            + " [UNSET, OK, ERROR]");
        }

        @Test
        void aValueAgentstoreCannotStoreIsNamedWithItsSpan() {
            rejected(document(span("00000000000000a1", ",\"attributes\":[{\"key\":\"agentstore.span.type\","
                            + "\"value\":{\"stringValue\":\"banana\"}}]")),
                    "line 1: resourceSpans[0].scopeSpans[0].spans[0]: spanType: unknown span type a text of 6 characters");
        }
    }
}
