package dev.agentstore.persistence.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.domain.flow.FlowStep;
import dev.agentstore.domain.flow.FlowStepNode;
import dev.agentstore.domain.flow.FlowStepProgress;
import dev.agentstore.domain.flow.FlowStepStatus;
import dev.agentstore.domain.flow.FlowStepWrite;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.Race;
import dev.agentstore.persistence.ReadOnlyJpa;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.agentstore.domain.flow.FlowStepStatus.FAILED;
import static dev.agentstore.domain.flow.FlowStepStatus.PENDING;
import static dev.agentstore.domain.flow.FlowStepStatus.RUNNING;
import static dev.agentstore.domain.flow.FlowStepStatus.SUCCESS;
import static dev.agentstore.domain.flow.FlowStepStatus.TIMED_OUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(AgentStoreExtension.class)
class FlowStepRepositoryTest {

    private static JsonNode json(String text) {
        return Json.parse("test", text);
    }

    private static void start(AgentStore store, String run) {
        store.flowRuns().start("steps", run);
    }

    private static FlowStep upsert(AgentStore store, String run, FlowStepWrite write) {
        return store.flowSteps().upsert("steps", run, write);
    }

    private static FlowStep step(AgentStore store, String run, String stepId) {
        return store.flowSteps().get("steps", run, stepId).orElseThrow();
    }

    private static FlowRun run(AgentStore store, String run) {
        return store.flowRuns().get("steps", run).orElseThrow();
    }

    @Nested
    class Upsert {

        @Test
        void aNewStepGetsItsIdAsNameAttemptOneAndStartsNowWhenRunning(AgentStore store, MutableClock clock) {
            start(store, "u1");
            Instant now = clock.instant();

            FlowStep s = upsert(store, "u1", FlowStepWrite.of("fetch", RUNNING).withInput(json("{\"url\":\"x\"}")));

            assertThat(s.stepId()).isEqualTo("fetch");
            assertThat(s.name()).isEqualTo("fetch");
            assertThat(s.status()).isEqualTo(RUNNING);
            assertThat(s.attempt()).isEqualTo(1);
            assertThat(s.startedAt()).isEqualTo(now);
            assertThat(s.endedAt()).isNull();
            assertThat(s.isTopLevel()).isTrue();
            assertThat(s.version()).isZero();
            assertThat(s.input()).isEqualTo(json("{\"url\":\"x\"}"));
            assertThat(step(store, "u1", "fetch")).usingRecursiveComparison().isEqualTo(s);
        }

        @Test
        void aPendingStepHasNoStartTime(AgentStore store) {
            start(store, "u1b");
            assertThat(upsert(store, "u1b", FlowStepWrite.of("later", PENDING)).startedAt()).isNull();
        }

        @Test
        void aSecondWriteKeepsWhatItDoesNotNameAndEndsTheStepWhenTerminal(AgentStore store, MutableClock clock) {
            start(store, "u2");
            FlowStep first = upsert(store, "u2", FlowStepWrite.of("fetch", RUNNING).withName("Fetch")
                    .withInput(json("{\"a\":1}")));
            clock.advance(Duration.ofSeconds(5));

            FlowStep done = upsert(store, "u2", FlowStepWrite.of("fetch", SUCCESS).withOutput(json("{\"rows\":3}")));

            assertThat(done.name()).isEqualTo("Fetch");
            assertThat(done.input()).isEqualTo(json("{\"a\":1}"));
            assertThat(done.output()).isEqualTo(json("{\"rows\":3}"));
            assertThat(done.startedAt()).isEqualTo(first.startedAt());
            assertThat(done.endedAt()).isEqualTo(clock.instant());
            assertThat(done.version()).isEqualTo(1);
        }

        @Test
        void aRetryMovesAFailedStepBackToRunningAndClearsItsEndTime(AgentStore store) {
            start(store, "u3");
            upsert(store, "u3", FlowStepWrite.of("call", FAILED).withError(json("{\"message\":\"timeout\"}")));

            FlowStep retry = upsert(store, "u3", FlowStepWrite.of("call", RUNNING).withAttempt(2));

            assertThat(retry.attempt()).isEqualTo(2);
            assertThat(retry.endedAt()).isNull();
            assertThat(retry.error()).isEqualTo(json("{\"message\":\"timeout\"}"));
        }

