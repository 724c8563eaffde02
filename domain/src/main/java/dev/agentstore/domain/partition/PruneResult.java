package dev.agentstore.domain.partition;

import java.util.List;

/**
 * What a retention run removed, per table it touched.
 *
 * @param tables                  one entry per table of the policy that exists in the schema, in
 *                                {@link PartitionedTable} order
 * @param runStatusChangesDeleted the run status changes ({@code flow_run_status_changes}, the change feed's
 *                                {@code RUN_STATUS} events) deleted with the flow events' policy
 */
public record PruneResult(List<Table> tables, long runStatusChangesDeleted) {

    /**
     * What was removed from one table.
     *
     * @param table              the table
     * @param droppedPartitions  the partitions dropped whole, oldest first
     * @param rowsDeleted        the rows removed by bounded deletes (rows of dropped partitions not counted)
     */
    public record Table(PartitionedTable table, List<String> droppedPartitions, long rowsDeleted) {

        /** @return how many partitions were dropped */
        public int partitionsDropped() {
            return droppedPartitions.size();
        }
    }

    /** @param tables one entry per table touched */
    public PruneResult {
        tables = List.copyOf(tables);
    }

    /** @param tables one entry per table touched; no run status change deleted */
    public PruneResult(List<Table> tables) {
        this(tables, 0);
    }

    /**
     * @param table a table
     * @return what was removed from it; nothing (no partitions, 0 rows) when it was not touched
     */
    public Table of(PartitionedTable table) {
        return tables.stream().filter(t -> t.table() == table).findFirst()
                .orElse(new Table(table, List.of(), 0));
    }

    /**
     * @return the rows deleted over all tables, the run status changes included (rows of dropped partitions not
     *         counted)
     */
    public long rowsDeleted() {
        return tables.stream().mapToLong(Table::rowsDeleted).sum() + runStatusChangesDeleted;
    }

    /** @return the partitions dropped over all tables */
    public int partitionsDropped() {
        return tables.stream().mapToInt(Table::partitionsDropped).sum();
    }
}
