package dev.agentstore.cli;

import dev.agentstore.cli.ingest.Corpus;
import dev.agentstore.cli.ingest.Ingester;
import dev.agentstore.domain.knowledge.Embedder;
import dev.agentstore.persistence.AgentStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code agentstore ingest PATH… [--kb NAME]}. */
@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = {"Read HTML, Markdown and text files, chunk them (~800 characters on heading/paragraph"
                + " boundaries, with overlap), embed them (all-MiniLM-L6-v2, in process) and upsert them into a knowledge"
                + " base in batches.",
                "Incremental: chunks whose content hash is stored are not embedded again; an interrupted run resumes."})
public final class IngestCommand implements Callable<Integer> {

    private final CliContext ctx;

    @Mixin
    ConnectionOptions db;

    @Parameters(paramLabel = "PATH", arity = "1..*", description = "Files or directories (searched recursively).")
    List<Path> paths;

    @Option(names = "--kb", defaultValue = Knowledge.DEFAULT_KB, description = "Knowledge base name (default ${DEFAULT-VALUE}).")
    String kb;

    @Option(names = "--exclude", paramLabel = "GLOB", description = "File-name glob to skip (repeatable), e.g. bookindex.html.")
    List<String> excludes = new ArrayList<>();

    @Option(names = "--batch", defaultValue = "64", description = "Chunks per embedded and committed batch (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--no-progress", negatable = false, description = "Do not draw the progress bar.")
    boolean noProgress;

    IngestCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        if (batch < 1) {
            throw new CliException(ExitCodes.USAGE, "--batch must be at least 1", null, null);
        }
        Corpus corpus = Corpus.of(paths, excludes);
        try (AgentStore store = Database.open(db.toConfig(ctx.env(), true), true)) {
            Embedder embedder = ctx.embedder().get();
            Ingester.Report report = Knowledge.ingest(store, embedder, kb, corpus, batch,
                    !noProgress, ctx.err());
            Knowledge.printReport(ctx.out(), kb, report);
            return ExitCodes.OK;
        }
    }
}
