package dev.agentstore.persistence.record;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.record.Record;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.Race;
import dev.agentstore.persistence.query.Filter;
import dev.agentstore.persistence.query.Query;
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
 * The natural read-modify-write of a record: {@code get} (or {@code search}), then {@code update} or {@code upsert}
 * of data computed from what was read. A write is checked against the version the unit of work read.
 */
@ExtendWith(AgentStoreExtension.class)
class RecordReadModifyWriteTest {

    static final int INCREMENTS_PER_THREAD = 10;

    static long n(JsonNode data) {
        return data.path("n").asLong();
    }

    static JsonNode counter(long n) {
        return Json.parse("data", "{\"n\": " + n + "}");
    }

    @Nested
    class ReadThenWrite {

        @ParameterizedTest(name = "{0} threads")
        @ValueSource(ints = {32, 64})
        void everyIncrementReadThenUpdatedSurvives(int threads, AgentStore store) throws Exception {
            String id = "rmw-update-" + threads;
            store.records().create(id, counter(0), null);
            Race.run(threads, t -> () -> {
                for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                    store.fromTransactionWithRetry(Race.PATIENT, uow -> {
                        Record r = uow.records().get(id).orElseThrow();
                        return uow.records().update(id, counter(n(r.data()) + 1), null);
                    });
                }
                return null;
            });
            assertThat(n(store.records().get(id).orElseThrow().data()))
                    .isEqualTo((long) threads * INCREMENTS_PER_THREAD);
        }

