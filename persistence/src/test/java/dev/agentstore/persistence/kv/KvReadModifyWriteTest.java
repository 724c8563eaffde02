package dev.agentstore.persistence.kv;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.LongNode;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.kv.KvEntry;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.Race;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The natural read-modify-write of a KV entry: {@code get(key)}, then {@code set(key, n + 1)}. A set is checked
 * against the version (or the absence) the unit of work read.
 */
@ExtendWith(AgentStoreExtension.class)
class KvReadModifyWriteTest {

    static final int INCREMENTS_PER_THREAD = 10;

    static long n(AgentStore store, String key) {
        return store.kv().get(key).map(JsonNode::asLong).orElse(0L);
    }

    @Nested
    class ReadThenSet {

        @ParameterizedTest(name = "{0} threads")
        @ValueSource(ints = {32, 64})
        void everyIncrementReadThenSetSurvives(int threads, AgentStore store) throws Exception {
            String key = "rmw-" + threads;
            Race.run(threads, t -> () -> {
                for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                    store.fromTransactionWithRetry(Race.PATIENT, uow -> {
                        long n = uow.kv().get(key).map(JsonNode::asLong).orElse(0L);
                        uow.kv().set(key, n + 1);
                        return null;
                    });
                }
                return null;
            });
            assertThat(n(store, key)).isEqualTo((long) threads * INCREMENTS_PER_THREAD);
        }

        @Test
        void aSetAfterAConcurrentChangeFailsWithTheVersionsReadAndFound(AgentStore store) {
            store.kv().set("conflict", 0);
            CountDownLatch read = new CountDownLatch(1);
            CountDownLatch changed = new CountDownLatch(1);
            Thread other = new Thread(() -> {
                Race.await(read);
                store.kv().set("conflict", 100);
                changed.countDown();
            });
            other.start();
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                long n = uow.kv().get("conflict").orElseThrow().asLong();
                read.countDown();
                Race.await(changed);
                uow.kv().set("conflict", n + 1);
            }))
                    .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                        assertThat(e.expectedVersion()).hasValue(0L);
                        assertThat(e.actualVersion()).hasValue(1L);
                        assertThat(e.getMessage()).contains("KvEntry", "conflict", "expected version 0",
                                "found version 1");
                    });
            assertThat(n(store, "conflict")).isEqualTo(100);
        }

        @Test
        void aSetOfAKeyReadAsAbsentFailsWhenAnotherTransactionCreatedIt(AgentStore store) {
            CountDownLatch read = new CountDownLatch(1);
            CountDownLatch created = new CountDownLatch(1);
            Thread other = new Thread(() -> {
                Race.await(read);
                store.kv().set("created", 100);
                created.countDown();
            });
            other.start();
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                long n = uow.kv().get("created").map(JsonNode::asLong).orElse(0L);
                read.countDown();
                Race.await(created);
                uow.kv().set("created", n + 1);
            }))
                    .isInstanceOf(ConcurrencyConflictException.class)
                    .hasMessageContaining("KvEntry created was created concurrently")
                    .hasMessageContaining("found version 0");
            assertThat(n(store, "created")).isEqualTo(100);
        }

        @Test
        void anExpectedVersionFromAnEarlierCallGuardsTheSet(AgentStore store) {
            store.kv().set("cas", 0);
            KvEntry entry = store.kv().getEntry("cas").orElseThrow();
            assertThat(entry.value().asLong()).isZero();
            store.kv().set("cas", LongNode.valueOf(1), entry.version());
            assertThatThrownBy(() -> store.kv().set("cas", LongNode.valueOf(2), entry.version()))
                    .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                        assertThat(e.expectedVersion()).hasValue(entry.version());
                        assertThat(e.actualVersion()).hasValue(entry.version() + 1);
                    });
            assertThat(n(store, "cas")).isEqualTo(1);

            KvEntry next = store.kv().getEntry("cas").orElseThrow();
            store.kv().set("cas", LongNode.valueOf(3), Duration.ofHours(1), next.version());
            assertThat(store.kv().getEntry("cas").orElseThrow().expiresAt()).isPresent();
            assertThatThrownBy(() -> store.kv().set("cas", LongNode.valueOf(4), Duration.ofHours(1), next.version()))
                    .isInstanceOf(ConcurrencyConflictException.class);
            assertThat(n(store, "cas")).isEqualTo(3);
        }

        @ParameterizedTest(name = "{0} threads")
        // fewer threads than the pool has connections: the writers queue on the row lock, not for a connection
        @ValueSource(ints = {16})
        void aRowLockedReadQueuesWritersInsteadOfFailingThem(int threads, AgentStore store) throws Exception {
            String key = "lock-" + threads;
            store.kv().set(key, 0);
            Race.run(threads, t -> () -> {
                for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                    store.inTransaction(uow -> {
                        KvEntry entry = uow.kv().getEntryForUpdate(key).orElseThrow();
                        uow.kv().set(key, entry.value().asLong() + 1);
                    });
                }
                return null;
            });
            assertThat(n(store, key)).isEqualTo((long) threads * INCREMENTS_PER_THREAD);
        }

        @Test
        void writingSeveralTimesInOneUnitOfWorkAfterAReadDoesNotConflictWithItself(AgentStore store) {
            store.kv().set("twice", 0);
            long last = store.fromTransaction(uow -> {
                long n = uow.kv().get("twice").orElseThrow().asLong();
                uow.kv().set("twice", n + 1);
                uow.kv().increment("twice", 1);
                uow.kv().set("twice", n + 5, Duration.ofHours(1));
                uow.kv().delete("twice");
                uow.kv().set("twice", n + 7);
                return uow.kv().get("twice").orElseThrow().asLong();
            });
            assertThat(last).isEqualTo(7);
            assertThat(n(store, "twice")).isEqualTo(7);
        }

        @Test
        void anIncrementOfAnotherTransactionBeforeTheUnitOfWorksOwnIsStillReported(AgentStore store) {
            store.kv().set("between", 0);
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                long n = uow.kv().get("between").orElseThrow().asLong();
                store.kv().increment("between", 10); // another transaction, committed
                uow.kv().increment("between", 1);
                uow.kv().set("between", n + 100);
            }))
                    .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                        assertThat(e.expectedVersion()).hasValue(0L);
                        assertThat(e.actualVersion()).hasValue(2L);
                    });
            assertThat(n(store, "between")).isEqualTo(10);
        }

        @Test
        void aSetWithoutAReadIsABlindWriteAndNeverConflicts(AgentStore store) {
            store.kv().set("blind", 0);
            store.inTransaction(uow -> {
                store.kv().set("blind", 5); // another transaction, committed
                uow.kv().set("blind", 1);
            });
            assertThat(n(store, "blind")).isEqualTo(1);
        }
    }
}
