package dev.agentstore.persistence.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.flow.CheckpointPolicy;
import dev.agentstore.domain.flow.CheckpointSource;
import dev.agentstore.domain.flow.FlowCheckpoint;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.Race;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(AgentStoreExtension.class)
class CheckpointRepositoryTest {

    private static final String FLOW = "cp";

    private static JsonNode json(String text) {
        return Json.parse("test", text);
    }

    private static List<FlowCheckpoint> history(AgentStore store, String run) {
        return store.checkpoints().history(FLOW, run, null, 100);
    }

    /** A run with {@code n} checkpoints, {@code {"n": 1}} … {@code {"n": n}}; returns them oldest first. */
    private static List<FlowCheckpoint> steps(AgentStore store, String run, int n) {
        for (int i = 1; i <= n; i++) {
            store.flowRuns().replaceSnapshot(FLOW, run, json("{\"n\":" + i + "}"));
        }
        List<FlowCheckpoint> oldestFirst = new ArrayList<>(history(store, run));
        java.util.Collections.reverse(oldestFirst);
        return oldestFirst;
    }

    @BeforeEach
    void flowWithCheckpoints(AgentStore store) {
        store.flows().register(FLOW, null, 1);
        store.checkpoints().configure(FLOW, CheckpointPolicy.keepAll());
    }

    @Nested
    class Policy {

        @Test
        void aFlowWithoutAPolicyRecordsNothing(AgentStore store) {
            store.flows().register("plain", null, 1);

            store.flowRuns().mergeSnapshot("plain", "p1", json("{\"a\":1}"));

            assertThat(store.checkpoints().policy("plain")).isEmpty();
            assertThat(store.checkpoints().history("plain", "p1", null, 10)).isEmpty();
        }

        @Test
        void configureStoresTheRetentionAndDisableStopsRecording(AgentStore store) {
            store.flows().register("switch", null, 1);
            assertThat(store.checkpoints().configure("switch", CheckpointPolicy.keepLast(3)))
                    .isEqualTo(CheckpointPolicy.keepLast(3));
            store.flowRuns().mergeSnapshot("switch", "s1", json("{\"a\":1}"));

            assertThat(store.checkpoints().disable("switch")).isTrue();
            store.flowRuns().mergeSnapshot("switch", "s1", json("{\"a\":2}"));

            assertThat(store.checkpoints().policy("switch")).isEmpty();
            assertThat(store.checkpoints().history("switch", "s1", null, 10)).hasSize(1);
            assertThat(store.checkpoints().disable("switch")).isFalse();
        }

        @Test
        void anUnregisteredFlowCannotBeConfigured(AgentStore store) {
            assertThatThrownBy(() -> store.checkpoints().configure("nobody", CheckpointPolicy.keepAll()))
                    .isInstanceOf(NotFoundException.class);
        }

        @Test
        void deletingTheFlowDeletesItsPolicy(AgentStore store) {
            store.flows().register("gone", null, 1);
            store.checkpoints().configure("gone", CheckpointPolicy.noneAfterCompletion());

            store.flows().delete("gone");

            assertThat(store.checkpoints().policy("gone")).isEmpty();
        }

        @Test
        void keepLastNeedsACountOfOneOrMore() {
            assertThatThrownBy(() -> CheckpointPolicy.keepLast(0)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("keepLast");
            assertThatThrownBy(() -> new CheckpointPolicy(dev.agentstore.domain.flow.CheckpointRetention.KEEP_ALL, 2))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("keepLast");
        }
    }

    @Nested
    class Recording {

