package dev.agentstore.bench;

import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.observability.NewSpan;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * W9's generator draws exactly what the spec's JavaScript reference draws ({@code src/test/js/reference.js}, block
 * "W9"): every span of the 2,000 traces of scale 1, as one canonical line each, hashed.
 */
class TraceWorkloadTest {

    private static final DateTimeFormatter ISO_MILLIS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private static final String FIRST_LINE = "79b895301a9f49a82407d503aecb86fe|25c10ac95f93a861||agent_run|agent.run|"
            + "agent-0|2024-01-01T00:00:00.000Z|2024-01-01T00:00:00.271Z|{\"gen_ai.request.model\":\"model-0\","
            + "\"gen_ai.usage.input_tokens\":1162,\"gen_ai.usage.output_tokens\":187,\"note\":\"yzrKzM4KvKETiNNZYX2z0cOP"
            + "XFEh8zuVnemfbSvFGBqRaaZ9kNGFXBniExYpT1aVTJblcHbKFzRM2ak2zoE8tP4BblANpcd3hUDoauexFZzvTuJXd7YSs80P\"}|"
            + "{\"text\":\"wh8oM8daRraYZT24FXXsNBivWVA1giauDSY3ZfogQlNpbglIiwLFOmkdY0uSe4zuTG1MfHiXCQXiLck7sVFji8tgX6OHG5oV"
            + "F7rFoo8X9tCFDbK1OhvUKRnvslZVLvydDaOPDkCjOcZCe4CQub3Cku4RmxwggA6WPaqtIqzcNkPwwjTSo6x9qw45QtnScT5t2lT9wzrl\"}|"
            + "{\"text\":\"vVqtMBdRmlkwMwVW5kgI8S5EvMo3i65u6kjBa846plkfDT9vwNjWSNEBcYs11IMzUq9dwPYAp8fGjVM2AdeKOVoMT6ZleM2CL"
            + "hOWqIpIo287YrWVFG4OLDb3qy49xsHFllYEEG21MCQji9i4MA3tX0xbD2DJr1vD9F3U2PZ8KUFYQhDZ2GFq4vsGUL0vpFKgQ9YqezKv\"}\n";

    private static String line(NewSpan s) {
        return String.join("|", s.traceId(), s.spanId(), s.parentSpanId() == null ? "" : s.parentSpanId(),
                s.type().value(), s.name(), s.entity().name(), ISO_MILLIS.format(s.startedAt()),
                ISO_MILLIS.format(s.endedAt()), Json.print(s.attributes()), Json.print(s.input()),
                Json.print(s.output())) + "\n";
    }

    @Test
    void allFiftyThousandSpansOfScaleOneAreTheReferenceDraws() throws Exception {
        Mulberry32 rng = Mulberry32.stream(42, 11);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        String first = null;
        for (int t = 0; t < 2000; t++) {
            List<NewSpan> spans = TraceWorkload.trace(rng, t);
            assertThat(spans).hasSize(25);
            for (NewSpan s : spans) {
                String line = line(s);
                first = first == null ? line : first;
                sha.update(line.getBytes(StandardCharsets.UTF_8));
            }
        }
        assertThat(first).isEqualTo(FIRST_LINE);
        assertThat(HexFormat.of().formatHex(sha.digest()))
                .isEqualTo("ca334c2c8dc35cbda2504721922d0d3081d00b56a7395a182f14f0d49c44e31f");
    }

    @Test
    void theReadStreamPicksTheReferenceTraces() {
        Mulberry32 rng = Mulberry32.stream(42, 12);
        assertThat(List.of(rng.randInt(2000), rng.randInt(2000), rng.randInt(2000))).containsExactly(199, 1417, 961);
    }

    @Test
    void theNewestRootsOfAnEntityAreItsLatestTracesNewestFirst() {
        String[] ids = new String[45];
        for (int t = 0; t < ids.length; t++) {
            ids[t] = "t" + t;
        }
        assertThat(TraceWorkload.newest(ids, 4)).containsExactly("t44", "t24", "t4");
        assertThat(TraceWorkload.newest(ids, 5)).containsExactly("t25", "t5");
        List<String> many = new ArrayList<>();
        String[] big = new String[1000];
        for (int t = 0; t < big.length; t++) {
            big[t] = "t" + t;
        }
        for (int t = 999; many.size() < 20; t -= 20) {
            many.add("t" + t);
        }
        assertThat(TraceWorkload.newest(big, 19)).containsExactlyElementsOf(many);
    }

    @Test
    void aTraceIsATreeOnlyWithItsRootFirstAndParentsBeforeChildren() {
        List<String[]> ok = new ArrayList<>();
        ok.add(new String[]{"r", null});
        for (int i = 1; i < 25; i++) {
            ok.add(new String[]{"s" + i, i <= 4 ? "r" : "s" + ((i - 1) / 4)});
        }
        assertThat(TraceWorkload.isTree(ok)).isTrue();
        List<String[]> swapped = new ArrayList<>(ok);
        swapped.set(1, ok.get(5));
        swapped.set(5, ok.get(1));
        assertThat(TraceWorkload.isTree(swapped)).isFalse();
        assertThat(TraceWorkload.isTree(ok.subList(0, 24))).isFalse();
    }
}
