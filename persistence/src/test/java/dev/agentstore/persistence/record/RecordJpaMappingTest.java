package dev.agentstore.persistence.record;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.record.Record;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.query.Filter;
import dev.agentstore.persistence.query.Query;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Map;

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
 * {@link Record} is a true JPA mapping that users can query, its JSONB data and metadata included, and read-only to
 * JPA: the repository is the only writer.
 */
@ExtendWith(AgentStoreExtension.class)
class RecordJpaMappingTest {

    @BeforeEach
    void records(AgentStore store) {
        viaRepository(store).forEach(r -> store.records().delete(r.id()));
        store.records().create("jpa:a",
                json("{\"kind\":\"doc\",\"price\":1.50,\"nested\":{\"tags\":[true,\"x\",null]}}"),
                json("{\"source\":\"web\"}"));
        store.records().create("jpa:b", json("{\"kind\":\"note\",\"empty\":{}}"), null);
        store.records().create("jpa:c", json("{\"kind\":\"doc\",\"n\":0}"), null);
        store.records().update("jpa:c", json("{\"kind\":\"doc\",\"n\":1}"), json("{\"edited\":true}"));
    }

    private static List<Record> viaRepository(AgentStore store) {
        return store.records().search(Query.where(Filter.like("id", "jpa:%")));
    }

    private static JsonNode json(String text) {
        return Json.parse("test", text);
    }

    @Nested
    class Queries {

        @Test
        void jpqlReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<Record> jpql = jpql(store, Record.class,
                    "SELECT r FROM Record r WHERE r.id LIKE 'jpa:%' ORDER BY r.id");

            assertSameRows(jpql, viaRepository(store));
            assertThat(jpql.get(0).data()).isEqualTo(json(
                    "{\"kind\":\"doc\",\"price\":1.50,\"nested\":{\"tags\":[true,\"x\",null]}}"));
            assertThat(jpql.get(0).data().get("price").decimalValue()).isEqualByComparingTo("1.50");
            assertThat(jpql.get(0).metadata()).isEqualTo(json("{\"source\":\"web\"}"));
            assertThat(jpql.get(1).metadata()).isEqualTo(Json.object());
            assertThat(jpql.get(2).version()).isEqualTo(1);
            assertThat(jpql.get(2).metadata()).isEqualTo(json("{\"edited\":true}"));
        }

        @Test
        void criteriaReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<Record> criteria = criteria(store, Record.class,
                    (cb, query, r) -> query.where(cb.like(r.get("id"), "jpa:%")).orderBy(cb.asc(r.get("id"))));

            assertSameRows(criteria, viaRepository(store));
        }

        @Test
        void aJsonbFieldFiltersInJpqlAsInTheRepository(AgentStore store) {
            List<Record> jpql = jpql(store, Record.class,
                    "SELECT r FROM Record r WHERE function('jsonb_extract_path_text', r.data, 'kind')"
                            + " = :kind AND r.id LIKE 'jpa:%' ORDER BY r.id", Map.of("kind", "doc"));

            assertSameRows(jpql, store.records().search(
                    Query.where(Filter.and(Filter.eq("data.kind", "doc"), Filter.like("id", "jpa:%")))));
            assertThat(jpql).extracting(Record::id).containsExactly("jpa:a", "jpa:c");
        }
    }

    @Nested
    class ReadOnly {

        @Test
        void removeIsRefusedAndNothingIsDeleted(AgentStore store) {
            assertRemoveRefused(store, Record.class, "jpa:a");

            assertThat(store.records().get("jpa:a")).isPresent();
        }

        @Test
        void persistIsRefusedAndNothingIsWritten(AgentStore store) {
            Record copy = store.records().get("jpa:a").orElseThrow();
            store.records().delete("jpa:a");

            assertPersistRefused(store, copy);
            assertPersistRefused(store, Record.create("jpa:new", json("{}"), null, copy.createdAt()));
            assertThat(store.records().get("jpa:a")).isEmpty();
            assertThat(store.records().get("jpa:new")).isEmpty();
        }

        @Test
        void aChangedEntityIsNeverWritten(AgentStore store) {
            changeAndFlush(store, Record.class, "jpa:c", record -> {
                setField(record, "version", 99L);
                setField(record, "data", json("{\"changed\":true}"));
            });

            Record stored = store.records().get("jpa:c").orElseThrow();
            assertThat(stored.version()).isEqualTo(1);
            assertThat(stored.data()).isEqualTo(json("{\"kind\":\"doc\",\"n\":1}"));
        }

        @Test
        void aBulkUpdateIsRefused(AgentStore store) {
            assertBulkUpdateRefused(store, Record.class, "UPDATE Record r SET r.version = 7");

            assertThat(viaRepository(store)).extracting(Record::version).containsExactly(0L, 0L, 1L);
        }

        @Test
        void aBulkDeleteIsRefused(AgentStore store) {
            assertBulkDeleteRefused(store, Record.class, "DELETE FROM Record r WHERE r.id LIKE 'jpa:%'");

            assertThat(viaRepository(store)).extracting(Record::id).containsExactly("jpa:a", "jpa:b", "jpa:c");
        }
    }
}
