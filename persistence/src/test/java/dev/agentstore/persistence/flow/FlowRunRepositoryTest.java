package dev.agentstore.persistence.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.flow.Flow;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.flow.FlowRunFilter;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.domain.flow.FlowStat;
import dev.agentstore.domain.flow.FlowStats;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.support.AbstractRepository;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import io.hypersistence.utils.jdbc.validator.SQLStatementCountValidator;
import jakarta.persistence.EntityManager;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(AgentStoreExtension.class)
class FlowRunRepositoryTest {

    private static final String LONG_NAME = "x".repeat(256);

    private static JsonNode json(String text) {
        return Json.parse("test", text);
    }

    private static FlowRun start(AgentStore store, String flow, String run) {
        return store.fromTransaction(uow -> uow.flowRuns().start(flow, run));
    }

    private static FlowRun run(AgentStore store, String flow, String run) {
        Optional<FlowRun> found = store.fromTransaction(uow -> uow.flowRuns().get(flow, run));
        return found.orElseThrow();
    }

    private static FlowRun update(AgentStore store, String flow, String run, String patch) {
        return store.fromTransaction(uow -> uow.flowRuns().update(flow, run, json(patch)));
    }

    private static FlowStats stats(AgentStore store, String flow) {
        Optional<Flow> found = store.fromTransaction(uow -> uow.flows().get(flow));
        return found.orElseThrow().stats();
    }

    private static Flow flow(AgentStore store, String flow) {
        Optional<Flow> found = store.fromTransaction(uow -> uow.flows().get(flow));
        return found.orElseThrow();
    }

    private static void register(AgentStore store, String flow) {
        store.inTransaction(uow -> uow.flows().register(flow, flow, 1));
    }

    private static long rows(AgentStore store, String flow) {
        return store.fromTransaction(uow -> ((Number) uow.entityManager()
                .createNativeQuery("SELECT count(*) FROM flow_runs WHERE flow_name = ?1")
                .setParameter(1, flow).getSingleResult()).longValue());
    }

    @Nested
    class Start {

        @Test
        void startInsertsARunningRunAndCountsItInItsFlowsStats(AgentStore store, MutableClock clock) {
            register(store, "start-flow");
            Instant startedAt = clock.instant().minusSeconds(30);

            FlowRun run = store.fromTransaction(uow -> uow.flowRuns().start("start-flow", "r1", startedAt, 3, "user-1"));

            assertThat(run.id()).isNotNull();
            assertThat(run.flowName()).isEqualTo("start-flow");
            assertThat(run.runId()).isEqualTo("r1");
            assertThat(run.status()).isEqualTo(FlowRunStatus.RUNNING);
            assertThat(run.startedAt()).isEqualTo(startedAt);
            assertThat(run.lastActivityAt()).isEqualTo(startedAt);
            assertThat(run.completedAt()).isNull();
            assertThat(run.stepCount()).isEqualTo(3);
            assertThat(run.completedSteps()).isZero();
            assertThat(run.resourceId()).isEqualTo("user-1");
            assertThat(run.emittedEvents()).isEqualTo(Json.object());
            assertThat(run.awaitingSteps()).isEqualTo(Json.object());
            assertThat(run.metadata()).isEqualTo(Json.object());
            assertThat(run.snapshot()).isNull();
            assertThat(run.version()).isZero();
            Flow flow = store.fromTransaction(uow -> uow.flows().get("start-flow")).orElseThrow();
            assertThat(flow.stats()).isEqualTo(new FlowStats(1, 0, 0, 1, 0, 0));
            assertThat(flow.lastRunAt()).isEqualTo(startedAt);
        }

        @Test
        void aSecondStartReturnsTheExistingRunUnchangedAndCountsNothing(AgentStore store, MutableClock clock) {
            register(store, "start-twice");
            FlowRun first = store.fromTransaction(uow -> uow.flowRuns().start("start-twice", "r1", clock.instant(), 2, "a"));

            FlowRun second = store.fromTransaction(uow -> uow.flowRuns().start("start-twice", "r1",
                    clock.instant().plusSeconds(60), 9, "b"));

            assertThat(second.id()).isEqualTo(first.id());
            assertThat(second.startedAt()).isEqualTo(first.startedAt());
            assertThat(second.stepCount()).isEqualTo(2);
            assertThat(second.resourceId()).isEqualTo("a");
            assertThat(second.version()).isZero();
            assertThat(stats(store, "start-twice")).isEqualTo(new FlowStats(1, 0, 0, 1, 0, 0));
            assertThat(rows(store, "start-twice")).isEqualTo(1);
        }

        @Test
        void startSendsOneStatementThatInsertsTheRunAndCountsIt(AgentStore store, MutableClock clock) {
            register(store, "start-one");
            try (AgentStore counting = AgentStoreExtension.statementCountingStore(store)) {
                SQLStatementCountValidator.reset();

                FlowRun run = counting.fromTransaction(uow -> uow.flowRuns().start("start-one", "r1", clock.instant(), 4,
                        null));

                SQLStatementCountValidator.assertTotalCount(1);
                assertThat(run.version()).isZero();
                assertThat(run.stepCount()).isEqualTo(4);
            }
            assertThat(stats(store, "start-one")).isEqualTo(new FlowStats(1, 0, 0, 1, 0, 0));
            assertThat(run(store, "start-one", "r1").stepCount()).isEqualTo(4);
        }

