package dev.agentstore.persistence.flow;

import com.fasterxml.jackson.databind.node.NullNode;
import dev.agentstore.domain.flow.FlowEvent;
import dev.agentstore.domain.flow.FlowEventQuery;
import dev.agentstore.domain.flow.NewFlowEvent;
import dev.agentstore.domain.json.Json;
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

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * {@link FlowEvent} is a true JPA mapping that users can query, and read-only to JPA: the repository is the only
 * writer.
 */
@ExtendWith(AgentStoreExtension.class)
class FlowEventJpaMappingTest {

    private static final Instant BASE = Instant.parse("2031-05-06T07:08:09.123Z");

    private static final String PAYLOAD = "{\"n\":1,\"price\":1.10,\"nested\":[true,\"x\",null]}";

    @BeforeEach
    void events(AgentStore store) {
        store.flowEvents().deleteRun("jpa-run");
        store.flowEvents().appendAll(List.of(
                NewFlowEvent.of("jpa-run", "jpa-flow", "flow.started").at(BASE)
                        .data(Json.parse("d", PAYLOAD)),
                NewFlowEvent.of("jpa-run", "jpa-flow", "step.completed").at(BASE.plusMillis(1))
                        .step("extract", "extract-0").attempt(2).data(NullNode.instance),
                NewFlowEvent.of("jpa-run", "jpa-flow", "step.completed").at(BASE.plusMillis(2))
                        .step("load", "load-0").attempt(0).data(Json.parse("d", "[\"a\",2]")),
                NewFlowEvent.of("jpa-run", "jpa-flow", "flow.completed").at(BASE.plusMillis(3))));
    }

    private static List<FlowEvent> viaRepository(AgentStore store) {
        return store.flowEvents().read("jpa-run", FlowEventQuery.defaults());
    }

    private static FlowEvent first(AgentStore store) {
        return viaRepository(store).get(0);
    }

    @Nested
    class Queries {

        @Test
        void jpqlReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<FlowEvent> jpql = store.fromTransaction(uow -> uow.entityManager()
                    .createQuery("SELECT e FROM FlowEvent e WHERE e.runId = 'jpa-run' ORDER BY e.ts, e.id",
                            FlowEvent.class)
                    .getResultList());

            assertThat(jpql).hasSize(4).usingRecursiveFieldByFieldElementComparator()
                    .isEqualTo(viaRepository(store));
            assertThat(jpql.get(0).data()).isEqualTo(Json.parse("d", PAYLOAD));
            assertThat(jpql.get(1).data()).isEqualTo(NullNode.instance);
            assertThat(jpql.get(3).data()).isNull();
            assertThat(jpql.get(1).attempt()).isEqualTo(2);
        }

        @Test
        void criteriaReadsTheRowsTheRepositoryReadsByFlowAndType(AgentStore store) {
            List<FlowEvent> criteria = store.fromTransaction(uow -> {
                CriteriaBuilder cb = uow.entityManager().getCriteriaBuilder();
                CriteriaQuery<FlowEvent> query = cb.createQuery(FlowEvent.class);
                Root<FlowEvent> e = query.from(FlowEvent.class);
                query.where(cb.equal(e.get("flowName"), "jpa-flow"), cb.equal(e.get("type"), "step.completed"))
                        .orderBy(cb.desc(e.get("ts")), cb.desc(e.get("id")));
                return uow.entityManager().createQuery(query).getResultList();
            });

            assertThat(criteria).hasSize(2).usingRecursiveFieldByFieldElementComparator().isEqualTo(
                    store.flowEvents().readByFlow("jpa-flow", "step.completed", null, null, 10));
        }

        @Test
        void criteriaReadsTheRowsTheRepositoryReadsByRun(AgentStore store) {
            List<FlowEvent> criteria = store.fromTransaction(uow -> {
                CriteriaBuilder cb = uow.entityManager().getCriteriaBuilder();
                CriteriaQuery<FlowEvent> query = cb.createQuery(FlowEvent.class);
                Root<FlowEvent> e = query.from(FlowEvent.class);
                query.where(cb.equal(e.get("runId"), "jpa-run")).orderBy(cb.asc(e.get("ts")), cb.asc(e.get("id")));
                return uow.entityManager().createQuery(query).getResultList();
            });

            assertThat(criteria).usingRecursiveFieldByFieldElementComparator().isEqualTo(viaRepository(store));
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
        void removeIsRefusedAndNothingIsDeleted(AgentStore store) {
            long id = first(store).id();

            assertThat(refusal(() -> store.inTransaction(uow -> {
                EntityManager em = uow.entityManager();
                em.remove(em.find(FlowEvent.class, id));
                em.flush();
            }))).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("FlowEvent is read-only to JPA")
                    .hasMessageContaining("dev.agentstore.persistence.flow");

            assertThat(viaRepository(store)).hasSize(4);
        }

        @Test
        void persistIsRefused(AgentStore store) {
            FlowEvent copy = first(store);
            store.flowEvents().deleteRun("jpa-run");

            assertThat(refusal(() -> store.inTransaction(uow -> uow.entityManager().persist(copy))))
                    .isInstanceOf(UnsupportedOperationException.class);
            assertThat(viaRepository(store)).isEmpty();
        }

        @Test
        void aChangedEntityIsNeverWritten(AgentStore store) {
            long id = first(store).id();
            store.inTransaction(uow -> {
                FlowEvent event = uow.entityManager().find(FlowEvent.class, id);
                try {
                    var field = FlowEvent.class.getDeclaredField("type");
                    field.setAccessible(true);
                    field.set(event, "changed");
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError(e);
                }
                uow.entityManager().flush();
            });

            assertThat(first(store).type()).isEqualTo("flow.started");
        }

        @Test
        void aBulkUpdateIsRefused(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.entityManager()
                    .createQuery("UPDATE FlowEvent e SET e.type = 'changed'").executeUpdate()))
                    .isInstanceOf(RuntimeException.class);
            assertThat(viaRepository(store)).extracting(FlowEvent::type)
                    .containsExactly("flow.started", "step.completed", "step.completed", "flow.completed");
        }
    }
}
