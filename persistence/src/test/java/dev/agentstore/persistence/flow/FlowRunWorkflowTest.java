package dev.agentstore.persistence.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.flow.Flow;
import dev.agentstore.domain.flow.FlowOrder;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.flow.FlowRunCursor;
import dev.agentstore.domain.flow.FlowRunGuard;
import dev.agentstore.domain.flow.FlowRunQuery;
import dev.agentstore.domain.flow.FlowRunSlice;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.domain.flow.FlowStats;
import dev.agentstore.domain.flow.NewFlowRun;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.Race;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The seeds' workflow-run contracts: statuses, finding and listing runs, guarded writes, snapshots, imports. */
@ExtendWith(AgentStoreExtension.class)
class FlowRunWorkflowTest {

    private static JsonNode json(String text) {
        return Json.parse("test", text);
    }

    private static FlowRun run(AgentStore store, String flow, String run) {
        Optional<FlowRun> found = store.fromTransaction(uow -> uow.flowRuns().get(flow, run));
        return found.orElseThrow();
    }

    private static FlowStats stats(AgentStore store, String flow) {
        Optional<Flow> found = store.fromTransaction(uow -> uow.flows().get(flow));
        return found.orElseThrow().stats();
    }

    private static List<String> ids(List<FlowRun> runs) {
        return runs.stream().map(r -> r.flowName() + "/" + r.runId()).toList();
    }

    @Nested
    class Statuses {

        @Test
        void theSeedsSpellingsParseToTheUnionOfStatuses() {
            assertThat(FlowRunStatus.parse("pending")).isEqualTo(FlowRunStatus.PENDING);
            assertThat(FlowRunStatus.parse("Suspended")).isEqualTo(FlowRunStatus.SUSPENDED);
            assertThat(FlowRunStatus.parse("waiting")).isEqualTo(FlowRunStatus.AWAITING);
            assertThat(FlowRunStatus.parse("success")).isEqualTo(FlowRunStatus.COMPLETED);
            assertThat(FlowRunStatus.parse("timed_out")).isEqualTo(FlowRunStatus.TIMED_OUT);
            assertThat(FlowRunStatus.parse("timed-out")).isEqualTo(FlowRunStatus.TIMED_OUT);
            assertThatThrownBy(() -> FlowRunStatus.parse("bailed")).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("timed_out");
        }

        @Test
        void theTransitionTableAllowsActiveToAnyOtherButPendingAndNothingOutOfTerminal() {
            for (FlowRunStatus from : FlowRunStatus.values()) {
                for (FlowRunStatus to : FlowRunStatus.values()) {
                    boolean expected = !from.isTerminal() && from != to && to != FlowRunStatus.PENDING;
                    assertThat(from.canMoveTo(to)).as(from + " -> " + to).isEqualTo(expected);
                }
            }
            assertThat(FlowRunStatus.TIMED_OUT.isTerminal()).isTrue();
            assertThat(FlowRunStatus.SUSPENDED.isTerminal()).isFalse();
            assertThat(FlowRunStatus.PENDING.isTerminal()).isFalse();
        }