        @Test
        void startingAnExistingRunReadsItBackAndLeavesTheFlowRowUntouched(AgentStore store, MutableClock clock) {
            register(store, "start-again");
            FlowRun first = start(store, "start-again", "r1");
            long flowVersion = flow(store, "start-again").version();
            try (AgentStore counting = AgentStoreExtension.statementCountingStore(store)) {
                SQLStatementCountValidator.reset();

                FlowRun again = counting.fromTransaction(uow -> uow.flowRuns().start("start-again", "r1",
                        clock.instant().plusSeconds(5), 7, "other"));

                SQLStatementCountValidator.assertTotalCount(2); // the insert that inserted nothing, then the read
                assertThat(again.id()).isEqualTo(first.id());
                assertThat(again.stepCount()).isNull();
                assertThat(again.resourceId()).isNull();
            }
            Flow flow = flow(store, "start-again");
            assertThat(flow.stats()).isEqualTo(new FlowStats(1, 0, 0, 1, 0, 0));
            assertThat(flow.version()).isEqualTo(flowVersion);
        }

        @Test
        void aRunOfAnUnregisteredFlowIsStoredWithoutStats(AgentStore store) {
            FlowRun run = start(store, "never-registered", "r1");

            assertThat(run.status()).isEqualTo(FlowRunStatus.RUNNING);
            Optional<Flow> flow = store.fromTransaction(uow -> uow.flows().get("never-registered"));
            assertThat(flow).isEmpty();
        }

        @Test
        void lastRunAtOnlyMovesForward(AgentStore store, MutableClock clock) {
            register(store, "last-run");
            Instant t = clock.instant();
            store.inTransaction(uow -> uow.flowRuns().start("last-run", "late", t, null, null));

            store.inTransaction(uow -> uow.flowRuns().start("last-run", "early", t.minus(Duration.ofHours(1)), null, null));

            Flow flow = store.fromTransaction(uow -> uow.flows().get("last-run")).orElseThrow();
            assertThat(flow.lastRunAt()).isEqualTo(t);
            assertThat(flow.stats().total()).isEqualTo(2);
        }

        @Test
        void startRejectsInvalidInputAndWritesNothing(AgentStore store, MutableClock clock) {
            Instant now = clock.instant();
            List<Runnable> calls = List.of(
                    () -> store.inTransaction(uow -> uow.flowRuns().start(" ", "r", now, null, null)),
                    () -> store.inTransaction(uow -> uow.flowRuns().start(LONG_NAME, "r", now, null, null)),
                    () -> store.inTransaction(uow -> uow.flowRuns().start("start-bad", "", now, null, null)),
                    () -> store.inTransaction(uow -> uow.flowRuns().start("start-bad", LONG_NAME, now, null, null)),
                    () -> store.inTransaction(uow -> uow.flowRuns().start("start-bad", "r", null, null, null)),
                    () -> store.inTransaction(uow -> uow.flowRuns().start("start-bad", "r", now, -1, null)),
                    () -> store.inTransaction(uow -> uow.flowRuns().start("start-bad", "r", now, null, LONG_NAME)));
            List<String> named = List.of("flowName", "flowName", "runId", "runId", "startedAt", "stepCount", "resourceId");

            for (int i = 0; i < calls.size(); i++) {
                Runnable call = calls.get(i);
                assertThatThrownBy(call::run).isInstanceOf(InvalidInputException.class)
                        .hasMessageContaining(named.get(i));
            }
            assertThat(rows(store, "start-bad")).isZero();
        }
    }

    @Nested
    class GetAndList {

        @Test
        void getReturnsEmptyForAnUnknownRunAndRejectsBlankNames(AgentStore store) {
            Optional<FlowRun> none = store.fromTransaction(uow -> uow.flowRuns().get("get-flow", "nope"));
            assertThat(none).isEmpty();
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.flowRuns().get("get-flow", " ")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("runId");
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.flowRuns().get(null, "r")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("flowName");
        }

        @Test
        void listReturnsNewestFirstWithAStableIdTiebreakAndPages(AgentStore store, MutableClock clock) {
            Instant t = clock.instant();
            store.inTransaction(uow -> {
                uow.flowRuns().start("list-order", "oldest", t.minusSeconds(20), null, null);
                uow.flowRuns().start("list-order", "tie-1", t.minusSeconds(10), null, null);
                uow.flowRuns().start("list-order", "tie-2", t.minusSeconds(10), null, null);
                uow.flowRuns().start("list-order", "newest", t, null, null);
                uow.flowRuns().start("other-flow", "ignored", t, null, null);
            });

            Page<FlowRun> first = store.fromTransaction(uow -> uow.flowRuns().list("list-order", FlowRunFilter.ALL,
                    PageRequest.of(0, 3)));
            Page<FlowRun> second = store.fromTransaction(uow -> uow.flowRuns().list("list-order", FlowRunFilter.ALL,
                    PageRequest.of(1, 3)));

            assertThat(first.items()).extracting(FlowRun::runId).containsExactly("newest", "tie-2", "tie-1");
            assertThat(first.total()).isEqualTo(4);
            assertThat(first.hasMore()).isTrue();
            assertThat(second.items()).extracting(FlowRun::runId).containsExactly("oldest");
            assertThat(second.hasMore()).isFalse();
        }

