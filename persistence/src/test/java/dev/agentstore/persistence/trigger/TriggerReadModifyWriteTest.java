package dev.agentstore.persistence.trigger;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.trigger.Trigger;
import dev.agentstore.domain.trigger.TriggerType;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.Race;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The natural read-modify-write of a {@link Trigger}: read it, merge {@code {"n": n + 1}} into its subscriptions.
 * Run by many threads at once every increment must survive: the write is checked against the version read.
 */
@ExtendWith(AgentStoreExtension.class)
class TriggerReadModifyWriteTest {

    private static final int INCREMENTS_PER_THREAD = 10;

    private static long n(Trigger t) {
        JsonNode n = t.subscriptions().get("n");
        return n == null ? 0 : n.asLong();
    }

    private static JsonNode counter(long n) {
        return Json.parse("patch", "{\"n\": " + n + "}");
    }

    private static long stored(AgentStore store, String name) {
        return n(store.fromTransaction(uow -> uow.triggers().get(name)));
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {32, 64})
    void everyIncrementReadThenMergedSurvives(int threads, AgentStore store) throws Exception {
        String name = "rmw-" + threads;
        store.inTransaction(uow -> uow.triggers().register(name, TriggerType.EVENT));
        Race.run(threads, t -> () -> {
            for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                store.fromTransactionWithRetry(Race.PATIENT, uow -> {
                    Trigger trigger = uow.triggers().find(name).orElseThrow();
                    return uow.triggers().updateSubscriptions(name, counter(n(trigger) + 1));
                });
            }
            return null;
        });
        assertThat(stored(store, name)).isEqualTo((long) threads * INCREMENTS_PER_THREAD);
    }

    @Test
    void aMergeAfterAConcurrentChangeFailsWithTheVersionsReadAndFound(AgentStore store) throws Exception {
        store.inTransaction(uow -> uow.triggers().register("rmw-conflict", TriggerType.EVENT));
        CountDownLatch read = new CountDownLatch(1);
        CountDownLatch changed = new CountDownLatch(1);
        Thread other = new Thread(() -> {
            Race.await(read);
            store.inTransaction(uow -> uow.triggers().updateSubscriptions("rmw-conflict", counter(100)));
            changed.countDown();
        });
        other.start();
        assertThatThrownBy(() -> store.inTransaction(uow -> {
            Trigger trigger = uow.triggers().get("rmw-conflict");
            read.countDown();
            Race.await(changed);
            uow.triggers().updateSubscriptions("rmw-conflict", counter(n(trigger) + 1));
        }))
                .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                    assertThat(e.expectedVersion()).hasValue(0L);
                    assertThat(e.actualVersion()).hasValue(1L);
                    assertThat(e.getMessage()).contains("Trigger", "rmw-conflict", "expected version 0",
                            "found version 1");
                });
        other.join();
        assertThat(stored(store, "rmw-conflict")).isEqualTo(100);
    }

    @Test
    void anExpectedVersionFromAnEarlierCallGuardsTheMerge(AgentStore store) {
        Trigger registered = store.fromTransaction(uow -> uow.triggers().register("rmw-cas", TriggerType.EVENT));
        store.inTransaction(uow -> uow.triggers().updateSubscriptions("rmw-cas", counter(1), registered.version()));
        assertThatThrownBy(() -> store.inTransaction(
                uow -> uow.triggers().updateSubscriptions("rmw-cas", counter(2), registered.version())))
                .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                    assertThat(e.expectedVersion()).hasValue(registered.version());
                    assertThat(e.actualVersion()).hasValue(registered.version() + 1);
                });
        assertThat(stored(store, "rmw-cas")).isEqualTo(1);
    }

    @Test
    void aRowLockedReadQueuesWritersInsteadOfFailingThem(AgentStore store) throws Exception {
        // fewer threads than the pool has connections: the writers queue on the row lock, not for a connection
        int threads = 16;
        store.inTransaction(uow -> uow.triggers().register("rmw-lock", TriggerType.EVENT));
        Race.run(threads, t -> () -> {
            for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                store.inTransaction(uow -> {
                    Trigger trigger = uow.triggers().findForUpdate("rmw-lock").orElseThrow();
                    uow.triggers().updateSubscriptions("rmw-lock", counter(n(trigger) + 1));
                });
            }
            return null;
        });
        assertThat(stored(store, "rmw-lock")).isEqualTo((long) threads * INCREMENTS_PER_THREAD);
    }

    @Test
    void writingTwiceInOneUnitOfWorkAfterAReadDoesNotConflictWithItself(AgentStore store) {
        store.inTransaction(uow -> uow.triggers().register("rmw-twice", TriggerType.EVENT));
        Trigger last = store.fromTransaction(uow -> {
            Trigger trigger = uow.triggers().get("rmw-twice");
            long n = n(trigger);
            uow.triggers().updateSubscriptions("rmw-twice", counter(n + 1));
            uow.triggers().fire("rmw-twice", null);
            uow.triggers().pause("rmw-twice");
            uow.triggers().register("rmw-twice", TriggerType.EVENT, counter(n + 2));
            return uow.triggers().resume("rmw-twice");
        });
        assertThat(n(last)).isEqualTo(2);
        assertThat(last.isActive()).isTrue();
    }

    @Test
    void aReRegistrationAfterAConcurrentChangeFailsWithTheVersionsReadAndFound(AgentStore store) {
        store.inTransaction(uow -> uow.triggers().register("rmw-reregister", TriggerType.EVENT));
        assertThatThrownBy(() -> store.inTransaction(uow -> {
            Trigger trigger = uow.triggers().get("rmw-reregister");
            store.inTransaction(other -> other.triggers().updateSubscriptions("rmw-reregister", counter(100)));
            uow.triggers().register("rmw-reregister", TriggerType.EVENT, counter(n(trigger) + 1));
        }))
                .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                    assertThat(e.expectedVersion()).hasValue(0L);
                    assertThat(e.actualVersion()).hasValue(1L);
                });
        assertThat(stored(store, "rmw-reregister")).isEqualTo(100);
    }
}
