package dev.agentstore.persistence.definition;

import dev.agentstore.domain.definition.Definition;
import dev.agentstore.domain.definition.DefinitionKind;
import dev.agentstore.domain.definition.DefinitionVersion;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.function.Function;

import static dev.agentstore.domain.definition.DefinitionKind.AGENT;
import static dev.agentstore.persistence.ReadOnlyJpa.assertBulkDeleteRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertBulkUpdateRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertPersistRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertRemoveRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertSameRows;
import static dev.agentstore.persistence.ReadOnlyJpa.changeAndFlush;
import static dev.agentstore.persistence.ReadOnlyJpa.criteria;
import static dev.agentstore.persistence.ReadOnlyJpa.jpql;
import static dev.agentstore.persistence.ReadOnlyJpa.setField;
import static dev.agentstore.persistence.definition.DefinitionRepositoryTest.agent;
import static dev.agentstore.persistence.definition.DefinitionRepositoryTest.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Definition} and {@link DefinitionVersion} are true JPA mappings that users can query, and read-only to
 * JPA: the repository is the only writer.
 */
@ExtendWith(AgentStoreExtension.class)
class DefinitionJpaMappingTest {

    private static final List<Function<Definition, ?>> DEFINITION_FIELDS = List.of(Definition::kind, Definition::id,
            Definition::status, Definition::publishedVersion, Definition::latestVersion, Definition::author,
            Definition::metadata, Definition::version, Definition::created, Definition::updated);

    private static final List<Function<DefinitionVersion, ?>> VERSION_FIELDS = List.of(DefinitionVersion::id,
            DefinitionVersion::kind, DefinitionVersion::definitionId, DefinitionVersion::number,
            DefinitionVersion::content, DefinitionVersion::changeMessage, DefinitionVersion::author,
            DefinitionVersion::created);

    @BeforeEach
    void definitions(AgentStore store) {
        store.definitions().delete(AGENT, "jpa-a");
        store.definitions().delete(AGENT, "jpa-b");
        store.definitions().create(AGENT, "jpa-a", agent("one"), json("{'team':'a','n':1.5}"), "ana", "first");
        store.definitions().createVersion(AGENT, "jpa-a", agent("two"), null, null);
        store.definitions().publish(AGENT, "jpa-a", 2);
        store.definitions().create(AGENT, "jpa-b", agent("b"), null, null, null);
    }

    private static List<Definition> viaRepository(AgentStore store) {
        return store.definitions().list(AGENT, null, null, "jpa-", 10);
    }

    @Nested
    class Queries {

        @Test
        void jpqlReadsTheDefinitionsTheRepositoryReads(AgentStore store) {
            List<Definition> jpql = jpql(store, Definition.class,
                    "SELECT d FROM Definition d WHERE d.kind = 'agent' AND d.id LIKE 'jpa-%' ORDER BY d.id");

            assertSameRows(jpql, viaRepository(store), DEFINITION_FIELDS);
            assertThat(jpql.get(0).publishedVersion()).isEqualTo(2);
        }

        @Test
        void criteriaReadsTheVersionsTheRepositoryReads(AgentStore store) {
            List<DefinitionVersion> criteria = criteria(store, DefinitionVersion.class, (cb, query, v) -> query
                    .where(cb.equal(v.get("definitionId"), "jpa-a"))
                    .orderBy(cb.desc(v.get("number"))));

            assertSameRows(criteria, store.definitions().listVersions(AGENT, "jpa-a", null, 10), VERSION_FIELDS);
        }

        @Test
        void findByCompositeKeyReadsTheDefinition(AgentStore store) {
            Definition found = store.fromTransaction(uow -> uow.entityManager()
                    .find(Definition.class, new Definition.Key(DefinitionKind.AGENT, "jpa-b")));

            assertSameRows(List.of(found), List.of(store.definitions().get(AGENT, "jpa-b").orElseThrow()),
                    DEFINITION_FIELDS);
        }
    }

    @Nested
    class ReadOnly {

        @Test
        void removeAndPersistAreRefused(AgentStore store) {
            DefinitionVersion v = store.definitions().getLatestVersion(AGENT, "jpa-b").orElseThrow();
            assertRemoveRefused(store, DefinitionVersion.class, v.id());
            assertThat(store.definitions().getVersion(v.id())).isPresent();

            Definition copy = store.definitions().get(AGENT, "jpa-b").orElseThrow();
            store.definitions().delete(AGENT, "jpa-b");
            assertPersistRefused(store, copy);
            assertThat(store.definitions().get(AGENT, "jpa-b")).isEmpty();
        }

        @Test
        void aChangedEntityIsNeverWritten(AgentStore store) {
            changeAndFlush(store, Definition.class, new Definition.Key(AGENT, "jpa-b"),
                    d -> setField(d, "author", "changed"));

            assertThat(store.definitions().get(AGENT, "jpa-b").orElseThrow().author()).isNull();
        }

        @Test
        void bulkUpdatesAndDeletesAreRefused(AgentStore store) {
            assertBulkUpdateRefused(store, Definition.class, "UPDATE Definition d SET d.author = 'x'");
            assertBulkDeleteRefused(store, DefinitionVersion.class, "DELETE FROM DefinitionVersion v");

            assertThat(store.definitions().countVersions(AGENT, "jpa-a")).isEqualTo(2);
        }
    }
}
