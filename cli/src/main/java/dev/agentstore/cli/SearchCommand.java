package dev.agentstore.cli;

import dev.agentstore.domain.knowledge.ChunkMatch;
import dev.agentstore.domain.knowledge.Embedder;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.knowledge.SearchOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code agentstore search "QUESTION" [--kb --k --filter --mmr]}. */
@Command(name = "search", mixinStandardHelpOptions = true,
        description = "Ranked passages for a question: score (1 − cosine distance), source page and heading.")
public final class SearchCommand implements Callable<Integer> {

    private final CliContext ctx;

    @Mixin
    ConnectionOptions db;

    @Parameters(paramLabel = "QUESTION", description = "The question or search terms.")
    String question;

    @Option(names = "--kb", defaultValue = Knowledge.DEFAULT_KB, description = "Knowledge base (default ${DEFAULT-VALUE}).")
    String kb;

    @Option(names = {"-k", "--k"}, defaultValue = "5", description = "How many passages (default ${DEFAULT-VALUE}, at most 1000).")
    int k;

    @Option(names = "--filter", paramLabel = "KEY=VALUE", description = "Exact-match filter: document=PAGE, title=…, heading=… (repeatable, AND).")
    List<String> filters = new ArrayList<>();

    @Option(names = "--mmr", description = "Diversify with maximal marginal relevance over 8×k candidates.")
    boolean mmr;

    @Option(names = "--lambda", defaultValue = "0.5", description = "MMR relevance weight, 0..1 (default ${DEFAULT-VALUE}).")
    double lambda;

    @Option(names = "--exact", description = "Exact (sequential) search instead of the HNSW index.")
    boolean exact;

    SearchCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        if (question == null || question.isBlank()) {
            throw new CliException(ExitCodes.USAGE, "the question is blank", "search \"how do I create an index concurrently\"", null);
        }
        if (k < 1 || k > 1000) {
            throw new CliException(ExitCodes.USAGE, "--k must be 1..1000, was " + k, null, null);
        }
        if (lambda < 0 || lambda > 1) {
            throw new CliException(ExitCodes.USAGE, "--lambda must be in [0, 1], was " + lambda, null, null);
        }
        Map<String, String> filter = Knowledge.parseFilters(filters);
        try (AgentStore store = Database.open(db.toConfig(ctx.env(), true), true)) {
            if (Knowledge.count(store, kb) == 0) {
                throw new CliException(ExitCodes.CORPUS, "knowledge base " + kb + " is empty",
                        "ingest something first: agentstore ingest --kb " + kb + " PATH…", null);
            }
            Embedder embedder = ctx.embedder().get();
            float[] q = embedder.embed(question);
            SearchOptions options = Knowledge.searchOptions(k, filter);
            if (mmr) {
                options = options.withMmr(lambda, SearchOptions.DEFAULT_MMR_MULTIPLIER);
            } else if (exact) {
                options = options.withExactSearch();
            }
            List<ChunkMatch> hits = store.chunks().search(kb, q, options);
            int rank = 1;
            for (ChunkMatch h : hits) {
                ctx.out().printf(Locale.ROOT, "%2d. %.3f  %s  —  %s%n", rank++, h.score(), h.documentId(),
                        Knowledge.heading(h));
                ctx.out().println("    " + snippet(h.content(), 240));
            }
            if (hits.isEmpty()) {
                ctx.out().println("no passages match");
            }
            return ExitCodes.OK;
        }
    }

    static String snippet(String content, int max) {
        int nl = content.indexOf('\n');
        String body = (nl < 0 ? content : content.substring(nl + 1)).replaceAll("\\s+", " ").trim();
        return body.length() <= max ? body : body.substring(0, max) + "…";
    }
}
