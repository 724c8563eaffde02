package dev.agentstore.persistence.definition;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.definition.AgentDefinition;
import dev.agentstore.domain.definition.DefinitionKind;
import dev.agentstore.domain.definition.McpClientDefinition;
import dev.agentstore.domain.definition.McpServerDefinition;
import dev.agentstore.domain.definition.PromptBlockDefinition;
import dev.agentstore.domain.definition.ScorerDefinition;
import dev.agentstore.domain.definition.SkillDefinition;
import dev.agentstore.domain.definition.WorkspaceDefinition;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Map;

import static dev.agentstore.persistence.definition.DefinitionRepositoryTest.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The typed facades and the JSON Schema check every write goes through. */
@ExtendWith(AgentStoreExtension.class)
class TypedDefinitionsTest {

    private static final JsonNode MODEL = json("{'provider':'anthropic','name':'claude'}");

    private static AgentDefinition agent(String name, JsonNode instructions, JsonNode model) {
        return AgentDefinition.of(name, instructions, model);
    }

    @Nested
    class Facades {

        @Test
        void anAgentIsWrittenAndReadBackTyped(AgentStore store) {
            TypedDefinitions<AgentDefinition> agents = TypedDefinitions.of(store.definitions(), AgentDefinition.class);
            agents.create("typed", agent("Typed", TextNode.valueOf("Be brief."), MODEL), null, "ana");
            agents.createVersion("typed", agent("Typed", TextNode.valueOf("Be briefer."), MODEL), "shorter", null);
            store.definitions().publish(DefinitionKind.AGENT, "typed", 1);

            assertThat(agents.kind()).isEqualTo(DefinitionKind.AGENT);
            assertThat(agents.published("typed").orElseThrow().instructions().asText()).isEqualTo("Be brief.");
            assertThat(agents.latest("typed").orElseThrow().instructions().asText()).isEqualTo("Be briefer.");
            assertThat(agents.version("typed", 2)).contains(agents.latest("typed").orElseThrow());
            assertThat(store.definitions().getVersionByNumber(DefinitionKind.AGENT, "typed", 1).orElseThrow()
                    .content().has("description")).as("null components are left out").isFalse();
        }

        @Test
        void everyKindRoundTripsItsRecord(AgentStore store) {
            List<Object> contents = List.of(
                    PromptBlockDefinition.of("Tone", "Be kind."),
                    McpServerDefinition.of("Bare", "0.1.0"),
                    new ScorerDefinition("Judge", null, "llm-judge", MODEL, "Rate it", json("{'min':0,'max':1}"),
                            null, null),
                    new McpClientDefinition("Tools", null, json("{'fs':{'type':'stdio','command':'mcp-fs'}}")),
                    new McpServerDefinition("Srv", "1.0.0", null, null, null, null, true, null, null, null, null),
                    new WorkspaceDefinition("Ws", null, null, null, null, null, List.of("s1"), null, true, 3000L),
                    new SkillDefinition("Skill", "Does a thing", "Step 1", "MIT", null, null, List.of("a.md"),
                            null, null, json("{'k':1}"), null, null));
            for (int i = 0; i < contents.size(); i++) {
                roundTrip(store, "rt-" + i, contents.get(i));
            }
        }

        @SuppressWarnings("unchecked")
        private <T> void roundTrip(AgentStore store, String id, T content) {
            TypedDefinitions<T> typed = TypedDefinitions.of(store.definitions(), (Class<T>) content.getClass());
            typed.create(id, content, null, null);

            assertThat(typed.latest(id)).contains(content);
        }

        @Test
        void aVersionOfAnotherKindIsRefused(AgentStore store) {
            store.definitions().create(DefinitionKind.PROMPT_BLOCK, "other", json("{'name':'b','content':'Hi'}"),
                    null, null, null);
            TypedDefinitions<AgentDefinition> agents = TypedDefinitions.of(store.definitions(), AgentDefinition.class);

            assertThatThrownBy(() -> agents.content(store.definitions()
                    .getLatestVersion(DefinitionKind.PROMPT_BLOCK, "other").orElseThrow()))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("kind agent");
            assertThat(agents.latest("other")).isEmpty();
        }

        @Test
        void aTypeThatIsNotADefinitionRecordIsRefused(AgentStore store) {
            assertThatThrownBy(() -> TypedDefinitions.of(store.definitions(), Map.class))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("type");
        }
    }

    @Nested
    class SchemaChecks {

        @Test
        void aMissingRequiredFieldIsRefusedNamingItsPathAndNothingIsWritten(AgentStore store) {
            TypedDefinitions<AgentDefinition> agents = TypedDefinitions.of(store.definitions(), AgentDefinition.class);

            assertThatThrownBy(() -> agents.create("bad", agent("Bad", TextNode.valueOf("x"),
                    json("{'provider':'openai'}")), null, null))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("agent content is invalid at /model: required property 'name'");
            assertThat(store.definitions().get(DefinitionKind.AGENT, "bad")).isEmpty();
        }

        @Test
        void aWrongTypeAnUnknownFieldAndAValueOutsideAnEnumAreRefused(AgentStore store) {
            DefinitionRepository repo = store.definitions();

            assertThatThrownBy(() -> repo.create(DefinitionKind.PROMPT_BLOCK, "p",
                    json("{'name':'p','content':7}"), null, null, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("/content");
            assertThatThrownBy(() -> repo.create(DefinitionKind.SKILL, "s",
                    json("{'name':'s','description':'d','instructions':'i','colour':'red'}"), null, null, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("colour");
            assertThatThrownBy(() -> repo.create(DefinitionKind.SKILL, "s", json("{'name':'s'}"), null, null, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("at the root");
            assertThatThrownBy(() -> repo.create(DefinitionKind.SCORER, "j",
                    json("{'name':'j','type':'vibes'}"), null, null, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("/type");
            assertThatThrownBy(() -> repo.create(DefinitionKind.MCP_CLIENT, "c",
                    json("{'name':'c','servers':{'fs':{'type':'carrier-pigeon'}}}"), null, null, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("/servers/fs/type");
            assertThat(repo.list(DefinitionKind.SKILL, null, null, null, 10)).isEmpty();
        }

        @Test
        void aNewVersionIsCheckedToo(AgentStore store) {
            store.definitions().create(DefinitionKind.WORKSPACE, "w", json("{'name':'w'}"), null, null, null);

            assertThatThrownBy(() -> store.definitions().createVersion(DefinitionKind.WORKSPACE, "w",
                    json("{'name':'w','operationTimeout':-1}"), null, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("/operationTimeout");
            assertThat(store.definitions().countVersions(DefinitionKind.WORKSPACE, "w")).isEqualTo(1);
            assertThat(store.definitions().get(DefinitionKind.WORKSPACE, "w").orElseThrow().latestVersion())
                    .isEqualTo(1);
        }

        @Test
        void contentThatIsNotAnObjectIsRefused(AgentStore store) {
            assertThatThrownBy(() -> store.definitions().create(DefinitionKind.MCP_SERVER, "arr", json("[]"), null,
                    null, null)).isInstanceOf(InvalidInputException.class).hasMessageContaining("content");
        }
    }
}
