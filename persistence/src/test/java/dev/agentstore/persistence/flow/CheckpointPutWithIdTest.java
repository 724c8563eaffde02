package dev.agentstore.persistence.flow;

import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.flow.FlowCheckpoint;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.Race;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link CheckpointRepository#put(String, String, UUID, com.fasterxml.jackson.databind.JsonNode, String, List,
 * com.fasterxml.jackson.databind.JsonNode)}: a checkpoint named by the caller (LangGraph4j names its own), the
 * checkpoint a put returns without reading it back, and concurrent puts of one run. */
@ExtendWith(AgentStoreExtension.class)
class CheckpointPutWithIdTest {

    private static final String FLOW = "cp-ids";

    @BeforeEach
    void flow(AgentStore store) {
        store.flows().register(FLOW, null, 1);
    }

    @Nested
    class CallersId {

        @Test
        void isTheCheckpointsId(AgentStore store) {
            UUID id = UUID.randomUUID();
            FlowCheckpoint put = store.checkpoints().put(FLOW, "named", id, Json.parse("s", "{\"n\":1}"), "a",
                    List.of("b"), null);

            assertThat(put.checkpointId()).isEqualTo(id);
            assertThat(store.checkpoints().get(id)).contains(put);
        }

        @Test
        void nullGivesARandomOne(AgentStore store) {
            FlowCheckpoint put = store.checkpoints().put(FLOW, "random", null, Json.parse("s", "{}"), null,
                    List.of(), null);

            assertThat(put.checkpointId()).isNotNull();
        }

        @Test
        void usedTwiceIsADuplicateAndTheSecondRollsBack(AgentStore store) {
            UUID id = UUID.randomUUID();
            store.checkpoints().put(FLOW, "dup", id, Json.parse("s", "{\"n\":1}"), "a", List.of(), null);

            assertThatThrownBy(() -> store.inTransaction(uow -> uow.checkpoints().put(FLOW, "dup-2", id,
                    Json.parse("s", "{\"n\":2}"), "a", List.of(), null)))
                    .isInstanceOf(DuplicateException.class);
            assertThat(store.flowRuns().get(FLOW, "dup-2")).isEmpty();
            assertThat(store.checkpoints().history(FLOW, "dup", null, 10)).hasSize(1);
        }
    }

    @Nested
    class Returned {

        @Test
        void hasTheValuesOfTheStoredCheckpoint(AgentStore store) {
            FlowCheckpoint first = store.checkpoints().put(FLOW, "lean", null, Json.parse("s", "{\"n\":1}"), "a",
                    List.of("b"), null);
            FlowCheckpoint put = store.checkpoints().put(FLOW, "lean", UUID.randomUUID(),
                    Json.parse("s", "{\"z\":[1,2.5,\"x\"],\"a\":{\"b\":null}}"), "b", List.of("c", "d"),
                    Json.parse("m", "{\"k\":\"v\"}"));

            FlowCheckpoint stored = store.checkpoints().get(put.checkpointId()).orElseThrow();
            assertThat(put).usingRecursiveComparison().isEqualTo(stored);
            assertThat(put.parentId()).isEqualTo(first.checkpointId());
            assertThat(put.runVersion()).isEqualTo(store.flowRuns().get(FLOW, "lean").orElseThrow().version());
            assertThat(first.metadata()).isEqualTo(Json.parse("m", "{}"));
        }

        @Test
        void withAsynchronousCommitWritesTheSameAndTheSettingEndsWithThePut(AgentStore store) {
            UUID id = UUID.randomUUID();
            FlowCheckpoint put = store.checkpoints().putAsynchronousCommit(FLOW, "async", id,
                    Json.parse("s", "{\"n\":1}"), "a", List.of("b"), null);

            assertThat(store.checkpoints().get(id)).contains(put);
            assertThat(store.flowRuns().get(FLOW, "async").orElseThrow().snapshot())
                    .isEqualTo(Json.parse("s", "{\"n\":1}"));
            // HikariCP lends a thread its last connection first: the put's, whose setting ended with its transaction
            Object setting = store.fromTransaction(uow -> uow.entityManager()
                    .createNativeQuery("SELECT current_setting('synchronous_commit')").getSingleResult());
            assertThat(setting).isEqualTo("on");
        }

        @Test
        void isACopyOfTheCallersState(AgentStore store) {
            var state = (com.fasterxml.jackson.databind.node.ObjectNode) Json.parse("s", "{\"n\":1}");
            FlowCheckpoint put = store.checkpoints().put(FLOW, "copy", null, state, "a", List.of(), null);

            state.put("n", 2);

            assertThat(put.state()).isEqualTo(Json.parse("s", "{\"n\":1}"));
        }
    }

    @Nested
    class ConcurrentPuts {

        @Test
        void ofOneRunFormOneLinearChainWithTheLastStateAsSnapshot(AgentStore store) throws Exception {
            int writers = 8;
            int puts = 5;
            // the other tests of the class share the store and flow: their runs are already counted
            long running = store.flows().get(FLOW).orElseThrow().stats().running();

            Race.run(writers, i -> () -> {
                for (int p = 0; p < puts; p++) {
                    store.checkpoints().put(FLOW, "race", UUID.randomUUID(),
                            Json.parse("s", "{\"w\":" + i + ",\"p\":" + p + "}"), "s", List.of("s"), null);
                }
                return null;
            });

            List<FlowCheckpoint> h = store.checkpoints().history(FLOW, "race", null, 100);
            assertThat(h).hasSize(writers * puts);
            assertLinearChain(h);
            assertThat(h.get(0).state()).isEqualTo(store.flowRuns().get(FLOW, "race").orElseThrow().snapshot());
            assertThat(store.flows().get(FLOW).orElseThrow().stats().running()).isEqualTo(running + 1);
        }
    }

    /**
     * Asserts that a history (newest first) is one linear chain: each checkpoint's parent is the next older one, with
     * a higher run version, no parent twice, and the oldest is the root.
     */
    static void assertLinearChain(List<FlowCheckpoint> h) {
        Set<UUID> parents = new HashSet<>();
        for (int i = 0; i < h.size() - 1; i++) {
            assertThat(h.get(i).parentId()).isEqualTo(h.get(i + 1).checkpointId());
            assertThat(h.get(i).runVersion()).isGreaterThan(h.get(i + 1).runVersion());
            parents.add(h.get(i).parentId());
        }
        assertThat(parents).hasSize(h.size() - 1);
        assertThat(h.get(h.size() - 1).parentId()).isNull();
    }
}
