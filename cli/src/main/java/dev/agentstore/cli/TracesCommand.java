package dev.agentstore.cli;

import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.observability.NewSpan;
import dev.agentstore.opentelemetry.OtlpJson;
import dev.agentstore.persistence.AgentStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code agentstore traces import FILE}: OpenTelemetry traces into the {@code spans} table. */
@Command(name = "traces", description = "OpenTelemetry traces: import OTLP/JSON files into the spans table.",
        mixinStandardHelpOptions = true, subcommands = {TracesCommand.Import.class})
public final class TracesCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "name a subcommand: import");
    }

    /**
     * {@code traces import FILE}: reads the whole OTLP/JSON file ({@link OtlpJson}: one document or JSON Lines) and
     * checks every span before connecting; then writes all of them in one transaction (all or nothing), in batches of
     * {@code --batch} spans: with {@code COPY}, or with {@code --replace} as upserts that replace spans already stored.
     */
    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Import an OTLP/JSON file (one ExportTraceServiceRequest, or one per line) in one transaction;"
                    + " bad input is reported with its line and field before anything is written.")
    static final class Import implements Callable<Integer> {

        private final CliContext ctx;

        @Mixin
        ConnectionOptions db;

        @Parameters(paramLabel = "FILE", description = "The OTLP/JSON file.")
        Path file;

        @Option(names = "--batch", defaultValue = "5000", description = "Spans per round trip (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--replace", description = "Replace spans already stored (same trace id, span id and start)"
                + " instead of failing: for a file that grew since its last import. Slower than the default COPY.")
        boolean replace;

        Import(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() throws IOException {
            if (batch < 1) {
                throw new CliException(ExitCodes.USAGE, "--batch must be at least 1", null, null);
            }
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw new CliException(ExitCodes.CORPUS, file + " does not exist or is not a readable file", null, null);
            }
            List<NewSpan> spans;
            try {
                spans = OtlpJson.read(file);
            } catch (InvalidInputException e) {
                throw new CliException(ExitCodes.USAGE, file + ", " + e.getMessage(),
                        "nothing was imported; the file must be OTLP/JSON trace data (resourceSpans → scopeSpans → spans)", e);
            }
            long traces = spans.stream().map(NewSpan::traceId).distinct().count();
            try (AgentStore store = Database.open(db.toConfig(ctx.env(), true), false)) {
                store.inTransaction(uow -> {
                    for (int from = 0; from < spans.size(); from += batch) {
                        List<NewSpan> part = spans.subList(from, Math.min(spans.size(), from + batch));
                        if (replace) {
                            uow.spans().upsertAll(part);
                        } else {
                            uow.spans().createAll(part);
                        }
                    }
                });
            } catch (InvalidInputException e) {
                throw new CliException(ExitCodes.USAGE, file + ": " + e.getMessage(), "nothing was imported", e);
            } catch (AgentStoreException e) {
                throw new CliException(ExitCodes.FAILURE, "nothing was imported: " + e.getMessage(),
                        "a span of the file may already be stored (imported before?); --replace replaces stored spans", e);
            }
            ctx.out().println("imported " + spans.size() + " span(s) of " + traces + " trace(s) from " + file);
            return ExitCodes.OK;
        }
    }
}
