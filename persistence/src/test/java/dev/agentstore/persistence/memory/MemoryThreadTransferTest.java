package dev.agentstore.persistence.memory;

import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.memory.ClonedThread;
import dev.agentstore.domain.memory.ForgottenResource;
import dev.agentstore.domain.memory.Memory;
import dev.agentstore.domain.memory.MemoryMessage;
import dev.agentstore.domain.memory.MessageRole;
import dev.agentstore.domain.memory.NewMessage;
import dev.agentstore.domain.memory.ThreadOrder;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.Race;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static dev.agentstore.persistence.memory.MemoryMessageTest.last;
import static dev.agentstore.persistence.memory.MemoryMessageTest.save;
import static dev.agentstore.persistence.memory.MemoryThreadTest.count;
import static dev.agentstore.persistence.memory.MemoryThreadTest.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Mastra's thread operations: list by resource, clone, move to another resource, and forgetting a resource. */
@ExtendWith(AgentStoreExtension.class)
class MemoryThreadTransferTest {

    private static void thread(AgentStore store, String id, String resource, String title) {
        store.inTransaction(uow -> uow.memories().saveThread(id, resource, title, json("{\"k\":1}")));
    }

    private static NewMessage msg(String id, MessageRole role) {
        return NewMessage.of(id, role, json("{\"text\":\"" + id + "\"}"));
    }

    @Nested
    class Clone {

        @Test
        void aCloneCopiesTheMessagesInOrderUnderNewIds(AgentStore store, MutableClock clock) {
            thread(store, "cl-src", "cl-user", "Trip");
            Instant written = clock.instant();
            save(store, "cl-src", msg("cl-1", MessageRole.USER), msg("cl-2", MessageRole.ASSISTANT),
                    msg("cl-3", MessageRole.TOOL));
            clock.advance(Duration.ofMinutes(5));

            ClonedThread clone = store.fromTransaction(uow -> uow.memories().cloneThread("cl-src", "cl-copy", null,
                    null, json("{\"branch\":\"b\"}")));

            Memory t = clone.thread();
            assertThat(t.id()).isEqualTo("cl-copy");
            assertThat(t.resourceId()).isEqualTo("cl-user");
            assertThat(t.title()).isEqualTo("Clone of Trip");
            assertThat(t.lastSeq()).isEqualTo(3);
            assertThat(t.createdAt()).isEqualTo(clock.instant());
            assertThat(t.metadata().get("branch").asText()).isEqualTo("b");
            assertThat(t.metadata().get("clone").get("sourceThreadId").asText()).isEqualTo("cl-src");
            assertThat(t.metadata().get("clone").get("lastMessageId").asText()).isEqualTo("cl-3");
            assertThat(clone.messageIds().keySet()).containsExactly("cl-1", "cl-2", "cl-3");
            assertThat(clone.messageIds().values()).doesNotContain("cl-1", "cl-2", "cl-3").doesNotHaveDuplicates();

            List<MemoryMessage> copies = last(store, "cl-copy", 10);
            assertThat(copies).extracting(MemoryMessage::id).containsExactlyElementsOf(clone.messageIds().values());
            assertThat(copies).extracting(MemoryMessage::seq).containsExactly(1L, 2L, 3L);
            assertThat(copies).extracting(MemoryMessage::role).containsExactly(MessageRole.USER,
                    MessageRole.ASSISTANT, MessageRole.TOOL);
            assertThat(copies.get(1).content()).isEqualTo(json("{\"text\":\"cl-2\"}"));
            assertThat(copies).extracting(MemoryMessage::createdAt).containsOnly(written);
            assertThat(last(store, "cl-src", 10)).extracting(MemoryMessage::id).containsExactly("cl-1", "cl-2", "cl-3");
        }