        @Test
        void everySnapshotWriteRecordsTheRunsNewStateWithItsParent(AgentStore store) {
            FlowRun merged = store.flowRuns().mergeSnapshot(FLOW, "rec", json("{\"a\":1}"));
            store.flowRuns().setStepResult(FLOW, "rec", "s1", json("{\"ok\":true}"));
            FlowRun replaced = store.flowRuns().replaceSnapshot(FLOW, "rec", json("{\"b\":2}"));

            List<FlowCheckpoint> h = history(store, "rec");
            assertThat(h).extracting(FlowCheckpoint::source)
                    .containsExactly(CheckpointSource.REPLACE, CheckpointSource.STEP, CheckpointSource.MERGE);
            assertThat(h.get(0).state()).isEqualTo(json("{\"b\":2}"));
            assertThat(h.get(0).runVersion()).isEqualTo(replaced.version());
            assertThat(h.get(1).state()).isEqualTo(json("{\"a\":1,\"context\":{\"s1\":{\"ok\":true}}}"));
            assertThat(h.get(1).stepId()).isEqualTo("s1");
            assertThat(h.get(2).runVersion()).isEqualTo(merged.version());
            assertThat(h.get(2).parentId()).isNull();
            assertThat(h.get(1).parentId()).isEqualTo(h.get(2).checkpointId());
            assertThat(h.get(0).parentId()).isEqualTo(h.get(1).checkpointId());
            assertThat(h).allSatisfy(c -> {
                assertThat(c.nextSteps()).isEqualTo(json("[]"));
                assertThat(c.metadata()).isEqualTo(json("{}"));
                assertThat(c.superseded()).isFalse();
            });
        }

        @Test
        void aGuardedReplaceAfterAReadRecordsOneCheckpoint(AgentStore store) {
            store.flowRuns().mergeSnapshot(FLOW, "guarded", json("{\"a\":1}"));

            store.inTransaction(uow -> {
                uow.flowRuns().get(FLOW, "guarded").orElseThrow();
                uow.flowRuns().replaceSnapshot(FLOW, "guarded", json("{\"a\":2}"));
            });

            assertThat(history(store, "guarded")).extracting(FlowCheckpoint::source)
                    .containsExactly(CheckpointSource.REPLACE, CheckpointSource.MERGE);
        }

        @Test
        void putRecordsTheCallersStepNextStepsAndMetadata(AgentStore store) {
            FlowCheckpoint put = store.checkpoints().put(FLOW, "put", json("{\"messages\":[\"hi\"]}"), "agent",
                    List.of("tools", "end"), json("{\"writes\":{\"agent\":1}}"));

            assertThat(put.source()).isEqualTo(CheckpointSource.PUT);
            assertThat(put.stepId()).isEqualTo("agent");
            assertThat(put.nextSteps()).isEqualTo(json("[\"tools\",\"end\"]"));
            assertThat(put.metadata()).isEqualTo(json("{\"writes\":{\"agent\":1}}"));
            assertThat(store.flowRuns().get(FLOW, "put").orElseThrow().snapshot())
                    .isEqualTo(json("{\"messages\":[\"hi\"]}"));
            assertThat(store.checkpoints().latest(FLOW, "put")).contains(put);
        }

