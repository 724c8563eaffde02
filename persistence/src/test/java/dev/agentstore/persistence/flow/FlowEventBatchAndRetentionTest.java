package dev.agentstore.persistence.flow;

import com.fasterxml.jackson.databind.node.IntNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.flow.FlowEvent;
import dev.agentstore.domain.flow.FlowEventQuery;
import dev.agentstore.domain.flow.NewFlowEvent;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.support.Sql;
import io.hypersistence.utils.jdbc.validator.SQLStatementCountValidator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** appendAll's single statement, atomic batches, retention purges, and the query plans of the reads. */
@ExtendWith(AgentStoreExtension.class)
class FlowEventBatchAndRetentionTest {

    private static final Instant BASE = Instant.parse("2030-06-01T00:00:00Z");

    private static AgentStore counting;

    @BeforeAll
    static void openCountingStore(AgentStore store) {
        counting = AgentStoreExtension.statementCountingStore(store);
    }

    @AfterAll
    static void closeCountingStore() {
        counting.close();
    }

    @Test
    void readsAreServedByTheirIndexes(AgentStore store) {
        List<NewFlowEvent> events = new ArrayList<>();
        for (int run = 0; run < 80; run++) {
            for (int i = 0; i < 100; i++) {
                events.add(NewFlowEvent.of("plan-run-" + run, "plan-flow-" + (run % 4), "type-" + (i % 10))
                        .at(BASE.plusSeconds(i).plusMillis(run)));
            }
        }
        List<FlowEvent> stored = store.fromTransaction(uow -> uow.flowEvents().appendAll(events));
        store.inTransaction(uow -> uow.entityManager().createNativeQuery("ANALYZE flow_events").executeUpdate());
        long cursor = stored.get(7 * 100 + 50).id(); // an event in the middle of plan-run-7

        String latestN = explain(store, FlowEventQuery.defaults().descending().limit(10));
        String descCursor = explain(store, FlowEventQuery.defaults().descending().after(cursor).limit(10));
        String ascCursor = explain(store, FlowEventQuery.defaults().after(cursor).limit(10));
        String byFlow = explain(store, FlowEventSql.byFlow("plan-flow-1", "type-3", BASE.plusSeconds(90), null, 10));

        // flow_events is partitioned (0.5): each partition holds its copy of the table's indexes, named
        // <partition>_<columns>_idx; these rows are all in flow_events_default
        String runIndex = "flow_events_default_run_id_ts_id_idx"; // of flow_events_run_ts_idx
        assertThat(latestN).contains("Index Scan using " + runIndex).doesNotContain("Sort");
        for (String plan : List.of(descCursor, ascCursor)) {
            assertThat(plan).contains("using " + runIndex).doesNotContain("Sort")
                    .containsPattern("Index Cond: \\(+.*ROW\\(ts, id\\)"); // the cursor bounds the index range
        }
        assertThat(ascCursor).contains("Index Scan Backward using " + runIndex);
        assertThat(byFlow).contains("flow_events_default_flow_name_type_ts_idx"); // of flow_events_flow_type_ts_idx
    }

    @Nested
    class AppendAll {

        @Test
        void appendAllSendsExactlyOneInsertStatementAndReturnsTheEventsWithIdsInInputOrder(AgentStore store) {
            List<NewFlowEvent> events = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                // times deliberately not in input order, some events without a time, step fields on some
                NewFlowEvent e = NewFlowEvent.of("run-batch-" + (i % 3), "batch-flow", "t" + (i % 5))
                        .at(i % 10 == 0 ? null : BASE.plusMillis((i * 7919L) % 1000))
                        .attempt(i % 4 == 0 ? null : i % 4)
                        .data(i % 6 == 0 ? null : IntNode.valueOf(i));
                events.add(i % 2 == 0 ? e.step("step-" + i, "id-" + i) : e);
            }

            SQLStatementCountValidator.reset();
            List<FlowEvent> stored = counting.fromTransaction(uow -> uow.flowEvents().appendAll(events));
            SQLStatementCountValidator.assertInsertCount(1);
            SQLStatementCountValidator.assertTotalCount(1);

            assertThat(stored).hasSize(500);
            assertThat(stored).extracting(FlowEvent::id).isSorted().doesNotHaveDuplicates();
            Map<Long, FlowEvent> inDb = store.fromTransaction(uow -> uow.entityManager()
                            .createQuery("select e from FlowEvent e where e.flowName = 'batch-flow'", FlowEvent.class)
                            .getResultList())
                    .stream().collect(Collectors.toMap(FlowEvent::id, e -> e));
            assertThat(inDb).hasSize(500);
            for (int i = 0; i < 500; i++) {
                NewFlowEvent in = events.get(i);
                FlowEvent out = stored.get(i);
                FlowEvent row = inDb.get(out.id());
                assertThat(row).as("row of input %d", i).isNotNull();
                for (FlowEvent e : List.of(out, row)) {
                    assertThat(e.runId()).isEqualTo(in.runId());
                    assertThat(e.type()).isEqualTo(in.type());
                    assertThat(e.stepName()).isEqualTo(in.stepName());
                    assertThat(e.stepId()).isEqualTo(in.stepId());
                    assertThat(e.attempt()).isEqualTo(in.attempt());
                    assertThat(e.data()).isEqualTo(in.data());
                    assertThat(e.ts()).isEqualTo(in.ts() == null ? out.ts() : in.ts());
                }
            }
        }

