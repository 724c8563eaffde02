package dev.agentstore.persistence.memory;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.knowledge.Embedder;
import dev.agentstore.domain.memory.MemoryMessage;
import dev.agentstore.domain.memory.MessageRole;
import dev.agentstore.domain.memory.MessageText;
import dev.agentstore.domain.memory.MessageUpdate;
import dev.agentstore.domain.memory.NewMessage;
import dev.agentstore.domain.memory.RecalledMessage;
import dev.agentstore.domain.memory.SemanticRecall;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.agentstore.persistence.memory.MemoryThreadTest.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Semantic recall: messages embedded on save (or by the caller), recalled by query with their neighbours. */
@ExtendWith(AgentStoreExtension.class)
class MemorySemanticRecallTest {

    /** One axis per topic word, a fourth for everything else: texts of one topic have cosine distance 0. */
    static class TopicEmbedder implements Embedder {
        private static final List<String> TOPICS = List.of("weather", "football", "cooking");
        final AtomicInteger calls = new AtomicInteger();
        final List<String> embedded = new ArrayList<>();

        @Override
        public float[] embed(String text) {
            float[] v = new float[4];
            for (String word : text.toLowerCase(Locale.ROOT).split("\\W+")) {
                int topic = TOPICS.indexOf(word);
                v[topic < 0 ? 3 : topic] += 1;
            }
            return v;
        }

        @Override
        public List<float[]> embedAll(List<String> texts) {
            calls.incrementAndGet();
            embedded.addAll(texts);
            return texts.stream().map(this::embed).toList();
        }

        @Override
        public int dimension() {
            return 4;
        }

        @Override
        public int batchSize() {
            return 3;
        }
    }

    private final TopicEmbedder embedder = new TopicEmbedder();

    @Nested
    class Thread {

        @Test
        void theNearestMessagesComeWithTheirNeighboursInSequenceOrder(AgentStore store) {
            save(store, "t-1", "owner", "hello there", "the weather is sunny", "ok", "let us talk football",
                    "sure", "more weather tomorrow", "bye");

            List<RecalledMessage> recalled = store.memories().semanticRecall("weather", embedder,
                    SemanticRecall.thread("t-1").topK(2).messageRange(1, 0));

            assertThat(recalled).extracting(r -> r.message().id()).containsExactly("t-1-1", "t-1-2", "t-1-5", "t-1-6");
            assertThat(recalled).extracting(RecalledMessage::match).containsExactly(false, true, false, true);
            assertThat(recalled.get(3).distance()).as("nearer: one other word").isLessThan(recalled.get(1).distance());
            assertThat(recalled.get(3).distance()).isCloseTo(1 - 1 / Math.sqrt(5), within(1e-6));
            assertThat(recalled.get(0).distance()).isNaN();
        }

        @Test
        void overlappingRangesReturnEachMessageOnce(AgentStore store) {
            save(store, "t-2", "owner", "a", "weather one", "weather two", "b", "c");

            List<RecalledMessage> recalled = store.memories().semanticRecall("weather", embedder,
                    SemanticRecall.thread("t-2").topK(2).messageRange(2, 2));

            assertThat(recalled).extracting(r -> r.message().seq()).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(recalled).filteredOn(RecalledMessage::match).extracting(r -> r.message().id())
                    .containsExactly("t-2-2", "t-2-3");
        }

        @Test
        void messagesWithoutTextAreNotEmbeddedButAreNeighbours(AgentStore store) {
            MemoryMessageTest.thread(store, "t-3");
            store.memories().saveMessages("t-3", List.of(
                    NewMessage.of("t-3-1", MessageRole.TOOL, json("{\"toolCallId\":\"c1\",\"result\":{\"t\":21}}")),
                    NewMessage.of("t-3-2", MessageRole.USER, json("{\"parts\":[{\"type\":\"text\",\"text\":\"cooking\"}]}"))),
                    embedder);

            assertThat(embedder.embedded).containsExactly("cooking");
            List<RecalledMessage> recalled = store.memories().semanticRecall("tool", embedder,
                    SemanticRecall.thread("t-3").topK(5).messageRange(1, 0));
            assertThat(recalled).extracting(r -> r.message().id()).containsExactly("t-3-1", "t-3-2");
            assertThat(recalled).extracting(RecalledMessage::match).containsExactly(false, true);
        }

        @Test
        void aChangedContentLosesItsEmbeddingAndAnUnchangedOneKeepsIt(AgentStore store) {
            save(store, "t-4", "owner", "weather", "football");
            store.memories().saveMessages("t-4", List.of(text("t-4-1", "football now")));
            store.memories().saveMessages("t-4", List.of(text("t-4-2", "football")));
            SemanticRecall everything = SemanticRecall.thread("t-4").topK(5).messageRange(0, 0);
            assertThat(store.memories().semanticRecall("weather", embedder, everything))
                    .extracting(r -> r.message().id()).containsExactly("t-4-2");

            store.memories().updateMessages(List.of(MessageUpdate.of("t-4-2").withContentPatch(json("{\"x\":1}"))));
            assertThat(store.memories().semanticRecall("weather", embedder, everything)).isEmpty();
        }