        @Test
        void putRefusesBadInputBeforeWriting(AgentStore store) {
            assertThatThrownBy(() -> store.checkpoints().put(FLOW, "bad-put", json("{}"), null, List.of(""), null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("nextSteps");
            assertThatThrownBy(() -> store.checkpoints().put(FLOW, "bad-put", json("{}"), null, List.of(),
                    json("[1]"))).isInstanceOf(InvalidInputException.class).hasMessageContaining("metadata");

            assertThat(store.flowRuns().get(FLOW, "bad-put")).isEmpty();
        }
    }

    @Nested
    class Atomicity {

        @Test
        void aFailedSnapshotWriteLeavesNoCheckpoint(AgentStore store) {
            store.flowRuns().replaceSnapshot(FLOW, "fail", json("[1,2]"));

            assertThatThrownBy(() -> store.flowRuns().setStepResult(FLOW, "fail", "s1", json("1")))
                    .isInstanceOf(InvalidInputException.class);

            assertThat(history(store, "fail")).hasSize(1);
        }

        @Test
        void aRolledBackTransactionLeavesNeitherSnapshotNorCheckpoint(AgentStore store) {
            store.flowRuns().mergeSnapshot(FLOW, "rollback", json("{\"a\":1}"));

            assertThatThrownBy(() -> store.inTransaction(uow -> {
                uow.flowRuns().mergeSnapshot(FLOW, "rollback", json("{\"a\":2}"));
                assertThat(uow.checkpoints().history(FLOW, "rollback", null, 10)).hasSize(2);
                throw new IllegalStateException("the caller fails after the write");
            })).isInstanceOf(IllegalStateException.class);

            assertThat(store.flowRuns().get(FLOW, "rollback").orElseThrow().snapshot()).isEqualTo(json("{\"a\":1}"));
            assertThat(history(store, "rollback")).hasSize(1);
        }

        @Test
        void deletingTheRunDeletesItsCheckpoints(AgentStore store) {
            FlowCheckpoint c = steps(store, "deleted", 2).get(0);

            store.flowRuns().delete(FLOW, "deleted");

            assertThat(store.checkpoints().get(c.checkpointId())).isEmpty();
        }
    }

    @Nested
    class Concurrency {

        @Test
        void concurrentWritersOfOneRunFormOneLinearChain(AgentStore store) throws Exception {
            int writers = 16;
            int writes = 5;
            store.flowRuns().replaceSnapshot(FLOW, "race", json("{\"context\":{}}"));

            Race.run(writers, i -> () -> {
                for (int w = 0; w < writes; w++) {
                    if (w % 2 == 0) {
                        store.flowRuns().setStepResult(FLOW, "race", "s" + i + "-" + w, json("1"));
                    } else {
                        store.flowRuns().mergeSnapshot(FLOW, "race", json("{\"w" + i + "\":" + w + "}"));
                    }
                }
                return null;
            });

            List<FlowCheckpoint> h = history(store, "race");
            assertThat(h).hasSize(1 + writers * writes);
            CheckpointPutWithIdTest.assertLinearChain(h);
            assertThat(h.get(0).state()).isEqualTo(store.flowRuns().get(FLOW, "race").orElseThrow().snapshot());
        }

        @Test
        void theDatabaseRefusesASecondChildOfACheckpointExceptForAForkOrAResume(AgentStore store) throws Exception {
            FlowCheckpoint first = steps(store, "branch", 2).get(0);
            String insert = "INSERT INTO flow_checkpoints (flow_name, run_id, parent_id, run_version, source, created_at)"
                    + " VALUES ('cp', 'branch', ?, 99, ?, now())";
            try (java.sql.Connection c = store.dataSource().getConnection();
                 java.sql.PreparedStatement ps = c.prepareStatement(insert)) {
                ps.setObject(1, first.checkpointId());
                ps.setString(2, "MERGE");
                assertThatThrownBy(ps::executeUpdate).isInstanceOf(java.sql.SQLException.class)
                        .hasMessageContaining("flow_checkpoints_linear_uq");
                ps.setString(2, "RESUME");
                assertThat(ps.executeUpdate()).isOne();
            }
        }

        @Test
        void concurrentFirstWritesOfAMissingRunHaveOneRoot(AgentStore store) throws Exception {
            int writers = 8;

            Race.run(writers, i -> () -> store.flowRuns().mergeSnapshot(FLOW, "race-new", json("{\"w" + i + "\":1}")));

            List<FlowCheckpoint> h = history(store, "race-new");
            assertThat(h).hasSize(writers);
            assertThat(h).filteredOn(c -> c.parentId() == null).hasSize(1);
            assertThat(h.stream().map(FlowCheckpoint::parentId).filter(p -> p != null).distinct()).hasSize(writers - 1);
        }
    }

    @Nested
    class History {

        @Test
        void pagesNewestFirstByKeysetWithEveryCheckpointOnce(AgentStore store) {
            steps(store, "paged", 7);

            List<FlowCheckpoint> seen = new ArrayList<>();
            List<Integer> sizes = new ArrayList<>();
            UUID before = null;
            while (true) {
                List<FlowCheckpoint> page = store.checkpoints().history(FLOW, "paged", before, 3);
                if (page.isEmpty()) {
                    break;
                }
                sizes.add(page.size());
                seen.addAll(page);
                before = page.get(page.size() - 1).checkpointId();
            }

            assertThat(sizes).containsExactly(3, 3, 1);
            assertThat(seen).extracting(c -> c.state().get("n").asInt()).containsExactly(7, 6, 5, 4, 3, 2, 1);
        }

        @Test
        void withoutStatesAPageHasTheSameCheckpointsAndNoState(AgentStore store) {
            steps(store, "light", 4);

            List<FlowCheckpoint> light = store.checkpoints().history(FLOW, "light", null, 3, false);

            assertThat(light).extracting(FlowCheckpoint::checkpointId).containsExactlyElementsOf(
                    store.checkpoints().history(FLOW, "light", null, 3).stream().map(FlowCheckpoint::checkpointId)
                            .toList());
            assertThat(light).allSatisfy(c -> assertThat(c.state()).isNull());
            assertThat(store.checkpoints().get(light.get(0).checkpointId()).orElseThrow().state())
                    .isEqualTo(json("{\"n\":4}"));
        }

        @Test
        void anUnknownCursorGivesAnEmptyPage(AgentStore store) {
            steps(store, "cursor", 2);

            assertThat(store.checkpoints().history(FLOW, "cursor", UUID.randomUUID(), 10)).isEmpty();
        }

        @Test
        void getLoadsTheStateAtACheckpoint(AgentStore store) {
            FlowCheckpoint second = steps(store, "load", 3).get(1);

            assertThat(store.checkpoints().get(second.checkpointId()).orElseThrow().state())
                    .isEqualTo(json("{\"n\":2}"));
            assertThat(store.checkpoints().get(UUID.randomUUID())).isEmpty();
        }

        @Test
        void aLimitOutOfRangeIsRefused(AgentStore store) {
            assertThatThrownBy(() -> store.checkpoints().history(FLOW, "x", null, 0))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("limit");
        }
    }

    @Nested
    class Fork {

        @Test
        void aForkIsANewRunFromTheCheckpointAndTheOriginIsUntouched(AgentStore store) {
            List<FlowCheckpoint> origin = steps(store, "origin", 3);
            FlowRun originRun = store.flowRuns().get(FLOW, "origin").orElseThrow();

            FlowCheckpoint fork = store.checkpoints().fork(origin.get(1).checkpointId(), "forked");

            assertThat(fork.runId()).isEqualTo("forked");
            assertThat(fork.source()).isEqualTo(CheckpointSource.FORK);
            assertThat(fork.parentId()).isEqualTo(origin.get(1).checkpointId());
            FlowRun forked = store.flowRuns().get(FLOW, "forked").orElseThrow();
            assertThat(forked.status()).isEqualTo(FlowRunStatus.RUNNING);
            assertThat(forked.snapshot()).isEqualTo(json("{\"n\":2}"));
            assertThat(store.flowRuns().get(FLOW, "origin").orElseThrow()).usingRecursiveComparison()
                    .isEqualTo(originRun);
            assertThat(history(store, "origin")).hasSize(3).noneMatch(FlowCheckpoint::superseded);

            store.flowRuns().mergeSnapshot(FLOW, "forked", json("{\"m\":1}"));
            assertThat(history(store, "forked").get(0).parentId()).isEqualTo(fork.checkpointId());
        }

        @Test
        void aForkOntoAnExistingRunWritesNothing(AgentStore store) {
            FlowCheckpoint c = steps(store, "fork-dup", 1).get(0);
            steps(store, "fork-taken", 1);

            assertThatThrownBy(() -> store.checkpoints().fork(c.checkpointId(), "fork-taken"))
                    .isInstanceOf(DuplicateException.class);

            assertThat(history(store, "fork-taken")).hasSize(1);
        }

        @Test
        void aMissingCheckpointCannotBeForked(AgentStore store) {
            assertThatThrownBy(() -> store.checkpoints().fork(UUID.randomUUID(), "never"))
                    .isInstanceOf(NotFoundException.class);
            assertThat(store.flowRuns().get(FLOW, "never")).isEmpty();
        }
    }

    @Nested
    class Resume {

        @Test
        void resumeSetsTheStateBackAndSupersedesTheLaterCheckpoints(AgentStore store) {
            List<FlowCheckpoint> c = steps(store, "resumed", 4);

            FlowRun run = store.checkpoints().resume(FLOW, "resumed", c.get(1).checkpointId());

            assertThat(run.snapshot()).isEqualTo(json("{\"n\":2}"));
            List<FlowCheckpoint> h = history(store, "resumed");
            assertThat(h).hasSize(5);
            FlowCheckpoint resume = h.get(0);
            assertThat(resume.source()).isEqualTo(CheckpointSource.RESUME);
            assertThat(resume.parentId()).isEqualTo(c.get(1).checkpointId());
            assertThat(resume.state()).isEqualTo(json("{\"n\":2}"));
            Map<UUID, Boolean> superseded = new HashMap<>();
            h.forEach(x -> superseded.put(x.checkpointId(), x.superseded()));
            assertThat(superseded).containsEntry(c.get(0).checkpointId(), false)
                    .containsEntry(c.get(1).checkpointId(), false)
                    .containsEntry(c.get(2).checkpointId(), true)
                    .containsEntry(c.get(3).checkpointId(), true);

            store.flowRuns().mergeSnapshot(FLOW, "resumed", json("{\"after\":true}"));
            FlowCheckpoint next = history(store, "resumed").get(0);
            assertThat(next.parentId()).isEqualTo(resume.checkpointId());
            assertThat(next.state()).isEqualTo(json("{\"n\":2,\"after\":true}"));
            assertThat(store.checkpoints().latest(FLOW, "resumed")).contains(next);
        }

        @Test
        void aTerminalRunIsNotResumed(AgentStore store) {
            FlowCheckpoint c = steps(store, "done", 2).get(0);
            store.flowRuns().transition(FLOW, "done", FlowRunStatus.COMPLETED);

            assertThatThrownBy(() -> store.checkpoints().resume(FLOW, "done", c.checkpointId()))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("fork");

            assertThat(store.flowRuns().get(FLOW, "done").orElseThrow().snapshot()).isEqualTo(json("{\"n\":2}"));
            assertThat(history(store, "done")).hasSize(2).noneMatch(FlowCheckpoint::superseded);
        }

        @Test
        void anotherRunsCheckpointIsRefused(AgentStore store) {
            FlowCheckpoint other = steps(store, "other", 1).get(0);
            steps(store, "mine", 1);

            assertThatThrownBy(() -> store.checkpoints().resume(FLOW, "mine", other.checkpointId()))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("checkpointId");
        }
    }

    @Nested
    class Release {

        @Test
        void aFinishedRunIsReleasedOnceAtItsNewestCheckpoint(AgentStore store) {
            List<FlowCheckpoint> c = steps(store, "rel", 2);
            store.flowRuns().transition(FLOW, "rel", FlowRunStatus.COMPLETED);

            FlowCheckpoint released = store.checkpoints().release(FLOW, "rel", "v1: first good answer");

            assertThat(released.checkpointId()).isEqualTo(c.get(1).checkpointId());
            assertThat(released.releaseMessage()).isEqualTo("v1: first good answer");
            assertThat(released.releasedAt()).isNotNull();
            assertThat(store.checkpoints().released(FLOW, "rel")).contains(released);
            assertThatThrownBy(() -> store.checkpoints().release(FLOW, "rel", "again"))
                    .isInstanceOf(DuplicateException.class);
        }

        @Test
        void anActiveRunIsNotReleased(AgentStore store) {
            steps(store, "active", 1);

            assertThatThrownBy(() -> store.checkpoints().release(FLOW, "active", "too early"))
                    .isInstanceOf(InvalidInputException.class);
            assertThat(store.checkpoints().released(FLOW, "active")).isEmpty();
        }

        @Test
        void aRunWithoutCheckpointsIsNotReleased(AgentStore store) {
            store.flowRuns().start(FLOW, "empty");
            store.flowRuns().transition(FLOW, "empty", FlowRunStatus.COMPLETED);

            assertThatThrownBy(() -> store.checkpoints().release(FLOW, "empty", "nothing"))
                    .isInstanceOf(NotFoundException.class);
        }
    }

    @Nested
    class Retention {

        @Test
        void keepLastKeepsTheNewestOfEachRunAndTheRelease(AgentStore store) {
            store.flows().register("last", null, 1);
            store.checkpoints().configure("last", CheckpointPolicy.keepLast(2));
            for (int i = 1; i <= 4; i++) {
                store.flowRuns().replaceSnapshot("last", "a", json("{\"n\":" + i + "}"));
                store.flowRuns().replaceSnapshot("last", "b", json("{\"n\":" + i + "}"));
            }
            store.flowRuns().transition("last", "b", FlowRunStatus.COMPLETED);
            store.checkpoints().release("last", "b", "kept");
            store.flowRuns().replaceSnapshot("last", "b", json("{\"n\":5}"));
            store.flowRuns().replaceSnapshot("last", "b", json("{\"n\":6}"));

            int deleted = store.checkpoints().prune("last");

            assertThat(deleted).isEqualTo(2 + 3);
            assertThat(store.checkpoints().history("last", "a", null, 10))
                    .extracting(c -> c.state().get("n").asInt()).containsExactly(4, 3);
            assertThat(store.checkpoints().history("last", "b", null, 10))
                    .extracting(c -> c.state().get("n").asInt()).containsExactly(6, 5, 4);
            assertThat(store.checkpoints().prune("last")).isZero();
        }

        @Test
        void noneAfterCompletionDeletesTheCheckpointsOfTerminalRunsOnly(AgentStore store) {
            store.flows().register("after", null, 1);
            store.checkpoints().configure("after", CheckpointPolicy.noneAfterCompletion());
            store.flowRuns().replaceSnapshot("after", "running", json("{}"));
            store.flowRuns().replaceSnapshot("after", "failed", json("{}"));
            store.flowRuns().replaceSnapshot("after", "failed", json("{\"x\":1}"));
            store.flowRuns().transition("after", "failed", FlowRunStatus.FAILED);

            assertThat(store.checkpoints().prune(null)).isGreaterThanOrEqualTo(2);

            assertThat(store.checkpoints().history("after", "failed", null, 10)).isEmpty();
            assertThat(store.checkpoints().history("after", "running", null, 10)).hasSize(1);
        }

        @Test
        void keepAllAndNoPolicyDeleteNothing(AgentStore store) {
            steps(store, "all", 3);
            store.flows().register("off", null, 1);
            store.checkpoints().configure("off", CheckpointPolicy.keepLast(1));
            store.flowRuns().replaceSnapshot("off", "o", json("{}"));
            store.flowRuns().replaceSnapshot("off", "o", json("{}"));
            store.checkpoints().disable("off");

            assertThat(store.checkpoints().prune(FLOW)).isZero();
            assertThat(store.checkpoints().prune("off")).isZero();
            assertThat(history(store, "all")).hasSize(3);
            assertThat(store.checkpoints().history("off", "o", null, 10)).hasSize(2);
        }
    }

}
