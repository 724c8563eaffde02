package dev.agentstore.persistence;

import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.flow.FlowEvent;
import dev.agentstore.domain.flow.FlowEventQuery;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.domain.flow.FlowStat;
import dev.agentstore.domain.flow.NewFlowEvent;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.memory.MessageRole;
import dev.agentstore.domain.memory.NewMessage;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The store's per-call repositories: every call its own unit of work; single statements in autocommit mode. */
@ExtendWith(AgentStoreExtension.class)
class PerCallRepositoryTest {

    @Nested
    class Transactions {

        @Test
        void aSingleStatementCallIsCommittedWhenItReturns(AgentStore store) throws Exception {
            FlowEvent appended = store.flowEvents().append(NewFlowEvent.of("per-call-1", "etl", "step.completed"));

            try (Connection c = store.dataSource().getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT run_id FROM flow_events WHERE id = " + appended.id())) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("per-call-1");
            }
            assertThat(store.flowEvents().read("per-call-1", FlowEventQuery.defaults())).containsExactly(appended);
        }

        @Test
        void aMethodOfSeveralStatementsRunsInOneTransactionOfItsOwn(AgentStore store) {
            store.flows().register("per-call-flow", "per call", 1);

            var run = store.flowRuns().start("per-call-flow", "r-1");
            var moved = store.flowRuns().transition("per-call-flow", "r-1", FlowRunStatus.COMPLETED);

            assertThat(run.status()).isEqualTo(FlowRunStatus.RUNNING);
            assertThat(moved.status()).isEqualTo(FlowRunStatus.COMPLETED);
            var flow = store.flows().get("per-call-flow").orElseThrow();
            assertThat(flow.stat(FlowStat.TOTAL)).isEqualTo(1);
            assertThat(flow.stat(FlowStat.RUNNING)).isZero();
            assertThat(flow.stat(FlowStat.SUCCESS)).isEqualTo(1);
        }

        @Test
        void theRepositoriesExceptionsReachTheCallerUnwrapped(AgentStore store) {
            assertThatThrownBy(() -> store.flows().incrementStat("no-such-flow", FlowStat.TOTAL, 1))
                    .isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> store.kv().set(" ", IntNode.valueOf(1)))
                    .isInstanceOf(InvalidInputException.class);
            store.kv().set("per-call:text", TextNode.valueOf("not a number"));
            assertThatThrownBy(() -> store.kv().increment("per-call:text", 1))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("not an integer");
            assertThat(store.kv().get("per-call:text")).contains(TextNode.valueOf("not a number"));
        }

        @Test
        void eachStoreHandsOutOnePerCallRepositoryOfEachKind(AgentStore store) {
            assertThat(store.kv()).isSameAs(store.kv());
            assertThat(store.flowEvents()).isSameAs(store.flowEvents());
            // every repository can be subclassed into a per-call one (no final public methods, a no-argument constructor)
            List<Object> all = List.of(store.flows(), store.flowRuns(), store.flowEvents(), store.triggers(),
                    store.schedulerJobs(), store.kv(), store.memories(), store.templates(), store.configurations(),
                    store.records(), store.knowledge(), store.chunks());
            assertThat(all).doesNotContainNull().doesNotHaveDuplicates();
            assertThat(store.templates().latest("no-such-template")).isEmpty();
        }

