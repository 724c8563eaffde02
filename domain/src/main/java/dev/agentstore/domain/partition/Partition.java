package dev.agentstore.domain.partition;

import java.time.Instant;

/**
 * One partition of a {@link PartitionedTable}: rows with {@code from <= time < to}, or the table's DEFAULT
 * partition, which takes the rows no other partition covers.
 *
 * @param table     the partitioned table
 * @param name      the partition's table name, for example {@code flow_events_p20261201}
 * @param from      the inclusive lower bound; {@code null} for the DEFAULT partition or a range from MINVALUE
 * @param to        the exclusive upper bound; {@code null} for the DEFAULT partition or a range to MAXVALUE
 * @param isDefault whether this is the DEFAULT partition
 */
public record Partition(PartitionedTable table, String name, Instant from, Instant to, boolean isDefault) {
}
