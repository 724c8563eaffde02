package dev.agentstore.persistence.statistics;

import java.util.List;

/**
 * Rows and sizes of the tables and indexes of one schema, as {@link StatisticsRepository#read(String)} returns them.
 *
 * @param tables  every table of the schema (the migrations' bookkeeping tables included), by name
 * @param indexes every index of those tables, largest first, then by name
 */
public record StoreStatistics(List<TableStatistics> tables, List<IndexStatistics> indexes) {

    /**
     * @param tables  the tables, copied
     * @param indexes the indexes, copied
     */
    public StoreStatistics {
        tables = List.copyOf(tables);
        indexes = List.copyOf(indexes);
    }
}
