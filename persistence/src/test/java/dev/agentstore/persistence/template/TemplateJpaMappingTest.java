package dev.agentstore.persistence.template;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.template.Template;
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
 * {@link Template} is a true JPA mapping that users can query, and read-only to JPA: the repository is the only
 * writer.
 */
@ExtendWith(AgentStoreExtension.class)
class TemplateJpaMappingTest {

    private static final JsonNode VARIABLES = Json.parse("variables",
            "{\"name\":{\"type\":\"string\"},\"zero\":0,\"no\":false,\"nil\":null,\"list\":[1,\"x\"]}");
    private static final JsonNode META = Json.parse("meta", "{\"owner\":\"team-a\",\"price\":1.50}");

    /** Every mapped attribute, JSON included (compared with {@link JsonNode#equals}, a deep comparison). */
    private static final List<Function<Template, ?>> FIELDS = List.of(Template::id, Template::identifier,
            Template::revision, Template::description, Template::content, Template::variables, Template::meta,
            Template::created);

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


    @Nested
    class Queries {

        @Test
        void jpqlReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<Template> jpql = jpql(store, Template.class,
                    "SELECT t FROM Template t WHERE t.identifier LIKE 'jpa-%' ORDER BY t.identifier, t.revision DESC");

            assertThat(jpql).hasSize(3);
            assertSameRows(jpql, viaRepository(store), FIELDS);
            assertThat(jpql.get(0).variables()).isEqualTo(VARIABLES);
            assertThat(jpql.get(0).meta()).isEqualTo(META);
            assertThat(jpql.get(1).description()).isNull();
            assertThat(jpql.get(1).variables()).isEqualTo(Json.object());
        }

        @Test
        void criteriaReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<Template> criteria = criteria(store, Template.class, (cb, query, t) -> query
                    .where(t.get("identifier").in("jpa-a", "jpa-b"))
                    .orderBy(cb.asc(t.get("identifier")), cb.desc(t.get("revision"))));

            assertThat(criteria).hasSize(3);
            assertSameRows(criteria, viaRepository(store), FIELDS);
        }

        @Test
        void theNewestRevisionByJpqlIsTheRepositorysLatestAndListLatest(AgentStore store) {
            List<Template> newest = jpql(store, Template.class, "SELECT t FROM Template t"
                    + " WHERE t.identifier LIKE 'jpa-%' AND t.revision ="
                    + " (SELECT max(o.revision) FROM Template o WHERE o.identifier = t.identifier)"
                    + " ORDER BY t.identifier");

            assertSameRows(newest, List.of(store.templates().latest("jpa-a").orElseThrow(),
                    store.templates().latest("jpa-b").orElseThrow()), FIELDS);
            assertSameRows(newest, store.templates().listLatest("jpa-", 2), FIELDS);
            assertSameRows(List.of(newest.get(0)), List.of(store.templates().get("jpa-a", 2).orElseThrow()), FIELDS);
        }
    }

    @Nested
    class ReadOnly {

        @Test
        void removeIsRefusedAndNothingIsDeleted(AgentStore store) {
            assertRemoveRefused(store, Template.class, store.templates().latest("jpa-b").orElseThrow().id());

            assertThat(store.templates().latest("jpa-b")).isPresent();
        }

        @Test
        void persistIsRefused(AgentStore store) {
            Template copy = store.templates().latest("jpa-b").orElseThrow();
            store.templates().remove("jpa-b");

            assertPersistRefused(store, copy);
            assertThat(store.templates().history("jpa-b")).isEmpty();
        }

        @Test
        void aChangedEntityIsNeverWritten(AgentStore store) {
            long id = store.templates().latest("jpa-b").orElseThrow().id();
            changeAndFlush(store, Template.class, id, template -> setField(template, "content", "changed"));

            assertThat(store.templates().latest("jpa-b").orElseThrow().content()).isEqualTo("Bye");
        }

        @Test
        void aBulkUpdateIsRefused(AgentStore store) {
            assertBulkUpdateRefused(store, Template.class, "UPDATE Template t SET t.content = 'changed'");

            assertThat(store.templates().latest("jpa-b").orElseThrow().content()).isEqualTo("Bye");
        }

        @Test
        void aBulkDeleteIsRefused(AgentStore store) {
            assertBulkDeleteRefused(store, Template.class, "DELETE FROM Template t WHERE t.identifier LIKE 'jpa-%'");

            assertThat(viaRepository(store)).extracting(Template::content)
                    .containsExactly("Hello {{name}}", "Hello", "Bye");
        }
    }
}
