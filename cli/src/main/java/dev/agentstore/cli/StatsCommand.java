package dev.agentstore.cli;

import dev.agentstore.persistence.AgentStoreConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import javax.sql.DataSource;

/** {@code agentstore stats}: rows per table and index sizes, from the PostgreSQL catalog. */
@Command(name = "stats", mixinStandardHelpOptions = true, description = "Rows per table and index sizes of the schema.")
public final class StatsCommand implements Callable<Integer> {

    /** Exact row counts of every table of a schema, counted server-side (names come from the catalog, quoted by format %I). */
    private static final String TABLES = """
            SELECT t.tablename,
                   (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', t.schemaname, t.tablename),
                                                        false, true, '')))[1]::text::bigint AS row_count,
                   pg_total_relation_size(format('%I.%I', t.schemaname, t.tablename)::regclass) AS total_bytes
            FROM pg_tables t WHERE t.schemaname = ? ORDER BY t.tablename
            """;
    private static final String INDEXES = """
            SELECT i.relname AS table_name, i.indexrelname, pg_relation_size(i.indexrelid) AS bytes, i.idx_scan, am.amname
            FROM pg_stat_user_indexes i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
            WHERE i.schemaname = ? ORDER BY pg_relation_size(i.indexrelid) DESC, i.indexrelname
            """;

    private final CliContext ctx;

    @Mixin
    ConnectionOptions db;

    StatsCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    /**
     * A table's row count and size.
     *
     * @param table the table name
     * @param rows  exact row count
     * @param bytes total size with indexes and TOAST
     */
    record TableStat(String table, long rows, long bytes) {
    }

    @Override
    public Integer call() {
        AgentStoreConfig config = db.toConfig(ctx.env(), false);
        Database.preflight(config, false);
        DataSource ds = Database.simpleDataSource(config);
        try {
            List<TableStat> tables = tables(ds, config.schema());
            if (tables.isEmpty()) {
                throw new CliException(ExitCodes.SCHEMA, "schema " + config.schema() + " has no tables",
                        "run `agentstore migrate up` (or name the schema with --schema / AGENTSTORE_DB_SCHEMA)", null);
            }
            print(ctx.out(), tables);
            try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(INDEXES)) {
                ps.setString(1, config.schema());
                ctx.out().println();
                ctx.out().printf(Locale.ROOT, "%-44s %-24s %-6s %10s %10s%n", "index", "table", "type", "size", "scans");
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ctx.out().printf(Locale.ROOT, "%-44s %-24s %-6s %10s %10d%n", rs.getString(2), rs.getString(1),
                                rs.getString(5), bytes(rs.getLong(3)), rs.getLong(4));
                    }
                }
            }
            return ExitCodes.OK;
        } catch (SQLException e) {
            throw Database.unreachable(config, e);
        }
    }

    static List<TableStat> tables(DataSource ds, String schema) throws SQLException {
        List<TableStat> out = new ArrayList<>();
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(TABLES)) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new TableStat(rs.getString(1), rs.getLong(2), rs.getLong(3)));
                }
            }
        }
        return out;
    }

    static void print(PrintStream out, List<TableStat> tables) {
        out.printf(Locale.ROOT, "%-32s %12s %10s%n", "table", "rows", "size");
        for (TableStat t : tables) {
            out.printf(Locale.ROOT, "%-32s %12d %10s%n", t.table(), t.rows(), bytes(t.bytes()));
        }
    }

    static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        if (b < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f kB", b / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MB", b / (1024.0 * 1024));
    }
}
