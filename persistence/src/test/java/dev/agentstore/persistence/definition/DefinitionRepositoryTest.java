package dev.agentstore.persistence.definition;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.definition.Definition;
import dev.agentstore.domain.definition.DefinitionKind;
import dev.agentstore.domain.definition.DefinitionStatus;
import dev.agentstore.domain.definition.DefinitionVersion;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.support.Sql;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static dev.agentstore.domain.definition.DefinitionKind.AGENT;
import static dev.agentstore.domain.definition.DefinitionKind.PROMPT_BLOCK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(AgentStoreExtension.class)
class DefinitionRepositoryTest {

    static JsonNode json(String text) {
        return Json.parse("json", text.replace('\'', '"'));
    }

    static JsonNode agent(String instructions) {
        return json("{'name':'Support','instructions':'" + instructions
                + "','model':{'provider':'openai','name':'gpt-4o'}}");
    }

    private static Definition create(AgentStore store, String id) {
        return store.definitions().create(AGENT, id, agent("Be brief."), json("{'team':'a'}"), "ana", "first");
    }

    @Nested
    class Create {

        @Test
        void createsADraftWithVersionOne(AgentStore store, MutableClock clock) {
            Definition d = create(store, "support");

            assertThat(d.kind()).isEqualTo(AGENT);
            assertThat(d.status()).isEqualTo(DefinitionStatus.DRAFT);
            assertThat(d.latestVersion()).isEqualTo(1);
            assertThat(d.publishedVersion()).isNull();
            assertThat(d.version()).isZero();
            assertThat(d.created()).isEqualTo(clock.instant());
            assertThat(d.metadata()).isEqualTo(json("{'team':'a'}"));
            DefinitionVersion v1 = store.definitions().getVersionByNumber(AGENT, "support", 1).orElseThrow();
            assertThat(v1.content()).isEqualTo(agent("Be brief."));
            assertThat(v1.changeMessage()).isEqualTo("first");
            assertThat(v1.author()).isEqualTo("ana");
        }

        @Test
        void theSameIdInTwoKindsIsTwoDefinitionsButTwiceInOneKindIsADuplicate(AgentStore store) {
            create(store, "shared");
            store.definitions().create(PROMPT_BLOCK, "shared", json("{'name':'b','content':'Hi'}"), null, null, null);

            assertThatThrownBy(() -> create(store, "shared")).isInstanceOf(DuplicateException.class);
            assertThat(store.definitions().get(PROMPT_BLOCK, "shared")).isPresent();
        }

