package dev.agentstore.persistence.knowledge;

import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.KnowledgeBase;
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
 * The natural read-modify-write of a {@link KnowledgeBase}: read it, change its IVFFlat index to {@code lists + 1}.
 * Run by many threads at once every increment must survive: the write is checked against the version read. The
 * bases are empty, so that each index build is cheap.
 */
@ExtendWith(AgentStoreExtension.class)
class KnowledgeBaseReadModifyWriteTest {

    private static final int INCREMENTS_PER_THREAD = 10;

    private static void create(AgentStore store, String name) {
        store.inTransaction(uow -> uow.knowledge().create(name, 3, Distance.COSINE, IndexSpec.ivfflat(1)));
    }

    private static int lists(AgentStore store, String name) {
        return store.fromTransaction(uow -> uow.knowledge().get(name)).index().lists();
    }

    private static IndexSpec plusOne(KnowledgeBase kb) {
        return IndexSpec.ivfflat(kb.index().lists() + 1);
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {32, 64})
    void everyIncrementReadThenChangedSurvives(int threads, AgentStore store) throws Exception {
        String name = "rmw_" + threads;
        create(store, name);
        Race.run(threads, t -> () -> {
            for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                store.fromTransactionWithRetry(Race.PATIENT, uow -> {
                    KnowledgeBase kb = uow.knowledge().get(name);
                    return uow.knowledge().changeIndex(name, plusOne(kb));
                });
            }
            return null;
        });
        assertThat(lists(store, name)).isEqualTo(1 + threads * INCREMENTS_PER_THREAD);
    }

    @Test
    void aChangeAfterAConcurrentChangeFailsWithTheVersionsReadAndFound(AgentStore store) throws Exception {
        create(store, "rmw_conflict");
        CountDownLatch read = new CountDownLatch(1);
        CountDownLatch changed = new CountDownLatch(1);
        Thread other = new Thread(() -> {
            Race.await(read);
            store.inTransaction(uow -> uow.knowledge().changeIndex("rmw_conflict", IndexSpec.ivfflat(100)));
            changed.countDown();
        });
        other.start();
        assertThatThrownBy(() -> store.inTransaction(uow -> {
            KnowledgeBase kb = uow.knowledge().get("rmw_conflict");
            read.countDown();
            Race.await(changed);
            uow.knowledge().changeIndex("rmw_conflict", plusOne(kb));
        }))
                .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                    assertThat(e.expectedVersion()).hasValue(0L);
                    assertThat(e.actualVersion()).hasValue(1L);
                    assertThat(e.getMessage()).contains("KnowledgeBase", "rmw_conflict", "expected version 0",
                            "found version 1");
                });
        other.join();
        assertThat(lists(store, "rmw_conflict")).isEqualTo(100);
    }

    @Test
    void anExpectedVersionFromAnEarlierCallGuardsTheChange(AgentStore store) {
        create(store, "rmw_cas");
        KnowledgeBase created = store.fromTransaction(uow -> uow.knowledge().get("rmw_cas"));
        store.inTransaction(uow -> uow.knowledge().changeIndex("rmw_cas", IndexSpec.ivfflat(2), IndexBuild.auto(),
                created.version()));
        assertThatThrownBy(() -> store.inTransaction(uow -> uow.knowledge().changeIndex("rmw_cas",
                IndexSpec.ivfflat(3), IndexBuild.auto(), created.version())))
                .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> {
                    assertThat(e.expectedVersion()).hasValue(created.version());
                    assertThat(e.actualVersion()).hasValue(created.version() + 1);
                });
        assertThat(lists(store, "rmw_cas")).isEqualTo(2);
    }

    @Test
    void aRowLockedReadQueuesWritersInsteadOfFailingThem(AgentStore store) throws Exception {
        // fewer threads than the pool has connections: the writers queue on the row lock, not for a connection
        int threads = 16;
        create(store, "rmw_lock");
        Race.run(threads, t -> () -> {
            for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                store.inTransaction(uow -> {
                    KnowledgeBase kb = uow.knowledge().findForUpdate("rmw_lock").orElseThrow();
                    uow.knowledge().changeIndex("rmw_lock", plusOne(kb));
                });
            }
            return null;
        });
        assertThat(lists(store, "rmw_lock")).isEqualTo(1 + threads * INCREMENTS_PER_THREAD);
    }

    @Test
    void changingTwiceInOneUnitOfWorkAfterAReadDoesNotConflictWithItself(AgentStore store) {
        create(store, "rmw_twice");
        KnowledgeBase last = store.fromTransaction(uow -> {
            KnowledgeBase kb = uow.knowledge().get("rmw_twice");
            int lists = kb.index().lists();
            uow.knowledge().changeIndex("rmw_twice", IndexSpec.ivfflat(lists + 1));
            return uow.knowledge().changeIndex("rmw_twice", IndexSpec.ivfflat(lists + 2));
        });
        assertThat(last.index().lists()).isEqualTo(3);
        assertThat(lists(store, "rmw_twice")).isEqualTo(3);
    }
}