        @Test
        void aCloneMayGoToAnotherResourceWithARandomIdAndItsOwnTitle(AgentStore store) {
            thread(store, "cl-src2", "cl-a", null);
            save(store, "cl-src2", msg("cl2-1", MessageRole.USER));
            ClonedThread clone = store.fromTransaction(uow -> uow.memories().cloneThread("cl-src2", null, "cl-b",
                    "Mine", null));
            assertThat(clone.thread().id()).hasSize(36);
            assertThat(clone.thread().resourceId()).isEqualTo("cl-b");
            assertThat(clone.thread().title()).isEqualTo("Mine");
            assertThat(last(store, clone.thread().id(), 5)).extracting(MemoryMessage::resourceId).containsOnly("cl-b");
            ClonedThread untitled = store.fromTransaction(uow -> uow.memories().cloneThread("cl-src2", null, null,
                    null, null));
            assertThat(untitled.thread().title()).isNull();
        }

        @Test
        void aCloneOfAnEmptyThreadHasNoMessages(AgentStore store) {
            thread(store, "cl-empty", "cl-user", "E");
            ClonedThread clone = store.fromTransaction(uow -> uow.memories().cloneThread("cl-empty", "cl-empty-2",
                    null, null, null));
            assertThat(clone.messageIds()).isEmpty();
            assertThat(clone.thread().lastSeq()).isZero();
            assertThat(clone.thread().metadata().get("clone").has("lastMessageId")).isFalse();
        }

