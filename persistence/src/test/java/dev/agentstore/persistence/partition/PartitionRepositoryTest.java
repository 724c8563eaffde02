package dev.agentstore.persistence.partition;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.flow.FlowEvent;
import dev.agentstore.domain.flow.FlowEventQuery;
import dev.agentstore.domain.flow.NewFlowEvent;
import dev.agentstore.domain.partition.Partition;
import dev.agentstore.domain.partition.PartitionWidth;
import dev.agentstore.domain.partition.PartitionedTable;
import dev.agentstore.domain.partition.PruneResult;
import dev.agentstore.domain.partition.RetentionPolicy;
import dev.agentstore.domain.trigger.TriggerType;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.Race;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Partitions created ahead of time and retention by dropping partitions and by bounded deletes. */
@ExtendWith(AgentStoreExtension.class)
class PartitionRepositoryTest {

    private final AgentStore store;
    private final MutableClock clock;

    PartitionRepositoryTest(AgentStore store, MutableClock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Every test starts with empty event tables holding only their DEFAULT partitions. */
    @BeforeEach
    void onlyDefaultPartitions() throws SQLException {
        for (PartitionedTable table : List.of(PartitionedTable.FLOW_EVENTS, PartitionedTable.TRIGGER_EVENTS)) {
            for (Partition p : store.partitions().partitions(table)) {
                if (!p.isDefault()) {
                    sql("DROP TABLE " + p.name());
                }
            }
        }
        sql("TRUNCATE flow_events, trigger_events, flow_run_status_changes");
    }

    @Nested
    class CreateAhead {

        @Test
        void createsTheCurrentPeriodAndThePeriodsAheadOfEveryTableThatExists() {
            clock.set(Instant.parse("2031-03-15T10:00:00Z"));

            List<Partition> created = store.partitions().createAhead(PartitionWidth.MONTHLY, 2);

            assertThat(created).filteredOn(p -> p.table() == PartitionedTable.FLOW_EVENTS)
                    .extracting(Partition::name, Partition::from, Partition::to)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple("flow_events_p20310301",
                                    Instant.parse("2031-03-01T00:00:00Z"), Instant.parse("2031-04-01T00:00:00Z")),
                            org.assertj.core.groups.Tuple.tuple("flow_events_p20310401",
                                    Instant.parse("2031-04-01T00:00:00Z"), Instant.parse("2031-05-01T00:00:00Z")),
                            org.assertj.core.groups.Tuple.tuple("flow_events_p20310501",
                                    Instant.parse("2031-05-01T00:00:00Z"), Instant.parse("2031-06-01T00:00:00Z")));
            assertThat(created).filteredOn(p -> p.table() == PartitionedTable.TRIGGER_EVENTS)
                    .extracting(Partition::name)
                    .containsExactly("trigger_events_p20310301", "trigger_events_p20310401", "trigger_events_p20310501");
            assertThat(store.partitions().partitions(PartitionedTable.FLOW_EVENTS))
                    .extracting(Partition::name, Partition::isDefault)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("flow_events_p20310301", false),
                            org.assertj.core.groups.Tuple.tuple("flow_events_p20310401", false),
                            org.assertj.core.groups.Tuple.tuple("flow_events_p20310501", false),
                            org.assertj.core.groups.Tuple.tuple("flow_events_default", true));
            for (PartitionedTable table : PartitionedTable.values()) {
                boolean exists = !store.partitions().partitions(table).isEmpty();
                assertThat(created).as("%s exists: %s", table, exists)
                        .filteredOn(p -> p.table() == table).hasSize(exists ? 3 : 0);
            }
        }

