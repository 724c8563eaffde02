package dev.agentstore.persistence.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.json.JsonLimits;
import dev.agentstore.domain.observability.NewSpan;
import dev.agentstore.domain.observability.Span;
import dev.agentstore.domain.observability.SpanEntity;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static dev.agentstore.persistence.observability.SpanRepositoryTest.span;
import static dev.agentstore.persistence.observability.SpanRepositoryTest.spanId;
import static dev.agentstore.persistence.observability.SpanRepositoryTest.traceId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code createAll}'s COPY text: what it writes reads back exactly, and a bad value anywhere sends nothing. */
@ExtendWith(AgentStoreExtension.class)
class SpanCopyTest {

    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00.123456Z");

    /** Every character JSON or COPY escapes, in values and in member names, and non-ASCII text. */
    private static final String ODD = "q\"b\\s/\b\f\n\r\t\u0001\u001f\u007f \u00e9\u4e2d\ud83d\ude00 \\N end";

    private static ObjectNode odd() {
        ObjectNode o = Json.object().put(ODD, ODD); // numbers as parsed, the node types jsonb reads back
        o.setAll((ObjectNode) Json.parse("n",
                "{\"n\":1.50,\"big\":12345678901234567890123,\"d\":0.12345678901234567890123}"));
        o.putArray("a").add(ODD).add(-7).add(true).addNull().addObject().put("k", "v\\");
        return o;
    }

    private static List<NewSpan> batch(String traceId, int size) {
        List<NewSpan> spans = new ArrayList<>(size);
        String root = spanId();
        spans.add(span(traceId, root, null, T0).build());
        for (int i = 1; i < size; i++) {
            spans.add(span(traceId, spanId(), root, T0.plusMillis(i)).attributes(Json.object().put("i", i)).build());
        }
        return spans;
    }

    @Nested
    class ReadBack {

        @Test
        void everyEscapedCharacterInEveryJsonColumnAndText(AgentStore store) {
            String t = traceId();
            String s = spanId();
            NewSpan span = span(t, s, spanId(), T0).entity(SpanEntity.of("tool\t1", "id\\2", "name\n3\r"))
                    .runId("run é").error(odd()).input(odd()).output(Json.parse("o", "\"" + "\\\\n\\t" + "\""))
                    .attributes(odd()).metadata(odd()).endedAt(T0.plusSeconds(1)).build();

            assertThat(store.spans().createAll(List.of(span))).isEqualTo(1);

            Span read = store.spans().getSpan(t, s).orElseThrow();
            assertThat(read.entity()).isEqualTo(span.entity());
            assertThat(read.runId()).isEqualTo("run é");
            assertThat(List.of(read.error(), read.input(), read.output(), read.attributes(), read.metadata()))
                    .containsExactly(span.error(), span.input(), span.output(), span.attributes(), span.metadata());
            assertThat(read.endedAt()).isEqualTo(T0.plusSeconds(1));
        }

        @Test
        void timesAtTheEdgesOfTheCalendarReadBack(AgentStore store) {
            String t = traceId();
            List<Instant> times = List.of(Check.MIN_TIMESTAMP, Instant.parse("-0001-06-30T12:00:00.5Z"),
                    Instant.parse("0000-12-31T23:59:59.999999Z"), Instant.parse("0001-01-01T00:00:00Z"),
                    Instant.parse("1969-12-31T23:59:59.999999Z"), Instant.parse("1970-01-01T00:00:00.000001Z"),
                    Instant.parse("9999-12-31T23:59:59.999999Z"), Instant.parse("+10000-01-01T00:00:00Z"),
                    Instant.parse("+123456-07-08T09:10:11.121314Z"), Check.MAX_TIMESTAMP);
            List<NewSpan> spans = new ArrayList<>();
            for (Instant time : times) {
                spans.add(span(t, spanId(), spans.isEmpty() ? null : spans.get(0).spanId(), time).endedAt(time)
                        .build());
            }

            store.spans().createAll(spans);

            for (NewSpan span : spans) {
                Span read = store.spans().getSpan(t, span.spanId()).orElseThrow();
                assertThat(read.startedAt()).as(span.startedAt().toString()).isEqualTo(span.startedAt());
                assertThat(read.endedAt()).isEqualTo(span.startedAt());
            }
        }

        @Test
        void theJsonInTheRowsIsJsonPrintedWithEachBackslashDoubled() throws Exception {
            NewSpan span = span(traceId(), spanId(), null, T0).attributes(odd()).build();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            SpanCopy.rows(List.of(span), JsonLimits.DEFAULTS, T0).sendTo(new CopyInCapture(bytes));

            String[] columns = bytes.toString(StandardCharsets.UTF_8).split("\t");
            assertThat(columns).hasSize(21);
            assertThat(Json.parse("a", columns[18].replace("\\\\", "\\"))).isEqualTo(span.attributes());
            assertThat(columns[18]).doesNotContain("\n", "\r").contains("\\\\\"", "\\\\n", "\\\\ud83d");
            assertThat(columns[12]).isEqualTo("2026-03-01 10:00:00.123456+00");
            assertThat(columns[20]).isEqualTo("2026-03-01 10:00:00.123456+00\n");
        }
    }

    @Nested
    class BadInput {

        @Test
        void aBadValueDeepInABatchNamesItsFieldAndWritesNothing(AgentStore store) {
            String t = traceId();
            List<NewSpan> spans = batch(t, 500);
            ObjectNode bad = Json.object();
            bad.putObject("a").putArray("b").add(1).add("x\u0000y");
            spans.set(317, span(t, spanId(), spans.get(0).spanId(), T0).attributes(bad).build());

            assertThatThrownBy(() -> store.spans().createAll(spans)).isInstanceOf(InvalidInputException.class)
                    .hasMessageStartingWith("spans[317].attributes.a.b[1]: string contains the NUL character");
            assertThat(store.spans().getTrace(t)).isEmpty();
        }

        @Test
        void theLastSpansMetadataAndOutputAreCheckedToo(AgentStore store) {
            String t = traceId();
            List<NewSpan> spans = batch(t, 500);
            ObjectNode name = Json.object().put("k\ud800", 1);
            spans.set(499, span(t, spanId(), spans.get(0).spanId(), T0).metadata(name).build());
            assertThatThrownBy(() -> store.spans().createAll(spans)).isInstanceOf(InvalidInputException.class)
                    .hasMessageStartingWith("spans[499].metadata: member name contains an unpaired UTF-16 surrogate");

            JsonNode deep = Json.parse("d", "1");
            for (int i = 0; i < JsonLimits.DEFAULTS.maxNestingDepth() + 1; i++) {
                deep = Json.object().set("d", deep);
            }
            spans.set(499, span(t, spanId(), spans.get(0).spanId(), T0).output(deep).build());
            assertThatThrownBy(() -> store.spans().createAll(spans)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("spans[499].output.d.d").hasMessageContaining("maxNestingDepth");
            assertThat(store.spans().getTrace(t)).isEmpty();
        }
    }
}
