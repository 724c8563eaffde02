package dev.agentstore.cli;

import dev.agentstore.domain.observability.LlmUsageTotals;
import dev.agentstore.domain.observability.ScoreStatistics;
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

/**
 * {@code agentstore stats}: rows per table and index sizes of the schema, from {@code store.statistics()}; then, when
 * there are any, the scores per scorer (count, mean) and the LLM usage totals (tokens, cost per currency).
 */
@Command(name = "stats", mixinStandardHelpOptions = true, description = "Rows per table and index sizes of the schema; scores per scorer and LLM usage totals.")
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
        List<ScoreStatistics> scores = List.of();
        List<LlmUsageTotals> usage = List.of();
        try (AgentStore store = Database.open(config, false)) {
            statistics = store.statistics();
            if (hasTable(statistics, "scores")) {
                scores = store.scores().statistics(null, null, null, null, null);
                usage = store.llmUsage().totals(null, null);
            }
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
        printScores(ctx.out(), scores);
        printUsage(ctx.out(), usage);
        return ExitCodes.OK;
    }

    static void print(PrintStream out, List<TableStatistics> tables) {
        out.printf(Locale.ROOT, "%-32s %12s %10s%n", "table", "rows", "size");
        for (TableStatistics t : tables) {
            out.printf(Locale.ROOT, "%-32s %12d %10s%n", t.table(), t.rows(), bytes(t.totalBytes()));
        }
    }

    /** The scores per scorer over all time (count, mean), when there are any. */
    static void printScores(PrintStream out, List<ScoreStatistics> scores) {
        if (scores.isEmpty()) {
            return;
        }
        out.println();
        out.printf(Locale.ROOT, "%-40s %10s %10s%n", "scorer", "scores", "mean");
        for (ScoreStatistics s : scores) {
            out.printf(Locale.ROOT, "%-40s %10d %10.4f%n", s.scorerId(), s.count(), s.mean());
        }
    }

    /** LLM usage over all time: tokens summed over every record, cost per currency, when there is any. */
    static void printUsage(PrintStream out, List<LlmUsageTotals> usage) {
        if (usage.isEmpty()) {
            return;
        }
        long calls = usage.stream().mapToLong(LlmUsageTotals::calls).sum();
        out.println();
        out.printf(Locale.ROOT, "llm usage: %d records, %d input + %d output tokens, %d total%n", calls,
                usage.stream().mapToLong(LlmUsageTotals::inputTokens).sum(),
                usage.stream().mapToLong(LlmUsageTotals::outputTokens).sum(),
                usage.stream().mapToLong(LlmUsageTotals::totalTokens).sum());
        for (LlmUsageTotals u : usage) {
            if (u.currency() != null) {
                out.printf(Locale.ROOT, "  cost %s %s (%d records)%n", u.cost().toPlainString(), u.currency(),
                        u.calls());
            }
        }
    }

    private static boolean hasTable(StoreStatistics statistics, String table) {
        return statistics.tables().stream().anyMatch(t -> t.table().equals(table));
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