        @Test
        void aJsonNullIsStoredAsJsonNullNotAsAbsent(AgentStore store) {
            start(store, "u4");
            upsert(store, "u4", FlowStepWrite.of("s", RUNNING).withOutput(json("{\"x\":1}")));

            FlowStep s = upsert(store, "u4", FlowStepWrite.of("s", SUCCESS).withOutput(json("null"))
                    .withInput(json("{\"k\":null,\"z\":0,\"f\":false}")));

            assertThat(s.output()).isNotNull();
            assertThat(s.output().isNull()).isTrue();
            assertThat(step(store, "u4", "s").input()).isEqualTo(json("{\"k\":null,\"z\":0,\"f\":false}"));
        }

        @Test
        void givenTimesAreKept(AgentStore store) {
            start(store, "u5");
            Instant a = Instant.parse("2024-05-01T10:00:00Z");
            Instant b = Instant.parse("2024-05-01T10:00:07Z");

            FlowStep s = upsert(store, "u5", FlowStepWrite.of("s", SUCCESS).withTimes(a, b));

            assertThat(s.startedAt()).isEqualTo(a);
            assertThat(s.endedAt()).isEqualTo(b);
        }

        @Test
        void aStepOfAMissingRunIsNotFoundAndNothingIsWritten(AgentStore store) {
            assertThatThrownBy(() -> upsert(store, "nope", FlowStepWrite.of("s", RUNNING)))
                    .isInstanceOf(NotFoundException.class).hasMessageContaining("steps/nope");
            assertThat(store.flowSteps().list("steps", "nope")).isEmpty();
        }

        @Test
        void aNewStepWhoseParentIsNotAStepOfTheRunIsNotFound(AgentStore store) {
            start(store, "u6");
            start(store, "u6-other");
            upsert(store, "u6-other", FlowStepWrite.of("p", RUNNING));

            assertThatThrownBy(() -> upsert(store, "u6", FlowStepWrite.of("c", RUNNING).withParent("p")))
                    .isInstanceOf(NotFoundException.class).hasMessageContaining("steps/u6/p");
            assertThat(store.flowSteps().list("steps", "u6")).isEmpty();
        }

