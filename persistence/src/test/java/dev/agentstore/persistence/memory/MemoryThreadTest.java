package dev.agentstore.persistence.memory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.memory.Memory;
import dev.agentstore.domain.memory.MessageRole;
import dev.agentstore.domain.memory.NewMessage;
import dev.agentstore.domain.memory.ThreadOrder;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import io.hypersistence.utils.jdbc.validator.SQLStatementCountValidator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Threads: save, get (scoped to a resource), list with filters, order and paging, update, delete. */
@ExtendWith(AgentStoreExtension.class)
class MemoryThreadTest {

    @Nested
    class Save {

        @Test
        void savedThreadReadsBackWithItsResourceTitleAndMetadata(AgentStore store, MutableClock clock) {
            Instant now = clock.instant();
            Memory saved = store.fromTransaction(uow -> uow.memories().saveThread("t-save", "user-1", "Trip planning",
                    json("{\"topic\":\"travel\",\"n\":0,\"flag\":false}")));

            assertThat(saved.id()).isEqualTo("t-save");
            assertThat(saved.resourceId()).isEqualTo("user-1");
            assertThat(saved.title()).isEqualTo("Trip planning");
            assertThat(saved.metadata()).isEqualTo(json("{\"topic\":\"travel\",\"n\":0,\"flag\":false}"));
            assertThat(saved.createdAt()).isEqualTo(now);
            assertThat(saved.updatedAt()).isEqualTo(now);
            assertThat(saved.version()).isZero();
            assertThat(saved.lastSeq()).isZero();

            Memory read = store.fromTransaction(uow -> uow.memories().getThread("t-save"));
            assertThat(read.title()).isEqualTo("Trip planning");
            assertThat(read.metadata()).isEqualTo(saved.metadata());
            assertThat(find(store, "t-absent")).isEmpty();
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.memories().getThread("t-absent")))
                    .isInstanceOf(NotFoundException.class).hasMessageContaining("t-absent");
        }

        @Test
        void savingAgainReplacesTitleAndMetadataButKeepsCreationTimeAndMessages(AgentStore store, MutableClock clock) {
            Instant created = clock.instant();
            store.inTransaction(uow -> uow.memories().saveThread("t-resave", "user-1", "first", json("{\"a\":1}")));
            store.inTransaction(uow -> uow.memories().saveMessages("t-resave",
                    List.of(NewMessage.of("t-resave-m1", MessageRole.USER, json("{\"text\":\"hi\"}")))));
            clock.advance(Duration.ofMinutes(1));

            Memory again = store.fromTransaction(uow -> uow.memories().saveThread("t-resave", "user-1", "second",
                    json("{\"b\":2}")));

            assertThat(again.title()).isEqualTo("second");
            assertThat(again.metadata()).isEqualTo(json("{\"b\":2}"));
            assertThat(again.createdAt()).isEqualTo(created);
            assertThat(again.updatedAt()).isEqualTo(clock.instant());
            assertThat(again.lastSeq()).isEqualTo(1);
            assertThat(store.<List<?>>fromTransaction(uow -> uow.memories().lastMessages("t-resave", 10))).hasSize(1);
        }

        @Test
        void aThreadOfAnotherResourceIsNotFoundAndCannotBeTakenOver(AgentStore store) {
            store.inTransaction(uow -> uow.memories().saveThread("t-owned", "alice", "private", null));

            assertThat(store.fromTransaction(uow -> uow.memories().getThread("t-owned", "alice")).title())
                    .isEqualTo("private");
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.memories().getThread("t-owned", "mallory")))
                    .isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.memories().getThread("t-nothing", "alice")))
                    .isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.memories().saveThread("t-owned", "mallory",
                    "mine now", null))).isInstanceOf(NotFoundException.class);

            Memory unchanged = store.fromTransaction(uow -> uow.memories().getThread("t-owned"));
            assertThat(unchanged.resourceId()).isEqualTo("alice");
            assertThat(unchanged.title()).isEqualTo("private");
        }

        @Test
        void aMemoryWithoutResourceIsClaimedBySaveThread(AgentStore store) {
            store.inTransaction(uow -> uow.memories().ensureMemory("t-unowned"));
            Memory claimed = store.fromTransaction(uow -> uow.memories().saveThread("t-unowned", "bob", "claimed", null));
            assertThat(claimed.resourceId()).isEqualTo("bob");
        }

        @Test
        void invalidInputIsRejectedBeforeAnythingIsWritten(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().saveThread(" ", "r", null, null)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("id");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().saveThread("t-bad", null, null, null)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("resourceId");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().saveThread("t-bad", "r", null,
                    json("[1]")))).isInstanceOf(InvalidInputException.class).hasMessageContaining("metadata");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().saveThread("t-bad", "r", null,
                    json("{\"k\":\"a\\u0000b\"}")))).isInstanceOf(InvalidInputException.class).hasMessageContaining("NUL");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().saveThread("t-bad", "r",
                    "x".repeat(Memory.MAX_TITLE_LENGTH + 1), null))).isInstanceOf(InvalidInputException.class);
            assertThat(find(store, "t-bad")).isEmpty();
        }
    }

    @Nested
    class Listing {

        @Test
        void threadsOfOneResourceListNewestFirstWithTotalAndHasMore(AgentStore store, MutableClock clock) {
            for (int i = 0; i < 5; i++) {
                int n = i;
                store.inTransaction(uow -> uow.memories().saveThread("list-" + n, "lister", "t" + n, null));
                clock.advance(Duration.ofSeconds(1));
            }
            store.inTransaction(uow -> uow.memories().saveThread("list-other", "someone-else", null, null));

            Page<Memory> first = list(store, "lister", null, ThreadOrder.CREATED_DESC, PageRequest.of(0, 2));
            assertThat(ids(first)).containsExactly("list-4", "list-3");
            assertThat(first.total()).isEqualTo(5);
            assertThat(first.hasMore()).isTrue();
            Page<Memory> last = list(store, "lister", null, ThreadOrder.CREATED_DESC, PageRequest.of(2, 2));
            assertThat(ids(last)).containsExactly("list-0");
            assertThat(last.hasMore()).isFalse();
            Page<Memory> beyond = list(store, "lister", null, ThreadOrder.CREATED_DESC, PageRequest.of(7, 2));
            assertThat(beyond.items()).isEmpty();
            assertThat(beyond.total()).isEqualTo(5);
            assertThat(beyond.hasMore()).isFalse();

            assertThat(ids(list(store, "lister", null, ThreadOrder.CREATED_ASC, PageRequest.of(0, 10))))
                    .containsExactly("list-0", "list-1", "list-2", "list-3", "list-4");
            Page<Memory> all = store.fromTransaction(uow -> uow.memories().listAllThreads("lister", null,
                    ThreadOrder.CREATED_ASC));
            assertThat(ids(all)).containsExactly("list-0", "list-1", "list-2", "list-3", "list-4");
            assertThat(all.total()).isEqualTo(5);
            assertThat(all.hasMore()).isFalse();
            assertThat(store.fromTransaction(uow -> uow.memories().listAllThreads("nobody", null,
                    ThreadOrder.CREATED_ASC)).items()).isEmpty();
        }

        @Test
        void orderByUpdatedFollowsTheLatestWriteIncludingMessageAppends(AgentStore store, MutableClock clock) {
            for (String id : List.of("upd-a", "upd-b", "upd-c")) {
                store.inTransaction(uow -> uow.memories().saveThread(id, "updater", null, null));
                clock.advance(Duration.ofSeconds(1));
            }
            store.inTransaction(uow -> uow.memories().saveMessages("upd-a",
                    List.of(NewMessage.of(MessageRole.USER, json("\"bump\"")))));
            clock.advance(Duration.ofSeconds(1));
            store.inTransaction(uow -> uow.memories().updateThread("upd-b", "renamed", null));

            assertThat(ids(list(store, "updater", null, ThreadOrder.UPDATED_DESC, PageRequest.of(0, 10))))
                    .containsExactly("upd-b", "upd-a", "upd-c");
            assertThat(ids(list(store, "updater", null, ThreadOrder.UPDATED_ASC, PageRequest.of(0, 10))))
                    .containsExactly("upd-c", "upd-a", "upd-b");
        }

        @Test
        void twoHundredFiveThreadsWithOneTimestampPagedByHundredComeBackExactlyOnceEach(AgentStore store) {
            store.inTransaction(uow -> IntStream.range(0, 205).forEach(i ->
                    uow.memories().saveThread(String.format("tie-%03d", (i * 37) % 205), "tied", null, null)));

            for (ThreadOrder order : ThreadOrder.values()) {
                List<String> seen = new ArrayList<>();
                for (int p = 0; p < 3; p++) {
                    Page<Memory> page = list(store, "tied", null, order, PageRequest.of(p, 100));
                    assertThat(page.total()).isEqualTo(205);
                    assertThat(page.hasMore()).isEqualTo(p < 2);
                    seen.addAll(ids(page));
                }
                assertThat(seen).as(order.name()).hasSize(205).doesNotHaveDuplicates();
                List<String> sorted = new ArrayList<>(seen);
                sorted.sort(order.name().endsWith("DESC") ? java.util.Comparator.reverseOrder() : java.util.Comparator.naturalOrder());
                assertThat(seen).as("id tiebreak in the listing's direction").isEqualTo(sorted);
            }
        }

        @Test
        void metadataFilterMatchesThreadsContainingEveryGivenKey(AgentStore store) {
            store.inTransaction(uow -> {
                uow.memories().saveThread("meta-1", "filtered", null, json("{\"agent\":\"a\",\"lang\":\"en\",\"n\":1}"));
                uow.memories().saveThread("meta-2", "filtered", null, json("{\"agent\":\"a\",\"lang\":\"de\"}"));
                uow.memories().saveThread("meta-3", "filtered", null, json("{\"agent\":\"b\",\"lang\":\"en\","
                        + "\"tags\":[\"x\",\"y\"],\"deep\":{\"k\":1,\"j\":2}}"));
                uow.memories().saveThread("meta-4", "filtered", null, null);
            });

            assertThat(ids(list(store, "filtered", json("{\"agent\":\"a\"}"), ThreadOrder.CREATED_ASC, PageRequest.first())))
                    .containsExactlyInAnyOrder("meta-1", "meta-2");
            Page<Memory> both = list(store, "filtered", json("{\"agent\":\"a\",\"lang\":\"en\"}"), ThreadOrder.CREATED_ASC,
                    PageRequest.first());
            assertThat(ids(both)).containsExactly("meta-1");
            assertThat(both.total()).isEqualTo(1);
            assertThat(ids(list(store, "filtered", json("{\"tags\":[\"y\"],\"deep\":{\"k\":1}}"), ThreadOrder.CREATED_ASC,
                    PageRequest.first()))).containsExactly("meta-3");
            assertThat(ids(list(store, "filtered", json("{\"n\":\"1\"}"), ThreadOrder.CREATED_ASC, PageRequest.first())))
                    .as("values compare by JSON type").isEmpty();
            assertThat(list(store, "filtered", json("{}"), ThreadOrder.CREATED_ASC, PageRequest.first()).total())
                    .isEqualTo(4);
        }

        @Test
        void injectionStringsInMetadataKeysAndValuesAreInert(AgentStore store) {
            String evil = "x' OR '1'='1'); DROP TABLE memories; --";
            store.inTransaction(uow -> {
                uow.memories().saveThread("inj-1", "injected", evil, Json.object().put(evil, evil).put("k", "\"}'"));
                uow.memories().saveThread("inj-2", "injected", null, json("{\"k\":\"plain\"}"));
            });

            Page<Memory> byEvilKey = list(store, "injected", Json.object().put(evil, evil), ThreadOrder.CREATED_ASC,
                    PageRequest.first());
            assertThat(ids(byEvilKey)).containsExactly("inj-1");
            assertThat(byEvilKey.items().get(0).title()).isEqualTo(evil);
            assertThat(list(store, "injected", Json.object().put("k", "' OR 1=1 --"), ThreadOrder.CREATED_ASC,
                    PageRequest.first()).items()).isEmpty();
            assertThat(list(store, evil, null, ThreadOrder.CREATED_ASC, PageRequest.first()).items()).isEmpty();
            assertThat(store.fromTransaction(uow -> uow.memories().updateThread("inj-2", null,
                    Json.object().put(evil, "v"))).metadata().get(evil).asText()).isEqualTo("v");
            assertThat(list(store, "injected", null, ThreadOrder.CREATED_ASC, PageRequest.first()).total()).isEqualTo(2);
        }

        @Test
        void listingThreadsSendsTwoStatementsWhateverThePageSize(AgentStore store) {
            store.inTransaction(uow -> IntStream.range(0, 30).forEach(i ->
                    uow.memories().saveThread("count-" + i, "counted", null, json("{\"i\":" + i + "}"))));
            try (AgentStore counting = AgentStoreExtension.statementCountingStore(store)) {
                SQLStatementCountValidator.reset();
                Page<Memory> page = counting.fromTransaction(uow -> uow.memories().listThreads("counted", null,
                        ThreadOrder.CREATED_ASC, PageRequest.of(0, 25)));
                assertThat(page.items()).hasSize(25);
                SQLStatementCountValidator.assertSelectCount(2);
                SQLStatementCountValidator.assertTotalCount(2);
            }
        }
    }

    @Nested
    class UpdateAndDelete {

        @Test
        void updateRenamesAndMergesMetadataAsJsonMergePatch(AgentStore store, MutableClock clock) {
            store.inTransaction(uow -> uow.memories().saveThread("merge-1", "merger", "old",
                    json("{\"keep\":1,\"drop\":2,\"nested\":{\"a\":1,\"b\":2},\"list\":[1,2]}")));
            clock.advance(Duration.ofSeconds(3));

            Memory updated = store.fromTransaction(uow -> uow.memories().updateThread("merge-1", "new",
                    json("{\"drop\":null,\"nested\":{\"b\":null,\"c\":3},\"list\":[3],\"added\":false}")));

            JsonNode expected = json("{\"keep\":1,\"nested\":{\"a\":1,\"c\":3},\"list\":[3],\"added\":false}");
            assertThat(updated.metadata()).isEqualTo(expected);
            assertThat(updated.title()).isEqualTo("new");
            assertThat(updated.updatedAt()).isEqualTo(clock.instant());
            assertThat(updated.version()).isEqualTo(1);
            assertThat(Json.mergePatch(json("{\"keep\":1,\"drop\":2,\"nested\":{\"a\":1,\"b\":2},\"list\":[1,2]}"),
                    json("{\"drop\":null,\"nested\":{\"b\":null,\"c\":3},\"list\":[3],\"added\":false}"))).isEqualTo(expected);

            Memory titleKept = store.fromTransaction(uow -> uow.memories().updateThread("merge-1", null, null));
            assertThat(titleKept.title()).isEqualTo("new");
            assertThat(titleKept.metadata()).isEqualTo(expected);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().updateThread("merge-absent", "x", null)))
                    .isInstanceOf(NotFoundException.class);
        }

        @Test
        void deletingAThreadDeletesItsMessagesAndVariables(AgentStore store) {
            store.inTransaction(uow -> {
                uow.memories().saveThread("del-1", "deleter", null, null);
                uow.memories().saveMessages("del-1", List.of(NewMessage.of("del-1-m1", MessageRole.USER, json("1")),
                        NewMessage.of("del-1-m2", MessageRole.ASSISTANT, json("2"))));
                uow.memories().remember("del-1", List.of(), json("{\"v\":1}"));
            });

            assertThat(store.<Boolean>fromTransaction(uow -> uow.memories().deleteThread("del-1"))).isTrue();
            assertThat(store.<Boolean>fromTransaction(uow -> uow.memories().deleteThread("del-1"))).isFalse();
            assertThat(find(store, "del-1")).isEmpty();
            assertThat(count(store, "memory_messages WHERE id LIKE 'del-1-%'")).isZero();
            assertThat(count(store, "memory_variables WHERE memory_id = 'del-1'")).isZero();
        }
    }

    static java.util.Optional<Memory> find(AgentStore store, String id) {
        return store.fromTransaction(uow -> uow.memories().findThread(id));
    }

    static Page<Memory> list(AgentStore store, String resource, JsonNode filter, ThreadOrder order, PageRequest page) {
        return store.fromTransaction(uow -> uow.memories().listThreads(resource, filter, order, page));
    }

    static List<String> ids(Page<Memory> page) {
        return page.items().stream().map(Memory::id).toList();
    }

    static long count(AgentStore store, String from) {
        return store.fromTransaction(uow -> ((Number) uow.entityManager()
                .createNativeQuery("SELECT count(*) FROM " + from).getSingleResult()).longValue());
    }

    static JsonNode json(String text) {
        return Json.parse("json", text);
    }
}
