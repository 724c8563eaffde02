package dev.agentstore.persistence.flow;

import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.flow.Flow;
import dev.agentstore.domain.flow.FlowStat;
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
 * The natural read-modify-write of a {@link Flow}: read it, re-register it with {@code flowVersion + 1}. Run by many
 * threads at once every increment must survive: the re-registration is checked against the version read.
 */
@ExtendWith(AgentStoreExtension.class)
class FlowReadModifyWriteTest {

    private static final int INCREMENTS_PER_THREAD = 10;

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {32, 64})
    void everyIncrementReadThenRegisteredSurvives(int threads, AgentStore store) throws Exception {
        String name = "rmw-" + threads;
        store.flows().register(name, "RMW", 1);
        Race.run(threads, t -> () -> {
            for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                store.fromTransactionWithRetry(Race.PATIENT, uow -> {
                    Flow flow = uow.flows().get(name).orElseThrow();
                    return uow.flows().register(name, flow.displayName(), flow.flowVersion() + 1);
                });
            }
            return null;
        });
        assertThat(store.flows().get(name).orElseThrow().flowVersion())
                .isEqualTo(1 + threads * INCREMENTS_PER_THREAD);
    }

    @Test
    void aRegistrationAfterAConcurrentChangeFailsWithTheVersionsReadAndFound(AgentStore store) throws Exception {
        store.flows().register("rmw-conflict", "RMW", 1);
        CountDownLatch read = new CountDownLatch(1);
        CountDownLatch changed = new CountDownLatch(1);
        Thread other = new Thread(() -> {
            Race.await(read);
            store.flows().register("rmw-conflict", "RMW", 100);
            changed.countDown();
        });
        other.start();
        assertThatThrownBy(() -> store.inTransaction(uow -> {
            Flow flow = uow.flows().get("rmw-conflict").orElseThrow();
            read.countDown();
            Race.await(changed);
            uow.flows().register("rmw-conflict", flow.displayName(), flow.flowVersion() + 1);
        }))
                .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                    assertThat(e.expectedVersion()).hasValue(0L);
                    assertThat(e.actualVersion()).hasValue(1L);
                    assertThat(e.getMessage()).contains("Flow", "rmw-conflict", "expected version 0",
                            "found version 1");
                });
        other.join();
        assertThat(store.flows().get("rmw-conflict").orElseThrow().flowVersion()).isEqualTo(100);
    }

    @Test
    void anExpectedVersionFromAnEarlierCallGuardsTheRegistration(AgentStore store) {
        Flow registered = store.flows().register("rmw-cas", "RMW", 1);
        store.flows().register("rmw-cas", "RMW", 2, registered.version());
        assertThatThrownBy(() -> store.flows().register("rmw-cas", "RMW", 3, registered.version()))
                .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                    assertThat(e.expectedVersion()).hasValue(registered.version());
                    assertThat(e.actualVersion()).hasValue(registered.version() + 1);
                });
        assertThat(store.flows().get("rmw-cas").orElseThrow().flowVersion()).isEqualTo(2);
    }

    @Test
    void aRowLockedReadQueuesWritersInsteadOfFailingThem(AgentStore store) throws Exception {
        // fewer threads than the pool has connections: the writers queue on the row lock, not for a connection
        int threads = 16;
        store.flows().register("rmw-lock", "RMW", 1);
        Race.run(threads, t -> () -> {
            for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                store.inTransaction(uow -> {
                    Flow flow = uow.flows().getForUpdate("rmw-lock").orElseThrow();
                    uow.flows().register("rmw-lock", flow.displayName(), flow.flowVersion() + 1);
                });
            }
            return null;
        });
        assertThat(store.flows().get("rmw-lock").orElseThrow().flowVersion())
                .isEqualTo(1 + threads * INCREMENTS_PER_THREAD);
    }

    @Test
    void registeringTwiceInOneUnitOfWorkAfterAReadDoesNotConflictWithItself(AgentStore store) {
        store.flows().register("rmw-twice", "RMW", 1);
        Flow last = store.fromTransaction(uow -> {
            Flow flow = uow.flows().get("rmw-twice").orElseThrow();
            uow.flows().register("rmw-twice", flow.displayName(), flow.flowVersion() + 1);
            uow.flows().incrementStat("rmw-twice", FlowStat.TOTAL, 1);
            return uow.flows().register("rmw-twice", flow.displayName(), flow.flowVersion() + 2);
        });
        assertThat(last.flowVersion()).isEqualTo(3);
        assertThat(last.stats().total()).isEqualTo(1);
    }

    @Test
    void runsOfTheFlowMovingItsCountersNeverMakeItsRegistrationConflict(AgentStore store) throws Exception {
        store.flows().register("rmw-busy", "RMW", 1);
        Flow last = store.fromTransaction(uow -> {
            Flow flow = uow.flows().get("rmw-busy").orElseThrow();
            store.flowRuns().start("rmw-busy", "other-transaction-run");
            uow.flowRuns().start("rmw-busy", "own-run");
            return uow.flows().register("rmw-busy", flow.displayName(), flow.flowVersion() + 1);
        });
        assertThat(last.flowVersion()).isEqualTo(2);
        assertThat(last.stats().total()).isEqualTo(2);
    }

    @Test
    void aRegistrationOfAFlowDeletedSinceItWasReadFailsWithNotFound(AgentStore store) {
        store.flows().register("rmw-gone", "RMW", 1);
        assertThatThrownBy(() -> store.inTransaction(uow -> {
            Flow flow = uow.flows().get("rmw-gone").orElseThrow();
            store.flows().delete("rmw-gone");
            uow.flows().register("rmw-gone", flow.displayName(), flow.flowVersion() + 1);
        })).isInstanceOf(NotFoundException.class);
        assertThat(store.flows().get("rmw-gone")).isEmpty();
    }
}
