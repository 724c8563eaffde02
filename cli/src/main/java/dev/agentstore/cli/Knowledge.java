package dev.agentstore.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.cli.ingest.Chunker;
import dev.agentstore.cli.ingest.Corpus;
import dev.agentstore.cli.ingest.Ingester;
import dev.agentstore.domain.knowledge.ChunkMatch;
import dev.agentstore.domain.knowledge.Embedder;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.knowledge.SearchOptions;
import dev.agentstore.persistence.query.Filter;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Ingest and search helpers shared by {@code ingest}, {@code search} and {@code demo}. */
final class Knowledge {

    /** Default knowledge base name. */
    static final String DEFAULT_KB = "docs";
    /** HNSW candidate list size for searches. */
    static final int EF_SEARCH = 100;

    private Knowledge() {
    }

    /**
     * @param k      how many chunks
     * @param filter exact matches on {@code document}, {@code title}, {@code heading} (see {@link #parseFilters})
     * @return the search's options: {@code ef_search = max(EF_SEARCH, k)}, the filter on {@code documentId},
     *         {@code payload.title} and {@code payload.heading}
     */
    static SearchOptions searchOptions(int k, Map<String, String> filter) {
        SearchOptions options = SearchOptions.top(k).withEfSearch(Math.max(EF_SEARCH, k));
        List<Filter> filters = new ArrayList<>();
        filter.forEach((key, value) -> filters.add(Filter.eq(key.equals("document") ? "documentId" : "payload." + key,
                value)));
        return filters.isEmpty() ? options
                : options.withFilter(filters.size() == 1 ? filters.get(0) : Filter.and(filters.toArray(Filter[]::new)));
    }

    /** @return how many chunks the knowledge base holds; 0 when it does not exist */
    static long count(AgentStore store, String kb) {
        return store.fromTransaction(uow -> uow.knowledge().find(kb).isPresent() ? uow.chunks().count(kb) : 0L);
    }

    /** @return the chunk's section heading (its {@code payload.heading}), or {@code null} */
    static String heading(ChunkMatch m) {
        JsonNode payload = m.payload();
        return payload != null && payload.path("heading").isTextual() ? payload.get("heading").asText() : null;
    }

    /**
     * Runs an ingest with a shutdown hook that, on Ctrl-C, says what was committed and how to resume.
     */
    static Ingester.Report ingest(AgentStore store, Embedder embedder, String kb, Corpus corpus, int batchSize,
                                  boolean progress, PrintStream err) {
        Ingester ingester = new Ingester(store, embedder, new Chunker(), batchSize, progress ? err : null);
        Thread hook = new Thread(() -> {
            err.println();
            err.println("interrupted: " + ingester.committedChunks() + " chunk(s) in " + ingester.committedBatches()
                    + " batch(es) were committed and stay in knowledge base " + kb + ".");
            err.println("hint: rerun the same command to resume; stored chunks are not embedded again (exit code "
                    + ExitCodes.INTERRUPTED + ")");
        }, "ingest-interrupted");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return ingester.ingest(kb, corpus);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs
            }
        }
    }

    static void printReport(PrintStream out, String kb, Ingester.Report r) {
        out.printf(Locale.ROOT, "ingested %d file(s) into knowledge base %s: %d chunk(s), %d embedded and written,"
                        + " %d unchanged (not embedded again), %d stale deleted, %d batch(es)%n",
                r.files(), kb, r.chunks(), r.embedded(), r.unchanged(), r.deleted(), r.batches());
        out.printf(Locale.ROOT, "time: total %s = extraction %s + embedding %s + database %s%s%n",
                secs(r.total()), secs(r.extraction()), secs(r.embedding()), secs(r.database()),
                r.embedded() == 0 ? "" : String.format(Locale.ROOT, " (%.1f chunks/s embedded)",
                        r.embedded() / Math.max(1e-9, r.embedding().toNanos() / 1e9)));
    }

    static String secs(Duration d) {
        return String.format(Locale.ROOT, "%.1f s", d.toNanos() / 1e9);
    }

    static Map<String, String> parseFilters(List<String> filters) {
        Map<String, String> out = new java.util.HashMap<>();
        for (String f : filters) {
            int eq = f.indexOf('=');
            String key = eq < 0 ? "" : f.substring(0, eq).trim();
            if (!List.of("document", "title", "heading").contains(key)) {
                throw new CliException(ExitCodes.USAGE, "bad --filter '" + f + "'",
                        "use document=PAGE, title=TITLE or heading=HEADING (exact match)", null);
            }
            out.put(key, f.substring(eq + 1).trim());
        }
        return out;
    }
}
