package dev.agentstore.persistence.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.flow.FlowRunFilter;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.domain.memory.MessageRole;
import dev.agentstore.domain.memory.NewMessage;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.query.Filter;
import dev.agentstore.persistence.query.Query;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Bad input found by a demanding user: each is rejected with a typed {@link InvalidInputException} naming the field,
 * before anything is written, and whatever was accepted reads back. Uses only API that existed before the JSON
 * limits, so it runs on the old code too.
 */
@ExtendWith(AgentStoreExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {

    private static final String LONG_STRING = "x".repeat(25_000_000);

    private AgentStore store;

    @BeforeAll
    void setUp(AgentStore store) {
        this.store = store;
        store.flows().register("lim", "Limits", 1);
        store.flowRuns().start("lim", "run-1");
        store.records().create("ok-1", Json.parse("d", "{\"a\":1}"), null);
        store.memories().saveThread("t-1", "user-1", null, null);
        store.knowledge().create("lim", 2, Distance.COSINE, IndexSpec.none());
    }

    private String table(String name) {
        return store.fromTransaction(uow -> String.valueOf(uow.entityManager().createNativeQuery(
                "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM " + name
                        + " t").getSingleResult()));
    }

    /** Runs {@code call}, expects a typed rejection naming {@code field}, and that {@code table} did not change. */
    private void rejected(String table, Executable call, String... expected) {
        String before = table(table);
        assertThatThrownBy(call::execute).isInstanceOf(InvalidInputException.class)
                .message().contains(expected);
        assertThat(table(table)).as("rows of " + table).isEqualTo(before);
    }

    private static ObjectNode with(String key, JsonNode value) {
        ObjectNode o = Json.object();
        o.set(key, value);
        return o;
    }

    private static JsonNode nested(int depth) {
        JsonNode n = TextNode.valueOf("leaf");
        for (int i = 0; i < depth; i++) {
            n = with("a", n);
        }
        return n;
    }

    private static final JsonNode LONG_NUMBER = DecimalNode.valueOf(new BigDecimal("9".repeat(1_501)));

    @Nested
    class OverSizeValues {

        @Test
        void aStringLongerThanTheLimitIsRefusedByEveryWritePath() {
            ObjectNode value = with("notes", JsonNodeFactory.instance.arrayNode().add(1).add(2).add(3).add(LONG_STRING));
            rejected("records", () -> store.records().create("big", value, null), "data.notes[3]", "25000000");
            rejected("records", () -> store.records().create("big", Json.object(), with("m", value)),
                    "metadata.m.notes[3]");
            rejected("kv_entries", () -> store.kv().set("big", value), "value.notes[3]");
            rejected("flow_runs", () -> store.flowRuns().update("lim", "run-1", with("metadata", value)),
                    "patch.metadata.notes[3]");
            rejected("memory_messages", () -> store.memories().saveMessages("t-1",
                    List.of(NewMessage.of("m-big", MessageRole.USER, value))), "messages[0].content.notes[3]");
            rejected("chunks", () -> store.chunks().upsert("lim", List.of(NewChunk.of("doc", 0, "text",
                    new float[]{1, 0}).withMeta(value))), "chunks[0].meta.notes[3]");
        }

        @Test
        void aNumberOf1501DigitsIsRefused() {
            rejected("records", () -> store.records().create("num", with("n", LONG_NUMBER), null), "data.n", "number");
            rejected("kv_entries", () -> store.kv().set("num", LONG_NUMBER), "value", "number");
            rejected("flow_runs", () -> store.flowRuns().update("lim", "run-1", with("snapshot", with("n", LONG_NUMBER))),
                    "patch.snapshot.n");
        }

        @Test
        void aNumberThatPostgreSqlPrintsWithMoreDigitsIsRefused() {
            // 1E+1500 is 7 characters as Java prints it, but jsonb reads it back as 1 followed by 1500 zeros
            rejected("kv_entries", () -> store.kv().set("exp", with("n", DecimalNode.valueOf(new BigDecimal("1E+1500")))),
                    "value.n", "number");
        }

        @Test
        void aMemberNameOf100000CharactersIsRefused() {
            JsonNode value = with("k".repeat(100_000), TextNode.valueOf("v"));
            rejected("records", () -> store.records().create("key", value, null), "data", "member name");
            rejected("kv_entries", () -> store.kv().set("key", value), "value", "member name");
            rejected("memory_messages", () -> store.memories().saveMessages("t-1",
                    List.of(NewMessage.of("m-key", MessageRole.USER, value))), "messages[0].content");
            rejected("chunks", () -> store.chunks().upsert("lim", List.of(NewChunk.of("doc", 0, "text",
                    new float[]{1, 0}).withPayload(value))), "chunks[0].payload");
        }

        @Test
        void jsonNestedTooDeepIsRefused() {
            JsonNode deep = nested(1_500);
            rejected("records", () -> store.records().create("deep", with("d", deep), null), "data", "nesting depth");
            rejected("kv_entries", () -> store.kv().set("deep", deep), "value", "nesting depth");
            rejected("flow_runs", () -> store.flowRuns().update("lim", "run-1", with("metadata", deep)), "patch.metadata");
        }

        @Test
        void anOverSizeDocumentIsRefused() {
            String s = "y".repeat(17_000_000);
            ArrayNode two = JsonNodeFactory.instance.arrayNode().add(s).add(s);
            rejected("records", () -> store.records().create("doc", with("d", two), null), "data", "document");
            rejected("kv_entries", () -> store.kv().set("doc", two), "value", "document");
        }

        @Test
        void afterARejectedWriteSearchAndListStillWork() {
            ObjectNode value = with("s", TextNode.valueOf(LONG_STRING));
            assertThatThrownBy(() -> store.records().create("after", value, null)).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> store.flowRuns().update("lim", "run-1", with("metadata", value)))
                    .isInstanceOf(InvalidInputException.class);
            assertThat(store.records().search(Query.all().limit(100))).extracting(r -> r.id()).contains("ok-1");
            assertThat(store.flowRuns().list("lim", FlowRunFilter.ALL, PageRequest.first()).items())
                    .extracting(r -> r.runId()).contains("run-1");
        }
    }

    @Nested
    class Content {

        @Test
        void anUnpairedSurrogateInAKeyIsRefused() {
            rejected("kv_entries", () -> store.kv().set("sur\uD800-a", TextNode.valueOf("first")), "key", "surrogate");
            rejected("records", () -> store.records().create("id\uDC00", Json.object(), null), "surrogate");
        }

        @Test
        void keysWithDifferentUnpairedSurrogatesDoNotCollide() {
            try {
                store.kv().set("sur\uD800", TextNode.valueOf("first"));
            } catch (InvalidInputException expected) {
                // refused: fine
            }
            assertThatThrownBy(() -> store.kv().get("sur\uDBFF")).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("key").hasMessageContaining("surrogate");
        }

        @Test
        void anUnpairedSurrogateInAJsonStringOrNameIsRefused() {
            rejected("records", () -> store.records().create("s1", with("s", TextNode.valueOf("a\uD800b")), null),
                    "data.s", "surrogate");
            rejected("records", () -> store.records().create("s2", with("k\uDC00", TextNode.valueOf("v")), null),
                    "data", "surrogate");
        }

        @Test
        void aValidSurrogatePairRoundTrips() {
            store.kv().set("emoji", TextNode.valueOf("\uD83D\uDE00"));
            assertThat(store.kv().get("emoji")).contains(TextNode.valueOf("\uD83D\uDE00"));
        }

        @Test
        void nanAndInfinityAreRefused() {
            rejected("kv_entries", () -> store.kv().set("nan", Map.of("x", Double.NaN)), "value.x", "NaN");
            rejected("records", () -> store.records().create("inf", with("x", DoubleNode.valueOf(
                    Double.POSITIVE_INFINITY)), null), "data.x", "Infinity");
        }

        @Test
        void nulInsideJsonIsRefusedNamingTheField() {
            rejected("flow_runs", () -> store.flowRuns().update("lim", "run-1", with("metadata",
                    with("note", TextNode.valueOf("a\u0000b")))), "metadata", "NUL");
        }
    }

    @Nested
    class Filters {

        @Test
        void anInvalidRegularExpressionIsTypedAndNamesTheField() {
            assertThatThrownBy(() -> store.records().search(Query.where(Filter.regex("data.a", "(")).limit(10)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("data.a")
                    .hasMessageContaining("regular expression");
            assertThatThrownBy(() -> store.chunks().count("lim", Filter.regex("meta.a", "(")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("meta.a");
        }

        @Test
        void instantMinInAFilterIsTyped() {
            assertThatThrownBy(() -> store.records().search(Query.where(Filter.gt("created_at", Instant.MIN)).limit(1)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("created_at");
            assertThatThrownBy(() -> store.flowRuns().list("lim", FlowRunFilter.ALL.startedBetween(Instant.MIN,
                    Instant.MAX), PageRequest.first())).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("startedFrom");
        }

        @Test
        void deleteByFilterErrorsNeverQuoteTheValue() {
            assertThatThrownBy(() -> store.chunks().deleteByFilter("lim", Filter.and(Filter.eq("meta.token",
                    "s3cr3t-token"), Filter.regex("meta.token", "(s3cr3t-token"))))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("meta.token")
                    .hasMessageNotContaining("s3cr3t-token");
        }
    }

    @Nested
    class AtTheLimit {

        /** jsonb orders members its own way and reads integers back as integer nodes: compare member by member. */
        private void sameValue(JsonNode got, JsonNode expected) {
            assertThat(got.get("s").textValue()).isEqualTo(expected.get("s").textValue());
            assertThat(got.get("n").decimalValue()).isEqualByComparingTo(expected.get("n").decimalValue());
            assertThat(got.get("k".repeat(50_000)).intValue()).isEqualTo(1);
            assertThat(got.get("deep")).isEqualTo(expected.get("deep"));
        }

        @Test
        void valuesExactlyAtTheDefaultLimitsRoundTrip() {
            ObjectNode value = Json.object();
            value.put("s", "z".repeat(20_000_000));
            value.set("n", DecimalNode.valueOf(new BigDecimal("7".repeat(1_000))));
            value.put("k".repeat(50_000), 1);
            value.set("deep", nested(99)); // 99 objects below the top-level one: depth 100
            store.kv().set("exact", value);
            sameValue(store.kv().get("exact").orElseThrow(), value);
            store.records().create("exact", value, null);
            sameValue(store.records().get("exact").orElseThrow().data(), value);
            assertThat(store.records().search(Query.all().limit(100))).hasSizeGreaterThanOrEqualTo(2);
        }
    }
}
