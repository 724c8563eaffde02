package dev.agentstore.persistence.memory;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.memory.MemoryMessage;
import dev.agentstore.domain.memory.MessageInclude;
import dev.agentstore.domain.memory.MessageQuery;
import dev.agentstore.domain.memory.MessageRole;
import dev.agentstore.domain.memory.MessageUpdate;
import dev.agentstore.domain.memory.SortDirection;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static dev.agentstore.persistence.memory.MemoryMessageTest.ids;
import static dev.agentstore.persistence.memory.MemoryMessageTest.list;
import static dev.agentstore.persistence.memory.MemoryMessageTest.msg;
import static dev.agentstore.persistence.memory.MemoryMessageTest.save;
import static dev.agentstore.persistence.memory.MemoryMessageTest.saveNumbered;
import static dev.agentstore.persistence.memory.MemoryMessageTest.thread;
import static dev.agentstore.persistence.memory.MemoryThreadTest.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Mastra's message reads and writes across threads: by ids, by resource, updates that skip unknown ids, hasMore. */
@ExtendWith(AgentStoreExtension.class)
class MemoryMessageLookupTest {

    private static List<String> idsOf(List<MemoryMessage> messages) {
        return messages.stream().map(MemoryMessage::id).toList();
    }

    @Nested
    class ByIds {

