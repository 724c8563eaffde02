package dev.agentstore.persistence.template;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.template.Template;
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
 * {@link Template} is a true JPA mapping that users can query, and read-only to JPA: the repository is the only
 * writer.
 */
@ExtendWith(AgentStoreExtension.class)
class TemplateJpaMappingTest {

    private static final JsonNode VARIABLES = Json.parse("variables",
            "{\"name\":{\"type\":\"string\"},\"zero\":0,\"no\":false,\"nil\":null,\"list\":[1,\"x\"]}");
    private static final JsonNode META = Json.parse("meta", "{\"owner\":\"team-a\",\"price\":1.50}");

    @BeforeEach
    void revisions(AgentStore store) {
        store.templates().remove("jpa-a");
        store.templates().remove("jpa-b");
        store.templates().define("jpa-a", "Hello");
        store.templates().define("jpa-a", "Hello {{name}}", "a greeting", VARIABLES, META);
        store.templates().define("jpa-b", "Bye");
    }

    /** Every revision of both identifiers as the repository reads them: identifier order, newest revision first. */
    private static List<Template> viaRepository(AgentStore store) {
        return Stream.concat(store.templates().history("jpa-a").stream(), store.templates().history("jpa-b").stream())
                .toList();
    }

    /** Every mapped attribute, JSON included (compared with {@link JsonNode#equals}, a deep comparison). */
    private static List<Tuple> fields(List<Template> templates) {
        return templates.stream().map(t -> tuple(t.id(), t.identifier(), t.revision(), t.description(), t.content(),
                t.variables(), t.meta(), t.created())).toList();
    }

    @Nested
    class Queries {

        @Test
        void jpqlReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<Template> jpql = store.fromTransaction(uow -> uow.entityManager()
                    .createQuery("SELECT t FROM Template t WHERE t.identifier LIKE 'jpa-%'"
                            + " ORDER BY t.identifier, t.revision DESC", Template.class)
                    .getResultList());

            assertThat(fields(jpql)).hasSize(3).isEqualTo(fields(viaRepository(store)));
            assertThat(jpql.get(0).variables()).isEqualTo(VARIABLES);
            assertThat(jpql.get(0).meta()).isEqualTo(META);
            assertThat(jpql.get(1).description()).isNull();
            assertThat(jpql.get(1).variables()).isEqualTo(Json.object());
        }

        @Test
        void criteriaReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<Template> criteria = store.fromTransaction(uow -> {
                CriteriaBuilder cb = uow.entityManager().getCriteriaBuilder();
                CriteriaQuery<Template> query = cb.createQuery(Template.class);
                Root<Template> t = query.from(Template.class);
                query.where(t.get("identifier").in("jpa-a", "jpa-b"))
                        .orderBy(cb.asc(t.get("identifier")), cb.desc(t.get("revision")));
                return uow.entityManager().createQuery(query).getResultList();
            });

            assertThat(fields(criteria)).hasSize(3).isEqualTo(fields(viaRepository(store)));
        }

        @Test
        void theNewestRevisionByJpqlIsTheRepositorysLatestAndListLatest(AgentStore store) {
            List<Template> newest = store.fromTransaction(uow -> uow.entityManager()
                    .createQuery("SELECT t FROM Template t WHERE t.identifier LIKE 'jpa-%' AND t.revision ="
                            + " (SELECT max(o.revision) FROM Template o WHERE o.identifier = t.identifier)"
                            + " ORDER BY t.identifier", Template.class)
                    .getResultList());

            assertThat(fields(newest)).isEqualTo(fields(List.of(store.templates().latest("jpa-a").orElseThrow(),
                    store.templates().latest("jpa-b").orElseThrow())));
            assertThat(fields(newest)).isEqualTo(fields(store.templates().listLatest("jpa-", 2)));
            assertThat(fields(List.of(newest.get(0))))
                    .isEqualTo(fields(List.of(store.templates().get("jpa-a", 2).orElseThrow())));
        }
    }

    @Nested
    class ReadOnly {

        @Test
        void removeIsRefusedAndNothingIsDeleted(AgentStore store) {
            long id = store.templates().latest("jpa-b").orElseThrow().id();

            assertThatThrownBy(() -> store.inTransaction(uow -> {
                EntityManager em = uow.entityManager();
                em.remove(em.find(Template.class, id));
                em.flush();
            })).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("Template is read-only to JPA")
                    .hasMessageContaining("dev.agentstore.persistence.template");

            assertThat(store.templates().latest("jpa-b")).isPresent();
        }

        @Test
        void persistIsRefused(AgentStore store) {
            Template copy = store.templates().latest("jpa-b").orElseThrow();
            store.templates().remove("jpa-b");

            assertThatThrownBy(() -> store.inTransaction(uow -> uow.entityManager().persist(copy)))
                    .isInstanceOf(UnsupportedOperationException.class);
            assertThat(store.templates().history("jpa-b")).isEmpty();
        }

        @Test
        void aChangedEntityIsNeverWritten(AgentStore store) {
            long id = store.templates().latest("jpa-b").orElseThrow().id();
            store.inTransaction(uow -> {
                Template template = uow.entityManager().find(Template.class, id);
                try {
                    var field = Template.class.getDeclaredField("content");
                    field.setAccessible(true);
                    field.set(template, "changed");
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError(e);
                }
                uow.entityManager().flush();
            });

            assertThat(store.templates().latest("jpa-b").orElseThrow().content()).isEqualTo("Bye");
        }

        @Test
        void aBulkUpdateIsRefused(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.entityManager()
                    .createQuery("UPDATE Template t SET t.content = 'changed'").executeUpdate()))
                    .isInstanceOf(RuntimeException.class);
            assertThat(store.templates().latest("jpa-b").orElseThrow().content()).isEqualTo("Bye");
        }
    }
}
