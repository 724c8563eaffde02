package dev.agentstore.persistence.memory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.memory.Memory;
import dev.agentstore.domain.memory.MemoryMessage;
import dev.agentstore.domain.memory.MessageInclude;
import dev.agentstore.domain.memory.MessageQuery;
import dev.agentstore.domain.memory.MessageRole;
import dev.agentstore.domain.memory.MessageUpdate;
import dev.agentstore.domain.memory.NewMessage;
import dev.agentstore.domain.memory.SortDirection;
import dev.agentstore.persistence.AbortedTransaction;
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
import java.util.List;
import java.util.stream.IntStream;

import static dev.agentstore.persistence.memory.MemoryThreadTest.count;
import static dev.agentstore.persistence.memory.MemoryThreadTest.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Messages: save (batch upsert), order, list with filters, paging and include context, update, delete. */
@ExtendWith(AgentStoreExtension.class)
class MemoryMessageTest {

    private static final String TOOL_CALL = """
            {"format":2,"parts":[{"type":"text","text":"Let me check."},
             {"type":"tool-invocation","toolInvocation":{"state":"call","toolCallId":"c1","toolName":"weather",
              "args":{"city":"Zürich","days":0,"metric":false,"note":""}}},
             {"type":"file","mimeType":"image/png","url":"s3://bucket/a.png"}],
             "price":0.12345678901234567890123,"nothing":null}
            """;

    @Nested
    class Save {

        @Test
        void savedMessagesKeepContentVerbatimAndGetIncreasingSequenceNumbers(AgentStore store, MutableClock clock) {
            thread(store, "m-save");
            Instant t0 = clock.instant();
            List<MemoryMessage> saved = store.fromTransaction(uow -> uow.memories().saveMessages("m-save", List.of(
                    NewMessage.of("m-save-1", MessageRole.SYSTEM, json("\"be brief\"")),
                    NewMessage.of("m-save-2", MessageRole.USER, json("{\"parts\":[{\"type\":\"text\",\"text\":\"hi\"}]}")),
                    NewMessage.of("m-save-3", MessageRole.ASSISTANT, json(TOOL_CALL)),
                    NewMessage.of("m-save-4", MessageRole.TOOL, json("[{\"toolCallId\":\"c1\",\"result\":{\"t\":21.50}}]"))
                            .createdAt(t0.minusSeconds(60)))));

            assertThat(saved).extracting(MemoryMessage::seq).containsExactly(1L, 2L, 3L, 4L);
            assertThat(saved).extracting(MemoryMessage::resourceId).containsOnly("owner");
            assertThat(saved.get(0).createdAt()).isEqualTo(t0);
            assertThat(saved.get(3).createdAt()).isEqualTo(t0.minusSeconds(60));

            List<MemoryMessage> read = last(store, "m-save", 10);
            assertThat(read).extracting(MemoryMessage::id).containsExactly("m-save-1", "m-save-2", "m-save-3", "m-save-4");
            assertThat(read).extracting(MemoryMessage::role).containsExactly(MessageRole.SYSTEM, MessageRole.USER,
                    MessageRole.ASSISTANT, MessageRole.TOOL);
            assertThat(read.get(2).content()).isEqualTo(json(TOOL_CALL));
            assertThat(read.get(2).content().get("price").decimalValue().toPlainString())
                    .isEqualTo("0.12345678901234567890123");
            assertThat(read.get(3).content()).isEqualTo(json("[{\"toolCallId\":\"c1\",\"result\":{\"t\":21.50}}]"));
            assertThat(read.get(0).content()).isEqualTo(json("\"be brief\""));
            assertThat(last(store, "m-save", 2)).extracting(MemoryMessage::id).containsExactly("m-save-3", "m-save-4");
        }

        @Test
        void savingBumpsTheThreadsUpdateTimeAndLastSequence(AgentStore store, MutableClock clock) {
            thread(store, "m-bump");
            clock.advance(Duration.ofMinutes(5));
            save(store, "m-bump", msg("m-bump-1"), msg("m-bump-2"));
            Memory after = store.fromTransaction(uow -> uow.memories().getThread("m-bump"));
            assertThat(after.updatedAt()).isEqualTo(clock.instant());
            assertThat(after.lastSeq()).isEqualTo(2);
            assertThat(after.createdAt()).isEqualTo(clock.instant().minus(Duration.ofMinutes(5)));
        }

