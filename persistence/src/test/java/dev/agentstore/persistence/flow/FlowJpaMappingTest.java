package dev.agentstore.persistence.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.flow.Flow;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.flow.FlowRunFilter;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.support.PageRequest;
import jakarta.persistence.EntityManager;
import jakarta.persistence.criteria.CriteriaBuilder;
import jakarta.persistence.criteria.CriteriaQuery;
import jakarta.persistence.criteria.Root;
import org.assertj.core.api.ThrowingConsumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Flow} and {@link FlowRun} are true JPA mappings that users can query, and read-only to JPA: the
 * repositories are the only writers.
 */
@ExtendWith(AgentStoreExtension.class)
class FlowJpaMappingTest {

    private static final List<String> FLOWS = List.of("jpa-flow", "jpa-never-run");
    private static final List<String> RUNS = List.of("r1", "r2", "r3");

    private static JsonNode json(String text) {
        return Json.parse("test", text);
    }

    @BeforeEach
    void flowsAndRuns(AgentStore store, MutableClock clock) {
        RUNS.forEach(run -> store.flowRuns().delete("jpa-flow", run));
        FLOWS.forEach(flow -> store.flows().delete(flow));
        store.flows().register("jpa-flow", "JPA flow", 3);
        store.flows().register("jpa-never-run", null, 1);
        Instant t = clock.instant();
        store.flowRuns().start("jpa-flow", "r1", t.minusSeconds(10), 4, "thread-1");
        store.flowRuns().update("jpa-flow", "r1", json("""
                {"emittedEvents":{"e":{"at":1.50}},"awaitingSteps":{"s2":{"until":12345678901234567890}},
                 "snapshot":{"context":{"s1":{"output":[1,"x",null,0.12345678901234567890123]}}},
                 "note":"n","nested":{"a":true}}"""));
        store.flowRuns().start("jpa-flow", "r2", t, null, null);
        store.flowRuns().transition("jpa-flow", "r2", FlowRunStatus.COMPLETED);
        store.flowRuns().mergeSnapshot("jpa-flow", "r3", json("{\"step\":{\"status\":\"success\"}}"));
        store.flowRuns().completeStep("jpa-flow", "r3");
    }

    /** The refusal of {@link dev.agentstore.domain.ReadOnlyEntity}, as thrown or as the root of what was thrown. */
    private static ThrowingConsumer<Throwable> refusal(String message) {
        return thrown -> {
            Throwable root = thrown;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            assertThat(root).isInstanceOf(UnsupportedOperationException.class).hasMessageContaining(message)
                    .hasMessageContaining("dev.agentstore.persistence.flow");
        };
    }

    private static List<FlowRun> runsViaRepository(AgentStore store) {
        return store.flowRuns().list("jpa-flow", FlowRunFilter.ALL, PageRequest.first()).items().stream()
                .sorted(Comparator.comparing(FlowRun::runId)).toList();
    }

    private static List<Flow> flowsViaRepository(AgentStore store) {
        return FLOWS.stream().sorted().map(name -> store.flows().get(name).orElseThrow()).toList();
    }

    @Nested
    class Queries {

        @Test
        void jpqlReadsTheRunsTheRepositoryReads(AgentStore store) {
            List<FlowRun> jpql = store.fromTransaction(uow -> uow.entityManager()
                    .createQuery("SELECT r FROM FlowRun r WHERE r.flowName = 'jpa-flow' ORDER BY r.runId",
                            FlowRun.class)
                    .getResultList());

            assertThat(jpql).usingRecursiveFieldByFieldElementComparator().isEqualTo(runsViaRepository(store));
            assertThat(jpql).extracting(FlowRun::runId).containsExactlyElementsOf(RUNS);
            assertThat(Json.print(jpql.get(0).emittedEvents())).isEqualTo("{\"e\":{\"at\":1.50}}");
            assertThat(jpql.get(0).snapshot()).isEqualTo(json(
                    "{\"context\":{\"s1\":{\"output\":[1,\"x\",null,0.12345678901234567890123]}}}"));
            assertThat(jpql.get(0).metadata()).isEqualTo(json("{\"note\":\"n\",\"nested\":{\"a\":true}}"));
            assertThat(jpql.get(1).status()).isEqualTo(FlowRunStatus.COMPLETED);
            assertThat(jpql.get(2).completedSteps()).isEqualTo(1);
        }

        @Test
        void criteriaReadsTheRunsTheRepositoryReads(AgentStore store) {
            List<FlowRun> criteria = store.fromTransaction(uow -> {
                CriteriaBuilder cb = uow.entityManager().getCriteriaBuilder();
                CriteriaQuery<FlowRun> query = cb.createQuery(FlowRun.class);
                Root<FlowRun> r = query.from(FlowRun.class);
                query.where(cb.equal(r.get("flowName"), "jpa-flow")).orderBy(cb.asc(r.get("runId")));
                return uow.entityManager().createQuery(query).getResultList();
            });

            assertThat(criteria).usingRecursiveFieldByFieldElementComparator().isEqualTo(runsViaRepository(store));
        }

