package dev.agentstore.persistence.statistics;

import dev.agentstore.domain.Check;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;

import java.util.List;

/**
 * Reads the rows and sizes of a schema's tables and indexes from PostgreSQL's catalog and statistics views
 * ({@code pg_tables}, {@code pg_stat_user_indexes}), for an operator's overview ({@code agentstore stats}).
 * Standalone, {@code store.statistics()} reads the store's own schema.
 *
 * <p>Runs two statements in the caller's transaction, through {@link Sql} on its connection, and writes nothing. The
 * row counts are exact: they scan every table of the schema, so the read takes as long as counting all rows. Not
 * thread-safe: like the entity manager it is bound to, one instance serves one transaction.
 */
public class StatisticsRepository {

    /**
     * Exact row counts of a schema's tables, counted server-side (names from the catalog, quoted by {@code %I}). A
     * partitioned table is one row: its partitions' rows and sizes summed ({@code pg_partition_tree}), the partitions
     * not listed on their own.
     */
    private static final String TABLES = """
            SELECT t.tablename AS table_name,
                   CAST(CAST((xpath('/row/c/text()',
                                    query_to_xml(format('SELECT count(*) AS c FROM %I.%I', t.schemaname, t.tablename),
                                                 false, true, '')))[1] AS text) AS bigint) AS row_count,
                   CASE WHEN c.relkind = 'p'
                        THEN (SELECT CAST(sum(pg_total_relation_size(p.relid)) AS bigint)
                                FROM pg_partition_tree(c.oid) p)
                        ELSE pg_total_relation_size(c.oid) END AS total_bytes
              FROM pg_tables t
              JOIN pg_class c ON c.oid = CAST(format('%I.%I', t.schemaname, t.tablename) AS regclass)
             WHERE t.schemaname = :schema AND NOT c.relispartition
             ORDER BY t.tablename
            """;

    /** The indexes of a partitioned table are one row each: their partitions' copies summed. */
    private static final String INDEXES = """
            SELECT ri.relname AS index_name, rt.relname AS table_name, am.amname AS access_method,
                   CAST(sum(pg_relation_size(i.indexrelid)) AS bigint) AS bytes,
                   CAST(sum(i.idx_scan) AS bigint) AS scans
              FROM pg_stat_user_indexes i
              JOIN pg_class c ON c.oid = i.indexrelid
              JOIN pg_am am ON am.oid = c.relam
              JOIN pg_class ri ON ri.oid = COALESCE(pg_partition_root(i.indexrelid), i.indexrelid)
              JOIN pg_class rt ON rt.oid = COALESCE(pg_partition_root(i.relid), i.relid)
             WHERE i.schemaname = :schema
             GROUP BY ri.relname, rt.relname, am.amname
             ORDER BY bytes DESC, index_name
            """;

    private final EntityManager em;

    /**
     * @param em the transaction's entity manager; the statements run on its connection
     */
    public StatisticsRepository(EntityManager em) {
        this.em = em;
    }

    /**
     * @param schema the schema's name, as stored in the catalog (unquoted, case as created)
     * @return its tables and indexes; both lists empty when the schema does not exist or has no tables
     * @throws dev.agentstore.domain.InvalidInputException when {@code schema} is blank or longer than 255 characters
     * @throws dev.agentstore.domain.AgentStoreException   (a typed subclass) when the database fails
     */
    public StoreStatistics read(String schema) {
        Check.name("schema", schema);
        return Sql.call(em, "read statistics of schema " + schema, h -> {
            List<TableStatistics> tables = h.createQuery(TABLES)
                    .bind("schema", schema)
                    .map((rs, ctx) -> new TableStatistics(rs.getString("table_name"), rs.getLong("row_count"),
                            rs.getLong("total_bytes")))
                    .list();
            List<IndexStatistics> indexes = h.createQuery(INDEXES)
                    .bind("schema", schema)
                    .map((rs, ctx) -> new IndexStatistics(rs.getString("index_name"), rs.getString("table_name"),
                            rs.getString("access_method"), rs.getLong("bytes"), rs.getLong("scans")))
                    .list();
            return new StoreStatistics(tables, indexes);
        });
    }
}
