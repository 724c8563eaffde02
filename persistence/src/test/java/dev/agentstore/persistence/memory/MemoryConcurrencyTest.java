package dev.agentstore.persistence.memory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.memory.Memory;
import dev.agentstore.domain.memory.MemoryMessage;
import dev.agentstore.domain.memory.MemoryResource;
import dev.agentstore.domain.memory.MemoryVariables;
import dev.agentstore.domain.memory.MessageRole;
import dev.agentstore.domain.memory.NewMessage;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.Race;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/** Races of real transactions on real threads: sequence allocation, first use, merges. None may need a retry. */
@ExtendWith(AgentStoreExtension.class)
class MemoryConcurrencyTest {

    private static final int THREADS = 8;

    @Test
    void eightWritersAppendingToOneThreadGetAGapFreeTotalOrder(AgentStore store) throws Exception {
        store.inTransaction(uow -> uow.memories().saveThread("race-append", "racer", null, null));
        int rounds = 25;

        List<List<MemoryMessage>> returned = Race.run(THREADS, w -> () -> {
            List<MemoryMessage> mine = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                int round = r;
                List<NewMessage> batch = new ArrayList<>();
                for (int k = 0; k <= round % 3; k++) {
                    batch.add(NewMessage.of("w" + w + "-r" + round + "-k" + k, MessageRole.USER,
                            Json.object().put("writer", w).put("round", round).put("k", k)));
                }
                mine.addAll(store.fromTransaction(uow -> uow.memories().saveMessages("race-append", batch)));
            }
            return mine;
        });

