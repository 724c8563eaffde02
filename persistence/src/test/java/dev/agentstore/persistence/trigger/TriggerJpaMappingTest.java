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
import static org.assertj.core.api.Assertions.catchThrowable;

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
            List<Trigger> jpql = store.fromTransaction(uow -> uow.entityManager()
                    .createQuery("SELECT t FROM Trigger t WHERE t.name LIKE 'jpa-%' ORDER BY t.name", Trigger.class)
                    .getResultList());

            assertThat(jpql).hasSize(3).usingRecursiveFieldByFieldElementComparator()
                    .isEqualTo(triggersViaRepository(store));
            assertThat(jpql.get(0).subscriptions()).isEqualTo(Json.parse("s", SUBSCRIPTIONS));
            assertThat(jpql.get(0).totalFires()).isEqualTo(3);
            assertThat(jpql.get(0).flowsStarted()).isEqualTo(3);
            assertThat(jpql.get(0).lastFiredAt()).isNotNull();
            assertThat(jpql.get(2).version()).isEqualTo(2);
        }

        @Test
        void criteriaReadsTheRowsTheRepositoryReadsWithAStatus(AgentStore store) {
            for (TriggerStatus status : TriggerStatus.values()) {
                List<Trigger> criteria = store.fromTransaction(uow -> {
                    CriteriaBuilder cb = uow.entityManager().getCriteriaBuilder();
                    CriteriaQuery<Trigger> query = cb.createQuery(Trigger.class);
                    Root<Trigger> t = query.from(Trigger.class);
                    query.where(cb.equal(t.get("status"), status)).orderBy(cb.asc(t.get("name")));
                    return uow.entityManager().createQuery(query).getResultList();
                });

                assertThat(criteria).as("status %s", status).hasSize(1).usingRecursiveFieldByFieldElementComparator()
                        .isEqualTo(store.triggers().list(status, PageRequest.of(0, 100)).items());
            }
        }
    }

    @Nested
    class TriggerEventQueries {

        @Test
        void jpqlReadsTheFireLogTheRepositoryReads(AgentStore store) {
            List<TriggerEvent> jpql = store.fromTransaction(uow -> uow.entityManager()
                    .createQuery("SELECT e FROM TriggerEvent e WHERE e.triggerName = 'jpa-a'"
                            + " ORDER BY e.ts DESC, e.id DESC", TriggerEvent.class)
                    .getResultList());

            assertThat(jpql).hasSize(3).usingRecursiveFieldByFieldElementComparator()
                    .isEqualTo(eventsViaRepository(store));
            assertThat(jpql).extracting(TriggerEvent::type).containsExactly("tock", "tick", TriggerRepository.FIRED);
            assertThat(jpql.get(0).data()).isNull();
            assertThat(jpql.get(1).data()).isEqualTo(NullNode.instance);
            assertThat(jpql.get(2).data()).isEqualTo(Json.parse("d", "{\"id\":7,\"tags\":[\"x\",true]}"));
        }

        @Test
        void criteriaReadsTheFireLogTheRepositoryReads(AgentStore store) {
            List<TriggerEvent> criteria = store.fromTransaction(uow -> {
                CriteriaBuilder cb = uow.entityManager().getCriteriaBuilder();
                CriteriaQuery<TriggerEvent> query = cb.createQuery(TriggerEvent.class);
                Root<TriggerEvent> e = query.from(TriggerEvent.class);
                query.where(cb.equal(e.get("triggerName"), "jpa-a"))
                        .orderBy(cb.desc(e.get("ts")), cb.desc(e.get("id")));
                return uow.entityManager().createQuery(query).getResultList();
            });

            assertThat(criteria).usingRecursiveFieldByFieldElementComparator().isEqualTo(eventsViaRepository(store));
        }
    }

    /** What JPA threw, or the innermost cause when it came wrapped. */
    private static Throwable refusal(Runnable jpaWrite) {
        Throwable t = catchThrowable(jpaWrite::run);
        assertThat(t).as("the JPA write was refused").isNotNull();
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    @Nested
    class ReadOnly {

        @Test
        void removingATriggerOrAnEventIsRefusedAndNothingIsDeleted(AgentStore store) {
            long eventId = eventsViaRepository(store).get(0).id();

            assertThat(refusal(() -> store.inTransaction(uow -> {
                EntityManager em = uow.entityManager();
                em.remove(em.find(Trigger.class, "jpa-a"));
                em.flush();
            }))).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("Trigger is read-only to JPA")
                    .hasMessageContaining("dev.agentstore.persistence.trigger");
            assertThat(refusal(() -> store.inTransaction(uow -> {
                EntityManager em = uow.entityManager();
                em.remove(em.find(TriggerEvent.class, eventId));
                em.flush();
            }))).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("TriggerEvent is read-only to JPA");

            assertThat(store.triggers().find("jpa-a")).isPresent();
            assertThat(eventsViaRepository(store)).hasSize(3);
        }

        @Test
        void persistIsRefused(AgentStore store) {
            Trigger copy = store.triggers().get("jpa-b");
            store.triggers().delete("jpa-b");

            assertThat(refusal(() -> store.inTransaction(uow -> uow.entityManager().persist(copy))))
                    .isInstanceOf(UnsupportedOperationException.class);
            assertThat(store.triggers().find("jpa-b")).isEmpty();
        }

        @Test
        void aChangedEntityIsNeverWritten(AgentStore store) {
            store.inTransaction(uow -> {
                Trigger trigger = uow.entityManager().find(Trigger.class, "jpa-a");
                try {
                    var field = Trigger.class.getDeclaredField("status");
                    field.setAccessible(true);
                    field.set(trigger, TriggerStatus.DISABLED);
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError(e);
                }
                uow.entityManager().flush();
            });

            Trigger stored = store.triggers().get("jpa-a");
            assertThat(stored.status()).isEqualTo(TriggerStatus.ACTIVE);
            assertThat(stored.version()).isZero();
        }

        @Test
        void aBulkUpdateIsRefused(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.entityManager()
                    .createQuery("UPDATE Trigger t SET t.status = :status")
                    .setParameter("status", TriggerStatus.DISABLED).executeUpdate()))
                    .isInstanceOf(RuntimeException.class);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.entityManager()
                    .createQuery("UPDATE TriggerEvent e SET e.type = 'changed'").executeUpdate()))
                    .isInstanceOf(RuntimeException.class);

            assertThat(store.triggers().get("jpa-a").status()).isEqualTo(TriggerStatus.ACTIVE);
            assertThat(eventsViaRepository(store)).extracting(TriggerEvent::type)
                    .containsExactly("tock", "tick", TriggerRepository.FIRED);
        }
    }
}
