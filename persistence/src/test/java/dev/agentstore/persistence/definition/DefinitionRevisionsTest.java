package dev.agentstore.persistence.definition;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.configuration.ConfigurationSnapshot;
import dev.agentstore.domain.definition.Definition;
import dev.agentstore.domain.definition.DefinitionStatus;
import dev.agentstore.domain.definition.DefinitionVersion;
import dev.agentstore.domain.template.Template;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static dev.agentstore.domain.definition.DefinitionKind.AGENT;
import static dev.agentstore.domain.definition.DefinitionKind.CONFIGURATION;
import static dev.agentstore.domain.definition.DefinitionKind.TEMPLATE;
import static dev.agentstore.persistence.definition.DefinitionRepositoryTest.agent;
import static dev.agentstore.persistence.definition.DefinitionRepositoryTest.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Templates and configurations are the definition kinds {@code template} and {@code configuration}: what their
 * repositories write, {@link DefinitionRepository} reads, and the other way round ({@link DefinitionRevisions}).
 */
@ExtendWith(AgentStoreExtension.class)
class DefinitionRevisionsTest {

    @Nested
    class Templates {

        @Test
        void eachRevisionIsAVersionOfKindTemplateWithTheRevisionsIdAsSeqId(AgentStore store) {
            store.templates().define("rev-greet", "Hello");
            Template second = store.templates().define("rev-greet", "Hello {{name}}", "a greeting",
                    json("{'name':{'type':'string'}}"), json("{'owner':'a'}"));

            Definition d = store.definitions().get(TEMPLATE, "rev-greet").orElseThrow();
            assertThat(d.status()).isEqualTo(DefinitionStatus.DRAFT);
            assertThat(d.latestVersion()).isEqualTo(2);
            DefinitionVersion v2 = store.definitions().getLatestVersion(TEMPLATE, "rev-greet").orElseThrow();
            assertThat(v2.number()).isEqualTo(second.revision());
            assertThat(v2.seqId()).isEqualTo(second.id());
            assertThat(v2.created()).isEqualTo(second.created());
            assertThat(v2.content()).isEqualTo(json("{'content':'Hello {{name}}','description':'a greeting',"
                    + "'variables':{'name':{'type':'string'}},'meta':{'owner':'a'}}"));
            assertThat(store.definitions().getVersionByNumber(TEMPLATE, "rev-greet", 1).orElseThrow().content())
                    .isEqualTo(json("{'content':'Hello','variables':{},'meta':{}}"));
        }

        @Test
        void aVersionCreatedThroughTheDefinitionsIsTheLatestRevision(AgentStore store) {
            store.templates().define("rev-both", "v1");

            DefinitionVersion v2 = store.definitions().createVersion(TEMPLATE, "rev-both",
                    json("{'content':'v2','variables':{},'meta':{}}"), "second", "ana");

            Template latest = store.templates().latest("rev-both").orElseThrow();
            assertThat(latest.revision()).isEqualTo(2);
            assertThat(latest.content()).isEqualTo("v2");
            assertThat(latest.id()).isEqualTo(v2.seqId()).isGreaterThan(store.templates().get("rev-both", 1)
                    .orElseThrow().id());
        }

        @Test
        void contentTheTemplateSchemaRefusesIsNotWritten(AgentStore store) {
            store.templates().define("rev-schema", "v1");

            assertThatThrownBy(() -> store.definitions().createVersion(TEMPLATE, "rev-schema",
                    json("{'content':'','variables':{},'meta':{}}"), null, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("/content");
            assertThatThrownBy(() -> store.definitions().createVersion(TEMPLATE, "rev-schema",
                    json("{'content':'x'}"), null, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("template content is invalid");
            assertThat(store.templates().history("rev-schema")).hasSize(1);
        }

        @Test
        void removeDeletesTheDefinitionButNotTheSameIdOfAnotherKind(AgentStore store) {
            store.definitions().create(AGENT, "rev-shared", agent("Be brief."), null, null, null);
            store.templates().define("rev-shared", "v1");
            store.templates().define("rev-shared", "v2");

            assertThat(store.templates().remove("rev-shared")).isEqualTo(2);

            assertThat(store.definitions().get(TEMPLATE, "rev-shared")).isEmpty();
            assertThat(store.definitions().get(AGENT, "rev-shared")).isPresent();
            assertThat(store.templates().remove("rev-shared")).isZero();
            assertThat(store.templates().define("rev-shared", "again").revision()).isEqualTo(1);
        }
    }

    @Nested
    class Configurations {

        @Test
        void eachSnapshotIsAVersionOfKindConfigurationWhoseContentIsTheSnapshot(AgentStore store) {
            store.configurations().define("rev-llm", json("{'model':'a'}"));
            ConfigurationSnapshot second = store.configurations().define("rev-llm", json("{'model':'b'}"));

            DefinitionVersion v2 = store.definitions().getLatestVersion(CONFIGURATION, "rev-llm").orElseThrow();
            assertThat(v2.number()).isEqualTo(2);
            assertThat(v2.seqId()).isEqualTo(second.id());
            assertThat(v2.content()).isEqualTo(json("{'model':'b'}"));
            assertThat(store.definitions().list(CONFIGURATION, null, null, "rev-", 10))
                    .extracting(Definition::id).contains("rev-llm");
            assertThat(store.configurations().identifiers("rev-", 10)).contains("rev-llm");
            assertThat(store.definitions().get(TEMPLATE, "rev-llm")).as("kinds are apart").isEmpty();
        }

        @Test
        void aVersionCreatedThroughTheDefinitionsIsWhatLoadReturns(AgentStore store) {
            store.configurations().define("rev-load", json("{'n':1}"));

            store.definitions().createVersion(CONFIGURATION, "rev-load", json("{'n':2}"), null, null);

            assertThat(store.configurations().loadRaw("rev-load")).contains(json("{'n':2}"));
            assertThat(store.configurations().latest("rev-load").orElseThrow().revision()).isEqualTo(2);
        }
    }
}
