package dev.agentstore.persistence.memory;

import dev.agentstore.domain.memory.MemoryMessage;
import dev.agentstore.domain.memory.MemoryRecall;
import dev.agentstore.domain.memory.MessageRole;
import dev.agentstore.domain.memory.NewMessage;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;

import static dev.agentstore.domain.memory.MessageRole.ASSISTANT;
import static dev.agentstore.domain.memory.MessageRole.SYSTEM;
import static dev.agentstore.domain.memory.MessageRole.TOOL;
import static dev.agentstore.domain.memory.MessageRole.USER;
import static dev.agentstore.persistence.memory.MemoryThreadTest.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Draive's recall rule: the recalled window is cut at its first clean turn, so the context never begins with a tool
 * response or a model output whose request was cut off. One test per shape of cut.
 */
@ExtendWith(AgentStoreExtension.class)
class MemoryCleanRecallTest {

    /** user, assistant calling a tool, tool result, assistant answer, user, assistant: six messages. */
    private static List<NewMessage> toolTurn(String p) {
        return List.of(
                NewMessage.of(p + "-1", USER, json("{\"text\":\"weather in Bern?\"}")),
                NewMessage.of(p + "-2", ASSISTANT, json("{\"parts\":[{\"type\":\"tool-call\",\"toolName\":\"w\"}]}")),
                NewMessage.of(p + "-3", TOOL, json("{\"parts\":[{\"type\":\"tool-result\",\"result\":21}]}")),
                NewMessage.of(p + "-4", ASSISTANT, json("{\"text\":\"21 degrees\"}")),
                NewMessage.of(p + "-5", USER, json("{\"text\":\"thanks\"}")),
                NewMessage.of(p + "-6", ASSISTANT, json("{\"text\":\"you are welcome\"}")));
    }

    private static List<String> recall(AgentStore store, String memoryId, int limit) {
        MemoryRecall recall = store.fromTransaction(uow -> uow.memories().recall(memoryId, limit));
        return recall.messages().stream().map(MemoryMessage::id).toList();
    }

    private static void remember(AgentStore store, String memoryId, List<NewMessage> messages) {
        store.inTransaction(uow -> uow.memories().remember(memoryId, messages, null));
    }

    @Nested
    class ShapesOfCut {

        @Test
        void aWindowThatStartsAtAUserInputIsKeptWhole(AgentStore store) {
            remember(store, "cut-none", toolTurn("cut-none"));
            assertThat(recall(store, "cut-none", 6)).containsExactly("cut-none-1", "cut-none-2", "cut-none-3",
                    "cut-none-4", "cut-none-5", "cut-none-6");
            assertThat(recall(store, "cut-none", 2)).containsExactly("cut-none-5", "cut-none-6");
        }

        @Test
        void aModelOutputWithToolCallsWhoseRequestWasCutOffIsDroppedWithItsToolResults(AgentStore store) {
            remember(store, "cut-call", toolTurn("cut-call"));
            // window: assistant tool call, tool result, assistant answer, user, assistant
            assertThat(recall(store, "cut-call", 5)).containsExactly("cut-call-5", "cut-call-6");
        }

        @Test
        void aToolResponseAtTheStartIsDropped(AgentStore store) {
            remember(store, "cut-tool", toolTurn("cut-tool"));
            // window: tool result, assistant answer, user, assistant
            assertThat(recall(store, "cut-tool", 4)).containsExactly("cut-tool-5", "cut-tool-6");
        }

        @Test
        void aPlainModelOutputWhoseRequestWasCutOffIsDropped(AgentStore store) {
            remember(store, "cut-out", toolTurn("cut-out"));
            // window: assistant answer, user, assistant
            assertThat(recall(store, "cut-out", 3)).containsExactly("cut-out-5", "cut-out-6");
            // window: the last assistant answer alone
            assertThat(recall(store, "cut-out", 1)).isEmpty();
        }

