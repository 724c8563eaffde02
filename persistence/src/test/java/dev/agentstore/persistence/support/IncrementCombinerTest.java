package dev.agentstore.persistence.support;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.flow.FlowStat;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.Race;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Concurrent increments of one counter combined into shared statements, on real connections and threads. */
@ExtendWith(AgentStoreExtension.class)
class IncrementCombinerTest {

    @Test
    void concurrentIncrementsShareStatementsAndGetExactlyTheValuesTheyWouldHaveGotOneAfterAnother(AgentStore store)
            throws Exception {
        try (Connection c = store.dataSource().getConnection(); Statement st = c.createStatement()) {
            c.setAutoCommit(true);
            st.execute("CREATE TABLE combiner_counter (id int PRIMARY KEY, n bigint NOT NULL, writes int NOT NULL)");
            st.execute("INSERT INTO combiner_counter VALUES (1, 0, 0)");
        }
        IncrementCombiner combiner = new IncrementCombiner();
        AtomicInteger statements = new AtomicInteger();
        int threads = 16;
        int perThread = 100;

        List<List<Long>> returned = Race.run(threads, i -> () -> {
            List<Long> mine = new ArrayList<>();
            try (Connection c = store.dataSource().getConnection()) {
                c.setAutoCommit(true);
                for (int n = 0; n < perThread; n++) {
                    mine.add(combiner.increment("counter-1", 1, true, (delta, increments) -> {
                        statements.incrementAndGet();
                        try (PreparedStatement ps = c.prepareStatement(
                                "UPDATE combiner_counter SET n = n + ?, writes = writes + ? WHERE id = 1 RETURNING n")) {
                            ps.setLong(1, delta);
                            ps.setInt(2, increments);
                            try (ResultSet rs = ps.executeQuery()) {
                                rs.next();
                                return rs.getLong(1);
                            }
                        }
                    }));
                }
            }
            return mine;
        });

        List<Long> all = new ArrayList<>();
        returned.forEach(all::addAll);
        int increments = threads * perThread;
        assertThat(all).containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, increments).boxed().toList());
        for (List<Long> mine : returned) {
            assertThat(mine).isSorted(); // each thread sees its own increments in order
        }
        assertThat(statements.get()).isLessThan(increments);
        try (Connection c = store.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT n, writes FROM combiner_counter")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(increments);
            assertThat(rs.getInt(2)).isEqualTo(increments);
        }
    }

    @Test
    void anIncrementThatMustStayInItsTransactionRunsItsOwnStatementWhileACombinedOneIsRunning() throws Exception {
        IncrementCombiner combiner = new IncrementCombiner();
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Long> combined = CompletableFuture.supplyAsync(() -> {
            try {
                return combiner.increment("counter-2", 1, true, (delta, increments) -> {
                    running.countDown();
                    Race.await(release);
                    return 10L;
                });
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();

        List<Long> sums = new ArrayList<>();
        // on a thread of its own (not one the common pool may not have free) with a deadline: were it to wait for the
        // running batch, it would time out here
        Long own = CompletableFuture.supplyAsync(() -> {
            try {
                return combiner.increment("counter-2", 5, false, (delta, increments) -> {
                    sums.add(delta);
                    return 15L;
                });
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        }, work -> new Thread(work).start()).get(20, TimeUnit.SECONDS); // below the running batch's 30 s guard

        assertThat(own).isEqualTo(15L);
        assertThat(sums).containsExactly(5L);
        release.countDown();
        assertThat(combined.get(30, TimeUnit.SECONDS)).isEqualTo(10L);
    }

    @Test
    void perCallFlowStatIncrementsByManyThreadsLoseNothingAndLeaveTheVersionAlone(AgentStore store) throws Exception {
        store.flows().register("combined-flow", null, 1);
        long version = store.flows().get("combined-flow").orElseThrow().version();

        List<List<Long>> returned = Race.run(16, i -> () -> {
            List<Long> mine = new ArrayList<>();
            for (int n = 0; n < 100; n++) {
                mine.add(store.flows().incrementStat("combined-flow", FlowStat.TOTAL, 1));
            }
            return mine;
        });

        List<Long> all = new ArrayList<>();
        returned.forEach(all::addAll);
        assertThat(all).containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, 1600).boxed().toList());
        var flow = store.flows().get("combined-flow").orElseThrow();
        assertThat(flow.stat(FlowStat.TOTAL)).isEqualTo(1600);
        assertThat(flow.version()).isEqualTo(version);
    }

    @Test
    void anIncrementInsideAUnitOfWorkStaysInItsTransactionAndRollsBackWithIt(AgentStore store) throws Exception {
        store.flows().register("rolled-back-flow", null, 1);
        CountDownLatch incremented = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> inTransaction = CompletableFuture.runAsync(() -> {
            try {
                store.inTransaction(uow -> {
                    uow.flows().incrementStat("rolled-back-flow", FlowStat.TOTAL, 5);
                    incremented.countDown();
                    Race.await(release);
                    throw new IllegalStateException("roll back");
                });
            } catch (IllegalStateException expected) {
                // rolled back
            }
        });
        assertThat(incremented.await(30, TimeUnit.SECONDS)).isTrue();

        CompletableFuture<Long> perCall = CompletableFuture.supplyAsync(
                () -> store.flows().incrementStat("rolled-back-flow", FlowStat.TOTAL, 1));
        Thread.sleep(200);
        assertThat(perCall).isNotDone(); // waits for the row lock of the open transaction: nothing combined with it
        release.countDown();
        inTransaction.get(30, TimeUnit.SECONDS);

        assertThat(perCall.get(30, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(store.flows().get("rolled-back-flow").orElseThrow().stat(FlowStat.TOTAL)).isEqualTo(1);
    }

    @Test
    void whenACombinedStatementWritesNothingEveryCallGetsTheErrorItWouldHaveGotAlone(AgentStore store)
            throws Exception {
        store.kv().set("combined:text", TextNode.valueOf("not a number"));

        List<Throwable> kvErrors = Race.run(8, i -> () -> caught(() -> store.kv().increment("combined:text", 1)));
        List<Throwable> flowErrors = Race.run(8,
                i -> () -> caught(() -> store.flows().incrementStat("no-such-flow", FlowStat.TOTAL, 1)));

        assertThat(kvErrors).allSatisfy(e -> assertThat(e).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("not an integer"));
        assertThat(flowErrors).allSatisfy(e -> assertThat(e).isInstanceOf(NotFoundException.class));
        assertThat(store.kv().get("combined:text")).contains(TextNode.valueOf("not a number"));
    }

    private static Throwable caught(Runnable call) {
        try {
            call.run();
            return null;
        } catch (RuntimeException e) {
            return e;
        }
    }
}
