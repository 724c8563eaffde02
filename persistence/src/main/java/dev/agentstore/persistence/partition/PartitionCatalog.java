package dev.agentstore.persistence.partition;

import dev.agentstore.domain.partition.Partition;
import dev.agentstore.domain.partition.PartitionedTable;
import dev.agentstore.persistence.support.Sql;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** What the catalog says about a partitioned table and its partitions, and the ranges they leave uncovered. */
final class PartitionCatalog {

    private static final Logger LOG = LoggerFactory.getLogger(PartitionCatalog.class);

    private PartitionCatalog() {
    }

    /**
     * @return the schema of {@code table} when it exists and is range-partitioned on its registered time column, a
     *         {@code timestamptz}; else empty (a partitioned table of another shape is logged as a warning)
     */
    static Optional<String> schemaOf(Handle h, PartitionedTable table) {
        return h.createQuery(PartitionSql.TABLE)
                .bind("table", table.tableName())
                .map((rs, ctx) -> {
                    if (!rs.getBoolean("partitioned")) {
                        return Optional.<String>empty();
                    }
                    String type = rs.getString("key_type");
                    if (!table.timeColumn().equals(rs.getString("key_column"))
                            || type == null || !type.startsWith("timestamp") || !type.endsWith("with time zone")) {
                        LOG.warn("agentstore: {} is partitioned by {} ({}), not by {} (timestamptz); skipped",
                                table.tableName(), rs.getString("key_column"), type, table.timeColumn());
                        return Optional.<String>empty();
                    }
                    return Optional.of(rs.getString("schema_name"));
                })
                .findOne()
                .flatMap(schema -> schema);
    }

    /** @return the partitions of {@code table}, by lower bound, the DEFAULT partition last */
    static List<Partition> partitions(Handle h, PartitionedTable table) {
        return h.createQuery(PartitionSql.PARTITIONS)
                .bind("table", table.tableName())
                .map((rs, ctx) -> new Partition(table, rs.getString("name"), Sql.instant(rs, "range_from"),
                        Sql.instant(rs, "range_to"), rs.getBoolean("is_default")))
                .list();
    }

    /**
     * @param partitions a table's partitions (the DEFAULT partition is ignored; a {@code null} bound is unbounded)
     * @param from       the range's start
     * @param to         the range's end, exclusive
     * @return the parts of {@code [from, to)} that no partition covers, in order, each as {@code {start, end}}
     */
    static List<Instant[]> gaps(List<Partition> partitions, Instant from, Instant to) {
        List<Instant[]> gaps = new ArrayList<>();
        Instant cursor = from;
        List<Partition> sorted = partitions.stream().filter(p -> !p.isDefault())
                .sorted((a, b) -> a.from() == null ? -1 : b.from() == null ? 1 : a.from().compareTo(b.from()))
                .toList();
        for (Partition p : sorted) {
            if (!cursor.isBefore(to)) {
                break;
            }
            boolean endsAfterCursor = p.to() == null || p.to().isAfter(cursor);
            if (!endsAfterCursor) {
                continue;
            }
            Instant start = p.from() == null ? cursor : p.from();
            if (start.isAfter(cursor)) {
                gaps.add(new Instant[]{cursor, start.isBefore(to) ? start : to});
            }
            cursor = p.to() == null ? to : p.to();
        }
        if (cursor.isBefore(to)) {
            gaps.add(new Instant[]{cursor, to});
        }
        return gaps;
    }
}
