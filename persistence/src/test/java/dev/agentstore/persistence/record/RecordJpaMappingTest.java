package dev.agentstore.persistence.record;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.record.Record;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.query.Filter;
import dev.agentstore.persistence.query.Query;
import jakarta.persistence.EntityManager;
import jakarta.persistence.criteria.CriteriaBuilder;
import jakarta.persistence.criteria.CriteriaQuery;
import jakarta.persistence.criteria.Root;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    /** The exception itself when it has no cause (the entity listener's refusal arrives unwrapped). */
    private static Throwable rootCause(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root;
    }

    private static JsonNode json(String text) {
        return Json.parse("test", text);
    }

    @Nested
    class Queries {

        @Test
        void jpqlReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<Record> jpql = store.fromTransaction(uow -> uow.entityManager()
                    .createQuery("SELECT r FROM Record r WHERE r.id LIKE 'jpa:%' ORDER BY r.id", Record.class)
                    .getResultList());

            assertThat(jpql).usingRecursiveFieldByFieldElementComparator().isEqualTo(viaRepository(store));
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
            List<Record> criteria = store.fromTransaction(uow -> {
                CriteriaBuilder cb = uow.entityManager().getCriteriaBuilder();
                CriteriaQuery<Record> query = cb.createQuery(Record.class);
                Root<Record> r = query.from(Record.class);
                query.where(cb.like(r.get("id"), "jpa:%")).orderBy(cb.asc(r.get("id")));
                return uow.entityManager().createQuery(query).getResultList();
            });

            assertThat(criteria).usingRecursiveFieldByFieldElementComparator().isEqualTo(viaRepository(store));
        }

        @Test
        void aJsonbFieldFiltersInJpqlAsInTheRepository(AgentStore store) {
            List<Record> jpql = store.fromTransaction(uow -> uow.entityManager()
                    .createQuery("SELECT r FROM Record r WHERE function('jsonb_extract_path_text', r.data, 'kind')"
                            + " = :kind AND r.id LIKE 'jpa:%' ORDER BY r.id", Record.class)
                    .setParameter("kind", "doc")
                    .getResultList());

            assertThat(jpql).usingRecursiveFieldByFieldElementComparator().isEqualTo(store.records().search(
                    Query.where(Filter.and(Filter.eq("data.kind", "doc"), Filter.like("id", "jpa:%")))));
            assertThat(jpql).extracting(Record::id).containsExactly("jpa:a", "jpa:c");
        }
    }

    @Nested
    class ReadOnly {

        @Test
        void removeIsRefusedAndNothingIsDeleted(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                EntityManager em = uow.entityManager();
                em.remove(em.find(Record.class, "jpa:a"));
                em.flush();
            })).satisfies(e -> assertThat(rootCause(e)).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("Record is read-only to JPA")
                    .hasMessageContaining("dev.agentstore.persistence.record"));

            assertThat(store.records().get("jpa:a")).isPresent();
        }

        @Test
        void persistIsRefusedAndNothingIsWritten(AgentStore store) {
            Record copy = store.records().get("jpa:a").orElseThrow();
            store.records().delete("jpa:a");

            assertThatThrownBy(() -> store.inTransaction(uow -> uow.entityManager().persist(copy)))
                    .satisfies(e -> assertThat(rootCause(e)).isInstanceOf(UnsupportedOperationException.class));
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.entityManager().persist(
                    Record.create("jpa:new", json("{}"), null, copy.createdAt()))))
                    .satisfies(e -> assertThat(rootCause(e)).isInstanceOf(UnsupportedOperationException.class));
            assertThat(store.records().get("jpa:a")).isEmpty();
            assertThat(store.records().get("jpa:new")).isEmpty();
        }

        @Test
        void aChangedEntityIsNeverWritten(AgentStore store) {
            store.inTransaction(uow -> {
                Record record = uow.entityManager().find(Record.class, "jpa:c");
                try {
                    var version = Record.class.getDeclaredField("version");
                    version.setAccessible(true);
                    version.setLong(record, 99);
                    var data = Record.class.getDeclaredField("data");
                    data.setAccessible(true);
                    data.set(record, json("{\"changed\":true}"));
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError(e);
                }
                uow.entityManager().flush();
            });

            Record stored = store.records().get("jpa:c").orElseThrow();
            assertThat(stored.version()).isEqualTo(1);
            assertThat(stored.data()).isEqualTo(json("{\"kind\":\"doc\",\"n\":1}"));
        }

        @Test
        void aBulkUpdateIsRefused(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.entityManager()
                    .createQuery("UPDATE Record r SET r.version = 7").executeUpdate()))
                    .isInstanceOf(RuntimeException.class);
            assertThat(viaRepository(store)).extracting(Record::version).containsExactly(0L, 0L, 1L);
        }
    }
}