        @Test
        void aMissingSourceOrATakenIdWritesNothing(AgentStore store) {
            thread(store, "cl-s", "cl-user", null);
            thread(store, "cl-taken", "cl-user", null);
            save(store, "cl-s", msg("cl-s-1", MessageRole.USER));
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().cloneThread("cl-none", "cl-x", null,
                    null, null))).isInstanceOf(NotFoundException.class).hasMessageContaining("cl-none");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().cloneThread("cl-s", "cl-taken", null,
                    null, null))).isInstanceOf(DuplicateException.class).hasMessageContaining("cl-taken");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().cloneThread("cl-s", "cl-y", null,
                    null, json("[1]")))).isInstanceOf(InvalidInputException.class);
            assertThat(count(store, "memories WHERE id IN ('cl-x', 'cl-y')")).isZero();
            assertThat(count(store, "memory_messages WHERE memory_id = 'cl-taken'")).isZero();
        }
    }

    @Nested
    class Move {

        @Test
        void aMovedThreadTakesAllItsMessagesToTheNewResource(AgentStore store, MutableClock clock) {
            thread(store, "mv-1", "mv-from", null);
            save(store, "mv-1", msg("mv-1-1", MessageRole.USER), msg("mv-1-2", MessageRole.ASSISTANT));
            Memory before = store.fromTransaction(uow -> uow.memories().getThread("mv-1"));
            clock.advance(Duration.ofSeconds(3));

            Memory moved = store.fromTransaction(uow -> uow.memories().moveThread("mv-1", "mv-to"));

            assertThat(moved.resourceId()).isEqualTo("mv-to");
            assertThat(moved.version()).isEqualTo(before.version() + 1);
            assertThat(moved.updatedAt()).isEqualTo(clock.instant());
            assertThat(moved.createdAt()).isEqualTo(before.createdAt());
            assertThat(last(store, "mv-1", 5)).extracting(MemoryMessage::resourceId).containsOnly("mv-to");
            assertThat(MemoryThreadTest.ids(MemoryThreadTest.list(store, "mv-from", null, ThreadOrder.CREATED_ASC,
                    dev.agentstore.persistence.support.PageRequest.first()))).isEmpty();
            assertThat(MemoryThreadTest.ids(MemoryThreadTest.list(store, "mv-to", null, ThreadOrder.CREATED_ASC,
                    dev.agentstore.persistence.support.PageRequest.first()))).containsExactly("mv-1");

            Memory again = store.fromTransaction(uow -> uow.memories().moveThread("mv-1", "mv-to"));
            assertThat(again.version()).as("already there: nothing written").isEqualTo(moved.version());
        }

        @Test
        void movingAMissingThreadFailsAndAStaleReadConflicts(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().moveThread("mv-none", "mv-b")))
                    .isInstanceOf(NotFoundException.class);
            thread(store, "mv-2", "mv-a", null);
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                uow.memories().getThread("mv-2");
                store.memories().updateThread("mv-2", "x", null); // another transaction, committed
                uow.memories().moveThread("mv-2", "mv-b");
            })).isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                assertThat(e.expectedVersion()).hasValue(0L);
                assertThat(e.actualVersion()).hasValue(1L);
            });
            assertThat(store.fromTransaction(uow -> uow.memories().getThread("mv-2")).resourceId()).isEqualTo("mv-a");
        }
    }

    @Nested
    class MoveRace {

        @Test
        void appendsRacingAMoveAllEndInTheNewResource(AgentStore store) throws Exception {
            thread(store, "mv-race", "mv-old", null);
            int appenders = 8;
            int perAppender = 20;
            Race.run(appenders + 1, i -> () -> {
                if (i == appenders) {
                    Thread.sleep(5);
                    return store.memories().moveThread("mv-race", "mv-new");
                }
                for (int k = 0; k < perAppender; k++) {
                    store.memories().saveMessages("mv-race", List.of(msg("mv-race-" + i + "-" + k,
                            MessageRole.USER)));
                }
                return null;
            });
            assertThat(count(store, "memory_messages WHERE memory_id = 'mv-race'")).isEqualTo(appenders * perAppender);
            assertThat(count(store, "memory_messages WHERE memory_id = 'mv-race' AND resource_id = 'mv-new'"))
                    .as("no message is left behind in the old resource").isEqualTo(appenders * perAppender);
        }
    }

    @Nested
    class Forget {

        @Test
        void forgettingAResourceDeletesItsThreadsMessagesVariablesAndWorkingMemory(AgentStore store) {
            thread(store, "fg-1", "fg-user", null);
            thread(store, "fg-2", "fg-user", null);
            thread(store, "fg-other", "fg-someone", null);
            save(store, "fg-1", msg("fg-1-1", MessageRole.USER), msg("fg-1-2", MessageRole.ASSISTANT));
            save(store, "fg-2", msg("fg-2-1", MessageRole.USER));
            save(store, "fg-other", msg("fg-o-1", MessageRole.USER), msg("fg-o-2", MessageRole.USER)
                    .resourceId("fg-user"));
            store.inTransaction(uow -> uow.memories().remember("fg-1", List.of(), json("{\"v\":1}")));
            store.inTransaction(uow -> uow.memories().updateResource("fg-user", "# notes", null));
            long otherVersion = store.fromTransaction(uow -> uow.memories().getThread("fg-other")).version();

            ForgottenResource forgotten = store.fromTransaction(uow -> uow.memories().forgetResource("fg-user"));

            assertThat(forgotten).isEqualTo(new ForgottenResource("fg-user", 2, 4, true));
            assertThat(count(store, "memories WHERE resource_id = 'fg-user'")).isZero();
            assertThat(count(store, "memory_messages WHERE resource_id = 'fg-user'")).isZero();
            assertThat(count(store, "memory_variables WHERE memory_id = 'fg-1'")).isZero();
            assertThat(store.<Optional<?>>fromTransaction(uow -> uow.memories().getResource("fg-user"))).isEmpty();
            assertThat(last(store, "fg-other", 5)).extracting(MemoryMessage::id).containsExactly("fg-o-1");
            assertThat(store.fromTransaction(uow -> uow.memories().getThread("fg-other")).version())
                    .isEqualTo(otherVersion + 1);

            assertThat(store.<ForgottenResource>fromTransaction(uow -> uow.memories().forgetResource("fg-user")))
                    .isEqualTo(new ForgottenResource("fg-user", 0, 0, false));
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().forgetResource(" ")))
                    .isInstanceOf(InvalidInputException.class);
        }
    }
}
