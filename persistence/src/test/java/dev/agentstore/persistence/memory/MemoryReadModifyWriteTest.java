package dev.agentstore.persistence.memory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.memory.Memory;
import dev.agentstore.domain.memory.MemoryResource;
import dev.agentstore.domain.memory.MessageRole;
import dev.agentstore.domain.memory.MessageUpdate;
import dev.agentstore.domain.memory.NewMessage;
import dev.agentstore.domain.memory.ThreadOrder;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.Race;
import dev.agentstore.persistence.support.PageRequest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The natural read-modify-write of a thread ({@code findThread}, then {@code updateThread} with a title or metadata
 * computed from it) and of a resource's working memory ({@code getResource}, then {@code updateResource} with text
 * appended). A write is checked against the version the unit of work read.
 */
@ExtendWith(AgentStoreExtension.class)
class MemoryReadModifyWriteTest {

    static final int INCREMENTS_PER_THREAD = 10;

    static long n(JsonNode metadata) {
        return metadata.path("n").asLong();
    }

    static JsonNode counter(long n) {
        return Json.parse("metadataPatch", "{\"n\": " + n + "}");
    }

    static NewMessage message(String id) {
        return NewMessage.of(id, MessageRole.USER, Json.parse("content", "{\"text\": \"hi\"}"));
    }

    @Nested
    class Threads {

        @ParameterizedTest(name = "{0} threads")
        @ValueSource(ints = {32, 64})
        void everyIncrementReadThenUpdatedSurvives(int threads, AgentStore store) throws Exception {
            String id = "rmw-thread-" + threads;
            store.memories().saveThread(id, "user-1", "0", null);
            Race.run(threads, t -> () -> {
                for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                    store.fromTransactionWithRetry(Race.PATIENT, uow -> {
                        Memory m = uow.memories().findThread(id).orElseThrow();
                        long n = Long.parseLong(m.title());
                        return uow.memories().updateThread(id, String.valueOf(n + 1), counter(n(m.metadata()) + 1));
                    });
                }
                return null;
            });
            Memory last = store.memories().getThread(id);
            assertThat(last.title()).isEqualTo(String.valueOf(threads * INCREMENTS_PER_THREAD));
            assertThat(n(last.metadata())).isEqualTo((long) threads * INCREMENTS_PER_THREAD);
        }