        @ParameterizedTest(name = "{0} threads")
        @ValueSource(ints = {32, 64})
        void everyIncrementReadThenUpsertedSurvives(int threads, AgentStore store) throws Exception {
            String id = "rmw-upsert-" + threads;
            Race.run(threads, t -> () -> {
                for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                    store.fromTransactionWithRetry(Race.PATIENT, uow -> {
                        long n = uow.records().get(id).map(r -> n(r.data())).orElse(0L);
                        return uow.records().upsert(id, counter(n + 1), null);
                    });
                }
                return null;
            });
            assertThat(n(store.records().get(id).orElseThrow().data()))
                    .isEqualTo((long) threads * INCREMENTS_PER_THREAD);
        }
    
        @ParameterizedTest(name = "{0} threads")
        @ValueSource(ints = {32})
        void everyIncrementSearchedThenUpdatedSurvives(int threads, AgentStore store) throws Exception {
            String id = "rmw-search-" + threads;
            store.records().create(id, counter(0), Json.parse("metadata", "{\"kind\": \"search\"}"));
            Race.run(threads, t -> () -> {
                for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                    store.fromTransactionWithRetry(Race.PATIENT, uow -> {
                        List<Record> found = uow.records().search(Query.where(Filter.eq("metadata.kind", "search")));
                        Record r = found.get(0);
                        return uow.records().update(r.id(), counter(n(r.data()) + 1), null);
                    });
                }
                return null;
            });
            assertThat(n(store.records().get(id).orElseThrow().data()))
                    .isEqualTo((long) threads * INCREMENTS_PER_THREAD);
        }

        @Test
        void anUpdateAfterAConcurrentChangeFailsWithTheVersionsReadAndFound(AgentStore store) {
            store.records().create("conflict", counter(0), null);
            CountDownLatch read = new CountDownLatch(1);
            CountDownLatch changed = new CountDownLatch(1);
            Thread other = new Thread(() -> {
                Race.await(read);
                store.records().update("conflict", counter(100), null);
                changed.countDown();
            });
            other.start();
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                Record r = uow.records().get("conflict").orElseThrow();
                read.countDown();
                Race.await(changed);
                uow.records().upsert("conflict", counter(n(r.data()) + 1), null);
            }))
                    .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                        assertThat(e.expectedVersion()).hasValue(0L);
                        assertThat(e.actualVersion()).hasValue(1L);
                        assertThat(e.getMessage()).contains("Record", "conflict", "expected version 0",
                                "found version 1");
                    });
            assertThat(n(store.records().get("conflict").orElseThrow().data())).isEqualTo(100);
        }

        @Test
        void anUpsertOfARecordReadAsAbsentFailsWhenAnotherTransactionCreatedIt(AgentStore store) {
            CountDownLatch read = new CountDownLatch(1);
            CountDownLatch created = new CountDownLatch(1);
            Thread other = new Thread(() -> {
                Race.await(read);
                store.records().upsert("created", counter(100), null);
                created.countDown();
            });
            other.start();
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                long n = uow.records().get("created").map(r -> n(r.data())).orElse(0L);
                read.countDown();
                Race.await(created);
                uow.records().upsert("created", counter(n + 1), null);
            }))
                    .isInstanceOf(ConcurrencyConflictException.class)
                    .hasMessageContaining("Record created was created concurrently")
                    .hasMessageContaining("found version 0");
            assertThat(n(store.records().get("created").orElseThrow().data())).isEqualTo(100);
        }

        @Test
        void anExpectedVersionFromAnEarlierCallGuardsUpdateAndDelete(AgentStore store) {
            Record created = store.records().create("cas", counter(0), null);
            store.records().update("cas", counter(1), null, created.version());
            assertThatThrownBy(() -> store.records().update("cas", counter(2), null, created.version()))
                    .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                        assertThat(e.expectedVersion()).hasValue(created.version());
                        assertThat(e.actualVersion()).hasValue(created.version() + 1);
                    });
            assertThatThrownBy(() -> store.records().delete("cas", created.version()))
                    .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                        assertThat(e.expectedVersion()).hasValue(created.version());
                        assertThat(e.actualVersion()).hasValue(created.version() + 1);
                    });
            assertThat(n(store.records().get("cas").orElseThrow().data())).isEqualTo(1);
            assertThatThrownBy(() -> store.records().update("absent", counter(2), null, 0))
                    .isInstanceOf(NotFoundException.class);
        }

        @ParameterizedTest(name = "{0} threads")
        // fewer threads than the pool has connections: the writers queue on the row lock, not for a connection
        @ValueSource(ints = {16})
        void aRowLockedReadQueuesWritersInsteadOfFailingThem(int threads, AgentStore store) throws Exception {
            String id = "rmw-lock-" + threads;
            store.records().create(id, counter(0), null);
            Race.run(threads, t -> () -> {
                for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                    store.inTransaction(uow -> {
                        Record r = uow.records().getForUpdate(id).orElseThrow();
                        uow.records().update(id, counter(n(r.data()) + 1), null);
                    });
                }
                return null;
            });
            assertThat(n(store.records().get(id).orElseThrow().data()))
                    .isEqualTo((long) threads * INCREMENTS_PER_THREAD);
        }

        @Test
        void writingSeveralTimesInOneUnitOfWorkAfterAReadDoesNotConflictWithItself(AgentStore store) {
            Record last = store.fromTransaction(uow -> {
                long n = uow.records().get("twice").map(r -> n(r.data())).orElse(0L);
                uow.records().create("twice", counter(n + 1), null);
                uow.records().update("twice", counter(n + 2), null);
                uow.records().upsert("twice", counter(n + 3), null);
                uow.records().delete("twice");
                return uow.records().upsert("twice", counter(n + 4), null);
            });
            assertThat(n(last.data())).isEqualTo(4);
            assertThat(n(store.records().get("twice").orElseThrow().data())).isEqualTo(4);
        }

        @Test
        void anUpdateWithoutAReadIsABlindWriteAndNeverConflicts(AgentStore store) {
            store.records().create("blind", counter(0), null);
            store.inTransaction(uow -> {
                store.records().update("blind", counter(5), null); // another transaction, committed
                uow.records().update("blind", counter(1), null);
            });
            assertThat(n(store.records().get("blind").orElseThrow().data())).isEqualTo(1);
        }
    }
}
