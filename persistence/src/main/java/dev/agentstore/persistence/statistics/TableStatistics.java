package dev.agentstore.persistence.statistics;

/**
 * One table of the store's schema.
 *
 * @param table      the table's name, without schema
 * @param rows       its exact number of rows when read ({@code count(*)})
 * @param totalBytes its size on disk with its indexes and TOAST data ({@code pg_total_relation_size}), in bytes
 */
public record TableStatistics(String table, long rows, long totalBytes) {
}