        @Test
        void invalidInputWritesNothing(AgentStore store) {
            assertThatThrownBy(() -> store.definitions().create(AGENT, " ", agent("x"), null, null, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("id");
            assertThatThrownBy(() -> store.definitions().create(AGENT, "m", agent("x"), json("[1]"), null, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("metadata");
            assertThat(store.definitions().get(AGENT, "m")).isEmpty();
        }
    }

    @Nested
    class GetAndDelete {

        @Test
        void getReadsTheRowAndDeleteRemovesItWithItsVersions(AgentStore store) {
            Definition created = create(store, "gone");
            UUID v1 = store.definitions().getLatestVersion(AGENT, "gone").orElseThrow().id();

            assertThat(store.definitions().get(AGENT, "gone")).contains(created);
            assertThat(store.definitions().delete(AGENT, "gone")).isTrue();
            assertThat(store.definitions().delete(AGENT, "gone")).isFalse();
            assertThat(store.definitions().get(AGENT, "gone")).isEmpty();
            assertThat(store.definitions().getVersion(v1)).isEmpty();
        }

        @Test
        void aPublishedDefinitionCanBeDeleted(AgentStore store) {
            create(store, "published-gone");
            store.definitions().publish(AGENT, "published-gone", 1);

            assertThat(store.definitions().delete(AGENT, "published-gone")).isTrue();
            assertThat(store.definitions().countVersions(AGENT, "published-gone")).isZero();
        }
    }

    @Nested
    class ListByKind {

        @Test
        void pagesByIdWithMetadataContainmentAndStatus(AgentStore store) {
            for (String id : List.of("l-a", "l-b", "l-c", "l-d")) {
                store.definitions().create(AGENT, id, agent("x"),
                        json("{'team':'" + (id.equals("l-b") ? "b" : "a") + "','tags':['x','y']}"), null, null);
            }
            store.definitions().create(PROMPT_BLOCK, "l-e", json("{'name':'b','content':'Hi'}"), json("{'team':'a'}"),
                    null, null);
            store.definitions().publish(AGENT, "l-c", 1);
            JsonNode teamA = json("{'team':'a','tags':['y']}");

            List<Definition> first = store.definitions().list(AGENT, teamA, null, "l-", 2);
            List<Definition> second = store.definitions().list(AGENT, teamA, null, first.get(1).id(), 2);

            assertThat(first).extracting(Definition::id).containsExactly("l-a", "l-c");
            assertThat(second).extracting(Definition::id).containsExactly("l-d");
            assertThat(store.definitions().list(AGENT, json("{'tags':['x']}"), DefinitionStatus.PUBLISHED,
                    "l-", 10))
                    .extracting(Definition::id).containsExactly("l-c");
            assertThat(store.definitions().list(PROMPT_BLOCK, null, null, "l-", 10))
                    .extracting(Definition::id).containsExactly("l-e");
        }

        @Test
        void aLimitOutOfRangeIsRefused(AgentStore store) {
            assertThatThrownBy(() -> store.definitions().list(AGENT, null, null, null, 0))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("limit");
        }
    }

    @Nested
    class OptimisticUpdate {

        @Test
        void updateReplacesMetadataKeepsTheAuthorWhenNullAndIncrementsTheVersion(AgentStore store) {
            create(store, "upd");
            Definition updated = store.definitions().update(AGENT, "upd", json("{'team':'b'}"), null);

            assertThat(updated.metadata()).isEqualTo(json("{'team':'b'}"));
            assertThat(updated.author()).isEqualTo("ana");
            assertThat(updated.version()).isEqualTo(1);
        }

        @Test
        void anExpectedVersionThatIsNoLongerCurrentIsAConflictAndWritesNothing(AgentStore store) {
            Definition read = create(store, "cas");
            store.definitions().update(AGENT, "cas", json("{'by':'other'}"), null, read.version());

            assertThatThrownBy(() -> store.definitions().update(AGENT, "cas", json("{'by':'me'}"), null,
                    read.version()))
                    .isInstanceOfSatisfying(ConcurrencyConflictException.class,
                            e -> assertThat(e.actualVersion()).hasValue(1));
            assertThat(store.definitions().get(AGENT, "cas").orElseThrow().metadata())
                    .isEqualTo(json("{'by':'other'}"));
        }

        @Test
        void aWriteAfterAReadInTheSameTransactionIsCheckedAgainstThatRead(AgentStore store) {
            create(store, "rmw");

            assertThatThrownBy(() -> store.inTransaction(uow -> {
                uow.definitions().get(AGENT, "rmw");
                store.definitions().update(AGENT, "rmw", json("{'by':'other'}"), null);
                uow.definitions().archive(AGENT, "rmw");
            })).isInstanceOf(ConcurrencyConflictException.class);
            assertThat(store.definitions().get(AGENT, "rmw").orElseThrow().status()).isEqualTo(DefinitionStatus.DRAFT);
        }

        @Test
        void theTransactionsOwnWritesNeverConflictWithItsReads(AgentStore store) {
            create(store, "own");

            Definition last = store.fromTransaction(uow -> {
                uow.definitions().get(AGENT, "own");
                uow.definitions().update(AGENT, "own", null, "bo");
                uow.definitions().createVersion(AGENT, "own", agent("v2"), null, null);
                return uow.definitions().publish(AGENT, "own", 2);
            });
            assertThat(last.version()).isEqualTo(2);
            assertThat(last.publishedVersion()).isEqualTo(2);
        }

        @Test
        void updatingAMissingDefinitionIsNotFound(AgentStore store) {
            assertThatThrownBy(() -> store.definitions().update(AGENT, "none", null, "x"))
                    .isInstanceOf(NotFoundException.class);
        }
    }

    @Nested
    class PublishRollbackArchive {

        @Test
        void publishPointsAtAVersionSeparateFromTheLatest(AgentStore store) {
            create(store, "pub");
            store.definitions().createVersion(AGENT, "pub", agent("v2"), "two", null);
            Definition published = store.definitions().publish(AGENT, "pub", 1);

            assertThat(published.status()).isEqualTo(DefinitionStatus.PUBLISHED);
            assertThat(published.publishedVersion()).isEqualTo(1);
            assertThat(published.latestVersion()).isEqualTo(2);
            assertThat(store.definitions().getPublishedVersion(AGENT, "pub").orElseThrow().number()).isEqualTo(1);
            assertThat(store.definitions().getLatestVersion(AGENT, "pub").orElseThrow().number()).isEqualTo(2);
        }

        @Test
        void publishingAMissingVersionIsNotFound(AgentStore store) {
            create(store, "pub-missing");

            assertThatThrownBy(() -> store.definitions().publish(AGENT, "pub-missing", 7))
                    .isInstanceOf(NotFoundException.class).hasMessageContaining("pub-missing/7");
        }

        @Test
        void publishWithAStaleExpectedVersionIsAConflictAndWritesNothing(AgentStore store) {
            Definition read = create(store, "pub-cas");
            store.definitions().update(AGENT, "pub-cas", null, "bo");

            assertThatThrownBy(() -> store.definitions().publish(AGENT, "pub-cas", 1, read.version()))
                    .isInstanceOf(ConcurrencyConflictException.class);
            assertThat(store.definitions().get(AGENT, "pub-cas").orElseThrow().publishedVersion()).isNull();
            assertThat(store.definitions().publish(AGENT, "pub-cas", 1, read.version() + 1).publishedVersion())
                    .isEqualTo(1);
        }

        @Test
        void rollbackPublishesAnOlderVersionOnly(AgentStore store) {
            create(store, "rb");
            store.definitions().createVersion(AGENT, "rb", agent("v2"), null, null);
            store.definitions().publish(AGENT, "rb", 2);

            assertThat(store.definitions().rollback(AGENT, "rb", 1).publishedVersion()).isEqualTo(1);
            assertThatThrownBy(() -> store.definitions().rollback(AGENT, "rb", 2))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("older");
        }

        @Test
        void archiveKeepsVersionsAndThePublishedPointer(AgentStore store) {
            create(store, "arch");
            store.definitions().publish(AGENT, "arch", 1);
            Definition archived = store.definitions().archive(AGENT, "arch");

            assertThat(archived.status()).isEqualTo(DefinitionStatus.ARCHIVED);
            assertThat(archived.publishedVersion()).isEqualTo(1);
            assertThat(store.definitions().countVersions(AGENT, "arch")).isEqualTo(1);
        }
    }

    @Nested
    class Versions {

        @Test
        void createVersionNumbersOnAndDoesNotChangeTheOptimisticVersion(AgentStore store, MutableClock clock) {
            create(store, "ver");
            clock.advance(Duration.ofSeconds(5));
            DefinitionVersion v2 = store.definitions().createVersion(AGENT, "ver", agent("v2"), "two", "bo");

            assertThat(v2.number()).isEqualTo(2);
            assertThat(v2.created()).isEqualTo(clock.instant());
            assertThat(store.definitions().getVersion(v2.id()).orElseThrow().content()).isEqualTo(agent("v2"));
            Definition d = store.definitions().get(AGENT, "ver").orElseThrow();
            assertThat(d.latestVersion()).isEqualTo(2);
            assertThat(d.version()).isZero();
        }

        @Test
        void readsOfMissingVersionsAreEmptyAndBadNumbersAreRefused(AgentStore store) {
            create(store, "reads");

            assertThat(store.definitions().getVersion(UUID.randomUUID())).isEmpty();
            assertThat(store.definitions().getVersionByNumber(AGENT, "reads", 9)).isEmpty();
            assertThat(store.definitions().getPublishedVersion(AGENT, "reads")).isEmpty();
            assertThat(store.definitions().getLatestVersion(AGENT, "none")).isEmpty();
            assertThatThrownBy(() -> store.definitions().getVersionByNumber(AGENT, "reads", 0))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("number");
        }

        @Test
        void createVersionOfAMissingDefinitionIsNotFound(AgentStore store) {
            assertThatThrownBy(() -> store.definitions().createVersion(AGENT, "none", agent("x"), null, null))
                    .isInstanceOf(NotFoundException.class);
        }

        @Test
        void listVersionsPagesNewestFirstAndCountCountsThem(AgentStore store) {
            create(store, "pages");
            for (int i = 2; i <= 5; i++) {
                store.definitions().createVersion(AGENT, "pages", agent("v" + i), null, null);
            }

            List<DefinitionVersion> first = store.definitions().listVersions(AGENT, "pages", null, 3);
            List<DefinitionVersion> second = store.definitions().listVersions(AGENT, "pages", first.get(2).number(), 3);

            assertThat(first).extracting(DefinitionVersion::number).containsExactly(5, 4, 3);
            assertThat(second).extracting(DefinitionVersion::number).containsExactly(2, 1);
            assertThat(store.definitions().countVersions(AGENT, "pages")).isEqualTo(5);
            assertThat(store.definitions().countVersions(AGENT, "none")).isZero();
        }

        @Test
        void deleteVersionRefusesThePublishedOneAndNeverReusesANumber(AgentStore store) {
            create(store, "delv");
            DefinitionVersion v2 = store.definitions().createVersion(AGENT, "delv", agent("v2"), null, null);
            store.definitions().publish(AGENT, "delv", 1);
            UUID v1 = store.definitions().getVersionByNumber(AGENT, "delv", 1).orElseThrow().id();

            assertThatThrownBy(() -> store.definitions().deleteVersion(v1))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("published");
            assertThat(store.definitions().deleteVersion(v2.id())).isTrue();
            assertThat(store.definitions().deleteVersion(v2.id())).isFalse();
            assertThat(store.definitions().getLatestVersion(AGENT, "delv").orElseThrow().number()).isEqualTo(1);
            assertThat(store.definitions().createVersion(AGENT, "delv", agent("v3"), null, null).number())
                    .isEqualTo(3);
        }
        @Test
        void theDatabaseItselfRefusesDeletingThePublishedVersion(AgentStore store) {
            create(store, "fk");
            store.definitions().publish(AGENT, "fk", 1);

            assertThatThrownBy(() -> store.inTransaction(uow -> Sql.run(uow.entityManager(), "delete by hand",
                    h -> h.createUpdate("DELETE FROM definition_versions WHERE definition_id = 'fk'").execute())))
                    .isInstanceOf(AgentStoreException.class);
            assertThat(store.definitions().countVersions(AGENT, "fk")).isEqualTo(1);
        }
    }

    @Nested
    class Diff {

        @Test
        void theDiffIsAJsonPatchThatTurnsOneVersionIntoTheOther(AgentStore store) {
            store.definitions().create(AGENT, "diff", json("{'name':'A','instructions':'x','description':'old',"
                    + "'model':{'provider':'openai','name':'gpt-4o'}}"), null, null, null);
            store.definitions().createVersion(AGENT, "diff", json("{'name':'A','instructions':'y',"
                    + "'model':{'provider':'openai','name':'gpt-4o'},'tools':{'search':{}}}"), null, null);

            JsonNode patch = store.definitions().diff(AGENT, "diff", 1, 2);

            assertThat(patch).containsExactlyInAnyOrder(
                    json("{'op':'remove','path':'/description','value':'old'}"),
                    json("{'op':'replace','path':'/instructions','value':'y'}"),
                    json("{'op':'add','path':'/tools','value':{'search':{}}}"));
            assertThat(com.flipkart.zjsonpatch.JsonPatch.apply(patch,
                    store.definitions().getVersionByNumber(AGENT, "diff", 1).orElseThrow().content()))
                    .isEqualTo(store.definitions().getVersionByNumber(AGENT, "diff", 2).orElseThrow().content());
            assertThat(store.definitions().diff(AGENT, "diff", 2, 2)).isEmpty();
        }

        @Test
        void aMissingVersionIsNotFound(AgentStore store) {
            create(store, "diff-missing");

            assertThatThrownBy(() -> store.definitions().diff(AGENT, "diff-missing", 1, 2))
                    .isInstanceOf(NotFoundException.class).hasMessageContaining("diff-missing/2");
        }
    }

    @Nested
    class KindsAreStoredByName {

        @Test
        void everyKindHasAStoredNameAndSchema() {
            for (DefinitionKind kind : DefinitionKind.values()) {
                assertThat(DefinitionKind.fromStoredName(kind.storedName())).isEqualTo(kind);
                assertThat(DefinitionSchemas.schema(kind).path("type").asText()).isEqualTo("object");
            }
            assertThatThrownBy(() -> DefinitionKind.fromStoredName("robot"))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("kind");
        }
    }
}
