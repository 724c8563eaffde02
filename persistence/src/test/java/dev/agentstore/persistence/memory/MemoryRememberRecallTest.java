package dev.agentstore.persistence.memory;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.memory.Memory;
import dev.agentstore.domain.memory.MemoryMessage;
import dev.agentstore.domain.memory.MemoryRecall;
import dev.agentstore.domain.memory.MemoryResource;
import dev.agentstore.domain.memory.MemoryVariables;
import dev.agentstore.domain.memory.MessageRole;
import dev.agentstore.domain.memory.NewMessage;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;

import static dev.agentstore.persistence.memory.MemoryThreadTest.count;
import static dev.agentstore.persistence.memory.MemoryThreadTest.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Draive's remember/recall with variable snapshots, and Mastra's resource working memory. */
@ExtendWith(AgentStoreExtension.class)
class MemoryRememberRecallTest {

    @Test
    void rememberCreatesTheMemoryOnFirstUseWithoutAMaintenanceCall(AgentStore store) {
        List<MemoryMessage> saved = store.fromTransaction(uow -> uow.memories().remember("session-1",
                NewMessage.of(MessageRole.USER, json("{\"input\":\"hello\"}")),
                NewMessage.of(MessageRole.ASSISTANT, json("{\"output\":\"hi there\"}"))));

        assertThat(saved).extracting(MemoryMessage::seq).containsExactly(1L, 2L);
        Memory memory = store.fromTransaction(uow -> uow.memories().getThread("session-1"));
        assertThat(memory.resourceId()).isNull();
        assertThat(memory.lastSeq()).isEqualTo(2);

        MemoryRecall recall = store.fromTransaction(uow -> uow.memories().recall("session-1", 10));
        assertThat(recall.messages()).extracting(MemoryMessage::content)
                .containsExactly(json("{\"input\":\"hello\"}"), json("{\"output\":\"hi there\"}"));
        assertThat(recall.variables()).isEqualTo(json("{}"));
        assertThat(recall.revision()).isZero();
    }

    @Test
    void recallReturnsTheLastMessagesInOrderAndTheNewestVariables(AgentStore store, MutableClock clock) {
        store.inTransaction(uow -> uow.memories().remember("session-2", List.of(
                NewMessage.of("s2-1", MessageRole.USER, json("1")), NewMessage.of("s2-2", MessageRole.ASSISTANT,
                        json("2"))), json("{\"name\":\"Ada\",\"step\":1}")));
        clock.advance(Duration.ofSeconds(1));
        store.inTransaction(uow -> uow.memories().remember("session-2", List.of(
                NewMessage.of("s2-3", MessageRole.USER, json("3"))), json("{\"name\":\"Ada\",\"step\":2}")));
        store.inTransaction(uow -> uow.memories().remember("session-2", NewMessage.of("s2-4", MessageRole.ASSISTANT,
                json("4"))));

        MemoryRecall recall = store.fromTransaction(uow -> uow.memories().recall("session-2", 4));
        assertThat(recall.messages()).extracting(MemoryMessage::id).containsExactly("s2-1", "s2-2", "s2-3", "s2-4");
        // a window of 3 starts with s2-2, a model output whose request (s2-1) was cut off: Draive drops it
        assertThat(store.fromTransaction(uow -> uow.memories().recall("session-2", 3)).messages())
                .extracting(MemoryMessage::id).containsExactly("s2-3", "s2-4");
        assertThat(recall.variables()).isEqualTo(json("{\"name\":\"Ada\",\"step\":2}"));
        assertThat(recall.revision()).isEqualTo(2);

        List<MemoryVariables> history = store.fromTransaction(uow -> uow.memories().variablesHistory("session-2"));
        assertThat(history).extracting(MemoryVariables::revision).containsExactly(1L, 2L);
        assertThat(history.get(0).variables()).isEqualTo(json("{\"name\":\"Ada\",\"step\":1}"));
        assertThat(history.get(1).createdAt()).isEqualTo(clock.instant());
    }

