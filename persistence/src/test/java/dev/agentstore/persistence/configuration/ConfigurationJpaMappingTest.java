package dev.agentstore.persistence.configuration;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.configuration.ConfigurationSnapshot;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import static dev.agentstore.persistence.ReadOnlyJpa.assertBulkDeleteRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertBulkUpdateRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertPersistRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertRemoveRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertSameRows;
import static dev.agentstore.persistence.ReadOnlyJpa.changeAndFlush;
import static dev.agentstore.persistence.ReadOnlyJpa.criteria;
import static dev.agentstore.persistence.ReadOnlyJpa.jpql;
import static dev.agentstore.persistence.ReadOnlyJpa.setField;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ConfigurationSnapshot} is a true JPA mapping that users can query, and read-only to JPA: the repository is
 * the only writer.
 */
@ExtendWith(AgentStoreExtension.class)
class ConfigurationJpaMappingTest {

    private static final JsonNode CONTENT = Json.parse("content",
            "{\"model\":\"large\",\"temperature\":0.70,\"zero\":0,\"no\":false,\"nil\":null,"
                    + "\"stop\":[\"a\",{\"b\":1}]}");

    /** Every mapped attribute, JSON included (compared with {@link JsonNode#equals}, a deep comparison). */
    private static final List<Function<ConfigurationSnapshot, ?>> FIELDS = List.of(ConfigurationSnapshot::id,
            ConfigurationSnapshot::identifier, ConfigurationSnapshot::revision, ConfigurationSnapshot::content,
            ConfigurationSnapshot::created);

    @BeforeEach
    void snapshots(AgentStore store) {
        store.configurations().remove("jpa-a");
        store.configurations().remove("jpa-b");
        store.configurations().define("jpa-a", Json.parse("content", "{\"model\":\"small\"}"));
        store.configurations().define("jpa-a", CONTENT);
        store.configurations().define("jpa-b", Json.object());
    }

    /** Every snapshot of both identifiers as the repository reads them: identifier order, newest first. */
    private static List<ConfigurationSnapshot> viaRepository(AgentStore store) {
        return Stream.concat(store.configurations().history("jpa-a").stream(),
                store.configurations().history("jpa-b").stream()).toList();
    }

    @Nested
    class Queries {

        @Test
        void jpqlReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<ConfigurationSnapshot> jpql = jpql(store, ConfigurationSnapshot.class,
                    "SELECT c FROM ConfigurationSnapshot c WHERE c.identifier LIKE 'jpa-%'"
                            + " ORDER BY c.identifier, c.revision DESC");

            assertThat(jpql).hasSize(3);
            assertSameRows(jpql, viaRepository(store), FIELDS);
            assertThat(jpql.get(0).content()).isEqualTo(CONTENT);
            assertThat(jpql.get(0).content()).isEqualTo(store.configurations().loadRaw("jpa-a").orElseThrow());
            assertThat(jpql.get(2).content()).isEqualTo(Json.object());
        }

        @Test
        void criteriaReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<ConfigurationSnapshot> criteria = criteria(store, ConfigurationSnapshot.class,
                    (cb, query, c) -> query.where(c.get("identifier").in("jpa-a", "jpa-b"))
                            .orderBy(cb.asc(c.get("identifier")), cb.desc(c.get("revision"))));

            assertThat(criteria).hasSize(3);
            assertSameRows(criteria, viaRepository(store), FIELDS);
        }

        @Test
        void theNewestSnapshotByJpqlIsTheRepositorysLatest(AgentStore store) {
            List<ConfigurationSnapshot> newest = jpql(store, ConfigurationSnapshot.class,
                    "SELECT c FROM ConfigurationSnapshot c WHERE c.identifier LIKE 'jpa-%'"
                            + " AND c.revision = (SELECT max(o.revision) FROM ConfigurationSnapshot o"
                            + " WHERE o.identifier = c.identifier)"
                            + " ORDER BY c.identifier");

            assertSameRows(newest, List.of(store.configurations().latest("jpa-a").orElseThrow(),
                    store.configurations().latest("jpa-b").orElseThrow()), FIELDS);
            assertThat(newest).extracting(ConfigurationSnapshot::identifier)
                    .isEqualTo(store.configurations().identifiers("jpa-", 2));
        }
    }

    @Nested
    class ReadOnly {

        @Test
        void removeIsRefusedAndNothingIsDeleted(AgentStore store) {
            long id = store.configurations().latest("jpa-b").orElseThrow().id();

            assertRemoveRefused(store, ConfigurationSnapshot.class, id);
            assertThat(store.configurations().latest("jpa-b")).isPresent();
        }

        @Test
        void persistIsRefused(AgentStore store) {
            ConfigurationSnapshot copy = store.configurations().latest("jpa-b").orElseThrow();
            store.configurations().remove("jpa-b");

            assertPersistRefused(store, copy);
            assertThat(store.configurations().history("jpa-b")).isEmpty();
        }

        @Test
        void aChangedEntityIsNeverWritten(AgentStore store) {
            long id = store.configurations().latest("jpa-b").orElseThrow().id();
            changeAndFlush(store, ConfigurationSnapshot.class, id,
                    snapshot -> setField(snapshot, "content", Json.parse("content", "{\"changed\":true}")));

            assertThat(store.configurations().latest("jpa-b").orElseThrow().content()).isEqualTo(Json.object());
        }

        @Test
        void aBulkUpdateIsRefused(AgentStore store) {
            assertBulkUpdateRefused(store, ConfigurationSnapshot.class,
                    "UPDATE ConfigurationSnapshot c SET c.revision = 99");

            assertThat(store.configurations().latest("jpa-b").orElseThrow().revision()).isEqualTo(1);
        }

        @Test
        void aBulkDeleteIsRefused(AgentStore store) {
            assertBulkDeleteRefused(store, ConfigurationSnapshot.class,
                    "DELETE FROM ConfigurationSnapshot c WHERE c.identifier LIKE 'jpa-%'");

            assertThat(viaRepository(store)).extracting(ConfigurationSnapshot::revision).containsExactly(2, 1, 1);
        }
    }
}
