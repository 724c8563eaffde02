package dev.agentstore.cli;

import dev.agentstore.cli.embed.MiniLmEmbedder;
import dev.agentstore.cli.ingest.Corpus;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.lang.reflect.Constructor;

/**
 * {@code agentstore}: the command line of agentstore. Subcommands: {@code migrate}, {@code ingest}, {@code search},
 * {@code stats}, {@code export}, {@code import}, {@code datasets}, {@code traces}, {@code demo}, {@code runs},
 * {@code health}. Exit codes:
 * {@link ExitCodes}.
 */
@Command(name = "agentstore", mixinStandardHelpOptions = true, version = "agentstore 0.1.0-SNAPSHOT",
        description = "PostgreSQL persistence for AI agents: migrations, knowledge ingest and search, export/import, and a demo.",
        subcommands = {MigrateCommand.class, IngestCommand.class, SearchCommand.class, StatsCommand.class,
                ExportCommand.class, ImportCommand.class, DatasetsCommand.class, TracesCommand.class, DemoCommand.class,
                RunsCommand.class, HealthCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:unexpected failure", "2:wrong command line",
                "3:database unreachable, login refused or database missing", "4:pgvector extension missing",
                "5:corpus missing, unreadable or empty", "6:migration failed or schema not migrated",
                "7:import rejected some lines",
                "8:health degraded (pending migrations, no pgvector, callers waiting for the pool)",
                "130:interrupted (committed batches stay; rerun to resume)"})
public final class AgentStoreCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command");
    }

    /**
     * Runs the CLI and exits the JVM with its exit code.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        MiniLmEmbedder.goOffline();
        routeLoggingToSlf4j();
        System.exit(execute(CliContext.system(), args));
    }

    /**
     * Runs the CLI without exiting (for tests and embedding).
     *
     * @param context streams, environment and embedder
     * @param args    the command line
     * @return the exit code ({@link ExitCodes})
     */
    public static int execute(CliContext context, String... args) {
        CommandLine cli = new CommandLine(new AgentStoreCli(), new Factory(context));
        cli.setOut(new PrintWriter(context.out(), true));
        cli.setErr(new PrintWriter(context.err(), true));
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof CliException ce) {
                context.err().println("error: " + ce.getMessage());
                if (ce.hint() != null) {
                    context.err().println("hint: " + ce.hint());
                }
                debug(context, e);
                return ce.exitCode();
            }
            if (e instanceof dev.agentstore.domain.InvalidInputException) {
                context.err().println("error: " + e.getMessage());
                return ExitCodes.USAGE;
            }
            if (e instanceof Corpus.CorpusException) {
                context.err().println("error: " + e.getMessage());
                context.err().println("hint: give directories or .html/.md/.txt files that exist and are readable"
                        + " (scripts/setup-corpus.sh installs the PostgreSQL manual)");
                return ExitCodes.CORPUS;
            }
            context.err().println("error: " + e);
            debug(context, e);
            return ExitCodes.FAILURE;
        });
        return cli.execute(args);
    }

    private static void debug(CliContext context, Exception e) {
        if ("true".equalsIgnoreCase(context.env().get("AGENTSTORE_DEBUG"))) {
            e.printStackTrace(context.err());
        }
    }

    /**
     * Hibernate (through JBoss Logging, which picks java.util.logging when Logback is absent), Liquibase and pgjdbc log
     * through java.util.logging: route it to SLF4J, so {@code simplelogger.properties} is the one configuration.
     */
    private static void routeLoggingToSlf4j() {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
    }

    /** Creates commands, handing the {@link CliContext} to those whose constructor takes one. */
    private record Factory(CliContext context) implements CommandLine.IFactory {
        @Override
        public <K> K create(Class<K> cls) throws Exception {
            try {
                Constructor<K> c = cls.getDeclaredConstructor(CliContext.class);
                return c.newInstance(context);
            } catch (NoSuchMethodException e) {
                return CommandLine.defaultFactory().create(cls);
            }
        }
    }
}