        @Test
        void listFiltersByStatusesAndAnInclusiveStartRange(AgentStore store, MutableClock clock) {
            Instant t = clock.instant();
            store.inTransaction(uow -> {
                uow.flowRuns().start("list-filter", "a", t.minusSeconds(30), null, null);
                uow.flowRuns().start("list-filter", "b", t.minusSeconds(20), null, null);
                uow.flowRuns().start("list-filter", "c", t.minusSeconds(10), null, null);
                uow.flowRuns().start("list-filter", "d", t, null, null);
            });
            store.inTransaction(uow -> uow.flowRuns().transition("list-filter", "b", FlowRunStatus.COMPLETED));
            store.inTransaction(uow -> uow.flowRuns().transition("list-filter", "c", FlowRunStatus.FAILED));

            Page<FlowRun> finished = store.fromTransaction(uow -> uow.flowRuns().list("list-filter",
                    FlowRunFilter.ALL.withStatuses(FlowRunStatus.COMPLETED, FlowRunStatus.FAILED), PageRequest.first()));
            Page<FlowRun> inRange = store.fromTransaction(uow -> uow.flowRuns().list("list-filter",
                    FlowRunFilter.ALL.startedBetween(t.minusSeconds(20), t.minusSeconds(10)), PageRequest.first()));
            Page<FlowRun> both = store.fromTransaction(uow -> uow.flowRuns().list("list-filter",
                    new FlowRunFilter(Set.of(FlowRunStatus.RUNNING), t.minusSeconds(30), null),
                    PageRequest.first()));

            assertThat(finished.items()).extracting(FlowRun::runId).containsExactly("c", "b");
            assertThat(finished.total()).isEqualTo(2);
            assertThat(inRange.items()).extracting(FlowRun::runId).containsExactly("c", "b");
            assertThat(both.items()).extracting(FlowRun::runId).containsExactly("d", "a");
        }

        @Test
        void listSendsOneQueryForThePageAndOneForTheCount(AgentStore store) {
            for (int i = 0; i < 6; i++) {
                start(store, "list-count", "r" + i);
            }
            try (AgentStore counting = AgentStoreExtension.statementCountingStore(store)) {
                SQLStatementCountValidator.reset();

                Page<FlowRun> page = counting.fromTransaction(uow -> uow.flowRuns().list("list-count",
                        FlowRunFilter.ALL.withStatuses(FlowRunStatus.RUNNING), PageRequest.of(0, 5)));

                assertThat(page.items()).hasSize(5);
                assertThat(page.total()).isEqualTo(6);
                SQLStatementCountValidator.assertTotalCount(2);
                SQLStatementCountValidator.assertSelectCount(2);
            }
        }

