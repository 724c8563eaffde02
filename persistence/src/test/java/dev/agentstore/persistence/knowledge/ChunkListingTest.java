package dev.agentstore.persistence.knowledge;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.knowledge.Chunk;
import dev.agentstore.domain.knowledge.ChunkCursor;
import dev.agentstore.domain.knowledge.ChunkPage;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.query.Filter;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(AgentStoreExtension.class)
class ChunkListingTest {

    /** Chunks c0…c{n-1}, one per second (c0 oldest), payload {"lang": en for even / de for odd, "n": i}. */
    private static void seed(AgentStore store, MutableClock clock, String base, int n) {
        store.inTransaction(uow -> uow.knowledge().create(base, 2, Distance.COSINE, IndexSpec.hnsw()));
        for (int i = 0; i < n; i++) {
            int k = i;
            store.chunks().upsert(base, List.of(NewChunk.of("doc-" + (k % 3), k, "text " + k, new float[]{1, k})
                    .withId("c" + k)
                    .withPayload(Json.parse("p", "{\"lang\":\"" + (k % 2 == 0 ? "en" : "de") + "\",\"n\":" + k + "}"))));
            clock.advance(Duration.ofSeconds(1));
        }
    }

    private static List<String> ids(ChunkPage page) {
        return page.chunks().stream().map(Chunk::id).toList();
    }

    @Nested
    class ListWithoutQueryVector {

        @Test
        void listsNewestFirstWithEveryField(AgentStore store, MutableClock clock) {
            seed(store, clock, "list", 3);

            ChunkPage page = store.chunks().list("list", null, null, 10);

            assertThat(ids(page)).containsExactly("c2", "c1", "c0");
            assertThat(page.next()).isNull();
            Chunk c2 = page.chunks().get(0);
            assertThat(c2).usingRecursiveComparison().isEqualTo(store.chunks().get("list", "c2").orElseThrow());
            assertThat(c2.embedding()).containsExactly(1f, 2f);
        }

        @Test
        void pagesByCursorVisitEveryMatchingChunkOnceEvenWithEqualCreationTimes(AgentStore store, MutableClock clock) {
            seed(store, clock, "paged", 7);
            // three more chunks written at the same instant: the id breaks the tie
            store.chunks().upsert("paged", List.of(
                    NewChunk.of("d", 0, "x", new float[]{1, 0}).withId("t-a").withPayload(Json.parse("p", "{\"lang\":\"en\"}")),
                    NewChunk.of("d", 1, "y", new float[]{1, 0}).withId("t-b").withPayload(Json.parse("p", "{\"lang\":\"en\"}")),
                    NewChunk.of("d", 2, "z", new float[]{1, 0}).withId("t-c").withPayload(Json.parse("p", "{\"lang\":\"de\"}"))));

            List<String> seen = new ArrayList<>();
            ChunkCursor cursor = null;
            int pages = 0;
            do {
                ChunkPage page = store.chunks().list("paged", Filter.eq("payload.lang", "en"), cursor, 2);
                assertThat(page.chunks()).hasSizeLessThanOrEqualTo(2);
                seen.addAll(ids(page));
                cursor = page.next() == null ? null : ChunkCursor.decode(page.next().encode());
                pages++;
            } while (cursor != null);

            assertThat(seen).containsExactly("t-b", "t-a", "c6", "c4", "c2", "c0");
            assertThat(pages).isEqualTo(4); // 2 + 2 + 2 + an empty last page
        }

        @Test
        void filtersOnColumnsAndRanges(AgentStore store, MutableClock clock) {
            seed(store, clock, "filtered", 6);

            assertThat(ids(store.chunks().list("filtered",
                    Filter.and(Filter.eq("documentId", "doc-0"), Filter.gte("payload.n", 1)), null, 10)))
                    .containsExactly("c3");
            assertThat(ids(store.chunks().list("filtered", Filter.lt("ordinal", 2), null, 10)))
                    .containsExactly("c1", "c0");
        }