        @Test
        void theSameIdTwiceInOneBatchIsOneRowWithTheLastPayload(AgentStore store) {
            thread(store, "m-dup");
            List<MemoryMessage> saved = save(store, "m-dup",
                    NewMessage.of("m-dup-a", MessageRole.USER, json("{\"v\":1}")),
                    NewMessage.of("m-dup-b", MessageRole.USER, json("{\"v\":2}")),
                    NewMessage.of("m-dup-a", MessageRole.ASSISTANT, json("{\"v\":3}")));

            assertThat(saved).extracting(MemoryMessage::id).containsExactly("m-dup-a", "m-dup-b");
            List<MemoryMessage> read = last(store, "m-dup", 10);
            assertThat(read).extracting(MemoryMessage::id).containsExactly("m-dup-a", "m-dup-b");
            assertThat(read.get(0).role()).isEqualTo(MessageRole.ASSISTANT);
            assertThat(read.get(0).content()).isEqualTo(json("{\"v\":3}"));
            assertThat(count(store, "memory_messages WHERE memory_id = 'm-dup'")).isEqualTo(2);
        }

        @Test
        void savingAnExistingIdUpdatesItInPlaceKeepingItsSequenceAndCreationTime(AgentStore store, MutableClock clock) {
            thread(store, "m-upsert");
            save(store, "m-upsert", msg("m-upsert-1"), msg("m-upsert-2"));
            Instant created = clock.instant();
            clock.advance(Duration.ofSeconds(10));

            List<MemoryMessage> again = save(store, "m-upsert",
                    NewMessage.of("m-upsert-1", MessageRole.USER, json("{\"edited\":true}")), msg("m-upsert-3"));

            assertThat(again).extracting(MemoryMessage::id, MemoryMessage::seq)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("m-upsert-1", 1L),
                            org.assertj.core.groups.Tuple.tuple("m-upsert-3", 4L)); // 3 was allocated to the updated m-upsert-1: a gap
            List<MemoryMessage> read = last(store, "m-upsert", 10);
            assertThat(read).extracting(MemoryMessage::id).containsExactly("m-upsert-1", "m-upsert-2", "m-upsert-3");
            assertThat(read.get(0).content()).isEqualTo(json("{\"edited\":true}"));
            assertThat(read.get(0).createdAt()).isEqualTo(created);
        }

        @Test
        void savingAnIdOfAnotherThreadMovesItThere(AgentStore store) {
            thread(store, "m-mv-a");
            thread(store, "m-mv-b");
            save(store, "m-mv-a", msg("m-mv-1"), msg("m-mv-2"));
            save(store, "m-mv-b", msg("m-mv-3"));

            Memory sourceBefore = store.fromTransaction(uow -> uow.memories().getThread("m-mv-a"));
            List<MemoryMessage> moved = save(store, "m-mv-b", NewMessage.of("m-mv-1", MessageRole.USER, json("\"moved\"")));

            assertThat(store.fromTransaction(uow -> uow.memories().getThread("m-mv-a")).version())
                    .as("the thread it left is bumped").isEqualTo(sourceBefore.version() + 1);
            assertThat(moved.get(0).memoryId()).isEqualTo("m-mv-b");
            assertThat(moved.get(0).seq()).isEqualTo(2);
            assertThat(last(store, "m-mv-a", 10)).extracting(MemoryMessage::id).containsExactly("m-mv-2");
            assertThat(last(store, "m-mv-b", 10)).extracting(MemoryMessage::id).containsExactly("m-mv-3", "m-mv-1");
        }

        @Test
        void savingToAnUnknownThreadIsNotFoundAndWritesNothing(AgentStore store) {
            assertThatThrownBy(() -> save(store, "m-nowhere", msg("m-nowhere-1")))
                    .isInstanceOf(NotFoundException.class).hasMessageContaining("m-nowhere");
            assertThat(count(store, "memory_messages WHERE id = 'm-nowhere-1'")).isZero();
            assertThat(count(store, "memories WHERE id = 'm-nowhere'")).isZero();
        }

