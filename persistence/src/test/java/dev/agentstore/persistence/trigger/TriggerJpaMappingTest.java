package dev.agentstore.persistence.trigger;

import com.fasterxml.jackson.databind.node.NullNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.trigger.Trigger;
import dev.agentstore.domain.trigger.TriggerEvent;
import dev.agentstore.domain.trigger.TriggerStatus;
import dev.agentstore.domain.trigger.TriggerType;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.support.PageRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;

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
 * {@link Trigger} and {@link TriggerEvent} are true JPA mappings that users can query, and read-only to JPA: the
 * repository is the only writer.
 */
@ExtendWith(AgentStoreExtension.class)
class TriggerJpaMappingTest {

    private static final String SUBSCRIPTIONS =
            "{\"events\":[\"order.created\"],\"filter\":{\"min\":1.10,\"tier\":null}}";

    @BeforeEach
    void triggers(AgentStore store) {
        for (String name : List.of("jpa-a", "jpa-b", "jpa-c")) {
            store.triggers().delete(name);
        }
        store.triggers().register("jpa-a", TriggerType.EVENT, Json.parse("s", SUBSCRIPTIONS));
        store.triggers().fire("jpa-a", Json.parse("d", "{\"id\":7,\"tags\":[\"x\",true]}"));
        store.triggers().fire("jpa-a", "tick", NullNode.instance);
        store.triggers().fire("jpa-a", "tock", null);
        store.triggers().recordFlowsStarted("jpa-a", 3);
        store.triggers().register("jpa-b", TriggerType.WEBHOOK);
        store.triggers().pause("jpa-b");
        store.triggers().register("jpa-c", TriggerType.MANUAL);
        store.triggers().updateSubscriptions("jpa-c", Json.parse("p", "{\"cron\":\"0 * * * *\"}"));
        store.triggers().disable("jpa-c");
    }

    private static List<Trigger> triggersViaRepository(AgentStore store) {
        return store.triggers().list(PageRequest.of(0, 100)).items();
    }

    private static List<TriggerEvent> eventsViaRepository(AgentStore store) {
        return store.triggers().events("jpa-a", 100);
    }

    @Nested
    class TriggerQueries {

        @Test
        void jpqlReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<Trigger> jpql = jpql(store, Trigger.class,
                    "SELECT t FROM Trigger t WHERE t.name LIKE 'jpa-%' ORDER BY t.name");

            assertThat(jpql).hasSize(3);
            assertSameRows(jpql, triggersViaRepository(store));
            assertThat(jpql.get(0).subscriptions()).isEqualTo(Json.parse("s", SUBSCRIPTIONS));
            assertThat(jpql.get(0).totalFires()).isEqualTo(3);
            assertThat(jpql.get(0).flowsStarted()).isEqualTo(3);
            assertThat(jpql.get(0).lastFiredAt()).isNotNull();
            assertThat(jpql.get(2).version()).isEqualTo(2);
        }

        @Test
        void criteriaReadsTheRowsTheRepositoryReadsWithAStatus(AgentStore store) {
            for (TriggerStatus status : TriggerStatus.values()) {
                List<Trigger> criteria = criteria(store, Trigger.class, (cb, query, t) -> query
                        .where(cb.equal(t.get("status"), status)).orderBy(cb.asc(t.get("name"))));

                assertThat(criteria).as("status %s", status).hasSize(1);
                assertSameRows(criteria, store.triggers().list(status, PageRequest.of(0, 100)).items());
            }
        }
    }

    @Nested
    class TriggerEventQueries {

        @Test
        void jpqlReadsTheFireLogTheRepositoryReads(AgentStore store) {
            List<TriggerEvent> jpql = jpql(store, TriggerEvent.class,
                    "SELECT e FROM TriggerEvent e WHERE e.triggerName = 'jpa-a' ORDER BY e.ts DESC, e.id DESC");

            assertThat(jpql).hasSize(3);
            assertSameRows(jpql, eventsViaRepository(store));
            assertThat(jpql).extracting(TriggerEvent::type).containsExactly("tock", "tick", TriggerRepository.FIRED);
            assertThat(jpql.get(0).data()).isNull();
            assertThat(jpql.get(1).data()).isEqualTo(NullNode.instance);
            assertThat(jpql.get(2).data()).isEqualTo(Json.parse("d", "{\"id\":7,\"tags\":[\"x\",true]}"));
        }

        @Test
        void criteriaReadsTheFireLogTheRepositoryReads(AgentStore store) {
            List<TriggerEvent> criteria = criteria(store, TriggerEvent.class, (cb, query, e) -> query
                    .where(cb.equal(e.get("triggerName"), "jpa-a"))
                    .orderBy(cb.desc(e.get("ts")), cb.desc(e.get("id"))));

            assertSameRows(criteria, eventsViaRepository(store));
        }
    }

    @Nested
    class ReadOnly {

        @Test
        void removingATriggerOrAnEventIsRefusedAndNothingIsDeleted(AgentStore store) {
            assertRemoveRefused(store, Trigger.class, "jpa-a");
            assertRemoveRefused(store, TriggerEvent.class, eventsViaRepository(store).get(0).id());

            assertThat(store.triggers().find("jpa-a")).isPresent();
            assertThat(eventsViaRepository(store)).hasSize(3);
        }

        @Test
        void persistIsRefused(AgentStore store) {
            Trigger copy = store.triggers().get("jpa-b");
            store.triggers().delete("jpa-b");

            assertPersistRefused(store, copy);
            assertThat(store.triggers().find("jpa-b")).isEmpty();
        }

        @Test
        void aChangedEntityIsNeverWritten(AgentStore store) {
            changeAndFlush(store, Trigger.class, "jpa-a", t -> setField(t, "status", TriggerStatus.DISABLED));

            Trigger stored = store.triggers().get("jpa-a");
            assertThat(stored.status()).isEqualTo(TriggerStatus.ACTIVE);
            assertThat(stored.version()).isZero();
        }

        @Test
        void aBulkUpdateIsRefused(AgentStore store) {
            assertBulkUpdateRefused(store, Trigger.class,
                    "UPDATE Trigger t SET t.status = dev.agentstore.domain.trigger.TriggerStatus.DISABLED");
            assertBulkUpdateRefused(store, TriggerEvent.class, "UPDATE TriggerEvent e SET e.type = 'changed'");

            assertUnchanged(store);
        }

        @Test
        void aBulkDeleteIsRefused(AgentStore store) {
            assertBulkDeleteRefused(store, TriggerEvent.class,
                    "DELETE FROM TriggerEvent e WHERE e.triggerName LIKE 'jpa-%'");
            assertBulkDeleteRefused(store, Trigger.class, "DELETE FROM Trigger t WHERE t.name LIKE 'jpa-%'");

            assertThat(store.triggers().find("jpa-b")).isPresent();
            assertThat(store.triggers().find("jpa-c")).isPresent();
            assertUnchanged(store);
        }

        private static void assertUnchanged(AgentStore store) {
            assertThat(store.triggers().get("jpa-a").status()).isEqualTo(TriggerStatus.ACTIVE);
            assertThat(eventsViaRepository(store)).extracting(TriggerEvent::type)
                    .containsExactly("tock", "tick", TriggerRepository.FIRED);
        }
    }
}