        @Test
        void isIdempotentAndAnotherWidthFillsOnlyWhatNoPartitionCovers() {
            clock.set(Instant.parse("2031-03-31T23:00:00Z"));
            assertThat(store.partitions().createAhead(PartitionedTable.FLOW_EVENTS, PartitionWidth.MONTHLY, 0))
                    .hasSize(1);

            assertThat(store.partitions().createAhead(PartitionedTable.FLOW_EVENTS, PartitionWidth.MONTHLY, 0))
                    .as("a second call").isEmpty();
            assertThat(store.partitions().createAhead(PartitionedTable.FLOW_EVENTS, PartitionWidth.DAILY, 2))
                    .as("daily from March 31: March is covered")
                    .extracting(Partition::name)
                    .containsExactly("flow_events_p20310401", "flow_events_p20310402");
        }

        @Test
        void movesTheRowsTheDefaultPartitionHoldsForANewPartitionIntoIt() throws SQLException {
            List<FlowEvent> appended = store.flowEvents().appendAll(List.of(
                    NewFlowEvent.of("run-m", "etl", "early").at(Instant.parse("2032-05-31T23:59:59.999Z")),
                    NewFlowEvent.of("run-m", "etl", "june").at(Instant.parse("2032-06-10T00:00:00Z")),
                    NewFlowEvent.of("run-m", "etl", "july").at(Instant.parse("2032-07-01T00:00:00Z"))));
            clock.set(Instant.parse("2032-06-01T00:00:00Z"));
            store.triggers().register("hook", TriggerType.WEBHOOK);
            store.triggers().fire("hook", null);

            store.partitions().createAhead(PartitionWidth.MONTHLY, 0);

            assertThat(partitionsOfRows("flow_events")).containsExactly(
                    "early flow_events_default", "june flow_events_p20320601", "july flow_events_default");
            assertThat(partitionsOfRows("trigger_events")).containsExactly("fired trigger_events_p20320601");
            assertThat(store.flowEvents().read("run-m", FlowEventQuery.defaults())).isEqualTo(appended);
            store.triggers().delete("hook");
            assertThat(partitionsOfRows("trigger_events")).as("the foreign key's cascade").isEmpty();
        }

        @Test
        void concurrentCallsFromManyNodesCreateEachPartitionOnce() throws Exception {
            clock.set(Instant.parse("2033-02-10T00:00:00Z"));

            List<List<Partition>> results = Race.run(6, i -> () -> store.partitions().createAhead(
                    PartitionWidth.DAILY, 4));

            List<String> created = results.stream().flatMap(List::stream)
                    .filter(p -> p.table() == PartitionedTable.FLOW_EVENTS).map(Partition::name).sorted().toList();
            assertThat(created).containsExactly("flow_events_p20330210", "flow_events_p20330211",
                    "flow_events_p20330212", "flow_events_p20330213", "flow_events_p20330214");
            assertThat(store.partitions().partitions(PartitionedTable.FLOW_EVENTS)).hasSize(6);
        }

