package dev.agentstore.persistence.statistics;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.flow.NewFlowEvent;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.partition.PartitionWidth;
import dev.agentstore.domain.partition.PartitionedTable;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.Comparator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(AgentStoreExtension.class)
class StatisticsRepositoryTest {

    private static TableStatistics table(StoreStatistics s, String name) {
        return s.tables().stream().filter(t -> t.table().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void countsTheRowsOfEveryTableOfTheStoresSchemaExactly(AgentStore store) {
        long before = table(store.statistics(), "kv_entries").rows();
        store.kv().set("stats-a", Json.of("v", 1));
        store.kv().set("stats-b", Json.of("v", 2));

        StoreStatistics s = store.statistics();
        assertThat(table(s, "kv_entries").rows()).isEqualTo(before + 2);
        assertThat(table(s, "kv_entries").totalBytes()).isPositive();
        assertThat(s.tables()).extracting(TableStatistics::table)
                .contains("flows", "flow_runs", "chunks", "knowledge_bases", "databasechangelog")
                .isSortedAccordingTo(Comparator.naturalOrder());
        assertThat(table(s, "databasechangelog").rows()).isPositive();
    }

    @Test
    void listsTheSchemasIndexesWithTheirTableAccessMethodSizeAndScans(AgentStore store) {
        StoreStatistics s = store.statistics();
        assertThat(s.indexes()).isNotEmpty().allSatisfy(i -> {
            assertThat(i.bytes()).isPositive();
            assertThat(i.scans()).isNotNegative();
        });
        assertThat(s.indexes()).extracting(IndexStatistics::accessMethod).contains("btree", "gin");
        assertThat(s.indexes()).extracting(IndexStatistics::table).contains("kv_entries", "chunks");
        assertThat(s.indexes()).extracting(IndexStatistics::bytes).isSortedAccordingTo(Comparator.reverseOrder());
        assertThat(s.tables()).extracting(TableStatistics::table)
                .containsAll(s.indexes().stream().map(IndexStatistics::table).toList());
    }

    @Test
    void countsAPartitionedTableAsOneTableWithItsPartitionsRowsSizesAndIndexes(AgentStore store) {
        store.partitions().createAhead(PartitionedTable.FLOW_EVENTS, PartitionWidth.MONTHLY, 0);
        store.flowEvents().append(NewFlowEvent.of("stats-run", "stats-flow", "t")); // the current month's partition
        store.flowEvents().append(NewFlowEvent.of("stats-run", "stats-flow", "t").at(Instant.parse("1999-01-01T00:00:00Z")));

        StoreStatistics s = store.statistics();

        assertThat(s.tables()).extracting(TableStatistics::table).contains("flow_events")
                .noneMatch(name -> name.startsWith("flow_events_"));
        assertThat(table(s, "flow_events").rows()).isGreaterThanOrEqualTo(2);
        assertThat(table(s, "flow_events").totalBytes()).isPositive();
        assertThat(s.indexes()).filteredOn(i -> i.table().equals("flow_events")).extracting(IndexStatistics::index)
                .containsExactlyInAnyOrder("flow_events_pkey", "flow_events_run_ts_idx", "flow_events_flow_type_ts_idx",
                        "flow_events_ts_brin", "flow_events_feed_idx");
    }

    @Test
    void readsOnlyTheNamedSchema(AgentStore store) {
        StoreStatistics other = store.fromTransaction(uow ->
                new StatisticsRepository(uow.entityManager()).read("no_such_schema_xyz"));
        assertThat(other.tables()).isEmpty();
        assertThat(other.indexes()).isEmpty();
    }

    @Test
    void rejectsABlankSchemaName(AgentStore store) {
        assertThatThrownBy(() -> store.fromTransaction(uow -> new StatisticsRepository(uow.entityManager()).read(" ")))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("schema");
    }
}
