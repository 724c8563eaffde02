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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;

import static dev.agentstore.persistence.ReadOnlyJpa.assertBulkDeleteRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertBulkUpdateRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertPersistRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertRemoveRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertSameRows;
import static dev.agentstore.persistence.ReadOnlyJpa.changeAndFlush;
import static dev.agentstore.persistence.ReadOnlyJpa.criteria;
import static dev.agentstore.persistence.ReadOnlyJpa.jpql;
import static org.assertj.core.api.Assertions.assertThat;

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

    private static List<FlowRun> runsViaRepository(AgentStore store) {
        return store.flowRuns().list("jpa-flow", FlowRunFilter.ALL, PageRequest.first()).items().stream()
                .sorted(Comparator.comparing(FlowRun::runId)).toList();
    }

    private static FlowRun run(AgentStore store, String runId) {
        return store.flowRuns().get("jpa-flow", runId).orElseThrow();
    }

    private static List<Flow> flowsViaRepository(AgentStore store) {
        return FLOWS.stream().sorted().map(name -> store.flows().get(name).orElseThrow()).toList();
    }

    @Nested
    class Queries {

        @Test
        void jpqlReadsTheRunsTheRepositoryReads(AgentStore store) {
            List<FlowRun> jpql = jpql(store, FlowRun.class,
                    "SELECT r FROM FlowRun r WHERE r.flowName = 'jpa-flow' ORDER BY r.runId");

            assertSameRows(jpql, runsViaRepository(store));
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
            List<FlowRun> criteria = criteria(store, FlowRun.class, (cb, query, r) ->
                    query.where(cb.equal(r.get("flowName"), "jpa-flow")).orderBy(cb.asc(r.get("runId"))));

            assertSameRows(criteria, runsViaRepository(store));
        }

        @Test
        void jpqlReadsTheFlowsTheRepositoryReads(AgentStore store) {
            List<Flow> jpql = jpql(store, Flow.class, "SELECT f FROM Flow f WHERE f.name LIKE 'jpa-%' ORDER BY f.name");

            assertSameRows(jpql, flowsViaRepository(store));
            assertThat(jpql.get(0).stats().total()).isEqualTo(3);
            assertThat(jpql.get(0).stats().success()).isEqualTo(1);
            assertThat(jpql.get(1).displayName()).isNull();
        }

        @Test
        void criteriaReadsTheFlowsTheRepositoryReads(AgentStore store) {
            List<Flow> criteria = criteria(store, Flow.class,
                    (cb, query, f) -> query.where(cb.like(f.get("name"), "jpa-%")).orderBy(cb.asc(f.get("name"))));

            assertSameRows(criteria, flowsViaRepository(store));
        }
    }

    @Nested
    class ReadOnly {

        @Test
        void removingARunIsRefusedAndNothingIsDeleted(AgentStore store) {
            assertRemoveRefused(store, FlowRun.class, run(store, "r1").id());

            assertThat(store.flowRuns().get("jpa-flow", "r1")).isPresent();
        }

        @Test
        void removingAFlowIsRefusedAndNothingIsDeleted(AgentStore store) {
            assertRemoveRefused(store, Flow.class, "jpa-flow");

            assertThat(store.flows().get("jpa-flow")).isPresent();
        }

        @Test
        void persistingARunIsRefusedAndNothingIsWritten(AgentStore store, MutableClock clock) {
            assertPersistRefused(store, FlowRun.start("jpa-flow", "r-persisted", clock.instant(), null, null));

            assertThat(store.flowRuns().get("jpa-flow", "r-persisted")).isEmpty();
        }

        @Test
        void persistingAFlowIsRefusedAndNothingIsWritten(AgentStore store, MutableClock clock) {
            Flow copy = store.flows().get("jpa-never-run").orElseThrow();
            store.flows().delete("jpa-never-run");

            assertPersistRefused(store, copy);
            assertPersistRefused(store, new Flow("jpa-new", null, 1, clock.instant()));
            assertThat(store.flows().get("jpa-never-run")).isEmpty();
            assertThat(store.flows().get("jpa-new")).isEmpty();
        }

        @Test
        void aRunChangedThroughItsOwnMethodsIsNeverWritten(AgentStore store, MutableClock clock) {
            changeAndFlush(store, FlowRun.class, run(store, "r1").id(), managed -> {
                managed.complete(clock.instant());
                managed.applyPatch(json("{\"note\":\"changed\"}"), clock.instant());
            });

            FlowRun run = run(store, "r1");
            assertThat(run.status()).isEqualTo(FlowRunStatus.RUNNING);
            assertThat(run.metadata()).isEqualTo(json("{\"note\":\"n\",\"nested\":{\"a\":true}}"));
            assertThat(run.version()).isEqualTo(1);
        }

        @Test
        void aBulkUpdateIsRefused(AgentStore store) {
            assertBulkUpdateRefused(store, FlowRun.class, "UPDATE FlowRun r SET r.completedSteps = 99");
            assertBulkUpdateRefused(store, Flow.class, "UPDATE Flow f SET f.flowVersion = 99");

            assertThat(run(store, "r1").completedSteps()).isZero();
            assertThat(store.flows().get("jpa-flow").orElseThrow().flowVersion()).isEqualTo(3);
        }

        @Test
        void aBulkDeleteIsRefused(AgentStore store) {
            assertBulkDeleteRefused(store, FlowRun.class, "DELETE FROM FlowRun r WHERE r.flowName = 'jpa-flow'");
            assertBulkDeleteRefused(store, Flow.class, "DELETE FROM Flow f WHERE f.name LIKE 'jpa-%'");

            assertThat(runsViaRepository(store)).extracting(FlowRun::runId).containsExactlyElementsOf(RUNS);
            assertThat(flowsViaRepository(store)).hasSize(2);
        }
    }
}
