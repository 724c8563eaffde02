package dev.agentstore.persistence.kv;

import com.fasterxml.jackson.databind.node.NullNode;
import dev.agentstore.domain.kv.KvEntry;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

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
 * {@link KvEntry} is a true JPA mapping that users can query, and read-only to JPA: the repository is the only
 * writer.
 */
@ExtendWith(AgentStoreExtension.class)
class KvJpaMappingTest {

    /** Every mapped attribute; the JSON value compared with {@link com.fasterxml.jackson.databind.JsonNode#equals}. */
    private static final List<Function<KvEntry, ?>> FIELDS = List.of(
            KvEntry::key, KvEntry::value, KvEntry::expiresAt, KvEntry::updatedAt, KvEntry::version);

    @BeforeEach
    void entries(AgentStore store) {
        store.kv().clear("jpa:*");
        store.kv().set("jpa:a", Map.of("n", 1, "nested", List.of(true, "x")));
        store.kv().set("jpa:b", NullNode.instance, Duration.ofHours(1));
        store.kv().set("jpa:c", 0);
        store.kv().set("jpa:c", 1);
    }

    private static List<KvEntry> viaRepository(AgentStore store) {
        return store.kv().keys("jpa:*", 10).stream().map(k -> store.kv().getEntry(k).orElseThrow()).toList();
    }

    @Nested
    class Queries {

        @Test
        void jpqlReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<KvEntry> jpql = jpql(store, KvEntry.class,
                    "SELECT e FROM KvEntry e WHERE e.key LIKE 'jpa:%' ORDER BY e.key");

            assertSameRows(jpql, viaRepository(store), FIELDS);
            assertThat(jpql.get(0).value().get("nested").get(1).asText()).isEqualTo("x");
            assertThat(jpql.get(1).value()).isEqualTo(NullNode.instance);
            assertThat(jpql.get(2).version()).isEqualTo(1);
        }

        @Test
        void criteriaReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<KvEntry> criteria = criteria(store, KvEntry.class,
                    (cb, query, e) -> query.where(cb.like(e.get("key"), "jpa:%")).orderBy(cb.asc(e.get("key"))));

            assertSameRows(criteria, viaRepository(store), FIELDS);
        }
    }

    @Nested
    class ReadOnly {

        @Test
        void removeIsRefusedAndNothingIsDeleted(AgentStore store) {
            assertRemoveRefused(store, KvEntry.class, "jpa:a");

            assertThat(store.kv().get("jpa:a")).isPresent();
        }

        @Test
        void persistIsRefused(AgentStore store) {
            KvEntry copy = store.kv().getEntry("jpa:a").orElseThrow();
            store.kv().delete("jpa:a");

            assertPersistRefused(store, copy);
            assertThat(store.kv().get("jpa:a")).isEmpty();
        }

        @Test
        void aChangedEntityIsNeverWritten(AgentStore store) {
            changeAndFlush(store, KvEntry.class, "jpa:c", entry -> setField(entry, "version", 99L));

            assertThat(store.kv().getEntry("jpa:c").orElseThrow().version()).isEqualTo(1);
        }

        @Test
        void aBulkUpdateIsRefused(AgentStore store) {
            assertBulkUpdateRefused(store, KvEntry.class, "UPDATE KvEntry e SET e.expiresAt = null");

            assertThat(store.kv().getEntry("jpa:b").orElseThrow().expiresAt()).isPresent();
        }

        @Test
        void aBulkDeleteIsRefused(AgentStore store) {
            assertBulkDeleteRefused(store, KvEntry.class, "DELETE FROM KvEntry e WHERE e.key LIKE 'jpa:%'");

            assertThat(store.kv().keys("jpa:*", 10)).hasSize(3);
        }
    }
}
