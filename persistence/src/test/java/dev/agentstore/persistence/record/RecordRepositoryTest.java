package dev.agentstore.persistence.record;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.record.NewRecord;
import dev.agentstore.domain.record.Record;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.query.Filter;
import dev.agentstore.persistence.query.Query;
import io.hypersistence.utils.jdbc.validator.SQLStatementCountValidator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

@ExtendWith(AgentStoreExtension.class)
class RecordRepositoryTest {

    @Test
    void readsInTheWritingTransactionSeeTheWrites(AgentStore store) {
        Record seen = store.fromTransaction(uow -> {
            uow.records().create("same:1", json("{\"v\":1}"), null);
            uow.records().update("same:1", json("{\"v\":2}"), null);
            return uow.records().get("same:1").orElseThrow();
        });
        assertThat(seen.data()).isEqualTo(json("{\"v\":2}"));
        assertThat(seen.version()).isEqualTo(1);
    }

    @Test
    void aDateLikeStringThatIsNoDateMakesATimestampComparisonInvalidInput(AgentStore store) {
        store.inTransaction(uow -> uow.records().create("date:1", json("{\"at\":\"2023-02-30\"}"), null));
        assertThatThrownBy(() -> store.inTransaction(uow -> uow.records().search(
                Query.where(Filter.lt("data.at", java.time.Instant.now())))))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("search Records");
    }

    @Nested
    class Create {

        @Test
        void createdRecordsReadBackWithGeneratedOrGivenIds(AgentStore store, MutableClock clock) {
            Record generated = store.fromTransaction(uow -> uow.records().create(json("{\"a\":1.50,\"z\":0}")));
            assertThat(UUID.fromString(generated.id())).isNotNull();
            assertThat(generated.version()).isZero();
            assertThat(generated.metadata()).isEqualTo(Json.object());

            Record given = store.fromTransaction(uow -> uow.records().create("crud:given", json("{\"b\":false}"),
                    json("{\"source\":\"web\"}")));
            assertThat(get(store, generated.id())).get().usingRecursiveComparison().isEqualTo(generated);
            Record read = get(store, "crud:given").orElseThrow();
            assertThat(read.data()).isEqualTo(json("{\"b\":false}"));
            assertThat(read.metadata()).isEqualTo(json("{\"source\":\"web\"}"));
            assertThat(read.createdAt()).isEqualTo(given.createdAt()).isEqualTo(read.updatedAt());
            assertThat(get(store, generated.id()).orElseThrow().data().get("a").decimalValue())
                    .isEqualByComparingTo("1.50");
            assertThat(get(store, "crud:absent")).isEmpty();
        }

        @Test
        void aDuplicateIdIsADuplicateErrorAndTheTransactionStaysUsable(AgentStore store) {
            store.inTransaction(uow -> uow.records().create("dup:1", json("{\"v\":1}"), null));
            String after = store.fromTransaction(uow -> {
                assertThatThrownBy(() -> uow.records().create("dup:1", json("{\"v\":2}"), null))
                        .isInstanceOf(DuplicateException.class).hasMessageContaining("dup:1");
                uow.records().create("dup:2", json("{\"v\":3}"), null);
                return "committed";
            });
            assertThat(after).isEqualTo("committed");
            assertThat(get(store, "dup:1").orElseThrow().data()).isEqualTo(json("{\"v\":1}"));
            assertThat(get(store, "dup:2")).isPresent();
        }

        @Test
        void invalidIdsAndDataAreRejectedBeforeWriting(AgentStore store) {
            long before = count(store, "inv:");
            for (Runnable bad : List.<Runnable>of(
                    () -> store.inTransaction(uow -> uow.records().create("inv:1", json("[1]"), null)),
                    () -> store.inTransaction(uow -> uow.records().create("inv:2", json("\"text\""), null)),
                    () -> store.inTransaction(uow -> uow.records().create("inv:3", null, null)),
                    () -> store.inTransaction(uow -> uow.records().create("inv:4", json("{}"), json("1"))),
                    () -> store.inTransaction(uow -> uow.records().create(" ", json("{}"), null)),
                    () -> store.inTransaction(uow -> uow.records().create("inv:" + "x".repeat(300), json("{}"), null)),
                    () -> store.inTransaction(uow -> uow.records().create("inv:\0", json("{}"), null)),
                    () -> store.inTransaction(uow -> uow.records().create("inv:5", json("{\"a\":\"\\u0000\"}"), null)))) {
                assertThat(catchThrowable(bad::run)).isInstanceOf(InvalidInputException.class);
            }
            assertThat(count(store, "inv:")).isEqualTo(before);
        }
    }

