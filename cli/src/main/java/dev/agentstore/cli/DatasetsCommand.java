package dev.agentstore.cli;

import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.dataset.Dataset;
import dev.agentstore.domain.dataset.DatasetVersion;
import dev.agentstore.persistence.AgentStore;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code agentstore datasets export|import}: one dataset's items as JSON Lines, through
 * {@code store.datasets().exportJsonLines} and {@code importJsonLines} (streamed both ways; an import is one new
 * dataset version, all or nothing).
 */
@Command(name = "datasets", mixinStandardHelpOptions = true,
        description = "Export or import one dataset's items as JSON Lines (streamed).",
        subcommands = {DatasetsCommand.Export.class, DatasetsCommand.Import.class})
public final class DatasetsCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: export or import");
    }

    /** {@code agentstore datasets export --dataset ID [--version N] [-o FILE]}. */
    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Write the items of a dataset version as JSON Lines, by item id.")
    static final class Export implements Callable<Integer> {

        private final CliContext ctx;

        @Mixin
        ConnectionOptions db;

        @Option(names = "--dataset", required = true, paramLabel = "ID", description = "The dataset's id.")
        String dataset;

        @Option(names = "--version", paramLabel = "N", description = "The dataset version (default: the current one).")
        Integer version;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write here instead of standard output.")
        Path output;

        Export(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() throws IOException {
            try (AgentStore store = Database.open(db.toConfig(ctx.env(), true), true)) {
                int v = version != null ? version : store.datasets().get(dataset)
                        .orElseThrow(() -> notFound(new NotFoundException("Dataset", dataset))).version();
                Writer w = output == null
                        ? new BufferedWriter(new OutputStreamWriter(ctx.out(), StandardCharsets.UTF_8))
                        : Files.newBufferedWriter(output, StandardCharsets.UTF_8);
                long lines;
                try {
                    lines = store.datasets().exportJsonLines(dataset, v, w);
                } catch (NotFoundException e) {
                    throw notFound(e);
                } finally {
                    w.flush();
                    if (output != null) {
                        w.close();
                    }
                }
                ctx.err().println("exported " + lines + " items of " + dataset + " version " + v
                        + (output == null ? "" : " to " + output));
                return ExitCodes.OK;
            }
        }
    }

    /** {@code agentstore datasets import --dataset ID [--name NAME] FILE}. */
    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Read JSON Lines into a dataset as one new version: a line whose id is a current item"
                    + " replaces it, any other line adds an item. All or nothing.")
    static final class Import implements Callable<Integer> {

        private final CliContext ctx;

        @Mixin
        ConnectionOptions db;

        @Option(names = "--dataset", required = true, paramLabel = "ID", description = "The dataset's id.")
        String dataset;

        @Option(names = "--name", paramLabel = "NAME",
                description = "Create the dataset with this name when it does not exist.")
        String name;

        @Parameters(paramLabel = "FILE", description = "The JSON Lines file (UTF-8).")
        Path input;

        Import(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() throws IOException {
            try (AgentStore store = Database.open(db.toConfig(ctx.env(), true), true);
                 Reader r = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
                if (name != null && store.datasets().get(dataset).isEmpty()) {
                    Dataset created = store.datasets().create(dataset, name, null, null);
                    ctx.err().println("created dataset " + created.id());
                }
                DatasetVersion v;
                try {
                    v = store.datasets().importJsonLines(dataset, r);
                } catch (NotFoundException e) {
                    throw notFound(e);
                }
                ctx.err().println("imported " + v.changes() + " items into " + dataset + " as version " + v.version());
                return ExitCodes.OK;
            }
        }
    }

    private static CliException notFound(NotFoundException e) {
        return new CliException(ExitCodes.USAGE, e.getMessage(),
                "check --dataset and --version; `datasets import --name NAME` creates a missing dataset", e);
    }
}
