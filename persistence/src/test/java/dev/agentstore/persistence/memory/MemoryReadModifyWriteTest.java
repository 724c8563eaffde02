package dev.agentstore.persistence.memory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.memory.Memory;
import dev.agentstore.domain.memory.MemoryResource;
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
 * The natural read-modify-write of a thread ({@code findThread}, then {@code updateThread} with a title or metadata
 * computed from it) and of a resource's working memory ({@code getResource}, then {@code updateResource} with text
 * appended). A write is checked against the version the unit of work read.
 */
@ExtendWith(AgentStoreExtension.class)
class MemoryReadModifyWriteTest {

    /** Enough attempts for 64 writers of one row; the backoff keeps them from retrying in lockstep. */
    static final RetryPolicy PATIENT = new RetryPolicy(1000, Duration.ofMillis(1), Duration.ofMillis(50));

    static final int INCREMENTS_PER_THREAD = 10;

    static long n(JsonNode metadata) {
        return metadata.path("n").asLong();
    }

    static JsonNode counter(long n) {
        return Json.parse("metadataPatch", "{\"n\": " + n + "}");
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
                    store.fromTransactionWithRetry(PATIENT, uow -> {
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
    }

    @Nested
    class Resources {

        @ParameterizedTest(name = "{0} threads")
        @ValueSource(ints = {32, 64})
        void everyAppendToTheWorkingMemorySurvives(int threads, AgentStore store) throws Exception {
            String id = "rmw-resource-" + threads;
            Race.run(threads, t -> () -> {
                for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                    store.fromTransactionWithRetry(PATIENT, uow -> {
                        String wm = uow.memories().getResource(id).map(MemoryResource::workingMemory).orElse("");
                        return uow.memories().updateResource(id, wm + "x", null);
                    });
                }
                return null;
            });
            assertThat(store.memories().getResource(id).orElseThrow().workingMemory())
                    .hasSize(threads * INCREMENTS_PER_THREAD);
        }
    }
}
