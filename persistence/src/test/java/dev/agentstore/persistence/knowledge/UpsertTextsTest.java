package dev.agentstore.persistence.knowledge;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.knowledge.Chunk;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.Embedder;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.NewTextChunk;
import dev.agentstore.domain.knowledge.TextUpsert;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(AgentStoreExtension.class)
class UpsertTextsTest {

    /** Embeds a text as (length, 1, 0): deterministic; records every embedAll call's texts. */
    static class RecordingEmbedder implements Embedder {
        final List<List<String>> calls = new ArrayList<>();
        private final int dimension;
        private final int batchSize;

        RecordingEmbedder(int dimension, int batchSize) {
            this.dimension = dimension;
            this.batchSize = batchSize;
        }

        @Override
        public float[] embed(String text) {
            float[] v = new float[dimension];
            v[0] = text.length();
            v[1] = 1;
            return v;
        }

        @Override
        public int dimension() {
            return dimension;
        }

        @Override
        public int batchSize() {
            return batchSize;
        }

        @Override
        public List<float[]> embedAll(List<String> texts) {
            calls.add(List.copyOf(texts));
            return Embedder.super.embedAll(texts);
        }
    }

    private static void base(AgentStore store, String name) {
        store.inTransaction(uow -> uow.knowledge().create(name, 3, Distance.COSINE, IndexSpec.hnsw()));
    }

    private static List<NewTextChunk> texts(int n, String prefix) {
        List<NewTextChunk> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(NewTextChunk.of("d#" + i, "d", i, prefix + i));
        }
        return out;
    }

    @Nested
    class EmbedOnWrite {

        @Test
        void embedsInBatchesOfTheEmbeddersSizeAndStoresEveryChunk(AgentStore store) {
            base(store, "kb");
            RecordingEmbedder embedder = new RecordingEmbedder(3, 2);

            TextUpsert r = store.chunks().upsertTexts("kb", texts(5, "text "), embedder);

            assertThat(r.ids()).containsExactly("d#0", "d#1", "d#2", "d#3", "d#4");
            assertThat(r.embedded()).isEqualTo(5);
            assertThat(r.unchanged()).isZero();
            assertThat(r.batches()).isEqualTo(3);
            assertThat(embedder.calls).extracting(List::size).containsExactly(2, 2, 1);
            Chunk c = store.chunks().get("kb", "d#4").orElseThrow();
            assertThat(c.content()).isEqualTo("text 4");
            assertThat(c.embedding()).containsExactly(6f, 1f, 0f);
            assertThat(c.contentHash()).isEqualTo(Chunk.contentHash("text 4"));
        }

        @Test
        void skipsUnchangedContentButUpdatesItsOtherFields(AgentStore store, MutableClock clock) {
            base(store, "inc");
            store.chunks().upsertTexts("inc", texts(3, "text "), new RecordingEmbedder(3, 10));
            Chunk before = store.chunks().get("inc", "d#1").orElseThrow();
            clock.advance(Duration.ofMinutes(1));
            RecordingEmbedder embedder = new RecordingEmbedder(3, 10);
            List<NewTextChunk> again = new ArrayList<>(texts(3, "text "));
            again.set(1, again.get(1).withPayload(Json.parse("p", "{\"reviewed\":true}")));
            again.set(2, NewTextChunk.of("d#2", "d", 2, "changed text"));
            again.add(NewTextChunk.of("d#3", "d", 3, "new"));

            TextUpsert r = store.chunks().upsertTexts("inc", again, embedder);

            assertThat(r.embedded()).isEqualTo(2);
            assertThat(r.unchanged()).isEqualTo(2);
            assertThat(embedder.calls).containsExactly(List.of("changed text", "new"));
            Chunk d1 = store.chunks().get("inc", "d#1").orElseThrow();
            assertThat(d1.payload()).isEqualTo(Json.parse("p", "{\"reviewed\":true}"));
            assertThat(d1.embedding()).containsExactly(before.embedding());
            assertThat(d1.createdAt()).isEqualTo(before.createdAt());
            assertThat(store.chunks().get("inc", "d#2").orElseThrow().embedding()).containsExactly(12f, 1f, 0f);
            assertThat(store.chunks().count("inc")).isEqualTo(4);

            RecordingEmbedder idle = new RecordingEmbedder(3, 10);
            TextUpsert rerun = store.chunks().upsertTexts("inc", again, idle);
            assertThat(rerun.embedded()).isZero();
            assertThat(rerun.unchanged()).isEqualTo(4);
            assertThat(idle.calls).isEmpty();
        }

        @Test
        void theLastOfEqualIdsWins(AgentStore store) {
            base(store, "dup");
            TextUpsert r = store.chunks().upsertTexts("dup", List.of(
                    NewTextChunk.of("x", "d", 0, "first"), NewTextChunk.of("x", "d", 0, "second")),
                    new RecordingEmbedder(3, 10));

            assertThat(r.ids()).containsExactly("x", "x");
            assertThat(store.chunks().get("dup", "x").orElseThrow().content()).isEqualTo("second");
            assertThat(store.chunks().count("dup")).isEqualTo(1);
        }
    }

    @Nested
    class BadInput {

        @Test
        void refusesAnEmbedderOfAnotherDimensionBeforeEmbeddingOrWriting(AgentStore store) {
            base(store, "dim");
            RecordingEmbedder wrong = new RecordingEmbedder(4, 10);

            assertThatThrownBy(() -> store.chunks().upsertTexts("dim", texts(2, "t"), wrong))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("dimension 4");
            assertThat(wrong.calls).isEmpty();
            assertThat(store.chunks().count("dim")).isZero();
        }

        @Test
        void anEmbedderReturningTooFewEmbeddingsWritesNothing(AgentStore store) {
            base(store, "short");
            Embedder broken = new RecordingEmbedder(3, 2) {
                @Override
                public List<float[]> embedAll(List<String> texts) {
                    return texts.size() == 1 ? List.of() : super.embedAll(texts);
                }
            };

            assertThatThrownBy(() -> store.chunks().upsertTexts("short", texts(3, "t"), broken))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("embedAll returned 0");
            assertThat(store.chunks().count("short")).isZero(); // the first batch rolled back with the call
        }

        @Test
        void refusesMissingIdsNullsAndMissingBases(AgentStore store) {
            base(store, "bad");
            assertThatThrownBy(() -> NewTextChunk.of(null, "d", 0, "t"))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("id");
            assertThatThrownBy(() -> NewTextChunk.of("a", "d", 0, "t").withPayload(Json.parse("p", "[1]")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("payload");
            assertThatThrownBy(() -> store.chunks().upsertTexts("bad", texts(1, "t"), null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("embedder");
            assertThatThrownBy(() -> store.chunks().upsertTexts("missing", texts(1, "t"), new RecordingEmbedder(3, 1)))
                    .isInstanceOf(NotFoundException.class);
        }
    }
}
