package dev.agentstore.persistence.record;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.record.NewRecord;
import dev.agentstore.domain.record.Record;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.Race;
import dev.agentstore.persistence.query.Filter;
import io.hypersistence.utils.jdbc.validator.SQLStatementCountValidator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** clear, batch upsert, conditional upsert, and the fields of the exceptions they throw (issue 14). */
@ExtendWith(AgentStoreExtension.class)
class RecordBulkWritesTest {

    @Nested
    class Clear {

        @Test
        void clearWithAFilterDeletesWhatItMatchesAndReturnsTheCount(AgentStore store) {
            store.inTransaction(uow -> uow.records().createBatch(List.of(
                    NewRecord.of("clr:1", json("{\"s\":\"old\"}")), NewRecord.of("clr:2", json("{\"s\":\"old\"}")),
                    NewRecord.of("clr:3", json("{\"s\":\"new\"}")))));
            long deleted = store.fromTransaction(uow -> uow.records().clear(Filter.and(Filter.like("id", "clr:%"),
                    Filter.eq("data.s", "old"))));
            assertThat(deleted).isEqualTo(2);
            assertThat(store.<Long>fromTransaction(uow -> uow.records().count(Filter.like("id", "clr:%"))))
                    .isEqualTo(1);
            assertThat(store.<Long>fromTransaction(uow -> uow.records().clear(Filter.eq("data.s", "none"))))
                    .isZero();
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.records().clear(Filter.gt("nope", 1))))
                    .isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.records().clear(null)))
                    .isInstanceOf(InvalidInputException.class);
        }

        @Test
        void clearDeletesEverythingAndARecordReadBeforeReadsAsAbsentToLaterWrites(AgentStore store) {
            store.inTransaction(uow -> uow.records().createBatch(List.of(
                    NewRecord.of("all:1", json("{}")), NewRecord.of("all:2", json("{}")))));
            Record recreated = store.fromTransaction(uow -> {
                uow.records().get("all:1").orElseThrow();
                long total = uow.records().count();
                assertThat(uow.records().clear()).isEqualTo(total);
                assertThat(uow.records().count()).isZero();
                return uow.records().upsert("all:1", json("{\"again\":true}"), null);
            });
            assertThat(recreated.version()).as("created anew, not a conflict with the version read").isZero();
            assertThat(store.<Long>fromTransaction(uow -> uow.records().count())).isEqualTo(1);
        }
    }

    @Nested
    class UpsertABatch {

        @Test
        void aBatchUpsertCreatesAndReplacesInOneStatementInOrder(AgentStore store) {
            store.inTransaction(uow -> uow.records().create("ub:1", json("{\"v\":0}"), json("{\"keep\":true}")));
            List<NewRecord> batch = List.of(
                    new NewRecord("ub:0", json("{\"v\":1}"), null),
                    new NewRecord("ub:1", json("{\"v\":1}"), null),
                    new NewRecord("ub:2", json("{\"v\":1}"), json("{\"m\":2}")));
            try (AgentStore counting = AgentStoreExtension.statementCountingStore(store)) {
                SQLStatementCountValidator.reset();
                List<Record> stored = counting.fromTransaction(uow -> uow.records().upsertBatch(batch));
                SQLStatementCountValidator.assertTotalCount(1);
                assertThat(stored).extracting(Record::id).containsExactly("ub:0", "ub:1", "ub:2");
                assertThat(stored).extracting(Record::version).containsExactly(0L, 1L, 0L);
                assertThat(stored.get(1).metadata()).as("null metadata keeps the stored one")
                        .isEqualTo(json("{\"keep\":true}"));
                assertThat(stored.get(0).metadata()).isEqualTo(Json.object());
                assertThat(stored.get(1)).usingRecursiveComparison().isEqualTo(get(store, "ub:1").orElseThrow());
            }
            List<Record> again = store.fromTransaction(uow -> uow.records().upsertBatch(List.of(
                    new NewRecord("ub:2", json("{\"v\":2}"), json("{\"m\":3}")),
                    new NewRecord("ub:1", json("{\"v\":2}"), null))));
            assertThat(again).extracting(Record::version).containsExactly(1L, 2L);
            assertThat(get(store, "ub:2").orElseThrow().metadata()).isEqualTo(json("{\"m\":3}"));
            assertThat(get(store, "ub:1").orElseThrow().metadata()).isEqualTo(json("{\"keep\":true}"));
            assertThat(store.<List<Record>>fromTransaction(uow -> uow.records().upsertBatch(List.of()))).isEmpty();
        }

        @Test
        void anInvalidRecordOrARepeatedIdWritesNothing(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.records().upsertBatch(List.of(
                    NewRecord.of("ubx:1", json("{}")), NewRecord.of("ubx:2", json("[]"))))))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("records[1]");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.records().upsertBatch(List.of(
                    NewRecord.of("ubx:3", json("{}")), NewRecord.of("ubx:3", json("{}"))))))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("twice");
            assertThat(get(store, "ubx:1")).isEmpty();
            assertThat(get(store, "ubx:3")).isEmpty();
        }

        @Test
        void aRecordChangedSinceTheUnitOfWorkReadItFailsTheWholeBatchAndTheTransactionStaysUsable(AgentStore store) {
            store.inTransaction(uow -> uow.records().create("ubc:1", json("{\"v\":0}"), null));
            store.inTransaction(uow -> {
                uow.records().get("ubc:1").orElseThrow();
                uow.records().get("ubc:absent");
                store.records().update("ubc:1", json("{\"v\":\"other\"}"), null); // another transaction
                ConcurrencyConflictException e = catchThrowableOfType(() -> uow.records().upsertBatch(List.of(
                        NewRecord.of("ubc:new", json("{}")), NewRecord.of("ubc:absent", json("{}")),
                        NewRecord.of("ubc:1", json("{\"v\":\"mine\"}")))), ConcurrencyConflictException.class);
                assertThat(e).isNotNull();
                assertThat(e.key()).contains("ubc:1");
                assertThat(e.expectedVersion()).hasValue(0);
                assertThat(e.actualVersion()).hasValue(1);
                uow.records().create("ubc:after", json("{}"), null);
            });
            assertThat(get(store, "ubc:1").orElseThrow().data()).isEqualTo(json("{\"v\":\"other\"}"));
            assertThat(get(store, "ubc:new")).as("nothing of the batch").isEmpty();
            assertThat(get(store, "ubc:absent")).isEmpty();
            assertThat(get(store, "ubc:after")).isPresent();
        }

        @Test
        void aRecordReadAsAbsentAndCreatedSinceIsAConflictCarryingItsVersion(AgentStore store) {
            store.inTransaction(uow -> {
                uow.records().get("uba:1");
                store.records().create("uba:1", json("{\"by\":\"other\"}"), null); // another transaction
                ConcurrencyConflictException e = catchThrowableOfType(() -> uow.records().upsertBatch(List.of(
                        NewRecord.of("uba:2", json("{}")), NewRecord.of("uba:1", json("{\"by\":\"me\"}")))),
                        ConcurrencyConflictException.class);
                assertThat(e.key()).contains("uba:1");
                assertThat(e.expectedVersion()).isEmpty();
                assertThat(e.actualVersion()).hasValue(0);
                assertThat(e).hasMessageContaining("created concurrently");
            });
            assertThat(get(store, "uba:1").orElseThrow().data()).isEqualTo(json("{\"by\":\"other\"}"));
            assertThat(get(store, "uba:2")).isEmpty();
        }

        @Test
        void recordsReadAndUnchangedAreWrittenWithTheVersionCheck(AgentStore store) {
            store.inTransaction(uow -> uow.records().create("ubr:1", json("{\"n\":1}"), json("{\"k\":1}")));
            List<Record> stored = store.fromTransaction(uow -> {
                Record r = uow.records().get("ubr:1").orElseThrow();
                uow.records().get("ubr:2");
                int n = r.data().get("n").intValue();
                return uow.records().upsertBatch(List.of(new NewRecord("ubr:1", json("{\"n\":" + (n + 1) + "}"), null),
                        NewRecord.of("ubr:2", json("{\"n\":1}"))));
            });
            assertThat(stored).extracting(Record::version).containsExactly(1L, 0L);
            assertThat(get(store, "ubr:1").orElseThrow().data()).isEqualTo(json("{\"n\":2}"));
            assertThat(get(store, "ubr:1").orElseThrow().metadata()).isEqualTo(json("{\"k\":1}"));
        }

        @Test
        void concurrentReadModifyWriteBatchesLoseNoIncrement(AgentStore store) throws Exception {
            store.inTransaction(uow -> uow.records().createBatch(List.of(
                    NewRecord.of("ubn:a", json("{\"n\":0}")), NewRecord.of("ubn:b", json("{\"n\":0}")))));
            int threads = 8;
            Race.run(threads, i -> () -> store.fromTransactionWithRetry(Race.PATIENT, uow -> {
                    List<NewRecord> batch = new ArrayList<>();
                    for (String id : List.of("ubn:a", "ubn:b")) {
                        int n = uow.records().get(id).orElseThrow().data().get("n").intValue();
                        batch.add(NewRecord.of(id, json("{\"n\":" + (n + 1) + "}")));
                    }
                    return uow.records().upsertBatch(batch);
                }));
            assertThat(get(store, "ubn:a").orElseThrow().data()).isEqualTo(json("{\"n\":" + threads + "}"));
            assertThat(get(store, "ubn:b").orElseThrow().data()).isEqualTo(json("{\"n\":" + threads + "}"));
        }
    }

    @Nested
    class ConditionalUpsert {

        @Test
        void anEmptyExpectedVersionCreatesOnlyWhenAbsent(AgentStore store) {
            Record created = store.fromTransaction(uow -> uow.records().upsert("cu:1", json("{\"v\":1}"), null,
                    OptionalLong.empty()));
            assertThat(created.version()).isZero();
            store.inTransaction(uow -> {
                ConcurrencyConflictException e = catchThrowableOfType(() -> uow.records().upsert("cu:1",
                        json("{\"v\":2}"), null, OptionalLong.empty()), ConcurrencyConflictException.class);
                assertThat(e.entity()).contains("Record");
                assertThat(e.expectedVersion()).isEmpty();
                assertThat(e.actualVersion()).hasValue(0);
                uow.records().create("cu:after", json("{}"), null);
            });
            assertThat(get(store, "cu:1").orElseThrow().data()).isEqualTo(json("{\"v\":1}"));
            assertThat(get(store, "cu:after")).isPresent();
        }

        @Test
        void aGivenExpectedVersionReplacesOnlyThatVersionAndAMissingRecordIsAConflict(AgentStore store) {
            store.inTransaction(uow -> uow.records().create("cv:1", json("{\"v\":0}"), json("{\"m\":1}")));
            Record v1 = store.fromTransaction(uow -> uow.records().upsert("cv:1", json("{\"v\":1}"), null,
                    OptionalLong.of(0)));
            assertThat(v1.version()).isEqualTo(1);
            assertThat(v1.metadata()).isEqualTo(json("{\"m\":1}"));
            ConcurrencyConflictException stale = catchThrowableOfType(() -> store.inTransaction(uow ->
                    uow.records().upsert("cv:1", json("{\"v\":9}"), null, OptionalLong.of(0))),
                    ConcurrencyConflictException.class);
            assertThat(stale.expectedVersion()).hasValue(0);
            assertThat(stale.actualVersion()).hasValue(1);
            ConcurrencyConflictException gone = catchThrowableOfType(() -> store.inTransaction(uow ->
                    uow.records().upsert("cv:gone", json("{}"), null, OptionalLong.of(3))),
                    ConcurrencyConflictException.class);
            assertThat(gone.key()).contains("cv:gone");
            assertThat(gone.expectedVersion()).hasValue(3);
            assertThat(gone.actualVersion()).isEmpty();
            assertThat(get(store, "cv:gone")).as("not created").isEmpty();
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.records().upsert("cv:1", json("{}"), null,
                    OptionalLong.of(-2)))).isInstanceOf(InvalidInputException.class);
            assertThat(get(store, "cv:1").orElseThrow().data()).isEqualTo(json("{\"v\":1}"));
        }

        @Test
        void ofConcurrentConditionalUpsertsOnOneVersionExactlyOneWins(AgentStore store) throws Exception {
            store.inTransaction(uow -> uow.records().create("cw:1", json("{\"w\":null}"), null));
            List<Boolean> wins = Race.run(8, i -> () -> {
                try {
                    store.inTransaction(uow -> uow.records().upsert("cw:1", json("{\"w\":" + i + "}"), null,
                            OptionalLong.of(0)));
                    return true;
                } catch (ConcurrencyConflictException e) {
                    return false;
                }
            });
            assertThat(wins).containsOnlyOnce(true);
            assertThat(get(store, "cw:1").orElseThrow().version()).isEqualTo(1);
        }
    }

    @Nested
    class ExceptionFields {

        @Test
        void duplicateExceptionsCarryTheExistingIds(AgentStore store) {
            store.inTransaction(uow -> uow.records().createBatch(List.of(
                    NewRecord.of("dup:2", json("{}")), NewRecord.of("dup:4", json("{}")))));
            DuplicateException one = catchThrowableOfType(() -> store.inTransaction(uow ->
                    uow.records().create("dup:2", json("{}"), null)), DuplicateException.class);
            assertThat(one.ids()).containsExactly("dup:2");
            List<NewRecord> batch = new ArrayList<>();
            for (int i = 1; i <= 5; i++) {
                batch.add(NewRecord.of("dup:" + i, json("{}")));
            }
            DuplicateException many = catchThrowableOfType(() -> store.inTransaction(uow ->
                    uow.records().createBatch(batch)), DuplicateException.class);
            assertThat(many.ids()).containsExactly("dup:2", "dup:4");
            assertThat(new DuplicateException("x", null).ids()).isEmpty();
        }

        @Test
        void compareAndSetConflictsCarryBothVersions(AgentStore store) {
            store.inTransaction(uow -> uow.records().create("cf:1", json("{}"), null));
            store.inTransaction(uow -> uow.records().update("cf:1", json("{\"a\":1}"), null, 0));
            ConcurrencyConflictException e = catchThrowableOfType(() -> store.inTransaction(uow ->
                    uow.records().update("cf:1", json("{}"), null, 0)), ConcurrencyConflictException.class);
            assertThat(e.entity()).contains("Record");
            assertThat(e.key()).contains("cf:1");
            assertThat(e.expectedVersion()).hasValue(0);
            assertThat(e.actualVersion()).hasValue(1);
            store.inTransaction(uow -> {
                uow.records().get("cf:1").orElseThrow();
                store.records().delete("cf:1"); // another transaction
                ConcurrencyConflictException deleted = catchThrowableOfType(() -> uow.records().upsert("cf:1",
                        json("{}"), null), ConcurrencyConflictException.class);
                assertThat(deleted.expectedVersion()).hasValue(1);
                assertThat(deleted.actualVersion()).isEmpty();
                assertThat(deleted).hasMessageContaining("deleted concurrently");
            });
        }
    }

    private static Optional<Record> get(AgentStore store, String id) {
        return store.fromTransaction(uow -> uow.records().get(id));
    }

    private static JsonNode json(String text) {
        return Json.parse("json", text);
    }
}
