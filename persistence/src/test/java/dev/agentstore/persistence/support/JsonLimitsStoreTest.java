package dev.agentstore.persistence.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.json.JsonLimits;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreConfig;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.math.BigDecimal;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The configured {@link JsonLimits} reach the repositories' write checks (through the persistence unit's
 * {@code agentstore.json.max-*} properties), are validated at {@code build()}, and values at the ceilings, written by
 * a store configured at the ceilings, read back through PostgreSQL.
 */
class JsonLimitsStoreTest {

    @Nested
    class Configuration {

        @Test
        void environmentVariablesSetTheLimits() {
            AgentStoreConfig config = AgentStoreExtension.testConfig("public").applyEnvironment(Map.of(
                    "AGENTSTORE_JSON_MAX_STRING_LENGTH", "10", "AGENTSTORE_JSON_MAX_NUMBER_LENGTH", "11",
                    "AGENTSTORE_JSON_MAX_NAME_LENGTH", "12", "AGENTSTORE_JSON_MAX_NESTING_DEPTH", "13",
                    "AGENTSTORE_JSON_MAX_DOCUMENT_LENGTH", "14")).build();
            assertThat(config.jsonLimits()).isEqualTo(new JsonLimits(10, 11, 12, 13, 14));
            assertThat(AgentStoreExtension.testConfig("public").build().jsonLimits()).isEqualTo(JsonLimits.DEFAULTS);
        }

        @Test
        void aLimitAboveItsCeilingFailsAtBuildNamingItAndTheVariables() {
            AgentStoreConfig.Builder builder = AgentStoreExtension.testConfig("public")
                    .applyEnvironment(Map.of("AGENTSTORE_JSON_MAX_NESTING_DEPTH", "1000"));
            assertThatThrownBy(builder::build).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("maxNestingDepth").hasMessageContaining("256")
                    .hasMessageContaining("AGENTSTORE_JSON_MAX_");
            assertThatThrownBy(() -> AgentStoreExtension.testConfig("public")
                    .applyEnvironment(Map.of("AGENTSTORE_JSON_MAX_STRING_LENGTH", "lots")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("AGENTSTORE_JSON_MAX_STRING_LENGTH");
        }
    }

    /** A store with small limits: the write check uses them, not the defaults. */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class ConfiguredLimits {

        private AgentStore store;
        private String schema;

        @BeforeAll
        void open() {
            schema = AgentStoreExtension.uniqueSchema(JsonLimitsStoreTest.class);
            store = AgentStore.open(AgentStoreExtension.testConfig(schema)
                    .jsonLimits(new JsonLimits(10, 5, 8, 3, 100)).build());
        }

        @AfterAll
        void close() {
            AgentStoreExtension.dropSchema(store.dataSource(), schema);
            store.close();
        }

        @Test
        void theStoreChecksItsOwnLimits() {
            store.kv().set("ten", TextNode.valueOf("0123456789"));
            assertThat(store.kv().get("ten")).contains(TextNode.valueOf("0123456789"));
            assertThatThrownBy(() -> store.kv().set("eleven", TextNode.valueOf("0123456789a")))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessage("value: string of 11 characters exceeds maxStringLength 10");
            assertThatThrownBy(() -> store.records().create("r", Json.parse("d", "{\"a\":{\"b\":{\"c\":{}}}}"), null))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessage("data.a.b.c: nesting depth exceeds maxNestingDepth 3");
            assertThat(store.kv().get("eleven")).isEmpty();
            assertThat(store.records().get("r")).isEmpty();
        }
    }

    /** A store configured at the ceilings writes values at the ceilings, and they read back through PostgreSQL. */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class Ceilings {

        private AgentStore store;
        private String schema;

        @BeforeAll
        void open() {
            schema = AgentStoreExtension.uniqueSchema(JsonLimitsStoreTest.class);
            store = AgentStore.open(AgentStoreExtension.testConfig(schema).jsonLimits(JsonLimits.CEILINGS).build());
            store.flows().register("ceil", "Ceilings", 1);
            store.flowRuns().start("ceil", "run-1");
        }

        @AfterAll
        void close() {
            AgentStoreExtension.dropSchema(store.dataSource(), schema);
            store.close();
        }

        @Test
        void aNumberOfTheCeilingsLengthAndANameOfTheCeilingsLengthReadBack() {
            ObjectNode value = Json.object();
            value.set("n", DecimalNode.valueOf(new BigDecimal("0." + "3".repeat(JsonLimits.CEILINGS.maxNumberLength() - 2))));
            value.put("k".repeat(JsonLimits.CEILINGS.maxNameLength()), true);
            store.records().create("ceil", value, null);
            JsonNode back = store.records().get("ceil").orElseThrow().data();
            assertThat(back.get("n").decimalValue()).isEqualByComparingTo(value.get("n").decimalValue());
            assertThat(back.has("k".repeat(JsonLimits.CEILINGS.maxNameLength()))).isTrue();
        }

        @Test
        void aStringAsLongAsTheDocumentCeilingAllowsReadsBack() {
            String s = "s".repeat(JsonLimits.CEILINGS.maxDocumentLength() - 2);
            store.kv().set("ceil", TextNode.valueOf(s));
            assertThat(store.kv().get("ceil").orElseThrow().textValue()).hasSize(s.length());
        }

        @Test
        void aMergePatchNestedToTheDepthCeilingPassesJsonbMergePatch() {
            JsonNode deep = TextNode.valueOf("leaf");
            for (int i = 0; i < JsonLimits.CEILINGS.maxNestingDepth(); i++) {
                ObjectNode o = Json.object();
                o.set("a", deep);
                deep = o;
            }
            store.flowRuns().mergeSnapshot("ceil", "run-1", deep);
            assertThat(store.flowRuns().get("ceil", "run-1").orElseThrow().snapshot()).isEqualTo(deep);
        }
    }
}
