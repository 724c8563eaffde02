package dev.agentstore.persistence.record;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.record.Record;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.Race;
import dev.agentstore.persistence.support.RetryPolicy;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The natural read-modify-write of a record: {@code get} (or {@code search}), then {@code update} or {@code upsert}
 * of data computed from what was read. A write is checked against the version the unit of work read.
 */
@ExtendWith(AgentStoreExtension.class)
class RecordReadModifyWriteTest {

    /** Enough attempts for 64 writers of one row; the backoff keeps them from retrying in lockstep. */
    static final RetryPolicy PATIENT = new RetryPolicy(1000, Duration.ofMillis(1), Duration.ofMillis(50));

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
                    store.fromTransactionWithRetry(PATIENT, uow -> {
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
                    store.fromTransactionWithRetry(PATIENT, uow -> {
                        long n = uow.records().get(id).map(r -> n(r.data())).orElse(0L);
                        return uow.records().upsert(id, counter(n + 1), null);
                    });
                }
                return null;
            });
            assertThat(n(store.records().get(id).orElseThrow().data()))
                    .isEqualTo((long) threads * INCREMENTS_PER_THREAD);
        }
    }
}