        @Test
        void anEmptyBatchSendsNoStatement() {
            SQLStatementCountValidator.reset();
            List<FlowEvent> stored = counting.fromTransaction(uow -> uow.flowEvents().appendAll(List.of()));
            SQLStatementCountValidator.assertTotalCount(0);
            assertThat(stored).isEmpty();
        }

        @Test
        void aBatchWithOneBadElementWritesNothing(AgentStore store) {
            NewFlowEvent good = NewFlowEvent.of("run-bad-batch", "etl", "ok").at(BASE);
            NewFlowEvent refusedByTheDatabase = NewFlowEvent.of("run-bad-batch", "etl", "nul")
                    .data(Json.parse("d", "{\"s\":\"a\\u0000b\"}")); // jsonb cannot store U+0000

            SQLStatementCountValidator.reset();
            assertThatThrownBy(() -> counting.inTransaction(uow -> uow.flowEvents().appendAll(Arrays.asList(good, null, good))))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("events");
            SQLStatementCountValidator.assertTotalCount(0);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.flowEvents().appendAll(List.of(good, refusedByTheDatabase, good))))
                    .isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.flowEvents().appendAll(null)))
                    .isInstanceOf(InvalidInputException.class);

            assertThat(read(store, "run-bad-batch")).isEmpty();
        }
    }

    @Nested
    class Purge {

        @Test
        void purgeDeletesExactlyTheEventsOlderThanTheCutoffInBoundedBatches(AgentStore store) {
            Instant cutoff = Instant.parse("2001-01-01T00:00:00Z");
            List<NewFlowEvent> events = new ArrayList<>();
            for (int i = 0; i < 250; i++) {
                events.add(NewFlowEvent.of("purge-old-" + (i % 5), "purge", "e").at(cutoff.minusSeconds(1 + i * 3600L)));
            }
            for (int i = 0; i < 30; i++) {
                events.add(NewFlowEvent.of("purge-at-cutoff", "purge", "e").at(cutoff)); // not older: kept
            }
            for (int i = 0; i < 20; i++) {
                events.add(NewFlowEvent.of("purge-new", "purge", "e").at(cutoff.plusMillis(1 + i)));
            }
            store.inTransaction(uow -> uow.flowEvents().appendAll(events));

            SQLStatementCountValidator.reset();
            long purged = counting.fromTransaction(uow -> uow.flowEvents().purgeOlderThan(cutoff, 40));
            SQLStatementCountValidator.assertDeleteCount(7); // 6 full batches of 40, then one of 10 ends the loop
            SQLStatementCountValidator.assertTotalCount(7);

            assertThat(purged).isEqualTo(250);
            assertThat(count(store, "SELECT count(*) FROM flow_events WHERE ts < '2001-01-01T00:00:00Z'")).isZero();
            assertThat(count(store, "SELECT count(*) FROM flow_events WHERE flow_name = 'purge'")).isEqualTo(50);
            long again = store.fromTransaction(uow -> uow.flowEvents().purgeOlderThan(cutoff, 40));
            assertThat(again).isZero();
        }

        @Test
        void purgeOlderThanBatchDeletesAtMostOneBatchSoCallersCanLoopOverTransactions(AgentStore store) {
            Instant cutoff = Instant.parse("1990-01-01T00:00:00Z");
            List<NewFlowEvent> events = new ArrayList<>();
            for (int i = 0; i < 95; i++) {
                events.add(NewFlowEvent.of("purge-loop", "purge-loop", "e").at(cutoff.minusMillis(1 + i)));
            }
            events.add(NewFlowEvent.of("purge-loop", "purge-loop", "e").at(cutoff));
            store.inTransaction(uow -> uow.flowEvents().appendAll(events));

            List<Integer> batches = new ArrayList<>();
            int deleted;
            do {
                deleted = store.fromTransaction(uow -> uow.flowEvents().purgeOlderThanBatch(cutoff, 40));
                batches.add(deleted);
            } while (deleted == 40);

            assertThat(batches).containsExactly(40, 40, 15);
            assertThat(read(store, "purge-loop")).extracting(FlowEvent::ts).containsExactly(cutoff);
            store.inTransaction(uow -> uow.flowEvents().deleteRun("purge-loop")); // leave nothing for the other purge test
        }

        @Test
        void invalidPurgeArgumentsAreRefused(AgentStore store) {
            for (int batchSize : new int[]{0, -1, 100_001}) {
                assertThatThrownBy(() -> store.inTransaction(uow -> uow.flowEvents().purgeOlderThan(BASE, batchSize)))
                        .isInstanceOf(InvalidInputException.class).hasMessageContaining("batchSize");
            }
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.flowEvents().purgeOlderThanBatch(null, 10)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("cutoff");
        }
    }

    private static String explain(AgentStore store, FlowEventQuery query) {
        return explain(store, FlowEventSql.read("plan-run-7", query));
    }

    private static String explain(AgentStore store, FlowEventSql.Read read) {
        return store.fromTransaction(uow -> Sql.call(uow.entityManager(), "explain",
                        h -> read.bind(h.createQuery("EXPLAIN " + read.sql())).mapTo(String.class).list()))
                .stream().collect(Collectors.joining("\n"));
    }

    private static List<FlowEvent> read(AgentStore store, String runId) {
        return store.fromTransaction(uow -> uow.flowEvents().read(runId, FlowEventQuery.defaults()));
    }

    private static long count(AgentStore store, String sql) {
        return store.fromTransaction(uow -> ((Number) uow.entityManager().createNativeQuery(sql).getSingleResult()).longValue());
    }
}