        @Test
        void aUserMessageCarryingToolResultsIsAToolResponse(AgentStore store) {
            remember(store, "cut-user-tool", List.of(
                    NewMessage.of("cut-user-tool-1", USER, json("\"list my files\"")),
                    NewMessage.of("cut-user-tool-2", ASSISTANT, json("[{\"type\":\"tool_use\",\"id\":\"t1\"}]")),
                    NewMessage.of("cut-user-tool-3", USER,
                            json("{\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t1\"}]}")),
                    NewMessage.of("cut-user-tool-4", USER, json("[{\"type\":\"function_call_output\"}]")),
                    NewMessage.of("cut-user-tool-5", USER, json("{\"type\":\"tool_response\"}")),
                    NewMessage.of("cut-user-tool-6", ASSISTANT, json("\"two files\"")),
                    NewMessage.of("cut-user-tool-7", USER, json("{\"parts\":[{\"type\":\"text\"}]}"))));
            assertThat(recall(store, "cut-user-tool", 5)).containsExactly("cut-user-tool-7");
            assertThat(recall(store, "cut-user-tool", 7)).hasSize(7);
        }

        @Test
        void aWindowWithoutACleanTurnRecallsNoMessagesButTheVariables(AgentStore store) {
            store.inTransaction(uow -> uow.memories().remember("cut-all", List.of(
                    NewMessage.of("cut-all-1", USER, json("\"go\"")),
                    NewMessage.of("cut-all-2", ASSISTANT, json("{\"parts\":[{\"type\":\"tool-call\"}]}")),
                    NewMessage.of("cut-all-3", TOOL, json("1")),
                    NewMessage.of("cut-all-4", ASSISTANT, json("{\"parts\":[{\"type\":\"tool-call\"}]}")),
                    NewMessage.of("cut-all-5", TOOL, json("2"))), json("{\"step\":2}")));
            MemoryRecall recall = store.fromTransaction(uow -> uow.memories().recall("cut-all", 4));
            assertThat(recall.messages()).isEmpty();
            assertThat(recall.variables()).isEqualTo(json("{\"step\":2}"));
            assertThat(recall(store, "cut-all", 5)).hasSize(5);
        }

        @Test
        void aSystemMessageStartsACleanTurn(AgentStore store) {
            remember(store, "cut-system", List.of(
                    NewMessage.of("cut-system-1", USER, json("\"a\"")),
                    NewMessage.of("cut-system-2", ASSISTANT, json("\"b\"")),
                    NewMessage.of("cut-system-3", SYSTEM, json("\"be brief\"")),
                    NewMessage.of("cut-system-4", USER, json("\"c\""))));
            assertThat(recall(store, "cut-system", 3)).containsExactly("cut-system-3", "cut-system-4");
        }

        @Test
        void theWindowIsNotExtendedAndLastMessagesStaysRaw(AgentStore store) {
            remember(store, "cut-raw", toolTurn("cut-raw"));
            assertThat(recall(store, "cut-raw", 5)).hasSize(2);
            assertThat(store.<List<MemoryMessage>>fromTransaction(uow -> uow.memories().lastMessages("cut-raw", 5)))
                    .extracting(MemoryMessage::id).startsWith("cut-raw-2").hasSize(5);
        }
    }

    @Nested
    class Rule {

        @Test
        void theRuleKeepsEverythingFromTheFirstCleanTurnOnUnchanged() {
            List<MemoryMessage> window = new ArrayList<>();
            MessageRole[] roles = {TOOL, ASSISTANT, USER, TOOL, ASSISTANT};
            for (int i = 0; i < roles.length; i++) {
                window.add(MemoryMessage.of("r" + i, "t", i + 1, roles[i], json("{}"), null, java.time.Instant.EPOCH));
            }
            assertThat(MemoryRecall.fromCleanTurn(window)).extracting(MemoryMessage::id)
                    .containsExactly("r2", "r3", "r4");
            assertThat(MemoryRecall.fromCleanTurn(List.of())).isEmpty();
        }
    }
}