        @Test
        void aStepsParentCannotChange(AgentStore store) {
            start(store, "u7");
            upsert(store, "u7", FlowStepWrite.of("p1", RUNNING));
            upsert(store, "u7", FlowStepWrite.of("p2", RUNNING));
            upsert(store, "u7", FlowStepWrite.of("c", RUNNING).withParent("p1"));

            assertThatThrownBy(() -> upsert(store, "u7", FlowStepWrite.of("c", SUCCESS).withParent("p2")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("parentStepId");
            assertThat(step(store, "u7", "c").status()).isEqualTo(RUNNING);
            assertThat(upsert(store, "u7", FlowStepWrite.of("c", SUCCESS)).parentStepId()).isEqualTo("p1");
        }

        @Test
        void invalidWritesAreRejectedBeforeAnythingIsWritten(AgentStore store) {
            assertThatThrownBy(() -> FlowStepWrite.of(" ", RUNNING)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("stepId");
            assertThatThrownBy(() -> FlowStepWrite.of("s", null)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("status");
            assertThatThrownBy(() -> FlowStepWrite.of("s", RUNNING).withParent("s"))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("parentStepId");
            assertThatThrownBy(() -> FlowStepWrite.of("s", RUNNING).withAttempt(-1))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("attempt");
            assertThatThrownBy(() -> store.flowSteps().upsert("steps", "r", null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("step");
        }

        @Test
        void aStepOfATerminalRunCannotChange(AgentStore store) {
            start(store, "u8");
            upsert(store, "u8", FlowStepWrite.of("s", SUCCESS));
            store.flowSteps().completeRun("steps", "u8");

            assertThatThrownBy(() -> upsert(store, "u8", FlowStepWrite.of("s", RUNNING)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("COMPLETED");
            assertThatThrownBy(() -> upsert(store, "u8", FlowStepWrite.of("t", RUNNING)))
                    .isInstanceOf(InvalidInputException.class);
            assertThat(store.flowSteps().list("steps", "u8")).extracting(FlowStep::status).containsExactly(SUCCESS);
        }

        @Test
        void deletingTheRunDeletesItsSteps(AgentStore store) {
            start(store, "u9");
            upsert(store, "u9", FlowStepWrite.of("p", RUNNING));
            upsert(store, "u9", FlowStepWrite.of("c", RUNNING).withParent("p"));

            store.flowRuns().delete("steps", "u9");

            assertThat(store.flowSteps().list("steps", "u9")).isEmpty();
        }
    }

    @Nested
    class Versions {

        @Test
        void aWriteWithAStaleExpectedVersionFailsWithBothVersionsAndWritesNothing(AgentStore store) {
            start(store, "v1");
            upsert(store, "v1", FlowStepWrite.of("s", RUNNING));
            upsert(store, "v1", FlowStepWrite.of("s", RUNNING).withAttempt(2));

            assertThatThrownBy(() -> store.flowSteps().upsert("steps", "v1", FlowStepWrite.of("s", SUCCESS), 0))
                    .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                        assertThat(e.expectedVersion()).hasValue(0);
                        assertThat(e.actualVersion()).hasValue(1);
                        assertThat(e.key()).hasValue("steps/v1/s");
                    });
            assertThat(step(store, "v1", "s").status()).isEqualTo(RUNNING);
            assertThat(store.flowSteps().upsert("steps", "v1", FlowStepWrite.of("s", SUCCESS), 1).version())
                    .isEqualTo(2);
        }

        @Test
        void aCompareAndSetOfAMissingStepIsNotFound(AgentStore store) {
            start(store, "v2");
            assertThatThrownBy(() -> store.flowSteps().upsert("steps", "v2", FlowStepWrite.of("s", SUCCESS), 0))
                    .isInstanceOf(NotFoundException.class);
        }

        @Test
        void aUnitOfWorkThatReadTheStepDoesNotOverwriteAConcurrentChange(AgentStore store) {
            start(store, "v3");
            upsert(store, "v3", FlowStepWrite.of("s", RUNNING));

            assertThatThrownBy(() -> store.inTransaction(uow -> {
                FlowStep read = uow.flowSteps().get("steps", "v3", "s").orElseThrow();
                upsert(store, "v3", FlowStepWrite.of("s", RUNNING).withAttempt(read.attempt() + 1)); // another tx
                uow.flowSteps().upsert("steps", "v3", FlowStepWrite.of("s", SUCCESS)
                        .withAttempt(read.attempt() + 1));
            })).isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                assertThat(e.expectedVersion()).hasValue(0);
                assertThat(e.actualVersion()).hasValue(1);
            });
            assertThat(step(store, "v3", "s").status()).isEqualTo(RUNNING);
        }

        @Test
        void aUnitOfWorkThatReadTheStepAsAbsentDoesNotOverwriteAConcurrentCreation(AgentStore store) {
            start(store, "v4");
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                assertThat(uow.flowSteps().get("steps", "v4", "s")).isEmpty();
                upsert(store, "v4", FlowStepWrite.of("s", RUNNING).withAttempt(7)); // another tx
                uow.flowSteps().upsert("steps", "v4", FlowStepWrite.of("s", PENDING));
            })).isInstanceOf(ConcurrencyConflictException.class);
            assertThat(step(store, "v4", "s").attempt()).isEqualTo(7);
        }

        @Test
        void aUnitOfWorkWritesWhatItReadTwiceWithoutConflictingWithItself(AgentStore store) {
            start(store, "v5");
            FlowStep s = store.fromTransaction(uow -> {
                uow.flowSteps().get("steps", "v5", "s");
                uow.flowSteps().upsert("steps", "v5", FlowStepWrite.of("s", RUNNING));
                return uow.flowSteps().upsert("steps", "v5", FlowStepWrite.of("s", SUCCESS));
            });
            assertThat(s.version()).isEqualTo(1);
        }
    }

