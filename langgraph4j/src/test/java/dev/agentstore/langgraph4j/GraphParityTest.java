package dev.agentstore.langgraph4j;

import dev.agentstore.persistence.AgentStore;
import org.bsc.langgraph4j.checkpoint.MemorySaver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real LangGraph4j graph ({@link GraphScenario}: an interruption, an update and a resume, a fork from an earlier
 * checkpoint through {@code getStateHistory} and {@code updateState}) on agentstore against PostgreSQL, and the same
 * on LangGraph4j's {@code MemorySaver}: the same states and histories.
 */
class GraphParityTest {

    private static AgentStore store;
    private static GraphScenario.Result memory;
    private static GraphScenario.Result agentstore;

    @BeforeAll
    static void run() throws Exception {
        store = TestStores.open(GraphParityTest.class);
        memory = GraphScenario.run(new MemorySaver(), "thread-1");
        agentstore = GraphScenario.run(AgentStoreCheckpointSaver.of(store), "thread-1");
    }

    @AfterAll
    static void close() {
        TestStores.close(store);
    }

    @Nested
    class InterruptAndResume {

        @Test
        void stopsBeforeTheInterruptedNodeInTheSameState() {
            assertThat(agentstore.interrupted()).isEqualTo(memory.interrupted());
            assertThat(agentstore.interrupted().next()).isEqualTo("c");
        }

        @Test
        void hasTheSameHistoryAtTheInterruption() {
            assertThat(agentstore.history1()).hasSize(3).isEqualTo(memory.history1());
        }

        @Test
        void resumesAfterUpdateStateToTheSameEnd() {
            assertThat(agentstore.finished()).isEqualTo(memory.finished());
            assertThat(agentstore.finished().get("steps")).isEqualTo(List.of("a:-", "b:-", "c:human", "d:human"));
        }

        @Test
        void hasTheSameHistoryAfterTheResume() {
            assertThat(agentstore.history2()).hasSize(6).isEqualTo(memory.history2());
        }
    }

    @Nested
    class Fork {

        @Test
        void pausesAndEndsInTheSameStates() {
            assertThat(agentstore.forkPaused()).isEqualTo(memory.forkPaused());
            assertThat(agentstore.forkEnd()).isEqualTo(memory.forkEnd());
            assertThat(agentstore.forkEnd().get("steps")).isEqualTo(List.of("a:-", "b:fork", "c:fork", "d:fork"));
        }

        @Test
        void hasTheSameCheckpointsWithTheForkBranchFirst() {
            List<GraphScenario.Snap> ours = agentstore.history3();
            List<GraphScenario.Snap> theirs = memory.history3();
            assertThat(ours).containsExactlyInAnyOrderElementsOf(theirs);
            assertThat(ours.subList(0, 3)).isEqualTo(theirs.subList(0, 3));
            // the replaced checkpoint (after a, with the fork's note) opens the fork's branch here, as in LangGraph4j's
            // PostgresSaver; MemorySaver keeps it where the original was
            assertThat(ours.get(3).node()).isEqualTo("a");
            assertThat(ours.get(3).data()).containsEntry("note", "fork");
            assertThat(ours.subList(4, 8)).isEqualTo(theirs.subList(3, 7));
            assertThat(theirs.get(7)).isEqualTo(ours.get(3));
            assertThat(ours.get(8)).isEqualTo(theirs.get(8));
        }
    }
}
