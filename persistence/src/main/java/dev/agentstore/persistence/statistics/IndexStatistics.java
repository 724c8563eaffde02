package dev.agentstore.persistence.statistics;

/**
 * One index of the store's schema.
 *
 * @param index        the index's name, without schema
 * @param table        the name of the table it indexes
 * @param accessMethod its access method: {@code btree}, {@code gin}, {@code hnsw}, {@code ivfflat}…
 * @param bytes        its size on disk ({@code pg_relation_size}), in bytes
 * @param scans        how many index scans PostgreSQL has started on it since its statistics were last reset
 *                     ({@code pg_stat_user_indexes.idx_scan}; sessions report their counts when their transactions
 *                     end, so the latest scans may show a moment later)
 */
public record IndexStatistics(String index, String table, String accessMethod, long bytes, long scans) {
}