    @Nested
    class Concurrency {

        @Test
        void sixteenConcurrentFirstWritesOfDifferentStepsAllSurvive(AgentStore store) throws Exception {
            start(store, "c1");
            Race.run(16, i -> () -> upsert(store, "c1", FlowStepWrite.of("s" + i, RUNNING)));
            assertThat(store.flowSteps().progress("steps", "c1").count(RUNNING)).isEqualTo(16);
        }

        @Test
        void sixteenConcurrentWritersOfOneStepQueueAndNoneIsLost(AgentStore store) throws Exception {
            start(store, "c2");
            List<FlowStep> written = Race.run(16, i -> () -> upsert(store, "c2",
                    FlowStepWrite.of("s", RUNNING).withAttempt(i)));
            assertThat(written).extracting(FlowStep::version).containsExactlyInAnyOrder(
                    0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L, 13L, 14L, 15L);
            assertThat(step(store, "c2", "s").version()).isEqualTo(15);
        }

        @Test
        void aCompletionWaitsForAnUncommittedStepWriteAndSeesIt(AgentStore store) throws Exception {
            start(store, "c3");
            upsert(store, "c3", FlowStepWrite.of("s", SUCCESS));
            CountDownLatch written = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<Void> retry = CompletableFuture.runAsync(() -> store.inTransaction(uow -> {
                uow.flowSteps().upsert("steps", "c3", FlowStepWrite.of("s", RUNNING).withAttempt(2));
                written.countDown();
                Race.await(release);
            }));
            Race.await(written);

            CompletableFuture<FlowRun> completion;
            try {
                completion = CompletableFuture.supplyAsync(() -> store.flowSteps().completeRun("steps", "c3"));
                Thread.sleep(300);
                assertThat(completion).as("the completion waits for the step write's transaction").isNotDone();
            } finally {
                release.countDown();
            }
            retry.get(30, TimeUnit.SECONDS);

            assertThatThrownBy(() -> completion.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("step s is RUNNING");
            assertThat(run(store, "c3").status()).isEqualTo(FlowRunStatus.RUNNING);
        }
    }

    @Nested
    class Tree {

        @Test
        void listReturnsTheStepsInCreationOrderAndTreeNestsChildrenUnderTheirParents(AgentStore store) {
            start(store, "t1");
            upsert(store, "t1", FlowStepWrite.of("b", RUNNING));
            upsert(store, "t1", FlowStepWrite.of("a", RUNNING));
            upsert(store, "t1", FlowStepWrite.of("b2", RUNNING).withParent("b"));
            upsert(store, "t1", FlowStepWrite.of("b1", RUNNING).withParent("b"));
            upsert(store, "t1", FlowStepWrite.of("b1x", RUNNING).withParent("b1"));
            upsert(store, "t1", FlowStepWrite.of("b", SUCCESS)); // a later write keeps the order

            assertThat(store.flowSteps().list("steps", "t1")).extracting(FlowStep::stepId)
                    .containsExactly("b", "a", "b2", "b1", "b1x");
            List<FlowStepNode> tree = store.flowSteps().tree("steps", "t1");
            assertThat(tree).extracting(n -> n.step().stepId()).containsExactly("b", "a");
            assertThat(tree.get(0).children()).extracting(n -> n.step().stepId()).containsExactly("b2", "b1");
            assertThat(tree.get(0).children().get(1).children()).extracting(n -> n.step().stepId())
                    .containsExactly("b1x");
            assertThat(tree.get(1).children()).isEmpty();
        }

        @Test
        void aRunWithoutStepsHasAnEmptyTree(AgentStore store) {
            start(store, "t2");
            assertThat(store.flowSteps().tree("steps", "t2")).isEmpty();
            assertThat(store.flowSteps().tree("steps", "no-such-run")).isEmpty();
        }
    }

    @Nested
    class Progress {

