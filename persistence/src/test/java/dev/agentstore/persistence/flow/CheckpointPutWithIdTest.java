package dev.agentstore.persistence.flow;

import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.flow.FlowCheckpoint;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link CheckpointRepository#put(String, String, UUID, com.fasterxml.jackson.databind.JsonNode, String, List,
 * com.fasterxml.jackson.databind.JsonNode)}: a checkpoint named by the caller (LangGraph4j names its own). */
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
}
