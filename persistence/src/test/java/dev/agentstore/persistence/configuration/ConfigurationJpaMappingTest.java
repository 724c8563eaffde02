package dev.agentstore.persistence.configuration;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.configuration.ConfigurationSnapshot;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import jakarta.persistence.EntityManager;
import jakarta.persistence.criteria.CriteriaBuilder;
import jakarta.persistence.criteria.CriteriaQuery;
import jakarta.persistence.criteria.Root;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/**
 * {@link ConfigurationSnapshot} is a true JPA mapping that users can query, and read-only to JPA: the repository is
 * the only writer.
 */
@ExtendWith(AgentStoreExtension.class)
class ConfigurationJpaMappingTest {

    private static final JsonNode CONTENT = Json.parse("content",
            "{\"model\":\"large\",\"temperature\":0.70,\"zero\":0,\"no\":false,\"nil\":null,"
                    + "\"stop\":[\"a\",{\"b\":1}]}");

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

    /** Every mapped attribute, JSON included (compared with {@link JsonNode#equals}, a deep comparison). */
    private static List<Tuple> fields(List<ConfigurationSnapshot> snapshots) {
        return snapshots.stream().map(s -> tuple(s.id(), s.identifier(), s.revision(), s.content(), s.created()))
                .toList();
    }

    @Nested
    class Queries {

        @Test
        void jpqlReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<ConfigurationSnapshot> jpql = store.fromTransaction(uow -> uow.entityManager()
                    .createQuery("SELECT c FROM ConfigurationSnapshot c WHERE c.identifier LIKE 'jpa-%'"
                            + " ORDER BY c.identifier, c.revision DESC", ConfigurationSnapshot.class)
                    .getResultList());

            assertThat(fields(jpql)).hasSize(3).isEqualTo(fields(viaRepository(store)));
            assertThat(jpql.get(0).content()).isEqualTo(CONTENT);
            assertThat(jpql.get(0).content()).isEqualTo(store.configurations().loadRaw("jpa-a").orElseThrow());
            assertThat(jpql.get(2).content()).isEqualTo(Json.object());
        }

        @Test
        void criteriaReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<ConfigurationSnapshot> criteria = store.fromTransaction(uow -> {
                CriteriaBuilder cb = uow.entityManager().getCriteriaBuilder();
                CriteriaQuery<ConfigurationSnapshot> query = cb.createQuery(ConfigurationSnapshot.class);
                Root<ConfigurationSnapshot> c = query.from(ConfigurationSnapshot.class);
                query.where(c.get("identifier").in("jpa-a", "jpa-b"))
                        .orderBy(cb.asc(c.get("identifier")), cb.desc(c.get("revision")));
                return uow.entityManager().createQuery(query).getResultList();
            });

            assertThat(fields(criteria)).hasSize(3).isEqualTo(fields(viaRepository(store)));
        }

        @Test
        void theNewestSnapshotByJpqlIsTheRepositorysLatest(AgentStore store) {
            List<ConfigurationSnapshot> newest = store.fromTransaction(uow -> uow.entityManager()
                    .createQuery("SELECT c FROM ConfigurationSnapshot c WHERE c.identifier LIKE 'jpa-%'"
                            + " AND c.revision = (SELECT max(o.revision) FROM ConfigurationSnapshot o"
                            + " WHERE o.identifier = c.identifier)"
                            + " ORDER BY c.identifier", ConfigurationSnapshot.class)
                    .getResultList());

            assertThat(fields(newest)).isEqualTo(fields(List.of(
                    store.configurations().latest("jpa-a").orElseThrow(),
                    store.configurations().latest("jpa-b").orElseThrow())));
            assertThat(newest).extracting(ConfigurationSnapshot::identifier)
                    .isEqualTo(store.configurations().identifiers("jpa-", 2));
        }
    }

    @Nested
    class ReadOnly {

        @Test
        void removeIsRefusedAndNothingIsDeleted(AgentStore store) {
            long id = store.configurations().latest("jpa-b").orElseThrow().id();

            assertThatThrownBy(() -> store.inTransaction(uow -> {
                EntityManager em = uow.entityManager();
                em.remove(em.find(ConfigurationSnapshot.class, id));
                em.flush();
            })).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("ConfigurationSnapshot is read-only to JPA")
                    .hasMessageContaining("dev.agentstore.persistence.configuration");

            assertThat(store.configurations().latest("jpa-b")).isPresent();
        }

        @Test
        void persistIsRefused(AgentStore store) {
            ConfigurationSnapshot copy = store.configurations().latest("jpa-b").orElseThrow();
            store.configurations().remove("jpa-b");

            assertThatThrownBy(() -> store.inTransaction(uow -> uow.entityManager().persist(copy)))
                    .isInstanceOf(UnsupportedOperationException.class);
            assertThat(store.configurations().history("jpa-b")).isEmpty();
        }

        @Test
        void aChangedEntityIsNeverWritten(AgentStore store) {
            long id = store.configurations().latest("jpa-b").orElseThrow().id();
            store.inTransaction(uow -> {
                ConfigurationSnapshot snapshot = uow.entityManager().find(ConfigurationSnapshot.class, id);
                try {
                    var field = ConfigurationSnapshot.class.getDeclaredField("content");
                    field.setAccessible(true);
                    field.set(snapshot, Json.parse("content", "{\"changed\":true}"));
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError(e);
                }
                uow.entityManager().flush();
            });

            assertThat(store.configurations().latest("jpa-b").orElseThrow().content()).isEqualTo(Json.object());
        }

        @Test
        void aBulkUpdateIsRefused(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.entityManager()
                    .createQuery("UPDATE ConfigurationSnapshot c SET c.revision = 99").executeUpdate()))
                    .isInstanceOf(RuntimeException.class);
            assertThat(store.configurations().latest("jpa-b").orElseThrow().revision()).isEqualTo(1);
        }
    }
}
