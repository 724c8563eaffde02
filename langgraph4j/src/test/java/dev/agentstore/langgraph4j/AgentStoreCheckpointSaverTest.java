package dev.agentstore.langgraph4j;

import dev.agentstore.domain.flow.FlowCheckpoint;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.persistence.AgentStore;
import org.bsc.langgraph4j.RunnableConfig;
import org.bsc.langgraph4j.checkpoint.BaseCheckpointSaver;
import org.bsc.langgraph4j.checkpoint.Checkpoint;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link AgentStoreCheckpointSaver} against PostgreSQL: the mapping, errors, release and the cost of a put. */
class AgentStoreCheckpointSaverTest {

    private static final List<String> SQL = TestStores.recorder();
    private static AgentStore store;
    private static AgentStoreCheckpointSaver saver;

    @BeforeAll
    static void open() {
        store = TestStores.openCounting(AgentStoreCheckpointSaverTest.class, SQL);
        saver = AgentStoreCheckpointSaver.of(store, "graph");
    }

    @AfterAll
    static void close() {
        TestStores.close(store);
    }

    private static RunnableConfig thread(String id) {
        return RunnableConfig.builder().threadId(id).build();
    }

    private static Checkpoint checkpoint(String node, String next, Map<String, Object> state) {
        return Checkpoint.builder().nodeId(node).nextNodeId(next).state(state).build();
    }

    @Nested
    class Put {

        @Test
        void createsTheThreadsRunAndACheckpointWithTheSameId() throws Exception {
            Checkpoint cp = checkpoint("a", "b", Map.of("n", 1, "tags", List.of("x", "y"), "m", Map.of("k", true)));
            RunnableConfig after = saver.put(thread("put-1"), cp);

            assertThat(after.checkPointId()).contains(cp.getId());
            FlowCheckpoint row = store.checkpoints().get(UUID.fromString(cp.getId())).orElseThrow();
            assertThat(row.flowName()).isEqualTo("graph");
            assertThat(row.runId()).isEqualTo("put-1");
            assertThat(row.stepId()).isEqualTo("a");
            assertThat(row.nextSteps().toString()).isEqualTo("[\"b\"]");
            assertThat(row.state().get("tags").isArray()).isTrue();
            assertThat(store.flowRuns().get("graph", "put-1")).isPresent();
            assertThat(store.flows().get("graph")).isPresent();
        }

        @Test
        void withAsynchronousCommitWritesTheSameCheckpoint() throws Exception {
            Checkpoint cp = checkpoint("a", "b", Map.of("n", 7));
            saver.asynchronousCommit(true).put(thread("put-async"), cp);

            assertThat(saver.get(thread("put-async")).orElseThrow().getState()).isEqualTo(Map.of("n", 7));
            assertThat(saver.get(thread("put-async")).orElseThrow().getId()).isEqualTo(cp.getId());

            // the setting and the two writes in one statement text, in autocommit mode: one round trip
            SQL.clear();
            saver.asynchronousCommit(true).put(thread("put-async"), checkpoint("b", "c", Map.of("n", 8)));
            assertThat(SQL).hasSize(2).endsWith(TestStores.AUTOCOMMIT);
            assertThat(SQL.get(0)).startsWith("SELECT set_config('synchronous_commit', 'off', true);")
                    .contains("INSERT INTO flow_runs", "INSERT INTO flow_checkpoints");
        }

        @Test
        void refusesAnIdThatIsNotAUuidAndWritesNothing() {
            Checkpoint cp = Checkpoint.builder().id("step-1").nodeId("a").nextNodeId("b").state(Map.of()).build();
            assertThatThrownBy(() -> saver.put(thread("put-2"), cp))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("checkpoint.id 'step-1' is not a UUID");
            assertThat(store.flowRuns().get("graph", "put-2")).isEmpty();
        }

        @Test
        void refusesAStateValueThatIsNotJsonNamingItsKey() {
            Checkpoint cp = checkpoint("a", "b", Map.of("outer", Map.of("when", LocalDate.of(2026, 1, 2))));
            assertThatThrownBy(() -> saver.put(thread("put-3"), cp))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("state.outer.when is a java.time.LocalDate, which is not JSON");
            assertThat(store.flowRuns().get("graph", "put-3")).isEmpty();
        }