        @Test
        void messagesAreFetchedByIdAcrossThreadsAndUnknownIdsAreSkipped(AgentStore store, MutableClock clock) {
            thread(store, "bi-1");
            thread(store, "bi-2");
            save(store, "bi-2", msg("bi-2-a"));
            clock.advance(Duration.ofSeconds(1));
            save(store, "bi-1", msg("bi-1-a"), msg("bi-1-b"));

            List<MemoryMessage> found = store.fromTransaction(uow -> uow.memories().getMessages(
                    List.of("bi-1-b", "nope", "bi-2-a", "bi-1-a", "bi-1-b")));
            assertThat(idsOf(found)).containsExactly("bi-2-a", "bi-1-a", "bi-1-b");
            assertThat(found.get(0).memoryId()).isEqualTo("bi-2");
            assertThat(store.<List<MemoryMessage>>fromTransaction(uow -> uow.memories().getMessages(List.of("nope")))).isEmpty();
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.memories().getMessages(List.of())))
                    .isInstanceOf(InvalidInputException.class);
        }
    }

    @Nested
    class ByResource {

        @Test
        void aResourcesMessagesArePagedAcrossItsThreadsChronologically(AgentStore store, MutableClock clock) {
            store.inTransaction(uow -> uow.memories().saveThread("br-1", "br-user", null, null));
            store.inTransaction(uow -> uow.memories().saveThread("br-2", "br-user", null, null));
            store.inTransaction(uow -> uow.memories().saveThread("br-x", "br-else", null, null));
            Instant t0 = clock.instant();
            save(store, "br-1", msg("br-1-a"));
            clock.advance(Duration.ofSeconds(1));
            save(store, "br-2", msg("br-2-a"), msg("br-2-b"));
            clock.advance(Duration.ofSeconds(1));
            save(store, "br-1", msg("br-1-b"));
            save(store, "br-x", msg("br-x-a"), msg("br-x-b").resourceId("br-user"));

            Page<MemoryMessage> first = store.fromTransaction(uow -> uow.memories().listMessagesByResource("br-user",
                    null, null, SortDirection.ASC, PageRequest.of(0, 3)));
            assertThat(idsOf(first.items())).containsExactly("br-1-a", "br-2-a", "br-2-b");
            assertThat(first.total()).isEqualTo(5);
            assertThat(first.hasMore()).isTrue();
            Page<MemoryMessage> second = store.fromTransaction(uow -> uow.memories().listMessagesByResource(
                    "br-user", null, null, SortDirection.ASC, PageRequest.of(1, 3)));
            assertThat(idsOf(second.items())).containsExactly("br-1-b", "br-x-b");
            assertThat(second.hasMore()).isFalse();
            assertThat(second.total()).isEqualTo(5);

            Page<MemoryMessage> newest = store.fromTransaction(uow -> uow.memories().listMessagesByResource(
                    "br-user", t0.plusSeconds(1), null, SortDirection.DESC, PageRequest.of(0, 10)));
            assertThat(idsOf(newest.items())).containsExactly("br-x-b", "br-1-b", "br-2-b", "br-2-a");
            assertThat(store.fromTransaction(uow -> uow.memories().listMessagesByResource("br-none", null, null,
                    SortDirection.ASC, PageRequest.first())).total()).isZero();
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.memories().listMessagesByResource(null, null,
                    null, SortDirection.ASC, PageRequest.first()))).isInstanceOf(InvalidInputException.class);
        }
    }

    @Nested
    class UpdateExisting {

        @Test
        void updatesOfUnknownMessagesAreSkippedAndTheOthersApplied(AgentStore store) {
            thread(store, "ue-1");
            thread(store, "ue-2");
            save(store, "ue-1", msg("ue-a"), msg("ue-b"));

            List<MemoryMessage> updated = store.fromTransaction(uow -> uow.memories().updateExistingMessages(List.of(
                    MessageUpdate.of("ue-gone").withRole(MessageRole.TOOL),
                    MessageUpdate.of("ue-b").withContentPatch(json("{\"edited\":true}")),
                    MessageUpdate.of("ue-a").withRole(MessageRole.ASSISTANT).movedTo("ue-2"))));

            assertThat(idsOf(updated)).containsExactly("ue-b", "ue-a");
            assertThat(updated.get(0).content()).isEqualTo(json("{\"text\":\"ue-b\",\"edited\":true}"));
            assertThat(updated.get(1).memoryId()).isEqualTo("ue-2");
            assertThat(updated.get(1).role()).isEqualTo(MessageRole.ASSISTANT);
            assertThat(store.<List<MemoryMessage>>fromTransaction(uow -> uow.memories().updateExistingMessages(List.of(
                    MessageUpdate.of("ue-gone").withRole(MessageRole.TOOL))))).isEmpty();
            // the strict form still reports the unknown id, and writes nothing
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().updateMessages(List.of(
                    MessageUpdate.of("ue-b").withRole(MessageRole.TOOL), MessageUpdate.of("ue-gone")
                            .withRole(MessageRole.TOOL))))).isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().updateExistingMessages(List.of(
                    MessageUpdate.of("ue-b").movedTo("ue-nowhere"))))).isInstanceOf(NotFoundException.class);
            assertThat(store.fromTransaction(uow -> uow.memories().getMessages(List.of("ue-b"))).get(0).role())
                    .isEqualTo(MessageRole.USER);
        }
    }

    @Nested
    class HasMoreWithIncludes {

        @Test
        void hasMoreIsFalseWhenTheRestWasReturnedAsIncludedContext(AgentStore store) {
            thread(store, "hm");
            saveNumbered(store, "hm", 10);
            // page 1..3, and message 8 with 3 before and 2 after: 5..10, so 4 is the only one not returned
            MessageListing gap = list(store, MessageQuery.of("hm").including(MessageInclude.of("hm-8", 3, 2)),
                    PageRequest.of(0, 3));
            assertThat(ids(gap)).containsExactly("hm-1", "hm-2", "hm-3");
            assertThat(gap.page().hasMore()).isTrue();
            assertThat(gap.page().total()).isEqualTo(10);

            MessageListing covered = list(store, MessageQuery.of("hm").including(MessageInclude.of("hm-8", 4, 2)),
                    PageRequest.of(0, 3));
            assertThat(covered.page().hasMore()).isFalse();
            assertThat(covered.messages()).hasSize(10);
            assertThat(covered.page().total()).isEqualTo(10);
        }

        @Test
        void includesOfTheNextMessagesOnlyDoNotHideTheRest(AgentStore store) {
            thread(store, "hm2");
            saveNumbered(store, "hm2", 10);
            MessageListing next = list(store, MessageQuery.of("hm2").including(MessageInclude.of("hm2-4", 0, 2)),
                    PageRequest.of(0, 3));
            assertThat(next.page().hasMore()).as("7..10 are neither on the page nor included").isTrue();
            MessageListing newestFirst = list(store, MessageQuery.of("hm2").orderedBy(SortDirection.DESC)
                    .including(MessageInclude.of("hm2-3", 2, 0), MessageInclude.of("hm2-7", 0, 0),
                            MessageInclude.of("hm2-6", 2, 0)), PageRequest.of(0, 3));
            assertThat(ids(newestFirst)).containsExactly("hm2-10", "hm2-9", "hm2-8");
            assertThat(newestFirst.page().hasMore()).isFalse();
            MessageListing onePage = list(store, MessageQuery.of("hm2").orderedBy(SortDirection.DESC)
                    .including(MessageInclude.of("hm2-3", 2, 0)), PageRequest.of(0, 3));
            assertThat(onePage.page().hasMore()).isTrue();
        }
    }
}