    @Nested
    class CreateABatch {

        @Test
        void aBatchIsCreatedInOneStatementInOrder(AgentStore store) {
            List<NewRecord> batch = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                batch.add(new NewRecord(i % 2 == 0 ? "batch:" + i : null, json("{\"i\":" + i + "}"),
                        i == 0 ? json("{\"first\":true}") : null));
            }
            try (AgentStore counting = AgentStoreExtension.statementCountingStore(store)) {
                SQLStatementCountValidator.reset();
                List<Record> created = counting.fromTransaction(uow -> uow.records().createBatch(batch));
                SQLStatementCountValidator.assertTotalCount(1);
                assertThat(created).hasSize(50);
                assertThat(created.get(0).id()).isEqualTo("batch:0");
                assertThat(created.get(0).metadata()).isEqualTo(json("{\"first\":true}"));
                assertThat(created.get(7).data()).isEqualTo(json("{\"i\":7}"));
                assertThat(get(store, created.get(7).id()).orElseThrow().data()).isEqualTo(json("{\"i\":7}"));
            }
            assertThat(count(store, "batch:")).isEqualTo(25);
            assertThat(store.<List<Record>>fromTransaction(uow -> uow.records().createBatch(List.of()))).isEmpty();
        }

        @Test
        void oneInvalidRecordInABatchWritesNothing(AgentStore store) {
            List<NewRecord> batch = List.of(NewRecord.of("atom:1", json("{}")), NewRecord.of("atom:2", json("[]")),
                    NewRecord.of("atom:3", json("{}")));
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.records().createBatch(batch)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("records[1]");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.records().createBatch(List.of(
                    NewRecord.of("atom:4", json("{}")), NewRecord.of("atom:4", json("{}"))))))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("twice");
            assertThat(count(store, "atom:")).isZero();
        }

        @Test
        void oneExistingIdInABatchWritesNothingAndTheTransactionStaysUsable(AgentStore store) {
            store.inTransaction(uow -> uow.records().create("exist:2", json("{\"old\":true}"), null));
            List<NewRecord> batch = List.of(NewRecord.of("exist:1", json("{}")), NewRecord.of("exist:2", json("{}")),
                    NewRecord.of("exist:3", json("{}")));
            store.inTransaction(uow -> {
                assertThatThrownBy(() -> uow.records().createBatch(batch))
                        .isInstanceOf(DuplicateException.class).hasMessageContaining("exist:2")
                        .hasMessageNotContaining("exist:1");
                uow.records().create("exist:after", json("{}"), null);
            });
            assertThat(count(store, "exist:")).isEqualTo(2);
            assertThat(get(store, "exist:1")).isEmpty();
            assertThat(get(store, "exist:2").orElseThrow().data()).isEqualTo(json("{\"old\":true}"));
            assertThat(get(store, "exist:after")).isPresent();
        }
    }

    @Nested
    class UpsertUpdateAndDelete {

        @Test
        void upsertCreatesThenReplacesKeepingCreationTimeAndOptionallyMetadata(AgentStore store, MutableClock clock) {
            Record first = store.fromTransaction(uow -> uow.records().upsert("up:1", json("{\"v\":1}"),
                    json("{\"m\":1}")));
            assertThat(first.version()).isZero();
            clock.advance(Duration.ofSeconds(5));
            Record second = store.fromTransaction(uow -> uow.records().upsert("up:1", json("{\"v\":2}"), null));
            assertThat(second.version()).isEqualTo(1);
            assertThat(second.createdAt()).isEqualTo(first.createdAt());
            assertThat(second.updatedAt()).isEqualTo(first.updatedAt().plusSeconds(5));
            assertThat(second.metadata()).isEqualTo(json("{\"m\":1}"));
            assertThat(get(store, "up:1").orElseThrow()).usingRecursiveComparison().isEqualTo(second);
            Record third = store.fromTransaction(uow -> uow.records().upsert("up:1", json("{\"v\":3}"), json("{}")));
            assertThat(third.metadata()).isEqualTo(Json.object());
            assertThat(third.version()).isEqualTo(2);
            Record fresh = store.fromTransaction(uow -> uow.records().upsert("up:2", json("{}"), null));
            assertThat(fresh.metadata()).isEqualTo(Json.object());
        }

        @Test
        void updateReplacesTheDataAndBumpsTheVersion(AgentStore store, MutableClock clock) {
            Record created = store.fromTransaction(uow -> uow.records().create("upd:1", json("{\"a\":1,\"b\":2}"),
                    json("{\"m\":true}")));
            clock.advance(Duration.ofSeconds(1));
            Record updated = store.fromTransaction(uow -> uow.records().update("upd:1", json("{\"a\":3}"), null));
            assertThat(updated.data()).isEqualTo(json("{\"a\":3}"));
            assertThat(updated.metadata()).isEqualTo(json("{\"m\":true}"));
            assertThat(updated.version()).isEqualTo(1);
            assertThat(updated.createdAt()).isEqualTo(created.createdAt());
            assertThat(updated.updatedAt()).isAfter(created.updatedAt());
            assertThat(get(store, "upd:1").orElseThrow()).usingRecursiveComparison().isEqualTo(updated);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.records().update("upd:absent", json("{}"), null)))
                    .isInstanceOf(NotFoundException.class).hasMessageContaining("upd:absent");
        }

        @Test
        void deleteRemovesAndReportsWhetherItDid(AgentStore store) {
            store.inTransaction(uow -> uow.records().create("del:1", json("{}"), null));
            store.inTransaction(uow -> uow.records().create("del:2", json("{}"), null));
            assertThat(store.<Boolean>fromTransaction(uow -> uow.records().delete("del:1"))).isTrue();
            assertThat(store.<Boolean>fromTransaction(uow -> uow.records().delete("del:1"))).isFalse();
            assertThat(get(store, "del:1")).isEmpty();

            assertThatThrownBy(() -> store.inTransaction(uow -> uow.records().delete("del:2", 5)))
                    .isInstanceOf(ConcurrencyConflictException.class);
            assertThat(get(store, "del:2")).isPresent();
            store.inTransaction(uow -> uow.records().delete("del:2", 0));
            assertThat(get(store, "del:2")).isEmpty();
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.records().delete("del:2", 0)))
                    .isInstanceOf(NotFoundException.class);
        }
    }

    @Nested
    class CompareAndSet {

        @Test
        void compareAndSetRejectsAStaleVersionAndWritesNothing(AgentStore store) {
            store.inTransaction(uow -> uow.records().create("cas:1", json("{\"n\":0}"), null));
            Record v1 = store.fromTransaction(uow -> uow.records().update("cas:1", json("{\"n\":1}"), null, 0));
            assertThat(v1.version()).isEqualTo(1);
            store.inTransaction(uow -> {
                assertThatThrownBy(() -> uow.records().update("cas:1", json("{\"n\":99}"), null, 0))
                        .isInstanceOf(ConcurrencyConflictException.class)
                        .hasMessageContaining("cas:1").hasMessageContaining("expected version 0").hasMessageContaining("1");
                uow.records().update("cas:1", json("{\"n\":2}"), null, 1);
            });
            Record now = get(store, "cas:1").orElseThrow();
            assertThat(now.data()).isEqualTo(json("{\"n\":2}"));
            assertThat(now.version()).isEqualTo(2);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.records().update("cas:absent", json("{}"), null, 0)))
                    .isInstanceOf(NotFoundException.class);
        }

        @Test
        void ofConcurrentCompareAndSetsOnOneVersionExactlyOneWins(AgentStore store) throws Exception {
            store.inTransaction(uow -> uow.records().create("race:1", json("{\"winner\":null}"), null));
            int threads = 8;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Boolean>> results = new ArrayList<>();
            try {
                for (int t = 0; t < threads; t++) {
                    int id = t;
                    results.add(pool.submit(() -> {
                        start.await();
                        try {
                            store.inTransaction(uow -> uow.records().update("race:1", json("{\"winner\":" + id + "}"),
                                    null, 0));
                            return true;
                        } catch (ConcurrencyConflictException e) {
                            return false;
                        }
                    }));
                }
                start.countDown();
                int wins = 0;
                for (Future<Boolean> f : results) {
                    wins += f.get() ? 1 : 0;
                }
                assertThat(wins).isEqualTo(1);
            } finally {
                pool.shutdownNow();
            }
            Record after = get(store, "race:1").orElseThrow();
            assertThat(after.version()).isEqualTo(1);
            assertThat(after.data().get("winner").isInt()).isTrue();
        }
    }

    private static Optional<Record> get(AgentStore store, String id) {
        return store.fromTransaction(uow -> uow.records().get(id));
    }

    private static long count(AgentStore store, String idPrefix) {
        return store.fromTransaction(uow -> uow.records().count(Filter.like("id", idPrefix + "%")));
    }

    private static JsonNode json(String text) {
        return Json.parse("json", text);
    }
}
