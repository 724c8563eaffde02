package dev.agentstore.persistence.kv;

import com.fasterxml.jackson.databind.node.NullNode;
import dev.agentstore.domain.kv.KvEntry;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import jakarta.persistence.EntityManager;
import jakarta.persistence.criteria.CriteriaBuilder;
import jakarta.persistence.criteria.CriteriaQuery;
import jakarta.persistence.criteria.Root;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link KvEntry} is a true JPA mapping that users can query, and read-only to JPA: the repository is the only
 * writer.
 */
@ExtendWith(AgentStoreExtension.class)
class KvJpaMappingTest {

    @BeforeEach
    void entries(AgentStore store) {
        store.kv().clear("jpa:*");
        store.kv().set("jpa:a", Map.of("n", 1, "nested", List.of(true, "x")));
        store.kv().set("jpa:b", NullNode.instance, Duration.ofHours(1));
        store.kv().set("jpa:c", 0);
        store.kv().set("jpa:c", 1);
    }

    /** Field by field; JSON values with {@link com.fasterxml.jackson.databind.JsonNode#equals}. */
    private static void assertSameRows(List<KvEntry> actual, List<KvEntry> expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            KvEntry a = actual.get(i);
            KvEntry e = expected.get(i);
            assertThat(a.key()).isEqualTo(e.key());
            assertThat(a.value()).isEqualTo(e.value());
            assertThat(a.expiresAt()).isEqualTo(e.expiresAt());
            assertThat(a.updatedAt()).isEqualTo(e.updatedAt());
            assertThat(a.version()).isEqualTo(e.version());
        }
    }

    private static List<KvEntry> viaRepository(AgentStore store) {
        return store.kv().keys("jpa:*", 10).stream().map(k -> store.kv().getEntry(k).orElseThrow()).toList();
    }

    @Nested
    class Queries {

        @Test
        void jpqlReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<KvEntry> jpql = store.fromTransaction(uow -> uow.entityManager()
                    .createQuery("SELECT e FROM KvEntry e WHERE e.key LIKE 'jpa:%' ORDER BY e.key", KvEntry.class)
                    .getResultList());

            assertSameRows(jpql, viaRepository(store));
            assertThat(jpql.get(0).value().get("nested").get(1).asText()).isEqualTo("x");
            assertThat(jpql.get(1).value()).isEqualTo(NullNode.instance);
            assertThat(jpql.get(2).version()).isEqualTo(1);
        }

        @Test
        void criteriaReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<KvEntry> criteria = store.fromTransaction(uow -> {
                CriteriaBuilder cb = uow.entityManager().getCriteriaBuilder();
                CriteriaQuery<KvEntry> query = cb.createQuery(KvEntry.class);
                Root<KvEntry> e = query.from(KvEntry.class);
                query.where(cb.like(e.get("key"), "jpa:%")).orderBy(cb.asc(e.get("key")));
                return uow.entityManager().createQuery(query).getResultList();
            });

            assertSameRows(criteria, viaRepository(store));
        }
    }

    @Nested
    class ReadOnly {

        @Test
        void removeIsRefusedAndNothingIsDeleted(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                EntityManager em = uow.entityManager();
                em.remove(em.find(KvEntry.class, "jpa:a"));
                em.flush();
            })).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("KvEntry is read-only to JPA")
                    .hasMessageContaining("dev.agentstore.persistence.kv");

            assertThat(store.kv().get("jpa:a")).isPresent();
        }

        @Test
        void persistIsRefused(AgentStore store) {
            KvEntry copy = store.kv().getEntry("jpa:a").orElseThrow();
            store.kv().delete("jpa:a");

            assertThatThrownBy(() -> store.inTransaction(uow -> uow.entityManager().persist(copy)))
                    .isInstanceOf(UnsupportedOperationException.class);
            assertThat(store.kv().get("jpa:a")).isEmpty();
        }

        @Test
        void aChangedEntityIsNeverWritten(AgentStore store) throws Exception {
            store.inTransaction(uow -> {
                KvEntry entry = uow.entityManager().find(KvEntry.class, "jpa:c");
                try {
                    var field = KvEntry.class.getDeclaredField("version");
                    field.setAccessible(true);
                    field.setLong(entry, 99);
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError(e);
                }
                uow.entityManager().flush();
            });

            assertThat(store.kv().getEntry("jpa:c").orElseThrow().version()).isEqualTo(1);
        }

        @Test
        void aBulkUpdateIsRefused(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.entityManager()
                    .createQuery("UPDATE KvEntry e SET e.expiresAt = null").executeUpdate()))
                    .isInstanceOf(RuntimeException.class);
            assertThat(store.kv().getEntry("jpa:b").orElseThrow().expiresAt()).isPresent();
        }

        @Test
        void aBulkDeleteIsRefused(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.entityManager()
                    .createQuery("DELETE FROM KvEntry e WHERE e.key LIKE 'jpa:%'").executeUpdate()))
                    .hasStackTraceContaining("table kv_entries is read-only to JPA");
            assertThat(store.kv().keys("jpa:*", 10)).hasSize(3);
        }
    }
}
