package dev.agentstore.persistence.statistics;

import dev.agentstore.domain.Check;
import dev.agentstore.persistence.support.PersistenceErrors;
import jakarta.persistence.EntityManager;
import org.hibernate.Session;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the rows and sizes of a schema's tables and indexes from PostgreSQL's catalog and statistics views
 * ({@code pg_tables}, {@code pg_stat_user_indexes}), for an operator's overview ({@code agentstore stats}).
 * Standalone, {@code store.statistics()} reads the store's own schema.
 *
 * <p>Runs two statements in the caller's transaction and writes nothing. The row counts are exact: they scan every
 * table of the schema, so the read takes as long as counting all rows. Not thread-safe: like the entity manager
 * it is bound to, one instance serves one transaction.
 */
public class StatisticsRepository {

    /** Exact row counts of a schema's tables, counted server-side (names from the catalog, quoted by {@code %I}). */
    private static final String TABLES = """
            SELECT t.tablename,
                   (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', t.schemaname,
                                                               t.tablename), false, true, '')))[1]::text::bigint,
                   pg_total_relation_size(format('%I.%I', t.schemaname, t.tablename)::regclass)
            FROM pg_tables t WHERE t.schemaname = ? ORDER BY t.tablename""";

    private static final String INDEXES = """
            SELECT i.indexrelname, i.relname, am.amname, pg_relation_size(i.indexrelid), i.idx_scan
            FROM pg_stat_user_indexes i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
            WHERE i.schemaname = ? ORDER BY pg_relation_size(i.indexrelid) DESC, i.indexrelname""";

    private final EntityManager em;

    /**
     * @param em the transaction's entity manager; its pending changes are flushed before reading
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
        try {
            em.flush();
            return em.unwrap(Session.class).doReturningWork(connection -> {
                List<TableStatistics> tables = new ArrayList<>();
                List<IndexStatistics> indexes = new ArrayList<>();
                try (PreparedStatement ps = connection.prepareStatement(TABLES)) {
                    ps.setString(1, schema);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            tables.add(new TableStatistics(rs.getString(1), rs.getLong(2), rs.getLong(3)));
                        }
                    }
                }
                try (PreparedStatement ps = connection.prepareStatement(INDEXES)) {
                    ps.setString(1, schema);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            indexes.add(new IndexStatistics(rs.getString(1), rs.getString(2), rs.getString(3),
                                    rs.getLong(4), rs.getLong(5)));
                        }
                    }
                }
                return new StoreStatistics(tables, indexes);
            });
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate("read statistics of schema " + schema, e);
        }
    }
}
