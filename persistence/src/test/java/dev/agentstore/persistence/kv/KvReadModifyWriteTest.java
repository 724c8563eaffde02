package dev.agentstore.persistence.kv;

import com.fasterxml.jackson.databind.JsonNode;
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
 * The natural read-modify-write of a KV entry: {@code get(key)}, then {@code set(key, n + 1)}. A set is checked
 * against the version (or the absence) the unit of work read.
 */
@ExtendWith(AgentStoreExtension.class)
class KvReadModifyWriteTest {

    /** Enough attempts for 64 writers of one row; the backoff keeps them from retrying in lockstep. */
    static final RetryPolicy PATIENT = new RetryPolicy(1000, Duration.ofMillis(1), Duration.ofMillis(50));

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
                    store.fromTransactionWithRetry(PATIENT, uow -> {
                        long n = uow.kv().get(key).map(JsonNode::asLong).orElse(0L);
                        uow.kv().set(key, n + 1);
                        return null;
                    });
                }
                return null;
            });
            assertThat(n(store, key)).isEqualTo((long) threads * INCREMENTS_PER_THREAD);
        }
    }
}