    @Test
    void rememberWithOnlyVariablesOrNothingEnsuresTheMemory(AgentStore store) {
        store.inTransaction(uow -> uow.memories().remember("session-3", List.of(), json("{\"seed\":true}")));
        assertThat(store.fromTransaction(uow -> uow.memories().recall("session-3", 5)).variables())
                .isEqualTo(json("{\"seed\":true}"));
        store.inTransaction(uow -> uow.memories().remember("session-4", List.of(), null));
        assertThat(count(store, "memories WHERE id = 'session-4'")).isEqualTo(1);
        assertThat(store.<Boolean>fromTransaction(uow -> uow.memories().ensureMemory("session-4"))).isFalse();
        assertThat(store.<Boolean>fromTransaction(uow -> uow.memories().ensureMemory("session-5"))).isTrue();
    }

    @Test
    void recallOfAnUnknownMemoryIsEmptyAndWritesNothing(AgentStore store) {
        MemoryRecall recall = store.fromTransaction(uow -> uow.memories().recall("session-never", 5));
        assertThat(recall.messages()).isEmpty();
        assertThat(recall.variables()).isEqualTo(json("{}"));
        assertThat(count(store, "memories WHERE id = 'session-never'")).isZero();
    }

    @Test
    void invalidRememberWritesNothing(AgentStore store) {
        assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().remember("session-bad", List.of(
                NewMessage.of(MessageRole.USER, json("1"))), json("[\"not an object\"]"))))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("variables");
        assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().recall("session-bad", 0)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("limit");
        assertThat(count(store, "memories WHERE id = 'session-bad'")).isZero();
    }

    @Test
    void resourceWorkingMemoryIsCreatedReplacedAndItsMetadataMerged(AgentStore store, MutableClock clock) {
        MemoryResource created = store.fromTransaction(uow -> uow.memories().updateResource("user-wm",
                "# User\n- name: Ada", json("{\"tz\":\"UTC\",\"prefs\":{\"lang\":\"en\",\"units\":\"metric\"}}")));
        assertThat(created.workingMemory()).isEqualTo("# User\n- name: Ada");
        assertThat(created.version()).isZero();
        assertThat(created.createdAt()).isEqualTo(clock.instant());
        clock.advance(Duration.ofSeconds(5));

        MemoryResource merged = store.fromTransaction(uow -> uow.memories().updateResource("user-wm", null,
                json("{\"prefs\":{\"units\":null,\"theme\":\"dark\"},\"tz\":\"CET\"}")));
        assertThat(merged.workingMemory()).isEqualTo("# User\n- name: Ada");
        assertThat(merged.metadata()).isEqualTo(json("{\"tz\":\"CET\",\"prefs\":{\"lang\":\"en\",\"theme\":\"dark\"}}"));
        assertThat(merged.version()).isEqualTo(1);
        assertThat(merged.updatedAt()).isEqualTo(clock.instant());

        MemoryResource replaced = store.fromTransaction(uow -> uow.memories().updateResource("user-wm", "", null));
        assertThat(replaced.workingMemory()).isEmpty();
        assertThat(replaced.metadata()).isEqualTo(merged.metadata());
        assertThat(store.fromTransaction(uow -> uow.memories().getResource("user-wm")).orElseThrow().workingMemory())
                .isEmpty();

        assertThat(store.<Boolean>fromTransaction(uow -> uow.memories().deleteResource("user-wm"))).isTrue();
        assertThat(store.<java.util.Optional<MemoryResource>>fromTransaction(uow -> uow.memories().getResource("user-wm"))).isEmpty();
        assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().updateResource("user-wm", "a\u0000b", null)))
                .isInstanceOf(InvalidInputException.class);
        assertThat(store.<java.util.Optional<MemoryResource>>fromTransaction(uow -> uow.memories().getResource("user-wm"))).isEmpty();
    }
}