        @Test
        void rejectsBadLimitsFiltersAndCursorsAndMissingBases(AgentStore store, MutableClock clock) {
            seed(store, clock, "bad", 1);

            assertThatThrownBy(() -> store.chunks().list("bad", null, null, 0))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("limit");
            assertThatThrownBy(() -> store.chunks().list("bad", null, null, 1001))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("limit");
            assertThatThrownBy(() -> store.chunks().list("bad", Filter.eq("nope", 1), null, 10))
                    .isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> ChunkCursor.decode("yesterday_c1"))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("cursor");
            assertThatThrownBy(() -> store.chunks().list("missing", null, null, 10))
                    .isInstanceOf(NotFoundException.class);
        }
    }

    @Nested
    class UpdatePayloadsByFilter {

        @Test
        void mergesThePatchIntoEveryMatchingPayloadInOneCall(AgentStore store, MutableClock clock) {
            seed(store, clock, "patch", 4);

            int updated = store.chunks().updatePayloads("patch", Filter.eq("payload.lang", "en"),
                    Json.parse("patch", "{\"reviewed\":true,\"n\":null,\"tags\":[\"a\"]}"));

            assertThat(updated).isEqualTo(2);
            assertThat(store.chunks().get("patch", "c0").orElseThrow().payload())
                    .isEqualTo(Json.parse("p", "{\"lang\":\"en\",\"reviewed\":true,\"tags\":[\"a\"]}"));
            assertThat(store.chunks().get("patch", "c1").orElseThrow().payload())
                    .isEqualTo(Json.parse("p", "{\"lang\":\"de\",\"n\":1}"));
            Chunk c2 = store.chunks().get("patch", "c2").orElseThrow();
            assertThat(c2.content()).isEqualTo("text 2");
            assertThat(c2.embedding()).containsExactly(1f, 2f);
            assertThat(store.chunks().count("patch", Filter.eq("payload.reviewed", true))).isEqualTo(2);
        }

        @Test
        void followsJsonMergePatchLikeTheJavaImplementation(AgentStore store, MutableClock clock) {
            seed(store, clock, "rfc", 1);
            store.chunks().updateAllPayloads("rfc", Json.parse("p", "{\"a\":{\"b\":1,\"c\":2}}"));
            var patch = Json.parse("patch", "{\"a\":{\"b\":null,\"d\":{\"e\":3}},\"lang\":\"fr\"}");
            var before = store.chunks().get("rfc", "c0").orElseThrow().payload();

            store.chunks().updatePayloads("rfc", Filter.eq("id", "c0"), patch);

            assertThat(store.chunks().get("rfc", "c0").orElseThrow().payload())
                    .isEqualTo(Json.mergePatch(before, patch))
                    .isEqualTo(Json.parse("p", "{\"a\":{\"c\":2,\"d\":{\"e\":3}},\"lang\":\"fr\",\"n\":0}"));
        }

        @Test
        void refusesAMissingOrEmptyFilterUnlessUpdateAllPayloadsIsCalled(AgentStore store, MutableClock clock) {
            seed(store, clock, "all", 3);
            var patch = Json.parse("patch", "{\"x\":1}");

            assertThatThrownBy(() -> store.chunks().updatePayloads("all", null, patch))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("updateAllPayloads");
            assertThatThrownBy(() -> store.chunks().updatePayloads("all", Filter.all(), patch))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("updateAllPayloads");
            assertThat(store.chunks().count("all", Filter.eq("payload.x", 1))).isZero();

            assertThat(store.chunks().updateAllPayloads("all", patch)).isEqualTo(3);
            assertThat(store.chunks().count("all", Filter.eq("payload.x", 1))).isEqualTo(3);
        }

        @Test
        void rejectsPatchesThatAreNotObjectsBeforeWriting(AgentStore store, MutableClock clock) {
            seed(store, clock, "scalar", 1);

            assertThatThrownBy(() -> store.chunks().updateAllPayloads("scalar", Json.parse("patch", "[1]")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("patch");
            assertThatThrownBy(() -> store.chunks().updateAllPayloads("scalar", null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("patch");
            assertThatThrownBy(() -> store.chunks().updatePayloads("missing", Filter.eq("id", "c0"),
                    Json.parse("patch", "{}"))).isInstanceOf(NotFoundException.class);
            assertThat(store.chunks().get("scalar", "c0").orElseThrow().payload())
                    .isEqualTo(Json.parse("p", "{\"lang\":\"en\",\"n\":0}"));
        }
    }
}