        @Test
        void rejectsBadArgumentsBeforeTouchingTheDatabase() {
            assertThatThrownBy(() -> store.partitions().createAhead(null, 1))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("width");
            assertThatThrownBy(() -> store.partitions().createAhead(PartitionWidth.DAILY, -1))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("periodsAhead");
        }
    }

    @Nested
    class Prune {

        /** Monthly partitions for October 2032 to January 2033, and the clock at 2033-01-01. */
        @BeforeEach
        void monthsOfPartitions() {
            clock.set(Instant.parse("2032-10-01T00:00:00Z"));
            store.partitions().createAhead(PartitionWidth.MONTHLY, 3);
            clock.set(Instant.parse("2033-01-01T00:00:00Z"));
        }

        @Test
        void dropsThePartitionsOlderThanTheCutoffAndDeletesTheOlderRowsOfTheOthersInBatches() throws SQLException {
            append("etl", "2032-10-05T00:00:00Z", "2032-10-06T00:00:00Z", "2032-11-20T00:00:00Z",
                    "2032-11-21T00:00:00Z", "2032-11-21T12:00:00Z", "2032-11-23T00:00:00Z", "2032-12-20T00:00:00Z",
                    "2020-01-01T00:00:00Z"); // the last one in the DEFAULT partition

            PruneResult result = store.partitions().prune(RetentionPolicy.none()
                    .keep(PartitionedTable.FLOW_EVENTS, Duration.ofDays(40)) // cutoff 2032-11-22
                    .batchSize(2));

            assertThat(result.of(PartitionedTable.FLOW_EVENTS).droppedPartitions())
                    .containsExactly("flow_events_p20321001");
            assertThat(result.of(PartitionedTable.FLOW_EVENTS).rowsDeleted()).isEqualTo(4);
            assertThat(result.tables()).extracting(PruneResult.Table::table)
                    .containsExactly(PartitionedTable.FLOW_EVENTS);
            assertThat(times("flow_events")).containsExactly("2032-11-23T00:00:00Z", "2032-12-20T00:00:00Z");
            assertThat(store.partitions().partitions(PartitionedTable.FLOW_EVENTS)).extracting(Partition::name)
                    .doesNotContain("flow_events_p20321001").contains("flow_events_p20321101");
        }

        @Test
        void keepsEachFlowForItsOwnAgeAndDropsNoPartitionAFlowStillNeeds() throws SQLException {
            append("etl", "2032-10-05T00:00:00Z", "2032-11-20T00:00:00Z", "2032-12-30T00:00:00Z");
            append("billing", "2032-10-05T00:00:00Z", "2032-11-20T00:00:00Z");
            append("debug", "2032-12-30T00:00:00Z", "2032-12-31T12:00:00Z");

            PruneResult result = store.partitions().prune(RetentionPolicy.none()
                    .keep(PartitionedTable.FLOW_EVENTS, Duration.ofDays(40))
                    .keepFlow("billing", Duration.ofDays(365))
                    .keepFlow("debug", Duration.ofDays(1)));

            assertThat(result.of(PartitionedTable.FLOW_EVENTS).droppedPartitions()).isEmpty();
            assertThat(result.of(PartitionedTable.FLOW_EVENTS).rowsDeleted()).isEqualTo(3);
            assertThat(flowsAndTimes()).containsExactly(
                    "billing 2032-10-05T00:00:00Z", "billing 2032-11-20T00:00:00Z",
                    "debug 2032-12-31T12:00:00Z", "etl 2032-12-30T00:00:00Z");
        }

        @Test
        void theLongestAgeOfTheRulesThatMatchARowWinsAndTriggersAndTypesHaveRulesToo() throws SQLException {
            append("etl", "2032-12-01T00:00:00Z");
            for (String trigger : List.of("audit", "hook")) {
                clock.set(Instant.parse("2032-11-01T00:00:00Z"));
                store.triggers().register(trigger, TriggerType.WEBHOOK);
                store.triggers().fire(trigger, "log", null);
                store.triggers().fire(trigger, "fired", null);
            }
            clock.set(Instant.parse("2033-01-01T00:00:00Z"));

            PruneResult result = store.partitions().prune(RetentionPolicy.none()
                    .keepType(PartitionedTable.FLOW_EVENTS, "step.log", Duration.ofDays(1)) // no age of its own
                    .keep(PartitionedTable.TRIGGER_EVENTS, Duration.ofDays(40))
                    .keepTrigger("audit", Duration.ofDays(365))
                    .keepType(PartitionedTable.TRIGGER_EVENTS, "log", Duration.ofDays(3)));

            assertThat(result.of(PartitionedTable.FLOW_EVENTS).rowsDeleted()).as("flow events of other types").isZero();
            assertThat(result.of(PartitionedTable.TRIGGER_EVENTS).rowsDeleted()).isEqualTo(2);
            assertThat(result.partitionsDropped()).isZero(); // the audit rule keeps the November partition
            // audit's "log" event matches the audit rule (365 days) and the "log" rule (3 days): the longer wins
            assertThat(rows("SELECT trigger_name || ' ' || type FROM trigger_events ORDER BY 1"))
                    .containsExactly("audit fired", "audit log");
        }

        @Test
        void runStatusChangesGoWithTheFlowEventsByTheirTimeAndFlowButNotByEventType() throws SQLException {
            for (String flow : List.of("etl", "billing")) {
                store.inTransaction(uow -> uow.flowRuns().start(flow, "old"));
                store.inTransaction(uow -> uow.flowRuns().start(flow, "new"));
            }
            // changed_at is the database's now(): set the rows to times around the cutoffs
            sql("UPDATE flow_run_status_changes SET changed_at = '2032-10-05T00:00:00Z' WHERE run_id = 'old'");
            sql("UPDATE flow_run_status_changes SET changed_at = '2032-12-30T00:00:00Z' WHERE run_id = 'new'");

            PruneResult result = store.partitions().prune(RetentionPolicy.none()
                    .keep(PartitionedTable.FLOW_EVENTS, Duration.ofDays(40)) // cutoff 2032-11-22
                    .keepFlow("billing", Duration.ofDays(365))
                    .keepType(PartitionedTable.FLOW_EVENTS, "RUNNING", Duration.ofDays(1000)) // matches no status change
                    .batchSize(1));

            assertThat(result.runStatusChangesDeleted()).isEqualTo(1);
            assertThat(result.rowsDeleted()).isEqualTo(1);
            assertThat(rows("SELECT flow_name || ' ' || run_id || ' ' || status FROM flow_run_status_changes ORDER BY 1"))
                    .containsExactly("billing new RUNNING", "billing old RUNNING", "etl new RUNNING");
            assertThat(rows("SELECT count(*) FROM flow_runs")).as("the runs stay").containsExactly("4");
            assertThat(store.partitions().prune(RetentionPolicy.none().keep(PartitionedTable.TRIGGER_EVENTS,
                    Duration.ofDays(1))).runStatusChangesDeleted()).as("only with the flow events' policy").isZero();
        }

        @Test
        void aSecondPruneFindsNothingLeftToRemove() {
            append("etl", "2032-10-05T00:00:00Z", "2032-11-20T00:00:00Z");
            RetentionPolicy policy = RetentionPolicy.none().keep(PartitionedTable.FLOW_EVENTS, Duration.ofDays(40));
            assertThat(store.partitions().prune(policy).rowsDeleted()).isEqualTo(1);

            PruneResult again = store.partitions().prune(policy);

            assertThat(again.partitionsDropped()).isZero();
            assertThat(again.rowsDeleted()).isZero();
        }

        @Test
        void aPolicyRejectsAColumnThatIsNotASubjectOfTheTableAndAgesThatAreNotPositive() {
            assertThatThrownBy(() -> RetentionPolicy.none().keep(PartitionedTable.SPANS, "flow_name", "x",
                    Duration.ofDays(1))).isInstanceOf(InvalidInputException.class).hasMessageContaining("not a retention subject of spans");
            assertThatThrownBy(() -> RetentionPolicy.none().keep(PartitionedTable.FLOW_EVENTS, Duration.ZERO))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("age");
            assertThatThrownBy(() -> RetentionPolicy.none().keepFlow(null, Duration.ofDays(1)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("value");
        }
    }

    private void append(String flow, String... times) {
        store.flowEvents().appendAll(Arrays.stream(times)
                .map(t -> NewFlowEvent.of("run-" + flow, flow, "etl-event").at(Instant.parse(t))).toList());
    }

    private List<String> times(String table) throws SQLException {
        return rows("SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM " + table
                + " ORDER BY ts");
    }

    private List<String> flowsAndTimes() throws SQLException {
        return rows("SELECT flow_name || ' ' || to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                + " FROM flow_events ORDER BY flow_name, ts");
    }

    /** @return per row, in id order, its type and the partition that holds it */
    private List<String> partitionsOfRows(String table) throws SQLException {
        return rows("SELECT e.type || ' ' || c.relname FROM " + table + " e JOIN pg_class c ON c.oid = e.tableoid"
                + " ORDER BY e.id");
    }

    private List<String> rows(String query) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection c = store.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(query)) {
            while (rs.next()) {
                rows.add(rs.getString(1));
            }
        }
        return rows;
    }

    private void sql(String statement) throws SQLException {
        try (Connection c = store.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute(statement);
        }
    }
}
