package dev.agentstore.cli;

import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreConfig;
import dev.agentstore.persistence.statistics.IndexStatistics;
import dev.agentstore.persistence.statistics.StoreStatistics;
import dev.agentstore.persistence.statistics.TableStatistics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code agentstore stats}: rows per table and index sizes of the schema, from {@code store.statistics()}. */
@Command(name = "stats", mixinStandardHelpOptions = true, description = "Rows per table and index sizes of the schema.")
public final class StatsCommand implements Callable<Integer> {

    private final CliContext ctx;

    @Mixin
    ConnectionOptions db;

    StatsCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        AgentStoreConfig config = db.toConfig(ctx.env(), false);
        StoreStatistics statistics;
        try (AgentStore store = Database.open(config, false)) {
            statistics = store.statistics();
        }
        if (statistics.tables().isEmpty()) {
            throw new CliException(ExitCodes.SCHEMA, "schema " + config.schema() + " has no tables",
                    "run `agentstore migrate up` (or name the schema with --schema / AGENTSTORE_DB_SCHEMA)", null);
        }
        print(ctx.out(), statistics.tables());
        ctx.out().println();
        ctx.out().printf(Locale.ROOT, "%-44s %-24s %-6s %10s %10s%n", "index", "table", "type", "size", "scans");
        for (IndexStatistics i : statistics.indexes()) {
            ctx.out().printf(Locale.ROOT, "%-44s %-24s %-6s %10s %10d%n", i.index(), i.table(), i.accessMethod(),
                    bytes(i.bytes()), i.scans());
        }
        return ExitCodes.OK;
    }

    static void print(PrintStream out, List<TableStatistics> tables) {
        out.printf(Locale.ROOT, "%-32s %12s %10s%n", "table", "rows", "size");
        for (TableStatistics t : tables) {
            out.printf(Locale.ROOT, "%-32s %12d %10s%n", t.table(), t.rows(), bytes(t.totalBytes()));
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