        @Test
        void aPendingRunCountsInTotalOnlyAndItsMovesKeepTheCountersRight(AgentStore store) {
            store.inTransaction(uow -> uow.flows().register("st", "st", 1));
            store.inTransaction(uow -> uow.flowRuns().create(NewFlowRun.of("st", "r1")));
            assertThat(stats(store, "st")).isEqualTo(new FlowStats(1, 0, 0, 0, 0, 0));
            assertThat(run(store, "st", "r1").status()).isEqualTo(FlowRunStatus.PENDING);

            store.inTransaction(uow -> uow.flowRuns().transition("st", "r1", FlowRunStatus.RUNNING));
            assertThat(stats(store, "st")).isEqualTo(new FlowStats(1, 0, 0, 1, 0, 0));
            store.inTransaction(uow -> uow.flowRuns().update("st", "r1", json("{\"status\":\"suspended\"}")));
            assertThat(stats(store, "st")).isEqualTo(new FlowStats(1, 0, 0, 0, 1, 0));
            store.inTransaction(uow -> uow.flowRuns().transition("st", "r1", FlowRunStatus.TIMED_OUT));
            assertThat(stats(store, "st")).isEqualTo(new FlowStats(1, 0, 1, 0, 0, 0));

            FlowRun timedOut = run(store, "st", "r1");
            assertThat(timedOut.status()).isEqualTo(FlowRunStatus.TIMED_OUT);
            assertThat(timedOut.completedAt()).isNotNull();
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.flowRuns()
                    .transition("st", "r1", FlowRunStatus.RUNNING))).isInstanceOf(InvalidInputException.class);
            store.inTransaction(uow -> uow.flowRuns().start("st", "r2"));
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.flowRuns()
                    .transition("st", "r2", FlowRunStatus.PENDING))).isInstanceOf(InvalidInputException.class);
        }
    }

    @Nested
    class FindAndList {

        /** Runs a/1 (res u1), a/2 (res u2, completed), b/3 (res u1), b/1, started one second apart. */
        private void seed(AgentStore store, Instant t, String prefix) {
            store.inTransaction(uow -> {
                uow.flowRuns().start(prefix + "a", "1", t, null, "u1");
                uow.flowRuns().start(prefix + "a", "2", t.plusSeconds(1), null, "u2");
                uow.flowRuns().start(prefix + "b", "3", t.plusSeconds(2), null, "u1");
                uow.flowRuns().start(prefix + "b", prefix + "1", t.plusSeconds(3), null, null);
            });
            store.inTransaction(uow -> uow.flowRuns().transition(prefix + "a", "2", FlowRunStatus.COMPLETED));
        }

        @Test
        void aRunIsFoundByItsRunIdAloneTheNewestWhenFlowsShareIt(AgentStore store, MutableClock clock) {
            Instant t = clock.instant();
            store.inTransaction(uow -> uow.flowRuns().start("find-a", "shared", t, null, null));
            store.inTransaction(uow -> uow.flowRuns().start("find-b", "shared", t.plusSeconds(5), null, null));
            store.inTransaction(uow -> uow.flowRuns().start("find-a", "only-a", t, null, null));

            assertThat(store.flowRuns().findByRunId("only-a")).map(FlowRun::flowName).contains("find-a");
            assertThat(store.flowRuns().findByRunId("shared")).map(FlowRun::flowName).contains("find-b");
            assertThat(store.flowRuns().findByRunId("none")).isEmpty();
            assertThatThrownBy(() -> store.flowRuns().findByRunId(" ")).isInstanceOf(InvalidInputException.class);
        }

        @Test
        void runsAreListedAcrossFlowsByFlowResourceStatusAndTimeNewestFirst(AgentStore store) {
            Instant t = Instant.parse("2011-01-01T00:00:00Z");
            seed(store, t, "l-");
            FlowRunQuery mine = FlowRunQuery.ALL.startedBetween(t, t.plusSeconds(3));

            assertThat(ids(store.flowRuns().list(mine, PageRequest.of(0, 10)).items()))
                    .containsExactly("l-b/l-1", "l-b/3", "l-a/2", "l-a/1");
            assertThat(ids(store.flowRuns().list(mine.inOldestFirstOrder(), PageRequest.of(0, 10)).items()))
                    .containsExactly("l-a/1", "l-a/2", "l-b/3", "l-b/l-1");
            assertThat(ids(store.flowRuns().list(mine.withFlow("l-a"), PageRequest.of(0, 10)).items()))
                    .containsExactly("l-a/2", "l-a/1");
            assertThat(ids(store.flowRuns().list(mine.withResource("u1"), PageRequest.of(0, 10)).items()))
                    .containsExactly("l-b/3", "l-a/1");
            assertThat(ids(store.flowRuns().list(mine.withStatuses(FlowRunStatus.COMPLETED), PageRequest.of(0, 10))
                    .items())).containsExactly("l-a/2");
            assertThat(ids(store.flowRuns().list(mine.startedBetween(t.plusSeconds(1), t.plusSeconds(2)),
                    PageRequest.of(0, 10)).items())).containsExactly("l-b/3", "l-a/2");
        }

        @Test
        void offsetPagesCarryTheTotalAndWhetherMoreFollow(AgentStore store) {
            Instant t = Instant.parse("2012-01-01T00:00:00Z");
            seed(store, t, "p-");
            FlowRunQuery mine = FlowRunQuery.ALL.startedBetween(t, t.plusSeconds(3));

            Page<FlowRun> first = store.flowRuns().list(mine, PageRequest.of(0, 3));
            Page<FlowRun> last = store.flowRuns().list(mine, PageRequest.of(1, 3));

            assertThat(first.total()).isEqualTo(4);
            assertThat(first.hasMore()).isTrue();
            assertThat(ids(last.items())).containsExactly("p-a/1");
            assertThat(last.hasMore()).isFalse();
        }

        @Test
        void keysetPagesReturnEveryRunOnceAlsoAmongEqualStartTimes(AgentStore store, MutableClock clock) {
            Instant t = clock.instant().plusSeconds(3600);
            store.inTransaction(uow -> {
                for (int i = 0; i < 25; i++) {
                    uow.flowRuns().start("ks-" + (i % 3), "r" + i, t.plusSeconds(i / 10), null, "ks");
                }
            });
            for (boolean oldestFirst : List.of(false, true)) {
                FlowRunQuery query = oldestFirst ? FlowRunQuery.ALL.withResource("ks").inOldestFirstOrder()
                        : FlowRunQuery.ALL.withResource("ks");
                List<FlowRun> seen = new ArrayList<>();
                FlowRunCursor cursor = null;
                int pages = 0;
                do {
                    FlowRunCursor after = cursor;
                    FlowRunSlice slice = store.flowRuns().list(query, after, 4);
                    seen.addAll(slice.runs());
                    cursor = slice.next();
                    pages++;
                } while (cursor != null);

                assertThat(pages).isEqualTo(7);
                assertThat(new HashSet<>(ids(seen))).hasSize(25);
                List<FlowRun> expected = store.flowRuns().list(query, PageRequest.of(0, 100)).items();
                assertThat(ids(seen)).as("oldestFirst=" + oldestFirst).isEqualTo(ids(expected));
            }
        }
    }

    @Nested
    class GuardedUpdates {

        @Test
        void aStaleVersionFailsNamingTheRunAndBothVersionsAndChangesNothing(AgentStore store) {
            store.inTransaction(uow -> uow.flowRuns().start("g", "v"));
            store.inTransaction(uow -> uow.flowRuns().update("g", "v", json("{\"note\":1}")));

            assertThatThrownBy(() -> store.flowRuns().update("g", "v", json("{\"note\":2}"), FlowRunGuard.version(0)))
                    .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                        assertThat(e).hasMessageContaining("g/v");
                        assertThat(e.expectedVersion()).hasValue(0);
                        assertThat(e.actualVersion()).hasValue(1);
                    });
            assertThatThrownBy(() -> store.flowRuns().replaceSnapshot("g", "v", json("{}"), FlowRunGuard.version(7)))
                    .isInstanceOf(ConcurrencyConflictException.class);

            FlowRun run = run(store, "g", "v");
            assertThat(run.version()).isEqualTo(1);
            assertThat(run.metadata()).isEqualTo(json("{\"note\":1}"));
            assertThat(run.snapshot()).isNull();
            assertThat(store.flowRuns().update("g", "v", json("{\"note\":3}"), FlowRunGuard.version(1)))
                    .map(FlowRun::version).contains(2L);
        }

        @Test
        void anExpectedStatusThatDoesNotMatchWritesNothingAndOneThatMatchesApplies(AgentStore store) {
            store.inTransaction(uow -> uow.flowRuns().start("g", "s"));
            store.inTransaction(uow -> uow.flowRuns().transition("g", "s", FlowRunStatus.SUSPENDED));
            FlowRunGuard onlyRunning = FlowRunGuard.statusIn(FlowRunStatus.RUNNING);

            assertThat(store.flowRuns().update("g", "s", json("{\"status\":\"completed\"}"), onlyRunning)).isEmpty();
            assertThat(store.flowRuns().replaceSnapshot("g", "s", json("{\"x\":1}"), onlyRunning)).isEmpty();
            FlowRun unchanged = run(store, "g", "s");
            assertThat(unchanged.status()).isEqualTo(FlowRunStatus.SUSPENDED);
            assertThat(unchanged.snapshot()).isNull();
            assertThat(unchanged.version()).isEqualTo(1);

            FlowRunGuard suspended = FlowRunGuard.statusIn(FlowRunStatus.SUSPENDED, FlowRunStatus.AWAITING);
            assertThat(store.flowRuns().update("g", "s", json("{\"status\":\"running\",\"note\":\"resumed\"}"),
                    suspended)).map(FlowRun::status).contains(FlowRunStatus.RUNNING);
            assertThat(store.flowRuns().replaceSnapshot("g", "s", json("{\"x\":1}"),
                    FlowRunGuard.statusIn(FlowRunStatus.RUNNING).andVersion(2))).map(FlowRun::snapshot)
                    .contains(json("{\"x\":1}"));
        }
    }

    @Nested
    class Snapshots {

        @Test
        void replacingASnapshotStoresItExactlyWithItsNullsAndMergingIsSeparate(AgentStore store) {
            store.flowRuns().replaceSnapshot("snap", "r", json("{\"a\":1,\"b\":{\"c\":2}}"));
            FlowRun replaced = store.flowRuns().replaceSnapshot("snap", "r", json("{\"b\":null,\"d\":[null]}"));
            assertThat(replaced.snapshot()).isEqualTo(json("{\"b\":null,\"d\":[null]}"));
            assertThat(run(store, "snap", "r").snapshot()).isEqualTo(json("{\"b\":null,\"d\":[null]}"));
            assertThat(replaced.version()).isEqualTo(1);

            FlowRun merged = store.flowRuns().mergeSnapshot("snap", "r", json("{\"d\":null,\"e\":1}"));
            assertThat(merged.snapshot()).isEqualTo(json("{\"b\":null,\"e\":1}"));
        }

        @Test
        void aReplaceAfterARunWasReadInTheUnitOfWorkIsCheckedAgainstTheVersionRead(AgentStore store) {
            store.flowRuns().replaceSnapshot("snap", "read", json("{\"v\":0}"));
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                uow.flowRuns().get("snap", "read");
                store.flowRuns().replaceSnapshot("snap", "read", json("{\"v\":1}")); // another transaction
                uow.flowRuns().replaceSnapshot("snap", "read", json("{\"v\":2}"));
            })).isInstanceOf(ConcurrencyConflictException.class);
            assertThat(run(store, "snap", "read").snapshot()).isEqualTo(json("{\"v\":1}"));
        }

        @Test
        void settingAStepsResultReplacesThatStepAndKeepsTheOthers(AgentStore store) {
            store.flowRuns().replaceSnapshot("step", "r", json("{\"status\":\"running\",\"context\":"
                    + "{\"s1\":{\"status\":\"success\",\"output\":{\"a\":1,\"b\":2}},\"s2\":{\"status\":\"running\"}}}"));

            store.flowRuns().setStepResult("step", "r", "s1", json("{\"status\":\"failed\"}"));
            FlowRun run = store.flowRuns().setStepResult("step", "r", "s3", json("null"));

            assertThat(run.snapshot()).isEqualTo(json("{\"status\":\"running\",\"context\":{\"s1\":{\"status\":"
                    + "\"failed\"},\"s2\":{\"status\":\"running\"},\"s3\":null}}"));
            assertThat(run.version()).isEqualTo(2);
        }

        @Test
        void aStepResultOnASnapshotThatIsNotAnObjectFailsAndChangesNothing(AgentStore store) {
            store.flowRuns().replaceSnapshot("step", "array", json("[1]"));
            assertThatThrownBy(() -> store.flowRuns().setStepResult("step", "array", "s1", json("{}")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("step/array");
            assertThat(run(store, "step", "array").snapshot()).isEqualTo(json("[1]"));
            assertThat(run(store, "step", "array").version()).isZero();
        }

        @Test
        void sixteenConcurrentFirstStepResultsOfARunThatDoesNotExistYetAllSurvive(AgentStore store) throws Exception {
            store.inTransaction(uow -> uow.flows().register("race", "race", 1));

            Race.run(16, i -> () -> store.flowRuns().setStepResult("race", "new-run", "step-" + i,
                    json("{\"n\":" + i + "}")));

            FlowRun run = run(store, "race", "new-run");
            Set<String> steps = new HashSet<>();
            run.snapshot().get("context").fieldNames().forEachRemaining(steps::add);
            assertThat(steps).hasSize(16);
            for (int i = 0; i < 16; i++) {
                assertThat(run.snapshot().get("context").get("step-" + i)).isEqualTo(json("{\"n\":" + i + "}"));
            }
            assertThat(run.version()).isEqualTo(15);
            assertThat(stats(store, "race")).isEqualTo(new FlowStats(1, 0, 0, 1, 0, 0));
        }
    }

    @Nested
    class CallersTimestamps {

        @Test
        void aCreatedRunKeepsTheCallersStatusAndTimesAndDefaultsToTheClock(AgentStore store, MutableClock clock) {
            Instant started = Instant.parse("2020-01-02T03:04:05.123456Z");
            Instant updated = Instant.parse("2020-01-03T00:00:00Z");
            store.inTransaction(uow -> uow.flows().register("imp", "imp", 1));

            FlowRun imported = store.flowRuns().create(NewFlowRun.of("imp", "old")
                    .withStatus(FlowRunStatus.COMPLETED).withTimes(started, null, updated)
                    .withResource("u").withStepCount(3).withSnapshot(json("{\"k\":null}")));
            FlowRun fresh = store.flowRuns().create(NewFlowRun.of("imp", "new"));

            assertThat(imported.startedAt()).isEqualTo(started);
            assertThat(imported.updatedAt()).isEqualTo(updated);
            assertThat(imported.completedAt()).isEqualTo(updated);
            assertThat(imported.snapshot()).isEqualTo(json("{\"k\":null}"));
            assertThat(run(store, "imp", "old")).usingRecursiveComparison().isEqualTo(imported);
            assertThat(fresh.status()).isEqualTo(FlowRunStatus.PENDING);
            assertThat(fresh.startedAt()).isEqualTo(clock.instant());
            assertThat(stats(store, "imp")).isEqualTo(new FlowStats(2, 1, 0, 0, 0, 0));
            assertThatThrownBy(() -> store.flowRuns().create(NewFlowRun.of("imp", "old")))
                    .isInstanceOf(DuplicateException.class).hasMessageContaining("runId=old");
            assertThatThrownBy(() -> NewFlowRun.of("imp", "x").withTimes(null, started, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("completedAt");
        }

        @Test
        void aFlowKeepsTheCallersRegistrationTimeAndFlowsListInTheOrderAsked(AgentStore store, MutableClock clock) {
            Instant t = Instant.parse("2001-01-01T00:00:00Z");
            store.inTransaction(uow -> {
                uow.flows().register("ord-b", null, 1, t.plusSeconds(1));
                uow.flows().register("ord-a", null, 1, t.plusSeconds(2));
                uow.flows().register("ord-c", null, 1, t);
            });
            clock.advance(Duration.ofSeconds(1));
            store.inTransaction(uow -> uow.flowRuns().start("ord-c", "r"));

            assertThat(store.flows().get("ord-b").orElseThrow().registeredAt()).isEqualTo(t.plusSeconds(1));
            assertThat(names(store, FlowOrder.NAME)).containsExactly("ord-a", "ord-b", "ord-c");
            assertThat(names(store, FlowOrder.REGISTERED_OLDEST_FIRST)).containsExactly("ord-c", "ord-b", "ord-a");
            assertThat(names(store, FlowOrder.REGISTERED_NEWEST_FIRST)).containsExactly("ord-a", "ord-b", "ord-c");
            assertThat(names(store, FlowOrder.LAST_RUN)).startsWith("ord-c");
        }

        private List<String> names(AgentStore store, FlowOrder order) {
            return store.flows().list(order, PageRequest.of(0, 1000)).items().stream().map(Flow::name)
                    .filter(n -> n.startsWith("ord-")).toList();
        }
    }
}