        @Test
        void savingToAnUnknownThreadAnIdOfAnotherThreadNeitherMovesItNorTouchesThatThread(AgentStore store,
                                                                                        MutableClock clock) {
            thread(store, "m-stay");
            save(store, "m-stay", msg("m-stay-1"));
            Memory before = store.fromTransaction(uow -> uow.memories().getThread("m-stay"));
            clock.advance(Duration.ofMinutes(1));

            // in one unit of work that then commits: the failed save must not have written anything itself
            store.inTransaction(uow -> assertThatThrownBy(() -> uow.memories().saveMessages("m-stay-nowhere",
                    List.of(NewMessage.of("m-stay-1", MessageRole.USER, json("\"moved?\"")), msg("m-stay-new"))))
                    .isInstanceOf(NotFoundException.class));

            Memory after = store.fromTransaction(uow -> uow.memories().getThread("m-stay"));
            assertThat(after.version()).isEqualTo(before.version());
            assertThat(after.updatedAt()).isEqualTo(before.updatedAt());
            assertThat(last(store, "m-stay", 10)).singleElement().satisfies(m -> {
                assertThat(m.id()).isEqualTo("m-stay-1");
                assertThat(m.content()).isEqualTo(msg("m-stay-1").content());
            });
            assertThat(count(store, "memory_messages WHERE id = 'm-stay-new'")).isZero();
            assertThat(count(store, "memories WHERE id = 'm-stay-nowhere'")).isZero();
        }

        @Test
        void saveSendsOneStatementWhateverTheBatchSize(AgentStore store) {
            thread(store, "m-one");
            save(store, "m-one", msg("m-one-0"));
            try (AgentStore counting = AgentStoreExtension.statementCountingStore(store)) {
                for (int size : new int[]{1, 50}) {
                    List<NewMessage> batch = new ArrayList<>();
                    // a re-saved message (upsert) among new ones
                    batch.add(NewMessage.of("m-one-0", MessageRole.ASSISTANT, json("{\"size\":" + size + "}")));
                    IntStream.range(1, size).forEach(i -> batch.add(msg("m-one-" + size + "-" + i)));
                    SQLStatementCountValidator.reset();
                    List<MemoryMessage> saved = counting.fromTransaction(uow -> uow.memories()
                            .saveMessages("m-one", batch));
                    SQLStatementCountValidator.assertTotalCount(1);
                    assertThat(saved).hasSize(size);
                    assertThat(saved.get(0).id()).isEqualTo("m-one-0");
                    assertThat(saved.get(0).seq()).as("the re-saved message keeps its sequence number").isEqualTo(1);
                    assertThat(saved.get(0).role()).isEqualTo(MessageRole.ASSISTANT);
                }
            }
            assertThat(last(store, "m-one", 100)).extracting(MemoryMessage::seq).isSorted().doesNotHaveDuplicates()
                    .hasSize(50).first().isEqualTo(1L);
        }

