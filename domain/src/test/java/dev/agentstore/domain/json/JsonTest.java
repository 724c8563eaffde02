package dev.agentstore.domain.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.InvalidInputException;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonTest {

    private static JsonNode json(String text) {
        return Json.parse("test", text);
    }

    @Nested
    class MergePatch {

        /** The examples of RFC 7386, Appendix A: target, patch, result. */
        @ParameterizedTest(name = "{0} + {1} = {2}")
        @CsvSource(delimiter = '|', textBlock = """
                {"a":"b"}                     | {"a":"c"}                      | {"a":"c"}
                {"a":"b"}                     | {"b":"c"}                      | {"a":"b","b":"c"}
                {"a":"b"}                     | {"a":null}                     | {}
                {"a":"b","b":"c"}             | {"a":null}                     | {"b":"c"}
                {"a":["b"]}                   | {"a":"c"}                      | {"a":"c"}
                {"a":"c"}                     | {"a":["b"]}                    | {"a":["b"]}
                {"a":{"b":"c"}}               | {"a":{"b":"d","c":null}}       | {"a":{"b":"d"}}
                {"a":[{"b":"c"}]}             | {"a":[1]}                      | {"a":[1]}
                ["a","b"]                     | ["c","d"]                      | ["c","d"]
                {"a":"b"}                     | ["c"]                          | ["c"]
                {"a":"foo"}                   | null                           | null
                {"a":"foo"}                   | "bar"                          | "bar"
                {"e":null}                    | {"a":1}                        | {"e":null,"a":1}
                [1,2]                         | {"a":"b","c":null}             | {"a":"b"}
                {}                            | {"a":{"bb":{"ccc":null}}}      | {"a":{"bb":{}}}
                """)
        void mergePatchFollowsRfc7386AppendixA(String target, String patch, String expected) {
            assertThat(Json.mergePatch(json(target), json(patch))).isEqualTo(json(expected));
        }

        @Test
        void nestedObjectsMergeRecursivelyKeepingUntouchedKeys() {
            JsonNode result = Json.mergePatch(
                    json("{\"context\":{\"step1\":{\"status\":\"success\",\"output\":1}},\"runId\":\"r\"}"),
                    json("{\"context\":{\"step2\":{\"status\":\"running\"},\"step1\":{\"output\":2}}}"));

            assertThat(result).isEqualTo(json("{\"context\":{\"step1\":{\"status\":\"success\",\"output\":2},"
                    + "\"step2\":{\"status\":\"running\"}},\"runId\":\"r\"}"));
        }

        @Test
        void nullMemberDeletesTheKeyAtAnyDepth() {
            JsonNode result = Json.mergePatch(json("{\"a\":{\"b\":1,\"c\":2},\"d\":3}"),
                    json("{\"a\":{\"b\":null},\"d\":null}"));

            assertThat(result).isEqualTo(json("{\"a\":{\"c\":2}}"));
        }

        @Test
        void arraysReplaceInsteadOfMerging() {
            assertThat(Json.mergePatch(json("{\"tags\":[1,2,3]}"), json("{\"tags\":[4]}")))
                    .isEqualTo(json("{\"tags\":[4]}"));
        }

        @Test
        void nonObjectPatchReplacesTheWholeTarget() {
            assertThat(Json.mergePatch(json("{\"a\":1}"), json("42"))).isEqualTo(json("42"));
            assertThat(Json.mergePatch(json("{\"a\":1}"), json("[1]"))).isEqualTo(json("[1]"));
            assertThat(Json.mergePatch(json("{\"a\":1}"), NullNode.instance)).isEqualTo(NullNode.instance);
        }

        @Test
        void objectPatchOverANonObjectTargetStartsFromAnEmptyObject() {
            assertThat(Json.mergePatch(json("\"text\""), json("{\"a\":1,\"b\":null}"))).isEqualTo(json("{\"a\":1}"));
            assertThat(Json.mergePatch(null, json("{\"a\":{\"b\":null}}"))).isEqualTo(json("{\"a\":{}}"));
        }

        @Test
        void javaNullPatchReturnsACopyOfTheTarget() {
            JsonNode target = json("{\"a\":1}");
            JsonNode result = Json.mergePatch(target, null);

            assertThat(result).isEqualTo(target).isNotSameAs(target);
            assertThat(Json.mergePatch(null, null)).isNull();
        }

        @Test
        void targetAndPatchAreLeftUntouched() {
            JsonNode target = json("{\"a\":{\"b\":1},\"c\":[1]}");
            JsonNode patch = json("{\"a\":{\"b\":null,\"x\":{\"y\":1}},\"c\":[2]}");
            String targetBefore = Json.print(target);
            String patchBefore = Json.print(patch);

            JsonNode result = Json.mergePatch(target, patch);
            ((ObjectNode) result.get("a").get("x")).put("y", 99);

            assertThat(Json.print(target)).isEqualTo(targetBefore);
            assertThat(Json.print(patch)).isEqualTo(patchBefore);
        }
    }

    @Nested
    class Parse {

        @Test
        void malformedJsonTextIsRejectedNamingTheParameter() {
            for (String bad : new String[]{"{", "{\"a\":}", "[1,2", "nul", "{'a':1}", "", "  ", "{} x", "1 2", null}) {
                assertThatThrownBy(() -> Json.parse("patch", bad))
                        .as("input %s", bad)
                        .isInstanceOf(InvalidInputException.class)
                        .hasMessageStartingWith("patch ");
            }
        }

        @Test
        void decimalsParseExactlyAndPrintAsTheyCame() {
            String text = "{\"a\":0.12345678901234567890123,\"b\":1.50,\"c\":7,\"d\":123456789012345678901234567890}";
            assertThat(Json.print(Json.parse("v", text))).isEqualTo(text);
        }

        @Test
        void requireObjectRejectsEveryOtherJsonValue() {
            for (String other : new String[]{"[]", "1", "\"s\"", "true", "null"}) {
                assertThatThrownBy(() -> Json.requireObject("patch", Json.parse("v", other)))
                        .isInstanceOf(InvalidInputException.class)
                        .hasMessageContaining("patch must be a JSON object");
            }
        }
    }
}