        @Test
        void jpqlReadsTheFlowsTheRepositoryReads(AgentStore store) {
            List<Flow> jpql = store.fromTransaction(uow -> uow.entityManager()
                    .createQuery("SELECT f FROM Flow f WHERE f.name LIKE 'jpa-%' ORDER BY f.name", Flow.class)
                    .getResultList());

            assertThat(jpql).usingRecursiveFieldByFieldElementComparator().isEqualTo(flowsViaRepository(store));
            assertThat(jpql.get(0).stats().total()).isEqualTo(3);
            assertThat(jpql.get(0).stats().success()).isEqualTo(1);
            assertThat(jpql.get(1).displayName()).isNull();
        }

        @Test
        void criteriaReadsTheFlowsTheRepositoryReads(AgentStore store) {
            List<Flow> criteria = store.fromTransaction(uow -> {
                CriteriaBuilder cb = uow.entityManager().getCriteriaBuilder();
                CriteriaQuery<Flow> query = cb.createQuery(Flow.class);
                Root<Flow> f = query.from(Flow.class);
                query.where(cb.like(f.get("name"), "jpa-%")).orderBy(cb.asc(f.get("name")));
                return uow.entityManager().createQuery(query).getResultList();
            });

            assertThat(criteria).usingRecursiveFieldByFieldElementComparator().isEqualTo(flowsViaRepository(store));
        }
    }

    @Nested
    class ReadOnly {

        @Test
        void removingARunIsRefusedAndNothingIsDeleted(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                EntityManager em = uow.entityManager();
                em.remove(em.createQuery("SELECT r FROM FlowRun r WHERE r.flowName = 'jpa-flow' AND r.runId = 'r1'",
                        FlowRun.class).getSingleResult());
                em.flush();
            })).satisfies(refusal("FlowRun is read-only to JPA"));

            assertThat(store.flowRuns().get("jpa-flow", "r1")).isPresent();
        }

        @Test
        void removingAFlowIsRefusedAndNothingIsDeleted(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                EntityManager em = uow.entityManager();
                em.remove(em.find(Flow.class, "jpa-flow"));
                em.flush();
            })).satisfies(refusal("Flow is read-only to JPA"));

            assertThat(store.flows().get("jpa-flow")).isPresent();
        }

        @Test
        void persistingARunIsRefusedAndNothingIsWritten(AgentStore store, MutableClock clock) {
            FlowRun fresh = FlowRun.start("jpa-flow", "r-persisted", clock.instant(), null, null);

            assertThatThrownBy(() -> store.inTransaction(uow -> uow.entityManager().persist(fresh)))
                    .satisfies(refusal("FlowRun is read-only to JPA"));
            assertThat(store.flowRuns().get("jpa-flow", "r-persisted")).isEmpty();
        }

        @Test
        void persistingAFlowIsRefusedAndNothingIsWritten(AgentStore store, MutableClock clock) {
            Flow copy = store.flows().get("jpa-never-run").orElseThrow();
            store.flows().delete("jpa-never-run");

            assertThatThrownBy(() -> store.inTransaction(uow -> uow.entityManager().persist(copy)))
                    .satisfies(refusal("Flow is read-only to JPA"));
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.entityManager()
                    .persist(new Flow("jpa-new", null, 1, clock.instant()))))
                    .satisfies(refusal("Flow is read-only to JPA"));
            assertThat(store.flows().get("jpa-never-run")).isEmpty();
            assertThat(store.flows().get("jpa-new")).isEmpty();
        }

        @Test
        void aRunChangedThroughItsOwnMethodsIsNeverWritten(AgentStore store, MutableClock clock) {
            store.inTransaction(uow -> {
                FlowRun managed = uow.entityManager()
                        .createQuery("SELECT r FROM FlowRun r WHERE r.flowName = 'jpa-flow' AND r.runId = 'r1'",
                                FlowRun.class)
                        .getSingleResult();
                managed.complete(clock.instant());
                managed.applyPatch(json("{\"note\":\"changed\"}"), clock.instant());
                uow.entityManager().flush();
            });

            FlowRun run = store.flowRuns().get("jpa-flow", "r1").orElseThrow();
            assertThat(run.status()).isEqualTo(FlowRunStatus.RUNNING);
            assertThat(run.metadata()).isEqualTo(json("{\"note\":\"n\",\"nested\":{\"a\":true}}"));
            assertThat(run.version()).isEqualTo(1);
        }

        @Test
        void aBulkUpdateIsRefused(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.entityManager()
                    .createQuery("UPDATE FlowRun r SET r.completedSteps = 99").executeUpdate()))
                    .isInstanceOf(RuntimeException.class);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.entityManager()
                    .createQuery("UPDATE Flow f SET f.flowVersion = 99").executeUpdate()))
                    .isInstanceOf(RuntimeException.class);
            assertThat(store.flowRuns().get("jpa-flow", "r1").orElseThrow().completedSteps()).isZero();
            assertThat(store.flows().get("jpa-flow").orElseThrow().flowVersion()).isEqualTo(3);
        }
    }
}