        @Test
        void listRejectsInvalidCriteriaAndAnswersAnOversizedPageWithNoRows(AgentStore store, MutableClock clock) {
            start(store, "list-bad", "r1");
            Instant t = clock.instant();

            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.flowRuns().list(" ", FlowRunFilter.ALL,
                    PageRequest.first()))).isInstanceOf(InvalidInputException.class).hasMessageContaining("flowName");
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.flowRuns().list("list-bad", null,
                    PageRequest.first()))).isInstanceOf(InvalidInputException.class).hasMessageContaining("filter");
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.flowRuns().list("list-bad", FlowRunFilter.ALL,
                    null))).isInstanceOf(InvalidInputException.class).hasMessageContaining("page");
            assertThatThrownBy(() -> FlowRunFilter.ALL.startedBetween(t, t.minusSeconds(1)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("startedFrom");
            assertThatThrownBy(() -> FlowRunFilter.ALL.withStatuses(FlowRunStatus.RUNNING, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("statuses");
            assertThatThrownBy(() -> FlowRunStatus.parse("finished"))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("finished");

            Page<FlowRun> far = store.fromTransaction(uow -> uow.flowRuns().list("list-bad", FlowRunFilter.ALL,
                    PageRequest.of(Integer.MAX_VALUE, 1000)));
            assertThat(far.items()).isEmpty();
            assertThat(far.total()).isEqualTo(1);
            assertThat(far.hasMore()).isFalse();
        }
    }

    @Nested
    class Transitions {

        @Test
        void awaitResumeAndCompleteMoveTheFlowCountersInTheSameTransaction(AgentStore store, MutableClock clock) {
            register(store, "lifecycle");
            start(store, "lifecycle", "r1");

            clock.advance(Duration.ofSeconds(1));
            FlowRun awaiting = store.fromTransaction(uow -> uow.flowRuns().transition("lifecycle", "r1",
                    FlowRunStatus.AWAITING));
            assertThat(awaiting.status()).isEqualTo(FlowRunStatus.AWAITING);
            assertThat(awaiting.lastActivityAt()).isEqualTo(clock.instant());
            assertThat(stats(store, "lifecycle")).isEqualTo(new FlowStats(1, 0, 0, 0, 1, 0));

            store.inTransaction(uow -> uow.flowRuns().transition("lifecycle", "r1", FlowRunStatus.RUNNING));
            assertThat(stats(store, "lifecycle")).isEqualTo(new FlowStats(1, 0, 0, 1, 0, 0));

            clock.advance(Duration.ofSeconds(1));
            FlowRun done = store.fromTransaction(uow -> uow.flowRuns().transition("lifecycle", "r1",
                    FlowRunStatus.COMPLETED));
            assertThat(done.status()).isEqualTo(FlowRunStatus.COMPLETED);
            assertThat(done.completedAt()).isEqualTo(clock.instant());
            assertThat(done.version()).isEqualTo(3);
            assertThat(stats(store, "lifecycle")).isEqualTo(new FlowStats(1, 1, 0, 0, 0, 0));
        }

        @Test
        void failAndCancelCountTheirOutcomeAndReleaseTheirGauge(AgentStore store) {
            register(store, "outcomes");
            start(store, "outcomes", "fails");
            start(store, "outcomes", "cancelled-while-awaiting");
            store.inTransaction(uow -> uow.flowRuns().transition("outcomes", "cancelled-while-awaiting",
                    FlowRunStatus.AWAITING));

            store.inTransaction(uow -> {
                uow.flowRuns().transition("outcomes", "fails", FlowRunStatus.FAILED);
                uow.flowRuns().transition("outcomes", "cancelled-while-awaiting", FlowRunStatus.CANCELLED);
            });

            assertThat(stats(store, "outcomes")).isEqualTo(new FlowStats(2, 0, 1, 0, 0, 1));
            assertThat(run(store, "outcomes", "fails").status()).isEqualTo(FlowRunStatus.FAILED);
        }

        @Test
        void statusMovesSendOneStatementAndOtherWritesTheLockedReadAndOneWrite(AgentStore store) {
            register(store, "statements");
            start(store, "statements", "r1");
            start(store, "statements", "r2");
            start(store, "statements", "r3");
            store.inTransaction(uow -> uow.flowRuns().transition("statements", "r3", FlowRunStatus.AWAITING));
            try (AgentStore counting = AgentStoreExtension.statementCountingStore(store)) {
                SQLStatementCountValidator.reset();
                FlowRun awaiting = counting.fromTransaction(uow -> uow.flowRuns().transition("statements", "r1",
                        FlowRunStatus.AWAITING));
                SQLStatementCountValidator.assertTotalCount(1);

                SQLStatementCountValidator.reset();
                FlowRun resumed = counting.fromTransaction(uow -> uow.flowRuns().update("statements", "r1",
                        json("{\"status\":\"running\"}")));
                SQLStatementCountValidator.assertTotalCount(1);

                SQLStatementCountValidator.reset();
                FlowRun failed = counting.fromTransaction(uow -> uow.flowRuns().update("statements", "r2",
                        json("{\"status\":\"failed\",\"emittedEvents\":{\"e\":1}}")));
                SQLStatementCountValidator.assertTotalCount(2);
                SQLStatementCountValidator.assertSelectCount(1);

                // AWAITING to a terminal status: the one-statement move (from RUNNING) matches no row, then the locked
                // read and the write
                SQLStatementCountValidator.reset();
                FlowRun cancelled = counting.fromTransaction(uow -> uow.flowRuns().transition("statements", "r3",
                        FlowRunStatus.CANCELLED));
                SQLStatementCountValidator.assertTotalCount(3);

                assertThat(awaiting.status()).isEqualTo(FlowRunStatus.AWAITING);
                assertThat(awaiting.version()).isEqualTo(1);
                assertThat(resumed.status()).isEqualTo(FlowRunStatus.RUNNING);
                assertThat(resumed.version()).isEqualTo(2);
                assertThat(failed.status()).isEqualTo(FlowRunStatus.FAILED);
                assertThat(failed.emittedEvents()).isEqualTo(json("{\"e\":1}"));
                assertThat(failed.version()).isEqualTo(1);
                assertThat(cancelled.status()).isEqualTo(FlowRunStatus.CANCELLED);
                assertThat(cancelled.version()).isEqualTo(2);
            }
            assertThat(stats(store, "statements")).isEqualTo(new FlowStats(3, 0, 1, 1, 0, 1));
            assertThat(run(store, "statements", "r2").emittedEvents()).isEqualTo(json("{\"e\":1}"));
        }

        @Test
        void everyStatusMoveWritesWhatTheEntityMoveMakesAndKeepsTheCountersEqualToTheStatuses(AgentStore store,
                                                                                              MutableClock clock) {
            register(store, "moves");
            int n = 0;
            for (FlowRunStatus from : List.of(FlowRunStatus.RUNNING, FlowRunStatus.AWAITING)) {
                for (FlowRunStatus to : FlowRunStatus.values()) {
                    if (!from.canMoveTo(to)) {
                        continue;
                    }
                    String runId = "r" + n++;
                    store.inTransaction(uow -> uow.flowRuns().start("moves", runId, clock.instant(), 3, "res"));
                    store.inTransaction(uow -> uow.flowRuns().update("moves", runId,
                            json("{\"emittedEvents\":{\"e\":1,\"score\":0.1,\"big\":12345678901234567890},"
                                    + "\"snapshot\":{\"s\":[1,\"x\",null]},\"note\":\"n\",\"completedSteps\":2}")));
                    if (from == FlowRunStatus.AWAITING) {
                        store.inTransaction(uow -> uow.flowRuns().transition("moves", runId, FlowRunStatus.AWAITING));
                    }
                    FlowRun expected = run(store, "moves", runId);
                    clock.advance(Duration.ofSeconds(1));

                    FlowRun moved = n % 2 == 0
                            ? store.fromTransaction(uow -> uow.flowRuns().transition("moves", runId, to))
                            : update(store, "moves", runId, "{\"status\":\"" + to.name().toLowerCase() + "\"}");

                    expected.moveTo(to, clock.instant());
                    String pair = from + " -> " + to;
                    assertThat(moved).as(pair).usingRecursiveComparison().ignoringFields("version").isEqualTo(expected);
                    assertThat(moved.version()).as(pair).isEqualTo(expected.version() + 1);
                    // the row the statement returned reads as a later read reads it (decimals, big numbers, nulls)
                    assertThat(run(store, "moves", runId)).as(pair).usingRecursiveComparison().isEqualTo(moved);
                }
            }
            FlowStats stats = stats(store, "moves");
            assertThat(stats.total()).isEqualTo(n);
            java.util.Map<FlowStat, Long> rowsByStat = new java.util.EnumMap<>(FlowStat.class);
            for (FlowRunStatus status : FlowRunStatus.values()) {
                long rows = store.fromTransaction(uow -> ((Number) uow.entityManager()
                        .createNativeQuery("SELECT count(*) FROM flow_runs WHERE flow_name = 'moves' AND status = ?1")
                        .setParameter(1, status.name()).getSingleResult()).longValue());
                if (status.stat() != null) {
                    rowsByStat.merge(status.stat(), rows, Long::sum); // SUSPENDED counts as awaiting, TIMED_OUT as failure
                }
            }
            rowsByStat.forEach((stat, rows) -> assertThat(stats.get(stat)).as(stat.name()).isEqualTo(rows));
        }

        @Test
        void aStatusOnlyUpdateToTheCurrentStatusWritesNothingAndOfAMissingRunIsNotFound(AgentStore store) {
            register(store, "same-status");
            start(store, "same-status", "r1");
            long flowVersion = flow(store, "same-status").version();

            FlowRun run = update(store, "same-status", "r1", "{\"status\":\"running\"}");

            assertThat(run.version()).isZero();
            assertThat(flow(store, "same-status").version()).isEqualTo(flowVersion);
            assertThatThrownBy(() -> update(store, "same-status", "missing", "{\"status\":\"completed\"}"))
                    .isInstanceOf(NotFoundException.class).hasMessageContaining("runId=missing");
            assertThatThrownBy(() -> update(store, "same-status", "r1", "{\"status\":\"finished\"}"))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("finished");
            assertThat(stats(store, "same-status")).isEqualTo(new FlowStats(1, 0, 0, 1, 0, 0));
        }

        @Test
        void anUpdateThatKeepsTheStatusLeavesTheFlowRowUntouched(AgentStore store) {
            register(store, "keep-status");
            start(store, "keep-status", "r1");
            long flowVersion = flow(store, "keep-status").version();

            FlowRun run = update(store, "keep-status", "r1", "{\"status\":\"running\",\"note\":\"n\"}");

            assertThat(run.version()).isEqualTo(1);
            assertThat(run.metadata()).isEqualTo(json("{\"note\":\"n\"}"));
            Flow flow = flow(store, "keep-status");
            assertThat(flow.version()).isEqualTo(flowVersion);
            assertThat(flow.stats()).isEqualTo(new FlowStats(1, 0, 0, 1, 0, 0));
        }

        @Test
        void aStaleReadStillRejectsAStatusOnlyUpdate(AgentStore store, MutableClock clock) {
            register(store, "stale-status");
            start(store, "stale-status", "r1");
            EntityManager emA = store.entityManagerFactory().createEntityManager();
            try {
                emA.getTransaction().begin();
                // transaction A reads the run (version 0) ...
                FlowRunRepository repoA = AbstractRepository.bind(new FlowRunRepository(), emA, clock);
                repoA.get("stale-status", "r1").orElseThrow();
                // ... transaction B changes it, keeping its status, and commits ...
                update(store, "stale-status", "r1", "{\"emittedEvents\":{\"fromB\":true}}");
                // ... A's status move is checked against the version A read, not made in one statement past it
                assertThatThrownBy(() -> repoA.update("stale-status", "r1", json("{\"status\":\"completed\"}")))
                        .isInstanceOf(ConcurrencyConflictException.class)
                        .hasMessageContaining("stale-status/r1");
                emA.getTransaction().commit();
            } finally {
                if (emA.getTransaction().isActive()) {
                    emA.getTransaction().rollback();
                }
                emA.close();
            }
            FlowRun run = run(store, "stale-status", "r1");
            assertThat(run.status()).isEqualTo(FlowRunStatus.RUNNING);
            assertThat(run.version()).isEqualTo(1);
            assertThat(stats(store, "stale-status")).isEqualTo(new FlowStats(1, 0, 0, 1, 0, 0));
        }

        @Test
        void aStaleTransitionIsAConflictThatWritesNothingEvenWhenTheCallerCommits(AgentStore store,
                MutableClock clock) {
            register(store, "stale-move");
            start(store, "stale-move", "r1");
            EntityManager emA = store.entityManagerFactory().createEntityManager();
            try {
                emA.getTransaction().begin();
                // transaction A reads the run (RUNNING, version 0) ...
                FlowRunRepository repoA = AbstractRepository.bind(new FlowRunRepository(), emA, clock);
                repoA.get("stale-move", "r1").orElseThrow();
                // ... transaction B moves it to AWAITING and commits ...
                store.inTransaction(uow -> uow.flowRuns().transition("stale-move", "r1", FlowRunStatus.AWAITING));
                // ... A's move, based on its stale read, is rejected, and A commits what it did
                assertThatThrownBy(() -> repoA.transition("stale-move", "r1", FlowRunStatus.COMPLETED))
                        .isInstanceOf(ConcurrencyConflictException.class)
                        .hasMessageContaining("stale-move/r1");
                emA.getTransaction().commit();
            } finally {
                if (emA.getTransaction().isActive()) {
                    emA.getTransaction().rollback();
                }
                emA.close();
            }
            FlowRun run = run(store, "stale-move", "r1");
            assertThat(run.status()).isEqualTo(FlowRunStatus.AWAITING);
            assertThat(run.version()).isEqualTo(1);
            assertThat(stats(store, "stale-move")).isEqualTo(new FlowStats(1, 0, 0, 0, 1, 0));
        }

        @Test
        void transitionsFromATerminalStatusAreRejectedAndChangeNothing(AgentStore store) {
            register(store, "terminal");
            start(store, "terminal", "r1");
            store.inTransaction(uow -> uow.flowRuns().transition("terminal", "r1", FlowRunStatus.COMPLETED));

            for (FlowRunStatus target : FlowRunStatus.values()) {
                assertThatThrownBy(() -> store.inTransaction(uow -> uow.flowRuns().transition("terminal", "r1", target)))
                        .isInstanceOf(InvalidInputException.class)
                        .hasMessageContaining("terminal/r1")
                        .hasMessageContaining("COMPLETED");
            }
            assertThat(run(store, "terminal", "r1").version()).isEqualTo(1);
            assertThat(stats(store, "terminal")).isEqualTo(new FlowStats(1, 1, 0, 0, 0, 0));
        }

        @Test
        void entityTransitionMethodsEnforceTheStatusRules(MutableClock clock) {
            Instant now = clock.instant();
            FlowRun run = FlowRun.start("f", "r", now, null, null);

            assertThatThrownBy(() -> run.resume(now)).isInstanceOf(InvalidInputException.class);
            run.await(now);
            assertThatThrownBy(() -> run.await(now)).isInstanceOf(InvalidInputException.class);
            run.resume(now);
            run.cancel(now);
            assertThat(run.status()).isEqualTo(FlowRunStatus.CANCELLED);
            assertThat(run.completedAt()).isEqualTo(now);
            assertThatThrownBy(() -> run.complete(now)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("terminal");
            assertThatThrownBy(() -> run.fail(now)).isInstanceOf(InvalidInputException.class);
            assertThat(run.status()).isEqualTo(FlowRunStatus.CANCELLED);
        }

        @Test
        void transitionOfAMissingRunIsNotFound(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.flowRuns().transition("missing", "r1",
                    FlowRunStatus.COMPLETED)))
                    .isInstanceOf(NotFoundException.class)
                    .hasMessage("FlowRun not found: flowName=missing, runId=r1");
        }
    }

    @Nested
    class CompleteStep {

        @Test
        void completeStepCountsInOneStatementAndBumpsTheVersion(AgentStore store, MutableClock clock) {
            start(store, "steps", "r1");
            clock.advance(Duration.ofSeconds(5));

            int first = store.fromTransaction(uow -> uow.flowRuns().completeStep("steps", "r1"));
            assertThat(first).isEqualTo(1);
            try (AgentStore counting = AgentStoreExtension.statementCountingStore(store)) {
                SQLStatementCountValidator.reset();
                int second = counting.fromTransaction(uow -> uow.flowRuns().completeStep("steps", "r1"));
                SQLStatementCountValidator.assertTotalCount(1);
                SQLStatementCountValidator.assertUpdateCount(1);
                assertThat(second).isEqualTo(2);
            }

            FlowRun run = run(store, "steps", "r1");
            assertThat(run.completedSteps()).isEqualTo(2);
            assertThat(run.version()).isEqualTo(2);
            assertThat(run.lastActivityAt()).isEqualTo(clock.instant());
        }

        @Test
        void completeStepOfAMissingRunIsNotFound(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.flowRuns().completeStep("steps-missing", "r1")))
                    .isInstanceOf(NotFoundException.class).hasMessageContaining("runId=r1");
        }
    }

    @Nested
    class Update {

        @Test
        void updateDeepMergesJsonMapsAndKeepsKeysThatMapToNoColumn(AgentStore store) {
            start(store, "merge", "r1");
            update(store, "merge", "r1", """
                    {"emittedEvents":{"a":{"x":1}},"awaitingSteps":{"s1":{"until":1}},
                     "anyOtherKey":{"deep":{"k":1}},"list":[1,2]}""");

            FlowRun run = update(store, "merge", "r1", """
                    {"emittedEvents":{"a":{"y":2},"b":true},"anyOtherKey":{"deep":{"k":null,"j":2}},"list":[3],
                     "completedSteps":3,"stepCount":5,"resourceId":"thread-9"}""");

            assertThat(run.emittedEvents()).isEqualTo(json("{\"a\":{\"x\":1,\"y\":2},\"b\":true}"));
            assertThat(run.awaitingSteps()).isEqualTo(json("{\"s1\":{\"until\":1}}"));
            assertThat(run.metadata()).isEqualTo(json("{\"anyOtherKey\":{\"deep\":{\"j\":2}},\"list\":[3]}"));
            assertThat(run.completedSteps()).isEqualTo(3);
            assertThat(run.stepCount()).isEqualTo(5);
            assertThat(run.resourceId()).isEqualTo("thread-9");
            assertThat(run.version()).isEqualTo(2);
            assertThat(run(store, "merge", "r1").metadata()).isEqualTo(run.metadata());
        }

        @Test
        void updateWithNullDeletesKeysEmptiesMapsAndClearsNullableColumns(AgentStore store) {
            store.inTransaction(uow -> uow.flowRuns().start("merge-null", "r1", Instant.now(), 4, "res"));
            update(store, "merge-null", "r1", """
                    {"emittedEvents":{"a":1},"snapshot":{"s":1},"keep":1,"drop":2}""");

            FlowRun run = update(store, "merge-null", "r1", """
                    {"emittedEvents":null,"snapshot":null,"drop":null,"stepCount":null,"resourceId":null,
                     "lastActivityAt":null}""");

            assertThat(run.emittedEvents()).isEqualTo(Json.object());
            assertThat(run.snapshot()).isNull();
            assertThat(run.metadata()).isEqualTo(json("{\"keep\":1}"));
            assertThat(run.stepCount()).isNull();
            assertThat(run.resourceId()).isNull();
            assertThat(run.lastActivityAt()).isNull();
        }

        @Test
        void updateWithAStatusIsATransitionThatMovesTheFlowCounters(AgentStore store, MutableClock clock) {
            register(store, "merge-status");
            start(store, "merge-status", "r1");
            clock.advance(Duration.ofSeconds(3));

            FlowRun run = update(store, "merge-status", "r1", "{\"status\":\"completed\",\"completedSteps\":3}");

            assertThat(run.status()).isEqualTo(FlowRunStatus.COMPLETED);
            assertThat(run.completedAt()).isEqualTo(clock.instant());
            assertThat(stats(store, "merge-status")).isEqualTo(new FlowStats(1, 1, 0, 0, 0, 0));
            assertThatThrownBy(() -> update(store, "merge-status", "r1", "{\"status\":\"running\"}"))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("terminal");
            // keys other than a status change are still accepted on a terminal run; the same status is no move
            FlowRun later = update(store, "merge-status", "r1", "{\"status\":\"COMPLETED\",\"note\":\"archived\"}");
            assertThat(later.metadata()).isEqualTo(json("{\"note\":\"archived\"}"));
            assertThat(stats(store, "merge-status")).isEqualTo(new FlowStats(1, 1, 0, 0, 0, 0));
        }

        @Test
        void updateAcceptsTimestampsAsIsoTextOrEpochMillisAsNventStoresThem(AgentStore store) {
            start(store, "merge-time", "r1");

            FlowRun run = update(store, "merge-time", "r1",
                    "{\"lastActivityAt\":1700000000123,\"completedAt\":\"2024-05-01T10:00:00Z\"}");

            assertThat(run.lastActivityAt()).isEqualTo(Instant.ofEpochMilli(1700000000123L));
            assertThat(run.completedAt()).isEqualTo(Instant.parse("2024-05-01T10:00:00Z"));
        }

        @Test
        void updateRejectsWrongTypesBeforeWritingAnything(AgentStore store) {
            start(store, "merge-bad", "r1");
            update(store, "merge-bad", "r1", "{\"emittedEvents\":{\"before\":true}}");
            Map<String, String> badPatches = Map.ofEntries(
                    Map.entry("{\"completedSteps\":\"three\"}", "completedSteps"),
                    Map.entry("{\"completedSteps\":-1}", "completedSteps"),
                    Map.entry("{\"completedSteps\":null}", "completedSteps"),
                    Map.entry("{\"stepCount\":1.5}", "stepCount"),
                    Map.entry("{\"status\":\"finished\"}", "status"),
                    Map.entry("{\"status\":3}", "status"),
                    Map.entry("{\"status\":null}", "status"),
                    Map.entry("{\"emittedEvents\":[1]}", "emittedEvents"),
                    Map.entry("{\"awaitingSteps\":\"x\"}", "awaitingSteps"),
                    Map.entry("{\"startedAt\":\"yesterday\"}", "startedAt"),
                    Map.entry("{\"startedAt\":null}", "startedAt"),
                    Map.entry("{\"lastActivityAt\":true}", "lastActivityAt"),
                    Map.entry("{\"resourceId\":5}", "resourceId"),
                    Map.entry("{\"resourceId\":\"" + LONG_NAME + "\"}", "resourceId"),
                    Map.entry("{\"runId\":\"other\"}", "runId"),
                    Map.entry("{\"version\":7}", "version"),
                    // a valid key before the invalid one must not be written either
                    Map.entry("{\"emittedEvents\":{\"after\":true},\"note\":1,\"completedSteps\":\"x\"}", "completedSteps"));

            badPatches.forEach((patch, key) -> assertThatThrownBy(() -> update(store, "merge-bad", "r1", patch))
                    .as(patch).isInstanceOf(InvalidInputException.class).hasMessageContaining(key));
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.flowRuns().update("merge-bad", "r1", json("[1]"))))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("patch");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.flowRuns().update("merge-bad", "r1", null)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("patch");

            FlowRun run = run(store, "merge-bad", "r1");
            assertThat(run.version()).isEqualTo(1);
            assertThat(run.emittedEvents()).isEqualTo(json("{\"before\":true}"));
            assertThat(run.metadata()).isEqualTo(Json.object());
            assertThat(run.status()).isEqualTo(FlowRunStatus.RUNNING);
        }

        @Test
        void anInvalidPatchLeavesTheRunUntouchedEvenWhenTheCallerCommitsAnyway(AgentStore store) {
            start(store, "merge-catch", "r1");

            store.inTransaction(uow -> {
                try {
                    uow.flowRuns().update("merge-catch", "r1", json("{\"emittedEvents\":{\"a\":1},\"stepCount\":-1}"));
                } catch (InvalidInputException expected) {
                    // swallowed: the transaction commits
                }
            });

            FlowRun run = run(store, "merge-catch", "r1");
            assertThat(run.emittedEvents()).isEqualTo(Json.object());
            assertThat(run.version()).isZero();
        }

        @Test
        void anUpdateThatChangesNothingWritesNothing(AgentStore store) {
            start(store, "merge-noop", "r1");
            update(store, "merge-noop", "r1", "{\"emittedEvents\":{\"a\":1},\"k\":\"v\"}");

            FlowRun run = update(store, "merge-noop", "r1", "{\"emittedEvents\":{\"a\":1},\"k\":\"v\",\"status\":\"running\"}");

            assertThat(run.version()).isEqualTo(1);
        }

        @Test
        void updateOfAMissingRunIsNotFound(AgentStore store) {
            assertThatThrownBy(() -> update(store, "merge-missing", "r1", "{\"a\":1}"))
                    .isInstanceOf(NotFoundException.class).hasMessageContaining("flowName=merge-missing");
        }

        @Test
        void aStaleUpdateThrowsConcurrencyConflict(AgentStore store, MutableClock clock) {
            start(store, "stale", "r1");
            EntityManager emA = store.entityManagerFactory().createEntityManager();
            try {
                emA.getTransaction().begin();
                // transaction A reads the run ...
                FlowRunRepository repoA = AbstractRepository.bind(new FlowRunRepository(), emA, clock);
                repoA.get("stale", "r1").orElseThrow();
                // ... transaction B changes and commits it ...
                update(store, "stale", "r1", "{\"emittedEvents\":{\"fromB\":true}}");
                // ... and A's write, checked against the version A read, must not overwrite B's
                assertThatThrownBy(() -> repoA.update("stale", "r1", json("{\"emittedEvents\":{\"fromA\":true}}")))
                        .isInstanceOf(ConcurrencyConflictException.class)
                        .hasMessageContaining("stale/r1");
            } finally {
                if (emA.getTransaction().isActive()) {
                    emA.getTransaction().rollback();
                }
                emA.close();
            }
            FlowRun run = run(store, "stale", "r1");
            assertThat(run.emittedEvents()).isEqualTo(json("{\"fromB\":true}"));
            assertThat(run.version()).isEqualTo(1);
        }

        @Test
        void singleStatementWritesAndEntityUpdatesMixInOneUnitOfWork(AgentStore store) {
            register(store, "mixed");

            FlowRun run = store.fromTransaction(uow -> {
                uow.flowRuns().start("mixed", "r1");
                uow.flowRuns().get("mixed", "r1");
                uow.flowRuns().completeStep("mixed", "r1");
                uow.flowRuns().mergeSnapshot("mixed", "r1", json("{\"context\":{\"s1\":1}}"));
                uow.flowRuns().update("mixed", "r1", json("{\"emittedEvents\":{\"e\":1}}"));
                uow.flowRuns().completeStep("mixed", "r1");
                return uow.flowRuns().transition("mixed", "r1", FlowRunStatus.COMPLETED);
            });

            assertThat(run.completedSteps()).isEqualTo(2);
            assertThat(run.snapshot()).isEqualTo(json("{\"context\":{\"s1\":1}}"));
            assertThat(run.emittedEvents()).isEqualTo(json("{\"e\":1}"));
            assertThat(run.version()).isEqualTo(5);
            assertThat(run(store, "mixed", "r1").version()).isEqualTo(5);
            assertThat(stats(store, "mixed")).isEqualTo(new FlowStats(1, 1, 0, 0, 0, 0));
        }
    }

    @Nested
    class MergeSnapshot {

        @Test
        void mergeSnapshotCreatesAMissingRunAndCountsItOnce(AgentStore store, MutableClock clock) {
            register(store, "snap-new");

            FlowRun run = store.fromTransaction(uow -> uow.flowRuns().mergeSnapshot("snap-new", "r1",
                    json("{\"context\":{\"step1\":{\"status\":\"success\"}},\"gone\":null}")));
            store.inTransaction(uow -> uow.flowRuns().mergeSnapshot("snap-new", "r1", json("{\"value\":1}")));

            assertThat(run.status()).isEqualTo(FlowRunStatus.RUNNING);
            assertThat(run.startedAt()).isEqualTo(clock.instant());
            assertThat(run.snapshot()).isEqualTo(json("{\"context\":{\"step1\":{\"status\":\"success\"}}}"));
            assertThat(run.version()).isZero();
            assertThat(stats(store, "snap-new")).isEqualTo(new FlowStats(1, 0, 0, 1, 0, 0));
        }

        @Test
        void mergeSnapshotDeepMergesLikeJsonMergePatchAndBumpsTheVersion(AgentStore store) {
            start(store, "snap-merge", "r1");
            JsonNode first = json("{\"context\":{\"a\":{\"out\":1},\"b\":{\"out\":2}},\"status\":\"running\",\"tags\":[1]}");
            JsonNode second = json("{\"context\":{\"a\":{\"out\":10},\"b\":null,\"c\":{\"out\":3}},\"tags\":[2]}");
            store.inTransaction(uow -> uow.flowRuns().mergeSnapshot("snap-merge", "r1", first));

            FlowRun run = store.fromTransaction(uow -> uow.flowRuns().mergeSnapshot("snap-merge", "r1", second));

            assertThat(run.snapshot()).isEqualTo(Json.mergePatch(Json.mergePatch(null, first), second));
            assertThat(run.snapshot()).isEqualTo(json(
                    "{\"context\":{\"a\":{\"out\":10},\"c\":{\"out\":3}},\"status\":\"running\",\"tags\":[2]}"));
            assertThat(run.version()).isEqualTo(2);
        }

        @Test
        void mergeSnapshotRejectsAPatchThatIsNotAnObject(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.flowRuns().mergeSnapshot("snap-bad", "r1", json("[1]"))))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("snapshotPatch");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.flowRuns().mergeSnapshot("snap-bad", "r1", null)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("snapshotPatch");
            assertThat(rows(store, "snap-bad")).isZero();
        }
    }

    @Nested
    class Delete {

        @Test
        void deletingAnActiveRunReleasesItsGaugeAndKeepsTheHistory(AgentStore store) {
            register(store, "del-run");
            start(store, "del-run", "active");
            start(store, "del-run", "done");
            store.inTransaction(uow -> uow.flowRuns().transition("del-run", "done", FlowRunStatus.COMPLETED));

            boolean active = store.fromTransaction(uow -> uow.flowRuns().delete("del-run", "active"));
            boolean done = store.fromTransaction(uow -> uow.flowRuns().delete("del-run", "done"));
            boolean again = store.fromTransaction(uow -> uow.flowRuns().delete("del-run", "done"));
            assertThat(active).isTrue();
            assertThat(done).isTrue();
            assertThat(again).isFalse();

            assertThat(rows(store, "del-run")).isZero();
            assertThat(stats(store, "del-run")).isEqualTo(new FlowStats(2, 1, 0, 0, 0, 0));
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.flowRuns().delete("del-run", LONG_NAME)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("runId");
        }
    }
}
