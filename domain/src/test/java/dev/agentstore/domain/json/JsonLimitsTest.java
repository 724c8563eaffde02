package dev.agentstore.domain.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.FloatNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonLimitsTest {

    private static final JsonLimits SMALL = new JsonLimits(5, 4, 3, 2, 30);

    private static JsonNode json(String text) {
        return Json.parse("t", text);
    }

    @Nested
    class Policy {

        @Test
        void defaultsAndCeilings() {
            assertThat(JsonLimits.DEFAULTS).isEqualTo(new JsonLimits(20_000_000, 1_000, 50_000, 100, 33_554_432));
            assertThat(JsonLimits.CEILINGS).isEqualTo(new JsonLimits(33_554_432, 10_000, 1_000_000, 256, 33_554_432));
        }

        @ParameterizedTest
        @CsvSource({"0,1,1,1,1,maxStringLength", "33554433,1,1,1,1,maxStringLength", "1,10001,1,1,1,maxNumberLength",
                "1,1,1000001,1,1,maxNameLength", "1,1,1,257,1,maxNestingDepth", "1,1,1,1,33554433,maxDocumentLength"})
        void aLimitAboveItsCeilingOrBelowOneIsRefusedByName(int s, int n, int m, int d, int doc, String name) {
            assertThatThrownBy(() -> new JsonLimits(s, n, m, d, doc)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining(name);
        }

        @Test
        void propertiesRoundTripAndNameTheBadOne() {
            assertThat(JsonLimits.fromProperties(SMALL.toProperties())).isEqualTo(SMALL);
            assertThat(JsonLimits.fromProperties(Map.of())).isEqualTo(JsonLimits.DEFAULTS);
            assertThat(JsonLimits.fromProperties(Map.of(JsonLimits.MAX_NESTING_DEPTH, 7)).maxNestingDepth()).isEqualTo(7);
            assertThatThrownBy(() -> JsonLimits.fromProperties(Map.of(JsonLimits.MAX_NUMBER_LENGTH, "many")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("agentstore.json.max-number-length");
        }
    }

    @Nested
    class Walk {

        @Test
        void valuesAtTheLimitsPass() {
            assertThat(SMALL.check("f", json("{\"abc\":[\"12345\",-999]}"))).isNotNull();
            assertThat(SMALL.check("f", null)).isNull();
        }

        @ParameterizedTest(name = "{0}")
        @CsvSource(delimiter = '|', textBlock = """
                {"a":["123456"]}            | f.a[0]: string of 6 characters exceeds maxStringLength 5
                {"a":12345}                 | f.a: number of 5 characters (in plain notation) exceeds maxNumberLength 4
                {"a":-1234}                 | f.a: number of 5 characters
                {"a":1.5e4}                 | f.a: number of 5 characters
                {"a":1e-3}                  | f.a: number of 5 characters
                {"a":{"abcd":1}}            | f.a: member name of 4 characters exceeds maxNameLength 3
                {"a":[[1]]}                 | f.a[0]: nesting depth exceeds maxNestingDepth 2
                ["12345","12345","12345","12345"] | f: document of more than 30 characters
                {"a":"\\u0000"}             | f.a: string contains the NUL character
                """)
        void eachLimitNamesTheFieldAndPath(String value, String message) {
            assertThatThrownBy(() -> SMALL.check("f", json(value))).isInstanceOf(InvalidInputException.class)
                    .hasMessageStartingWith(message);
        }

        @Test
        void theDocumentLengthIsWhatPostgreSqlPrints() {
            // jsonb prints {"a": "b", "c": [1, 2]}: 23 characters, with its separators
            JsonLimits exact = new JsonLimits(5, 4, 3, 2, 23);
            exact.check("f", json("{\"a\":\"b\",\"c\":[1,2]}"));
            assertThatThrownBy(() -> new JsonLimits(5, 4, 3, 2, 22).check("f", json("{\"a\":\"b\",\"c\":[1,2]}")))
                    .isInstanceOf(InvalidInputException.class);
            // escapes count as printed: "\n" is 2 characters, U+0001 is 6
            new JsonLimits(5, 4, 3, 2, 10).check("f", TextNode.valueOf("\n\u0001"));
            assertThatThrownBy(() -> new JsonLimits(5, 4, 3, 2, 9).check("f", TextNode.valueOf("\n\u0001")))
                    .isInstanceOf(InvalidInputException.class);
        }

        @Test
        void aNumberIsMeasuredInPlainNotation() {
            assertThat(JsonLimits.plainLength(new BigDecimal("1E+1500"))).isEqualTo(1501);
            assertThat(JsonLimits.plainLength(new BigDecimal("1.0E-5"))).isEqualTo("0.000010".length());
            assertThat(JsonLimits.plainLength(new BigDecimal("-12.345"))).isEqualTo(7);
            assertThat(JsonLimits.plainLength(new BigDecimal("1.0E300"))).isEqualTo(301);
        }

        @Test
        void nanInfinityAndUnpairedSurrogatesAreRefusedWithoutQuotingTheValue() {
            for (JsonNode bad : new JsonNode[]{DoubleNode.valueOf(Double.NaN), FloatNode.valueOf(Float.NEGATIVE_INFINITY),
                    TextNode.valueOf("secret\uD800"), TextNode.valueOf("secret\uDC00x")}) {
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                o.set("v", bad);
                assertThatThrownBy(() -> JsonLimits.DEFAULTS.check("f", o)).isInstanceOf(InvalidInputException.class)
                        .hasMessageStartingWith("f.v: ").hasMessageNotContaining("secret");
            }
            ObjectNode name = JsonNodeFactory.instance.objectNode();
            name.put("secret\uDBFF", 1);
            assertThatThrownBy(() -> JsonLimits.DEFAULTS.check("f", name)).hasMessageStartingWith("f: member name")
                    .hasMessageNotContaining("secret");
            assertThat(JsonLimits.DEFAULTS.check("f", TextNode.valueOf("\uD83D\uDE00"))).isNotNull();
        }

        @Test
        void pathsNameMembersButNotLongOrOddOnes() {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.putObject("plain").putObject("with space").putObject("x".repeat(100)).put("n", Double.NaN);
            assertThatThrownBy(() -> JsonLimits.DEFAULTS.check("f", o))
                    .hasMessageStartingWith("f.plain[\"with space\"][member of 100 characters].n: number is NaN");
        }
    }

    @Nested
    class Reader {

        @Test
        void theMapperReadsEverythingUpToTheCeilings() {
            String digits = "9".repeat(JsonLimits.CEILINGS.maxNumberLength());
            assertThat(json("[" + digits + "]").get(0).bigIntegerValue().toString()).isEqualTo(digits);
            String name = "k".repeat(JsonLimits.CEILINGS.maxNameLength());
            assertThat(json("{\"" + name + "\":1}").has(name)).isTrue();
            String s = "s".repeat(JsonLimits.CEILINGS.maxStringLength() - 2);
            assertThat(json("\"" + s + "\"").textValue()).hasSize(s.length());
            String deep = "[".repeat(Json.READ_MAX_NESTING_DEPTH) + "]".repeat(Json.READ_MAX_NESTING_DEPTH);
            assertThat(json(deep).isArray()).isTrue();
        }

        @Test
        void beyondTheReaderIsATypedError() {
            String deep = "[".repeat(Json.READ_MAX_NESTING_DEPTH + 1) + "]".repeat(Json.READ_MAX_NESTING_DEPTH + 1);
            assertThatThrownBy(() -> json(deep)).isInstanceOf(InvalidInputException.class).hasMessageStartingWith("t ");
        }
    }

    @Nested
    class Instants {

        @Test
        void postgresqlTimestamptzRange() {
            assertThat(Check.instant("at", Check.MIN_TIMESTAMP)).isEqualTo(Check.MIN_TIMESTAMP);
            assertThat(Check.instant("at", Check.MAX_TIMESTAMP)).isEqualTo(Check.MAX_TIMESTAMP);
            assertThat(Check.instant("at", null)).isNull();
            assertThatThrownBy(() -> Check.instant("at", Instant.MIN)).isInstanceOf(InvalidInputException.class)
                    .hasMessageStartingWith("at ");
            assertThatThrownBy(() -> Check.instant("at", Check.MAX_TIMESTAMP.plusNanos(1000)))
                    .isInstanceOf(InvalidInputException.class);
        }
    }

    @Nested
    class Writer {

        @Test
        void writesWhatJsonPrintsAndChecksInTheSameWalk() throws Exception {
            String object = "{\"a\":[1,-2.50,1e400,true,null,\"x\\ty\"],\"\u00e9\":{}}";
            java.io.StringWriter out = new java.io.StringWriter();
            try (com.fasterxml.jackson.core.JsonGenerator g = Json.MAPPER.createGenerator(out)) {
                g.setRootValueSeparator(null);
                JsonLimits.Writer writer = JsonLimits.DEFAULTS.writer(g);
                for (String text : new String[]{object, "\"s\"", "[]"}) {
                    writer.write("f", json(text));
                }
                writer.write("f", JsonNodeFactory.instance.binaryNode(new byte[]{1, 2, 3}));
            }
            assertThat(out.toString()).isEqualTo(Json.print(json(object)) + "\"s\"[]\"AQID\"");
        }

        @Test
        void failsAsCheckDoesNamingThePath() throws Exception {
            JsonNode bad = json("{\"ok\":1,\"a\":[\"fine\",\"toolong\"]}");
            try (com.fasterxml.jackson.core.JsonGenerator g = Json.MAPPER.createGenerator(new java.io.StringWriter())) {
                JsonLimits.Writer writer = SMALL.writer(g);
                writer.write("first", json("[1]"));
                assertThatThrownBy(() -> writer.write("spans[7].attributes", bad))
                        .isInstanceOf(InvalidInputException.class)
                        .hasMessage("spans[7].attributes.a[1]: string of 7 characters exceeds maxStringLength 5");
                assertThatThrownBy(() -> SMALL.check("spans[7].attributes", bad))
                        .hasMessage("spans[7].attributes.a[1]: string of 7 characters exceeds maxStringLength 5");
            }
        }
    }
}