        @Test
        void progressCountsEveryStepByStatusAndTheShareDone(AgentStore store) {
            start(store, "p1");
            upsert(store, "p1", FlowStepWrite.of("a", SUCCESS));
            upsert(store, "p1", FlowStepWrite.of("b", FAILED));
            upsert(store, "p1", FlowStepWrite.of("c", RUNNING));
            upsert(store, "p1", FlowStepWrite.of("c1", SUCCESS).withParent("c"));
            upsert(store, "p1", FlowStepWrite.of("c2", PENDING).withParent("c"));

            FlowStepProgress p = store.flowSteps().progress("steps", "p1");

            assertThat(p.total()).isEqualTo(5);
            assertThat(p.count(SUCCESS)).isEqualTo(2);
            assertThat(p.count(FAILED)).isEqualTo(1);
            assertThat(p.count(RUNNING)).isEqualTo(1);
            assertThat(p.count(PENDING)).isEqualTo(1);
            assertThat(p.count(TIMED_OUT)).isZero();
            assertThat(p.done()).isEqualTo(3);
            assertThat(p.active()).isEqualTo(2);
            assertThat(p.failed()).isEqualTo(1);
            assertThat(p.percentDone()).isEqualTo(60.0);
            assertThat(p.byStatus()).containsOnlyKeys(FlowStepStatus.values());

            FlowStepProgress children = store.flowSteps().progress("steps", "p1", "c");
            assertThat(children.total()).isEqualTo(2);
            assertThat(children.percentDone()).isEqualTo(50.0);
        }

        @Test
        void aRunWithoutStepsIsZeroPercentDone(AgentStore store) {
            start(store, "p2");
            FlowStepProgress p = store.flowSteps().progress("steps", "p2");
            assertThat(p.total()).isZero();
            assertThat(p.percentDone()).isZero();
        }
    }

    @Nested
    class Completion {

        @Test
        void completingARunFailsWhileAStepIsStillRunningAndChangesNothing(AgentStore store) {
            start(store, "k1");
            upsert(store, "k1", FlowStepWrite.of("a", SUCCESS));
            upsert(store, "k1", FlowStepWrite.of("b", RUNNING));
            long version = run(store, "k1").version();

            assertThatThrownBy(() -> store.flowSteps().completeRun("steps", "k1"))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("step b is RUNNING");
            assertThat(run(store, "k1").status()).isEqualTo(FlowRunStatus.RUNNING);
            assertThat(run(store, "k1").version()).isEqualTo(version);
        }

        @Test
        void aStillActiveChildStepAlsoBlocksTheCompletion(AgentStore store) {
            start(store, "k2");
            upsert(store, "k2", FlowStepWrite.of("p", SUCCESS));
            upsert(store, "k2", FlowStepWrite.of("c", PENDING).withParent("p"));

            assertThatThrownBy(() -> store.flowSteps().completeRun("steps", "k2"))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("step c is PENDING");
        }

        @Test
        void aRunWithAFailedTopLevelStepCompletesAsFailed(AgentStore store) {
            start(store, "k3");
            upsert(store, "k3", FlowStepWrite.of("a", SUCCESS));
            upsert(store, "k3", FlowStepWrite.of("b", FAILED));

            FlowRun done = store.flowSteps().completeRun("steps", "k3");

            assertThat(done.status()).isEqualTo(FlowRunStatus.FAILED);
            assertThat(done.completedAt()).isNotNull();
            assertThat(run(store, "k3").status()).isEqualTo(FlowRunStatus.FAILED);
        }

        @Test
        void aTimedOutTopLevelStepAlsoFailsTheRun(AgentStore store) {
            start(store, "k3t");
            upsert(store, "k3t", FlowStepWrite.of("a", TIMED_OUT));
            assertThat(store.flowSteps().completeRun("steps", "k3t").status()).isEqualTo(FlowRunStatus.FAILED);
        }