        @ParameterizedTest(name = "{0} threads")
        @ValueSource(ints = {32})
        void everyIncrementListedThenSavedSurvives(int threads, AgentStore store) throws Exception {
            String id = "rmw-list-" + threads;
            String resource = "user-list-" + threads;
            store.memories().saveThread(id, resource, "0", null);
            Race.run(threads, t -> () -> {
                for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                    store.fromTransactionWithRetry(Race.PATIENT, uow -> {
                        Memory m = uow.memories().listThreads(resource, null, ThreadOrder.CREATED_ASC,
                                PageRequest.of(0, 10)).items().get(0);
                        return uow.memories().saveThread(id, resource, String.valueOf(Long.parseLong(m.title()) + 1),
                                m.metadata());
                    });
                }
                return null;
            });
            assertThat(store.memories().getThread(id).title()).isEqualTo(String.valueOf(threads * INCREMENTS_PER_THREAD));
        }

        @Test
        void anUpdateAfterAConcurrentChangeFailsWithTheVersionsReadAndFound(AgentStore store) {
            store.memories().saveThread("conflict", "user-1", "t", counter(0));
            CountDownLatch read = new CountDownLatch(1);
            CountDownLatch changed = new CountDownLatch(1);
            Thread other = new Thread(() -> {
                Race.await(read);
                store.memories().updateThread("conflict", null, counter(100));
                changed.countDown();
            });
            other.start();
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                Memory m = uow.memories().getThread("conflict");
                read.countDown();
                Race.await(changed);
                uow.memories().updateThread("conflict", null, counter(n(m.metadata()) + 1));
            }))
                    .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                        assertThat(e.expectedVersion()).hasValue(0L);
                        assertThat(e.actualVersion()).hasValue(1L);
                        assertThat(e.getMessage()).contains("Memory", "conflict", "expected version 0",
                                "found version 1");
                    });
            assertThat(n(store.memories().getThread("conflict").metadata())).isEqualTo(100);
        }

        @Test
        void aSaveAfterAConcurrentChangeFailsWithTheVersionsReadAndFound(AgentStore store) {
            store.memories().saveThread("save-conflict", "user-1", "t", null);
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                Memory m = uow.memories().findThread("save-conflict").orElseThrow();
                store.memories().updateThread("save-conflict", "other", null); // another transaction, committed
                uow.memories().saveThread("save-conflict", "user-1", m.title() + "!", m.metadata());
            }))
                    .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                        assertThat(e.expectedVersion()).hasValue(0L);
                        assertThat(e.actualVersion()).hasValue(1L);
                    });
            assertThat(store.memories().getThread("save-conflict").title()).isEqualTo("other");
        }

        @Test
        void anExpectedVersionFromAnEarlierCallGuardsTheUpdate(AgentStore store) {
            Memory saved = store.memories().saveThread("cas", "user-1", "t", null);
            store.memories().updateThread("cas", "t1", null, saved.version());
            assertThatThrownBy(() -> store.memories().updateThread("cas", "t2", null, saved.version()))
                    .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                        assertThat(e.expectedVersion()).hasValue(saved.version());
                        assertThat(e.actualVersion()).hasValue(saved.version() + 1);
                    });
            assertThat(store.memories().getThread("cas").title()).isEqualTo("t1");
        }

        @ParameterizedTest(name = "{0} threads")
        // fewer threads than the pool has connections: the writers queue on the row lock, not for a connection
        @ValueSource(ints = {16})
        void aRowLockedReadQueuesWritersInsteadOfFailingThem(int threads, AgentStore store) throws Exception {
            String id = "rmw-lock-" + threads;
            store.memories().saveThread(id, "user-1", "0", null);
            Race.run(threads, t -> () -> {
                for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                    store.inTransaction(uow -> {
                        Memory m = uow.memories().findThreadForUpdate(id).orElseThrow();
                        uow.memories().updateThread(id, String.valueOf(Long.parseLong(m.title()) + 1), null);
                    });
                }
                return null;
            });
            assertThat(store.memories().getThread(id).title()).isEqualTo(String.valueOf(threads * INCREMENTS_PER_THREAD));
        }

        @Test
        void writingSeveralTimesInOneUnitOfWorkAfterAReadDoesNotConflictWithItself(AgentStore store) {
            store.memories().saveThread("twice", "user-1", "0", null);
            Memory last = store.fromTransaction(uow -> {
                Memory m = uow.memories().getThread("twice", "user-1");
                uow.memories().updateThread("twice", "1", null);
                uow.memories().saveMessages("twice", List.of(message("m1"), message("m2")));
                uow.memories().updateMessages(List.of(MessageUpdate.of("m1").withRole(MessageRole.ASSISTANT)));
                uow.memories().deleteMessages(List.of("m2"));
                uow.memories().remember("twice", message("m3"));
                uow.memories().saveThread("twice", "user-1", "2", m.metadata());
                return uow.memories().updateThread("twice", "3", counter(1));
            });
            assertThat(last.title()).isEqualTo("3");
            assertThat(store.memories().getThread("twice").title()).isEqualTo("3");
        }

        @Test
        void aChangeOfAnotherTransactionBeforeTheUnitOfWorksOwnAppendIsStillReported(AgentStore store) {
            store.memories().saveThread("between", "user-1", "t", null);
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                Memory m = uow.memories().findThread("between").orElseThrow();
                store.memories().updateThread("between", "other", null); // another transaction, committed
                uow.memories().saveMessages("between", List.of(message("b1")));
                uow.memories().updateThread("between", m.title() + "!", null);
            }))
                    .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                        assertThat(e.expectedVersion()).hasValue(0L);
                        assertThat(e.actualVersion()).hasValue(2L);
                    });
            assertThat(store.memories().getThread("between").title()).isEqualTo("other");
        }
    }

    @Nested
    class Resources {

        @ParameterizedTest(name = "{0} threads")
        @ValueSource(ints = {32, 64})
        void everyAppendToTheWorkingMemorySurvives(int threads, AgentStore store) throws Exception {
            String id = "rmw-resource-" + threads;
            Race.run(threads, t -> () -> {
                for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                    store.fromTransactionWithRetry(Race.PATIENT, uow -> {
                        String wm = uow.memories().getResource(id).map(MemoryResource::workingMemory).orElse("");
                        return uow.memories().updateResource(id, wm + "x", null);
                    });
                }
                return null;
            });
            assertThat(store.memories().getResource(id).orElseThrow().workingMemory())
                    .hasSize(threads * INCREMENTS_PER_THREAD);
        }

        @Test
        void anUpdateAfterAConcurrentChangeFailsWithTheVersionsReadAndFound(AgentStore store) {
            store.memories().updateResource("conflict", "a", null);
            CountDownLatch read = new CountDownLatch(1);
            CountDownLatch changed = new CountDownLatch(1);
            Thread other = new Thread(() -> {
                Race.await(read);
                store.memories().updateResource("conflict", "other", null);
                changed.countDown();
            });
            other.start();
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                String wm = uow.memories().getResource("conflict").orElseThrow().workingMemory();
                read.countDown();
                Race.await(changed);
                uow.memories().updateResource("conflict", wm + "x", null);
            }))
                    .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                        assertThat(e.expectedVersion()).hasValue(0L);
                        assertThat(e.actualVersion()).hasValue(1L);
                        assertThat(e.getMessage()).contains("MemoryResource", "conflict", "expected version 0",
                                "found version 1");
                    });
            assertThat(store.memories().getResource("conflict").orElseThrow().workingMemory()).isEqualTo("other");
        }

        @Test
        void anUpdateOfAResourceReadAsAbsentFailsWhenAnotherTransactionCreatedIt(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                String wm = uow.memories().getResource("created").map(MemoryResource::workingMemory).orElse("");
                store.memories().updateResource("created", "other", null); // another transaction, committed
                uow.memories().updateResource("created", wm + "x", null);
            }))
                    .isInstanceOf(ConcurrencyConflictException.class)
                    .hasMessageContaining("MemoryResource created was created concurrently")
                    .hasMessageContaining("found version 0");
            assertThat(store.memories().getResource("created").orElseThrow().workingMemory()).isEqualTo("other");
        }

        @Test
        void anExpectedVersionFromAnEarlierCallGuardsTheUpdate(AgentStore store) {
            MemoryResource r = store.memories().updateResource("cas", "a", null);
            store.memories().updateResource("cas", "ab", null, r.version());
            assertThatThrownBy(() -> store.memories().updateResource("cas", "ac", null, r.version()))
                    .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                        assertThat(e.expectedVersion()).hasValue(r.version());
                        assertThat(e.actualVersion()).hasValue(r.version() + 1);
                    });
            assertThatThrownBy(() -> store.memories().updateResource("cas-absent", "a", null, 0))
                    .isInstanceOf(ConcurrencyConflictException.class).hasMessageContaining("deleted concurrently");
            assertThat(store.memories().getResource("cas").orElseThrow().workingMemory()).isEqualTo("ab");
            assertThat(store.memories().getResource("cas-absent")).isEmpty();
        }

        @ParameterizedTest(name = "{0} threads")
        // fewer threads than the pool has connections: the writers queue on the row lock, not for a connection
        @ValueSource(ints = {16})
        void aRowLockedReadQueuesWritersInsteadOfFailingThem(int threads, AgentStore store) throws Exception {
            String id = "rmw-lock-" + threads;
            store.memories().updateResource(id, "", null);
            Race.run(threads, t -> () -> {
                for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                    store.inTransaction(uow -> {
                        String wm = uow.memories().getResourceForUpdate(id).orElseThrow().workingMemory();
                        uow.memories().updateResource(id, wm + "x", null);
                    });
                }
                return null;
            });
            assertThat(store.memories().getResource(id).orElseThrow().workingMemory())
                    .hasSize(threads * INCREMENTS_PER_THREAD);
        }

        @Test
        void writingSeveralTimesInOneUnitOfWorkAfterAReadDoesNotConflictWithItself(AgentStore store) {
            MemoryResource last = store.fromTransaction(uow -> {
                String wm = uow.memories().getResource("twice").map(MemoryResource::workingMemory).orElse("");
                uow.memories().updateResource("twice", wm + "a", null);
                uow.memories().updateResource("twice", wm + "ab", null);
                uow.memories().deleteResource("twice");
                return uow.memories().updateResource("twice", wm + "abc", null);
            });
            assertThat(last.workingMemory()).isEqualTo("abc");
            assertThat(store.memories().getResource("twice").orElseThrow().workingMemory()).isEqualTo("abc");
        }
    }
}