        @Test
        void costsTheSameStatementsWhateverTheHistoryAndReadsNoEarlierCheckpoint() throws Exception {
            RunnableConfig config = thread("put-cost");
            for (int i = 0; i < 3; i++) {
                saver.put(config, checkpoint("n", "n", Map.of("i", i)));
            }
            List<String> early = statementsOfOnePut(config);
            for (int i = 0; i < 300; i++) {
                saver.put(config, checkpoint("n", "n", Map.of("i", i)));
            }
            List<String> late = statementsOfOnePut(config);

            assertThat(late).isEqualTo(early);
            // one statement text in autocommit mode (one round trip, no BEGIN, no COMMIT) of two writes: the run's
            // snapshot upsert and the checkpoint INSERT ... SELECT, no read of the history
            assertThat(late).hasSize(2).endsWith(TestStores.AUTOCOMMIT);
            List<String> statements = List.of(late.get(0).split(";\n"));
            assertThat(statements).hasSize(2);
            assertThat(statements.get(0)).contains("INSERT INTO flow_runs").doesNotContain("flow_checkpoints");
            assertThat(statements.get(1).stripLeading()).startsWith("INSERT INTO flow_checkpoints");
        }

        private List<String> statementsOfOnePut(RunnableConfig config) throws Exception {
            SQL.clear();
            saver.put(config, checkpoint("n", "n", Map.of("i", -1)));
            return new ArrayList<>(SQL);
        }
    }

    @Nested
    class GetAndList {

        @Test
        void getsTheNewestOrTheNamedCheckpointOfTheThread() throws Exception {
            RunnableConfig config = thread("get-1");
            Checkpoint first = checkpoint("a", "b", Map.of("n", 1));
            Checkpoint second = checkpoint("b", "c", Map.of("n", 2));
            saver.put(config, first);
            saver.put(config, second);

            assertThat(saver.get(config).orElseThrow().getId()).isEqualTo(second.getId());
            Checkpoint named = saver.get(RunnableConfig.builder(config).checkPointId(first.getId()).build())
                    .orElseThrow();
            assertThat(named.getState()).isEqualTo(Map.of("n", 1));
            assertThat(named.getNodeId()).isEqualTo("a");
            assertThat(named.getNextNodeId()).isEqualTo("b");
        }

        @Test
        void doesNotGetAnotherThreadsCheckpointOrAnIdThatIsNotAUuid() throws Exception {
            Checkpoint other = checkpoint("a", "b", Map.of());
            saver.put(thread("get-other"), other);
            saver.put(thread("get-2"), checkpoint("a", "b", Map.of()));

            assertThat(saver.get(RunnableConfig.builder().threadId("get-2").checkPointId(other.getId()).build()))
                    .isEmpty();
            assertThat(saver.get(RunnableConfig.builder().threadId("get-2").checkPointId("nope").build())).isEmpty();
            assertThat(saver.get(thread("get-none"))).isEmpty();
        }

        @Test
        void listsNewestFirst() throws Exception {
            RunnableConfig config = thread("list-1");
            for (int i = 0; i < 5; i++) {
                saver.put(config, checkpoint("n" + i, "n" + (i + 1), Map.of("i", i)));
            }
            assertThat(saver.list(config)).extracting(Checkpoint::getNodeId)
                    .containsExactly("n4", "n3", "n2", "n1", "n0");
            assertThat(saver.list(thread("list-none"))).isEmpty();
        }

        @Test
        void usesLangGraph4jsDefaultThreadWhenTheConfigNamesNone() throws Exception {
            saver.put(RunnableConfig.builder().build(), checkpoint("a", "b", Map.of()));
            assertThat(store.flowRuns().get("graph", BaseCheckpointSaver.THREAD_ID_DEFAULT)).isPresent();
        }
    }

    @Nested
    class Release {

        @Test
        void completesTheRunAndTagsItsNewestCheckpointOnce() throws Exception {
            RunnableConfig config = thread("release-1");
            saver.put(config, checkpoint("a", "b", Map.of("n", 1)));
            Checkpoint last = checkpoint("b", "__END__", Map.of("n", 2));
            saver.put(config, last);

            BaseCheckpointSaver.Tag tag = saver.release(config);

            assertThat(tag.threadId()).isEqualTo("release-1");
            assertThat(tag.checkpoints()).extracting(Checkpoint::getNodeId).containsExactly("b", "a");
            assertThat(store.flowRuns().get("graph", "release-1").orElseThrow().status())
                    .isEqualTo(FlowRunStatus.COMPLETED);
            FlowCheckpoint released = store.checkpoints().released("graph", "release-1").orElseThrow();
            assertThat(released.checkpointId()).hasToString(last.getId());
            assertThat(released.releaseMessage()).isEqualTo(AgentStoreCheckpointSaver.RELEASE_MESSAGE);
            assertThatThrownBy(() -> saver.release(config))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("was released already");
        }
    }
}