        @Test
        void aFailedChildUnderASuccessfulParentDoesNotFailTheRun(AgentStore store) {
            start(store, "k4");
            upsert(store, "k4", FlowStepWrite.of("p", RUNNING));
            upsert(store, "k4", FlowStepWrite.of("c", FAILED).withParent("p"));
            upsert(store, "k4", FlowStepWrite.of("p", SUCCESS));

            assertThat(store.flowSteps().completeRun("steps", "k4").status()).isEqualTo(FlowRunStatus.COMPLETED);
        }

        @Test
        void aRunWithoutStepsCompletesAndATerminalRunIsReturnedUnchanged(AgentStore store) {
            start(store, "k5");
            FlowRun done = store.flowSteps().completeRun("steps", "k5");
            assertThat(done.status()).isEqualTo(FlowRunStatus.COMPLETED);

            FlowRun again = store.flowSteps().completeRun("steps", "k5");
            assertThat(again.status()).isEqualTo(FlowRunStatus.COMPLETED);
            assertThat(again.version()).isEqualTo(done.version());
            assertThatThrownBy(() -> store.flowSteps().completeRun("steps", "no-such-run"))
                    .isInstanceOf(NotFoundException.class);
        }

        @Test
        void aStatusMoveToCompletedThroughTheRunsRepositoryFollowsTheSameRule(AgentStore store) {
            start(store, "k6");
            upsert(store, "k6", FlowStepWrite.of("a", RUNNING));

            assertThatThrownBy(() -> store.flowRuns().transition("steps", "k6", FlowRunStatus.COMPLETED))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("step a is RUNNING");
            assertThatThrownBy(() -> store.flowRuns().update("steps", "k6", json("{\"status\":\"completed\"}")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("step a is RUNNING");
            assertThat(run(store, "k6").status()).isEqualTo(FlowRunStatus.RUNNING);

            upsert(store, "k6", FlowStepWrite.of("a", FAILED));
            assertThatThrownBy(() -> store.flowRuns().transition("steps", "k6", FlowRunStatus.COMPLETED))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("failed top-level step");
            assertThat(store.flowRuns().transition("steps", "k6", FlowRunStatus.FAILED).status())
                    .isEqualTo(FlowRunStatus.FAILED);
        }

        @Test
        void cancellingARunWithRunningStepsIsAllowed(AgentStore store) {
            start(store, "k7");
            upsert(store, "k7", FlowStepWrite.of("a", RUNNING));
            assertThat(store.flowRuns().transition("steps", "k7", FlowRunStatus.CANCELLED).status())
                    .isEqualTo(FlowRunStatus.CANCELLED);
        }
    }

    @Nested
    class Jpa {

        @Test
        void stepsAreReadableWithJpqlAsTheRepositoryReturnsThem(AgentStore store) {
            start(store, "j1");
            FlowStep a = upsert(store, "j1", FlowStepWrite.of("a", RUNNING).withInput(json("{\"k\":[1,null]}")));
            FlowStep b = upsert(store, "j1", FlowStepWrite.of("b", SUCCESS).withParent("a").withOutput(json("null")));

            List<FlowStep> found = ReadOnlyJpa.jpql(store, FlowStep.class,
                    "SELECT s FROM FlowStep s WHERE s.runId = :run ORDER BY s.id", java.util.Map.of("run", "j1"));

            ReadOnlyJpa.assertSameRows(found, List.of(a, b));
        }

        @Test
        void jpaCannotWriteSteps(AgentStore store) {
            start(store, "j2");
            FlowStep a = upsert(store, "j2", FlowStepWrite.of("a", RUNNING));

            ReadOnlyJpa.assertRemoveRefused(store, FlowStep.class, a.id());
            ReadOnlyJpa.changeAndFlush(store, FlowStep.class, a.id(), s -> ReadOnlyJpa.setField(s, "status", SUCCESS));
            ReadOnlyJpa.assertBulkUpdateRefused(store, FlowStep.class, "UPDATE FlowStep s SET s.name = 'x'");
            ReadOnlyJpa.assertBulkDeleteRefused(store, FlowStep.class, "DELETE FROM FlowStep s WHERE s.runId = 'j2'");

            assertThat(step(store, "j2", "a")).usingRecursiveComparison().isEqualTo(a);
        }
    }
}