        @Test
        void aBadMessageInABatchWritesNothing(AgentStore store) {
            thread(store, "m-atomic");
            save(store, "m-atomic", msg("m-atomic-0"));
            Memory before = store.fromTransaction(uow -> uow.memories().getThread("m-atomic"));

            assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().saveMessages("m-atomic", List.of(
                    msg("m-atomic-1"), NewMessage.of("m-atomic-2", MessageRole.USER, json("{\"t\":\"a\\u0000b\"}"))))))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("NUL");
            List<NewMessage> withNull = new ArrayList<>(List.of(msg("m-atomic-3")));
            withNull.add(null);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().saveMessages("m-atomic", withNull)))
                    .isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().saveMessages("m-atomic", List.of())))
                    .isInstanceOf(InvalidInputException.class);
            // a failure later in the same unit of work rolls the whole batch back
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                uow.memories().saveMessages("m-atomic", List.of(msg("m-atomic-4"), msg("m-atomic-5")));
                uow.memories().saveMessages("m-atomic-missing", List.of(msg("m-atomic-6")));
            })).isInstanceOf(NotFoundException.class);

            assertThat(last(store, "m-atomic", 10)).extracting(MemoryMessage::id).containsExactly("m-atomic-0");
            Memory after = store.fromTransaction(uow -> uow.memories().getThread("m-atomic"));
            assertThat(after.lastSeq()).isEqualTo(before.lastSeq());
            assertThat(after.version()).isEqualTo(before.version());
        }

        @Test
        void messageValidationNamesTheProblem() {
            assertThatThrownBy(() -> NewMessage.of(" ", MessageRole.USER, json("1")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("id");
            assertThatThrownBy(() -> NewMessage.of("x", null, json("1")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("role");
            assertThatThrownBy(() -> NewMessage.of("x", MessageRole.USER, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("content");
            assertThatThrownBy(() -> NewMessage.of("x", MessageRole.USER, json("null")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("content");
            assertThatThrownBy(() -> MessageQuery.of(" ")).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("memoryId");
            assertThatThrownBy(() -> MessageQuery.of(null)).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> MessageInclude.of("x", -1, 0)).isInstanceOf(InvalidInputException.class);
            assertThat(MessageRole.parse("assistant")).isEqualTo(MessageRole.ASSISTANT);
        }
    }

    @Nested
    class Listing {

        @Test
        void aPageWithoutTotalIsOneStatementAndStillTellsWhetherMoreFollow(AgentStore store) {
            thread(store, "m-nototal");
            saveNumbered(store, "m-nototal", 45);
            MessageQuery newestFirst = MessageQuery.of("m-nototal").withResourceId("owner").orderedBy(SortDirection.DESC);
            try (AgentStore counting = AgentStoreExtension.statementCountingStore(store)) {
                SQLStatementCountValidator.reset();
                MessageListing first = counting.fromTransaction(uow -> uow.memories().listMessages(newestFirst,
                        PageRequest.of(0, 20), false));
                SQLStatementCountValidator.assertTotalCount(1);
                assertThat(ids(first)).hasSize(20).startsWith("m-nototal-45").endsWith("m-nototal-26");
                assertThat(first.page().total()).isEqualTo(Page.TOTAL_NOT_COUNTED);
                assertThat(first.page().hasMore()).isTrue();

                SQLStatementCountValidator.reset();
                MessageListing full = counting.fromTransaction(uow -> uow.memories().listMessages(newestFirst,
                        PageRequest.of(1, 20), false));
                SQLStatementCountValidator.assertTotalCount(1);
                assertThat(ids(full)).hasSize(20).startsWith("m-nototal-25").endsWith("m-nototal-6");
                assertThat(full.page().hasMore()).as("5 rows follow").isTrue();

                SQLStatementCountValidator.reset();
                MessageListing last = counting.fromTransaction(uow -> uow.memories().listMessages(newestFirst,
                        PageRequest.of(2, 20), false));
                SQLStatementCountValidator.assertTotalCount(1);
                assertThat(ids(last)).containsExactly("m-nototal-5", "m-nototal-4", "m-nototal-3", "m-nototal-2",
                        "m-nototal-1");
                assertThat(last.page().hasMore()).isFalse();
                assertThat(last.page().total()).as("a page that ends the listing shows the total").isEqualTo(45);

                SQLStatementCountValidator.reset();
                MessageListing beyond = counting.fromTransaction(uow -> uow.memories().listMessages(newestFirst,
                        PageRequest.of(3, 20), false));
                SQLStatementCountValidator.assertTotalCount(1);
                assertThat(beyond.page().items()).isEmpty();
                assertThat(beyond.page().total()).isEqualTo(Page.TOTAL_NOT_COUNTED);
                assertThat(beyond.page().hasMore()).isFalse();
            }
        }

        @Test
        void theTotalIsCountedOnlyWhenThePageDoesNotShowIt(AgentStore store) {
            thread(store, "m-total");
            saveNumbered(store, "m-total", 45);
            MessageQuery query = MessageQuery.of("m-total");
            try (AgentStore counting = AgentStoreExtension.statementCountingStore(store)) {
                int[][] pageAndStatements = {{0, 2}, {2, 1}, {3, 2}};
                for (int[] expected : pageAndStatements) {
                    SQLStatementCountValidator.reset();
                    MessageListing listing = counting.fromTransaction(uow -> uow.memories().listMessages(query,
                            PageRequest.of(expected[0], 20)));
                    SQLStatementCountValidator.assertTotalCount(expected[1]);
                    assertThat(listing.page().total()).as("page " + expected[0]).isEqualTo(45);
                    assertThat(listing.page().hasMore()).isEqualTo(expected[0] < 2);
                }
            }
            MessageListing exactlyFull = list(store, query, PageRequest.of(0, 45));
            assertThat(exactlyFull.page().total()).isEqualTo(45);
            assertThat(exactlyFull.page().hasMore()).isFalse();
            MessageListing empty = list(store, MessageQuery.of("m-total-none"), PageRequest.first());
            assertThat(empty.page().total()).isZero();
            assertThat(empty.page().hasMore()).isFalse();
        }

        @Test
        void listingPagesInSequenceOrderEitherWay(AgentStore store) {
            thread(store, "m-page");
            saveNumbered(store, "m-page", 7);

            MessageListing first = list(store, MessageQuery.of("m-page"), PageRequest.of(0, 3));
            assertThat(ids(first)).containsExactly("m-page-1", "m-page-2", "m-page-3");
            assertThat(first.page().total()).isEqualTo(7);
            assertThat(first.page().hasMore()).isTrue();
            assertThat(ids(list(store, MessageQuery.of("m-page"), PageRequest.of(2, 3)))).containsExactly("m-page-7");
            assertThat(list(store, MessageQuery.of("m-page"), PageRequest.of(2, 3)).page().hasMore()).isFalse();
            MessageListing beyond = list(store, MessageQuery.of("m-page"), PageRequest.of(5, 3));
            assertThat(beyond.page().items()).isEmpty();
            assertThat(beyond.page().total()).isEqualTo(7);
            assertThat(ids(list(store, MessageQuery.of("m-page").orderedBy(SortDirection.DESC), PageRequest.of(0, 3))))
                    .containsExactly("m-page-7", "m-page-6", "m-page-5");
            MessageListing all = store.fromTransaction(uow -> uow.memories().listAllMessages(MessageQuery.of("m-page")));
            assertThat(ids(all)).hasSize(7).startsWith("m-page-1").endsWith("m-page-7");
            assertThat(all.page().total()).isEqualTo(7);
            assertThat(all.page().hasMore()).isFalse();
            assertThat(list(store, MessageQuery.of("m-page-unknown"), PageRequest.first()).page().items()).isEmpty();
        }

        @Test
        void messagesWithEqualTimestampsKeepTheirAppendOrder(AgentStore store) {
            thread(store, "m-tie");
            saveNumbered(store, "m-tie", 120);
            List<String> paged = new ArrayList<>();
            for (int p = 0; p < 3; p++) {
                paged.addAll(ids(list(store, MessageQuery.of("m-tie"), PageRequest.of(p, 50))));
            }
            assertThat(paged).containsExactlyElementsOf(IntStream.rangeClosed(1, 120).mapToObj(i -> "m-tie-" + i).toList());
        }

        @Test
        void dateRangeIsInclusiveAndResourceFilterSelectsMessagesOfOneResource(AgentStore store, MutableClock clock) {
            thread(store, "m-range");
            Instant t0 = clock.instant();
            save(store, "m-range",
                    msg("m-range-1").createdAt(t0),
                    msg("m-range-2").createdAt(t0.plusSeconds(1)),
                    msg("m-range-3").createdAt(t0.plusSeconds(2)).resourceId("other"),
                    msg("m-range-4").createdAt(t0.plusSeconds(3)));

            assertThat(ids(list(store, MessageQuery.of("m-range").createdBetween(t0.plusSeconds(1), t0.plusSeconds(3)),
                    PageRequest.first()))).containsExactly("m-range-2", "m-range-3", "m-range-4");
            assertThat(ids(list(store, MessageQuery.of("m-range").createdBetween(null, t0.plusSeconds(1)),
                    PageRequest.first()))).containsExactly("m-range-1", "m-range-2");
            assertThat(ids(list(store, MessageQuery.of("m-range").withResourceId("other"), PageRequest.first())))
                    .containsExactly("m-range-3");
            MessageListing owner = list(store, MessageQuery.of("m-range").withResourceId("owner"), PageRequest.first());
            assertThat(ids(owner)).containsExactly("m-range-1", "m-range-2", "m-range-4");
            assertThat(owner.page().total()).isEqualTo(3);
            assertThatThrownBy(() -> MessageQuery.of("m-range").createdBetween(t0.plusSeconds(1), t0))
                    .isInstanceOf(InvalidInputException.class);
        }
    }

    @Nested
    class Include {

        @Test
        void includeAddsMessagesWithContextWithinTheirThreadAlsoAtThreadBoundaries(AgentStore store) {
            thread(store, "m-inc");
            saveNumbered(store, "m-inc", 10);

            MessageListing middle = list(store, MessageQuery.of("m-inc").including(MessageInclude.of("m-inc-5", 2, 1)),
                    PageRequest.of(0, 1));
            assertThat(ids(middle)).containsExactly("m-inc-1");
            assertThat(included(middle)).containsExactly("m-inc-3", "m-inc-4", "m-inc-5", "m-inc-6");
            assertThat(middle.messages()).extracting(MemoryMessage::id)
                    .containsExactly("m-inc-1", "m-inc-3", "m-inc-4", "m-inc-5", "m-inc-6");

            assertThat(included(list(store, MessageQuery.of("m-inc").including(MessageInclude.of("m-inc-1", 3, 1)),
                    PageRequest.of(0, 1)))).containsExactly("m-inc-1", "m-inc-2");
            assertThat(included(list(store, MessageQuery.of("m-inc").including(MessageInclude.of("m-inc-10", 1, 5)),
                    PageRequest.of(0, 1)))).containsExactly("m-inc-9", "m-inc-10");
            assertThat(included(list(store, MessageQuery.of("m-inc").including(MessageInclude.of("m-inc-4", 0, 0),
                    MessageInclude.of("m-inc-5", 1, 1), MessageInclude.of("m-inc-missing", 3, 3)), PageRequest.of(0, 1))))
                    .as("overlapping includes come back once; unknown ids are ignored")
                    .containsExactly("m-inc-4", "m-inc-5", "m-inc-6");
        }

        @Test
        void includeReachesMessagesOfOtherThreadsWithTheirOwnContext(AgentStore store, MutableClock clock) {
            thread(store, "m-x1");
            thread(store, "m-x2");
            saveNumbered(store, "m-x1", 3);
            clock.advance(Duration.ofSeconds(1));
            saveNumbered(store, "m-x2", 4);

            MessageListing listing = list(store, MessageQuery.of("m-x1").including(MessageInclude.of("m-x2-2", 1, 1)),
                    PageRequest.first());
            assertThat(ids(listing)).containsExactly("m-x1-1", "m-x1-2", "m-x1-3");
            assertThat(listing.page().total()).isEqualTo(3);
            assertThat(included(listing)).containsExactly("m-x2-1", "m-x2-2", "m-x2-3");
            assertThat(listing.messages()).extracting(MemoryMessage::id)
                    .containsExactly("m-x1-1", "m-x1-2", "m-x1-3", "m-x2-1", "m-x2-2", "m-x2-3");
            assertThat(included(list(store, MessageQuery.of("m-x1").withResourceId("owner")
                    .including(MessageInclude.of("m-x2-2", 1, 1)), PageRequest.first())))
                    .containsExactly("m-x2-1", "m-x2-2", "m-x2-3");
            assertThat(included(list(store, MessageQuery.of("m-x1").withResourceId("stranger")
                    .including(MessageInclude.of("m-x2-2", 1, 1)), PageRequest.first())))
                    .as("the resource filter applies to included messages too").isEmpty();
        }

        @Test
        void listingWithManyIncludesSendsThreeStatements(AgentStore store) {
            thread(store, "m-stmt");
            saveNumbered(store, "m-stmt", 40);
            MessageQuery query = MessageQuery.of("m-stmt").including(IntStream.rangeClosed(1, 20)
                    .mapToObj(i -> MessageInclude.of("m-stmt-" + (i * 2), 1, 1)).toArray(MessageInclude[]::new));
            try (AgentStore counting = AgentStoreExtension.statementCountingStore(store)) {
                SQLStatementCountValidator.reset();
                MessageListing listing = counting.fromTransaction(uow -> uow.memories().listMessages(query,
                        PageRequest.of(0, 10)));
                assertThat(listing.page().items()).hasSize(10);
                assertThat(listing.included()).hasSize(40);
                SQLStatementCountValidator.assertTotalCount(3);
            }
        }
    }

    @Nested
    class UpdateAndDelete {

        @Test
        void updateChangesRoleMergesContentAndMovesMessagesBumpingBothThreads(AgentStore store, MutableClock clock) {
            thread(store, "m-upd-a");
            thread(store, "m-upd-b");
            save(store, "m-upd-a",
                    NewMessage.of("m-upd-1", MessageRole.USER, json("{\"text\":\"hi\",\"meta\":{\"a\":1,\"b\":2}}")),
                    msg("m-upd-2"), msg("m-upd-3"));
            save(store, "m-upd-b", msg("m-upd-4"));
            clock.advance(Duration.ofMinutes(1));

            List<MemoryMessage> updated = store.fromTransaction(uow -> uow.memories().updateMessages(List.of(
                    MessageUpdate.of("m-upd-1").withRole(MessageRole.ASSISTANT)
                            .withContentPatch(json("{\"meta\":{\"b\":null,\"c\":3},\"extra\":[1]}")),
                    MessageUpdate.of("m-upd-2").movedTo("m-upd-b"),
                    MessageUpdate.of("m-upd-3").movedTo("m-upd-b").withContentPatch(json("\"replaced\"")))));

            assertThat(updated).extracting(MemoryMessage::id).containsExactly("m-upd-1", "m-upd-2", "m-upd-3");
            assertThat(updated.get(0).role()).isEqualTo(MessageRole.ASSISTANT);
            assertThat(updated.get(0).content()).isEqualTo(json("{\"text\":\"hi\",\"meta\":{\"a\":1,\"c\":3},\"extra\":[1]}"));
            assertThat(updated.get(1).memoryId()).isEqualTo("m-upd-b");
            assertThat(updated.get(1).seq()).isEqualTo(2);
            assertThat(updated.get(2).seq()).isEqualTo(3);
            assertThat(updated.get(2).content()).isEqualTo(json("\"replaced\""));

            assertThat(last(store, "m-upd-a", 10)).extracting(MemoryMessage::id).containsExactly("m-upd-1");
            assertThat(last(store, "m-upd-b", 10)).extracting(MemoryMessage::id)
                    .containsExactly("m-upd-4", "m-upd-2", "m-upd-3");
            for (String id : List.of("m-upd-a", "m-upd-b")) {
                assertThat(store.fromTransaction(uow -> uow.memories().getThread(id)).updatedAt())
                        .as(id).isEqualTo(clock.instant());
            }
            save(store, "m-upd-b", msg("m-upd-5"));
            assertThat(last(store, "m-upd-b", 1).get(0).seq()).isEqualTo(4);
        }

        @Test
        void updateOfAnUnknownMessageOrTargetThreadWritesNothing(AgentStore store) {
            thread(store, "m-updx");
            save(store, "m-updx", msg("m-updx-1"));
            Memory before = store.fromTransaction(uow -> uow.memories().getThread("m-updx"));

            assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().updateMessages(List.of(
                    MessageUpdate.of("m-updx-1").withRole(MessageRole.SYSTEM), MessageUpdate.of("m-updx-nope")
                            .withRole(MessageRole.SYSTEM))))).isInstanceOf(NotFoundException.class)
                    .hasMessageContaining("m-updx-nope");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().updateMessages(List.of(
                    MessageUpdate.of("m-updx-1").withRole(MessageRole.SYSTEM).movedTo("m-updx-void")))))
                    .isInstanceOf(NotFoundException.class).hasMessageContaining("m-updx-void");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().updateMessages(List.of(
                    MessageUpdate.of("m-updx-1").withRole(MessageRole.SYSTEM),
                    MessageUpdate.of("m-updx-1").withRole(MessageRole.TOOL))))).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().updateMessages(List.of(
                    MessageUpdate.of("m-updx-1"))))).isInstanceOf(InvalidInputException.class);

            assertThat(last(store, "m-updx", 1).get(0).role()).isEqualTo(MessageRole.USER);
            assertThat(store.fromTransaction(uow -> uow.memories().getThread("m-updx")).version())
                    .isEqualTo(before.version());
        }

        @Test
        void deleteRemovesMessagesAndBumpsTheirThreads(AgentStore store, MutableClock clock) {
            thread(store, "m-del");
            save(store, "m-del", msg("m-del-1"), msg("m-del-2"), msg("m-del-3"));
            clock.advance(Duration.ofMinutes(2));

            int deleted = store.fromTransaction(uow -> uow.memories().deleteMessages(List.of("m-del-1", "m-del-3",
                    "m-del-unknown")));

            assertThat(deleted).isEqualTo(2);
            assertThat(last(store, "m-del", 10)).extracting(MemoryMessage::id).containsExactly("m-del-2");
            assertThat(store.fromTransaction(uow -> uow.memories().getThread("m-del")).updatedAt())
                    .isEqualTo(clock.instant());
        }
    }

    @Nested
    class HostileInputAndFailures {

        @Test
        void injectionStringsInIdsAndContentAreInert(AgentStore store) {
            String evil = "x'); DELETE FROM memory_messages; --";
            thread(store, evil);
            save(store, evil, NewMessage.of(evil + "1", MessageRole.USER, json("{\"" + "k'--" + "\":\"" + "'); DROP TABLE memories; --" + "\"}")));
            MessageListing listing = list(store, MessageQuery.of(evil).withResourceId("owner")
                    .including(MessageInclude.of(evil + "1", 1, 1)), PageRequest.first());
            assertThat(ids(listing)).containsExactly(evil + "1");
            assertThat(listing.page().items().get(0).content().get("k'--").asText()).isEqualTo("'); DROP TABLE memories; --");
            assertThat(included(listing)).containsExactly(evil + "1");
            assertThat(count(store, "memories")).isPositive();
        }

        @Test
        void databaseFailuresOfReadsAndWritesAreTranslated(AgentStore store) {
            assertThat(AbortedTransaction.thrownBy(store, uow -> uow.memories().lastMessages("m-any", 1)))
                    .isInstanceOf(AgentStoreException.class).hasMessageContaining("m-any");
            assertThat(AbortedTransaction.thrownBy(store, uow -> uow.memories().listMessages(MessageQuery.of("m-any"),
                    PageRequest.first()))).isInstanceOf(AgentStoreException.class).hasMessageContaining("m-any");
            assertThat(AbortedTransaction.thrownBy(store, uow -> uow.memories().saveMessages("m-any",
                    List.of(msg("m-any-1"))))).isInstanceOf(AgentStoreException.class).hasMessageContaining("m-any");
        }
    }

    static void thread(AgentStore store, String id) {
        store.inTransaction(uow -> uow.memories().saveThread(id, "owner", null, null));
    }

    static NewMessage msg(String id) {
        return NewMessage.of(id, MessageRole.USER, json("{\"text\":\"" + id + "\"}"));
    }

    static List<MemoryMessage> save(AgentStore store, String memoryId, NewMessage... messages) {
        return store.fromTransaction(uow -> uow.memories().saveMessages(memoryId, List.of(messages)));
    }

    static void saveNumbered(AgentStore store, String memoryId, int n) {
        save(store, memoryId, IntStream.rangeClosed(1, n).mapToObj(i -> msg(memoryId + "-" + i))
                .toArray(NewMessage[]::new));
    }

    static List<MemoryMessage> last(AgentStore store, String memoryId, int limit) {
        return store.fromTransaction(uow -> uow.memories().lastMessages(memoryId, limit));
    }

    static MessageListing list(AgentStore store, MessageQuery query, PageRequest page) {
        return store.fromTransaction(uow -> uow.memories().listMessages(query, page));
    }

    static List<String> ids(MessageListing listing) {
        return listing.page().items().stream().map(MemoryMessage::id).toList();
    }

    static List<String> included(MessageListing listing) {
        return listing.included().stream().map(MemoryMessage::id).toList();
    }

    static JsonNode content(String text) {
        return json(text);
    }
}