        @Test
        void aConnectionThatRanInAutocommitModeGoesBackToThePoolReadyForATransaction(AgentStore store) throws Exception {
            try (AgentStore onePool = AgentStore.open(AgentStoreExtension.testConfig(store.config().schema())
                    .poolMaxSize(1).autoMigrate(false).build())) {
                onePool.kv().set("pool:ok", IntNode.valueOf(1));
                assertThat(onePool.kv().increment("pool:counter", 1)).isEqualTo(1);
                onePool.kv().set("pool:text", TextNode.valueOf("x"));
                assertThatThrownBy(() -> onePool.kv().increment("pool:text", 1)).isInstanceOf(InvalidInputException.class);

                // the same (only) connection must run the next unit of work as one transaction again
                assertThatThrownBy(() -> onePool.inTransaction(uow -> {
                    uow.kv().set("pool:half-written", IntNode.valueOf(1));
                    throw new IllegalStateException("boom");
                })).isInstanceOf(IllegalStateException.class);
                assertThat(onePool.kv().get("pool:half-written")).isEmpty();

                try (Connection c = onePool.dataSource().getConnection()) {
                    assertThat(c.getAutoCommit()).isTrue();
                }
            }
        }
    }

    @Nested
    class Concurrency {

        @Test
        void eightThreadsSavingMessagesThroughPerCallCallsGetGapFreeSequenceNumbers(AgentStore store) throws Exception {
            store.memories().saveThread("per-call-thread", "user-1", null, null);
            int perThread = 25;

            List<List<Long>> seqs = Race.run(8, i -> () -> {
                List<Long> mine = new ArrayList<>(perThread);
                for (int n = 0; n < perThread; n++) {
                    mine.add(store.memories().saveMessages("per-call-thread", List.of(NewMessage.of("m-" + i + "-" + n,
                            MessageRole.USER, TextNode.valueOf("hello " + n)))).get(0).seq());
                }
                return mine;
            });

            Set<Long> distinct = new HashSet<>();
            seqs.forEach(distinct::addAll);
            assertThat(distinct).hasSize(8 * perThread);
            assertThat(distinct).allMatch(seq -> seq >= 1 && seq <= 8 * perThread);
            assertThatThrownBy(() -> store.memories().saveMessages("no-such-thread",
                    List.of(NewMessage.of("orphan", MessageRole.USER, TextNode.valueOf("x")))))
                    .isInstanceOf(NotFoundException.class);
            assertThat(store.memories().lastMessages("per-call-thread", 1)).hasSize(1);
        }

        @Test
        void perCallStatusMovesAndMergePatchesOfOneRunByEightThreadsNeitherConflictNorLoseAWrite(AgentStore store)
                throws Exception {
            store.flows().register("per-call-race", "race", 1);
            store.flowRuns().start("per-call-race", "hot");
            int perThread = 25;

            // merge patches without a status are one statement each, in autocommit mode; the status move is one too
            Race.run(8, i -> () -> {
                for (int n = 1; n <= perThread; n++) {
                    store.flowRuns().update("per-call-race", "hot",
                            Json.parse("patch", "{\"emittedEvents\":{\"w" + i + "\":" + n + "}}"));
                }
                return null;
            });
            var done = store.flowRuns().update("per-call-race", "hot", Json.parse("patch", "{\"status\":\"completed\"}"));

            for (int i = 0; i < 8; i++) {
                assertThat(done.emittedEvents().path("w" + i).asInt()).isEqualTo(perThread);
            }
            assertThat(done.status()).isEqualTo(FlowRunStatus.COMPLETED);
            var flow = store.flows().get("per-call-race").orElseThrow();
            assertThat(flow.stat(FlowStat.RUNNING)).isZero();
            assertThat(flow.stat(FlowStat.SUCCESS)).isEqualTo(1);
        }

        @Test
        void sixteenThreadsIncrementingThroughPerCallCallsLoseNothing(AgentStore store) throws Exception {
            int perThread = 200;
            List<List<Long>> returned = Race.run(16, i -> () -> {
                List<Long> mine = new ArrayList<>(perThread);
                for (int n = 0; n < perThread; n++) {
                    mine.add(store.kv().increment("per-call:counter", 1));
                }
                return mine;
            });

            Set<Long> distinct = new HashSet<>();
            returned.forEach(distinct::addAll);
            assertThat(distinct).hasSize(16 * perThread);
            assertThat(store.kv().get("per-call:counter")).contains(IntNode.valueOf(16 * perThread));
        }
    }
}