        @Test
        void embeddingsOfAnotherDimensionDoNotTakePart(AgentStore store) {
            save(store, "t-5", "owner", "weather", "football");
            assertThat(store.memories().embedMessages(Map.of("t-5-2", new float[]{1, 0}, "unknown", new float[]{1})))
                    .isEqualTo(1);

            List<RecalledMessage> recalled = store.memories().semanticRecall(new float[]{0, 1, 0, 0},
                    SemanticRecall.thread("t-5").topK(5).messageRange(0, 0));
            assertThat(recalled).extracting(r -> r.message().id()).containsExactly("t-5-1");
            assertThat(store.memories().semanticRecall(new float[]{1, 0}, SemanticRecall.thread("t-5").topK(5)
                    .messageRange(0, 0))).extracting(r -> r.message().id()).containsExactly("t-5-2");
        }

        @Test
        void longBatchesAreEmbeddedInBatchesOfTheEmbeddersSize(AgentStore store) {
            save(store, "t-6", "owner", "a", "b", "c", "d", "e", "f", "g");
            assertThat(embedder.calls.get()).isEqualTo(3);
        }
    }

    @Nested
    class Resource {

        @Test
        void searchesEveryThreadOfTheResourceAndNoOther(AgentStore store) {
            save(store, "r-1", "alice", "weather in march", "fine");
            save(store, "r-2", "alice", "hi", "cooking pasta");
            save(store, "r-3", "bob", "weather for bob");

            List<RecalledMessage> recalled = store.memories().semanticRecall("weather", embedder,
                    SemanticRecall.resource("alice").topK(1).messageRange(0, 1));

            assertThat(recalled).extracting(r -> r.message().id()).containsExactly("r-1-1", "r-1-2");
            assertThat(store.memories().semanticRecall("cooking", embedder, SemanticRecall.resource("alice").topK(1)
                    .messageRange(1, 0))).extracting(r -> r.message().id()).containsExactly("r-2-1", "r-2-2");
        }
    }

    @Nested
    class BadInput {

        @Test
        void anEmbedderReturningTheWrongDimensionWritesNothing(AgentStore store) {
            MemoryMessageTest.thread(store, "b-1");
            Embedder wrong = new TopicEmbedder() {
                @Override
                public List<float[]> embedAll(List<String> texts) {
                    return texts.stream().map(t -> new float[]{1, 2}).toList();
                }
            };

            assertThatThrownBy(() -> store.memories().saveMessages("b-1", List.of(text("b-1-1", "x")), wrong))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("must have 4 elements");
            assertThat(MemoryMessageTest.last(store, "b-1", 10)).isEmpty();
        }

        @Test
        void anUnknownThreadIsNotFound(AgentStore store) {
            assertThatThrownBy(() -> store.memories().saveMessages("nope", List.of(text("n-1", "x")), embedder))
                    .isInstanceOf(NotFoundException.class);
        }

        @Test
        void invalidQueriesAndRangesAreRefused(AgentStore store) {
            assertThatThrownBy(() -> SemanticRecall.thread("t").topK(0)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("topK");
            assertThatThrownBy(() -> SemanticRecall.thread("t").messageRange(-1, 0))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("messageRange.before");
            assertThatThrownBy(() -> store.memories().semanticRecall(new float[]{Float.NaN},
                    SemanticRecall.thread("t"))).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("query[0]");
            assertThatThrownBy(() -> store.memories().embedMessages(Map.of("m", new float[0])))
                    .isInstanceOf(InvalidInputException.class);
        }
    }

    @Test
    void theTextOfAMessageIsItsStringOrItsTextParts() {
        assertThat(MessageText.of(json("\"plain\""))).isEqualTo("plain");
        assertThat(MessageText.of(json("{\"parts\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"file\",\"url\":\"u\"},"
                + "{\"type\":\"text\",\"text\":\"b\"}]}"))).isEqualTo("a\nb");
        assertThat(MessageText.of(json("[{\"toolCallId\":\"c\",\"result\":1}]"))).isEmpty();
    }

    /** Creates thread {@code id} of {@code resource} and saves one message per text, ids {@code id-1, id-2 ...}. */
    private void save(AgentStore store, String id, String resource, String... texts) {
        store.inTransaction(uow -> uow.memories().saveThread(id, resource, null, null));
        List<NewMessage> messages = new ArrayList<>();
        for (int i = 0; i < texts.length; i++) {
            messages.add(text(id + "-" + (i + 1), texts[i]));
        }
        List<MemoryMessage> saved = store.memories().saveMessages(id, messages, embedder);
        assertThat(saved).hasSize(texts.length);
    }

    private static NewMessage text(String id, String text) {
        return NewMessage.of(id, MessageRole.USER, json("{\"text\":\"" + text + "\"}"));
    }
}
