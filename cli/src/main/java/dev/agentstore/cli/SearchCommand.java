package dev.agentstore.cli;

import dev.agentstore.domain.knowledge.ChunkMatch;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.knowledge.SearchMode;
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

/** {@code agentstore search "QUESTION" [--mode --kb --k --filter --mmr]}. */
@Command(name = "search", mixinStandardHelpOptions = true,
        description = "Ranked passages for a question: score, source page and heading, and the rank in the vector (v) "
                + "and full-text (t) lists.")
public final class SearchCommand implements Callable<Integer> {

    private final CliContext ctx;

    @Mixin
    ConnectionOptions db;

    @Parameters(paramLabel = "QUESTION", description = "The question or search terms.")
    String question;

    @Option(names = "--mode", defaultValue = "hybrid", paramLabel = "vector|text|hybrid",
            converter = ModeConverter.class,
            description = "vector: nearest embeddings, score 1 − cosine distance; text: full-text search "
                    + "(websearch syntax: \"quoted phrase\", or, -word), score ts_rank_cd; hybrid (default): both "
                    + "lists fused by Reciprocal Rank Fusion (k = 60), score Σ 1/(60 + rank).")
    SearchMode mode;

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
            SearchOptions options = Knowledge.searchOptions(k, filter).withMode(mode);
            if (mmr) {
                options = options.withMmr(lambda, SearchOptions.DEFAULT_MMR_MULTIPLIER);
            } else if (exact) {
                options = options.withExactSearch();
            }
            float[] q = mode == SearchMode.TEXT && !mmr ? null : ctx.embedder().get().embed(question);
            List<ChunkMatch> hits = store.chunks().search(kb, question, q, options);
            int rank = 1;
            for (ChunkMatch h : hits) {
                ctx.out().printf(Locale.ROOT, "%2d. %.4f  %s  —  %s  [v %s, t %s]%n", rank++, h.score(), h.documentId(),
                        Knowledge.heading(h), h.vectorRank() == null ? "-" : h.vectorRank(),
                        h.textRank() == null ? "-" : h.textRank());
                ctx.out().println("    " + snippet(h.content(), 240));
            }
            if (hits.isEmpty()) {
                ctx.out().println("no passages match");
            }
            return ExitCodes.OK;
        }
    }

    /** Parses {@code --mode} case-insensitively. */
    static final class ModeConverter implements picocli.CommandLine.ITypeConverter<SearchMode> {
        @Override
        public SearchMode convert(String value) {
            try {
                return SearchMode.valueOf(value.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException("--mode must be vector, text or hybrid, was "
                        + value);
            }
        }
    }

    static String snippet(String content, int max) {
        int nl = content.indexOf('\n');
        String body = (nl < 0 ? content : content.substring(nl + 1)).replaceAll("\\s+", " ").trim();
        return body.length() <= max ? body : body.substring(0, max) + "…";
    }
}