        List<MemoryMessage> all = store.fromTransaction(uow -> uow.memories().lastMessages("race-append", 10_000));
        long expected = THREADS * (long) returned.get(0).size();
        assertThat(all).hasSize((int) expected);
        assertThat(all).extracting(MemoryMessage::seq)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, expected).boxed().toList());
        // each writer's messages are in the order it wrote them, and what it was told matches what is stored
        Map<String, Long> stored = all.stream().collect(Collectors.toMap(MemoryMessage::id, MemoryMessage::seq));
        for (List<MemoryMessage> mine : returned) {
            assertThat(mine).extracting(MemoryMessage::seq).isSorted().doesNotHaveDuplicates();
            mine.forEach(m -> assertThat(stored.get(m.id())).isEqualTo(m.seq()));
        }
        assertThat(store.fromTransaction(uow -> uow.memories().getThread("race-append")).lastSeq()).isEqualTo(expected);
    }

    @Test
    void concurrentResavesAndAppendsInOneThreadNeverFailAndNeverMoveASequenceNumber(AgentStore store)
            throws Exception {
        store.inTransaction(uow -> uow.memories().saveThread("race-resave", "racer", null, null));
        store.inTransaction(uow -> uow.memories().saveMessages("race-resave",
                List.of(NewMessage.of("hot", MessageRole.USER, Json.object()))));
        int rounds = 20;

        // per call: an existing message, one that every writer of the round saves (new for the first), an own new one
        List<List<MemoryMessage>> returned = Race.run(THREADS, w -> () -> {
            List<MemoryMessage> mine = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                JsonNode content = Json.object().put("writer", w).put("round", r);
                mine.addAll(store.fromTransaction(uow -> uow.memories().saveMessages("race-resave", List.of(
                        NewMessage.of("hot", MessageRole.ASSISTANT, content),
                        NewMessage.of("shared-" + content.get("round"), MessageRole.USER, content),
                        NewMessage.of("own-" + w + "-" + content.get("round"), MessageRole.USER, content)))));
            }
            return mine;
        });

        List<MemoryMessage> all = store.fromTransaction(uow -> uow.memories().lastMessages("race-resave", 10_000));
        assertThat(all).hasSize(1 + rounds + THREADS * rounds);
        assertThat(all).extracting(MemoryMessage::seq).isSorted().doesNotHaveDuplicates();
        assertThat(all.get(0).id()).isEqualTo("hot");
        assertThat(all.get(0).seq()).isEqualTo(1);
        Map<String, Long> stored = all.stream().collect(Collectors.toMap(MemoryMessage::id, MemoryMessage::seq));
        for (List<MemoryMessage> mine : returned) {
            assertThat(mine).hasSize(3 * rounds);
            mine.forEach(m -> assertThat(stored.get(m.id())).as(m.id()).isEqualTo(m.seq()));
        }
        // every call allocated exactly one number per message it named, used or not
        assertThat(store.fromTransaction(uow -> uow.memories().getThread("race-resave")).lastSeq())
                .isEqualTo(1 + 3L * THREADS * rounds);
    }

    @Test
    void concurrentFirstUseOfOneMemoryByRememberNeverFails(AgentStore store) throws Exception {
        List<List<MemoryMessage>> returned = Race.run(THREADS, w -> () -> store.fromTransaction(uow -> uow.memories()
                .remember("race-first", List.of(NewMessage.of("first-" + w, MessageRole.USER, Json.object().put("w", w))),
                        Json.object().put("writer", w))));

        assertThat(returned).allSatisfy(saved -> assertThat(saved).hasSize(1));
        List<MemoryVariables> history = store.fromTransaction(uow -> uow.memories().variablesHistory("race-first"));
        assertThat(history).extracting(MemoryVariables::revision)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, THREADS).boxed().toList());
        assertThat(store.<List<MemoryMessage>>fromTransaction(uow -> uow.memories().lastMessages("race-first", 100)))
                .extracting(MemoryMessage::seq)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, THREADS).boxed().toList());
    }

    @Test
    void concurrentMetadataPatchesOfDifferentKeysAreAllKept(AgentStore store) throws Exception {
        store.inTransaction(uow -> uow.memories().saveThread("race-meta", "racer", null, null));
        Race.run(THREADS, w -> () -> store.fromTransaction(uow -> uow.memories().updateThread("race-meta", null,
                Json.object().put("k" + w, w))));
        Race.run(THREADS, w -> () -> store.fromTransaction(uow -> uow.memories().updateResource("race-resource", null,
                Json.object().put("k" + w, w))));

        Memory memory = store.fromTransaction(uow -> uow.memories().getThread("race-meta"));
        MemoryResource resource = store.fromTransaction(uow -> uow.memories().getResource("race-resource"))
                .orElseThrow();
        for (JsonNode metadata : List.of(memory.metadata(), resource.metadata())) {
            assertThat(metadata.size()).isEqualTo(THREADS);
            for (int w = 0; w < THREADS; w++) {
                assertThat(metadata.get("k" + w).asInt()).isEqualTo(w);
            }
        }
        assertThat(memory.version()).isEqualTo(THREADS);
        assertThat(resource.version()).isEqualTo(THREADS - 1);
    }

    @Test
    void concurrentMovesAndAppendsIntoOneThreadGetDistinctSequenceNumbers(AgentStore store) throws Exception {
        store.inTransaction(uow -> {
            uow.memories().saveThread("race-target", "racer", null, null);
            for (int w = 0; w < THREADS; w++) {
                uow.memories().saveThread("race-source-" + w, "racer", null, null);
                uow.memories().saveMessages("race-source-" + w, List.of(
                        NewMessage.of("mv-" + w, MessageRole.USER, Json.object().put("w", w))));
            }
        });

        Race.run(THREADS, w -> () -> w % 2 == 0
                ? store.fromTransaction(uow -> uow.memories().updateMessages(List.of(
                        dev.agentstore.domain.memory.MessageUpdate.of("mv-" + w).movedTo("race-target"))))
                : store.fromTransaction(uow -> uow.memories().saveMessages("race-target", List.of(
                        NewMessage.of("mv-" + w, MessageRole.USER, Json.object().put("moved", w))))));

        List<MemoryMessage> target = store.fromTransaction(uow -> uow.memories().lastMessages("race-target", 100));
        assertThat(target).hasSize(THREADS);
        assertThat(target).extracting(MemoryMessage::seq)
                .containsExactlyElementsOf(LongStream.rangeClosed(1, THREADS).boxed().toList());
        for (int w = 0; w < THREADS; w++) {
            int source = w;
            assertThat(store.<List<MemoryMessage>>fromTransaction(uow -> uow.memories()
                    .lastMessages("race-source-" + source, 10))).isEmpty();
        }
    }
}
