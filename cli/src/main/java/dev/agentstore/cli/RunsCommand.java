package dev.agentstore.cli;

import dev.agentstore.domain.flow.FlowCheckpoint;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code agentstore runs history RUN [--flow F] [--limit N]}: a run's checkpoints, newest first, through
 * {@code store.checkpoints().history}.
 */
@Command(name = "runs", mixinStandardHelpOptions = true, description = "Inspect flow runs.",
        subcommands = {RunsCommand.History.class})
public final class RunsCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: history");
    }

    /** {@code agentstore runs history RUN [--flow F] [--limit N]}. */
    @Command(name = "history", mixinStandardHelpOptions = true,
            description = "Print a run's checkpoints, newest first: id, time, source, step, next steps, state size,"
                    + " parent, and whether it is superseded or released.")
    static final class History implements Callable<Integer> {

        private final CliContext ctx;

        @Mixin
        ConnectionOptions db;

        @Parameters(paramLabel = "RUN", description = "The run's id.")
        String runId;

        @Option(names = "--flow", paramLabel = "F",
                description = "The run's flow (default: the flow of the run started last with this id).")
        String flow;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "20",
                description = "At most this many checkpoints, 1-100 (default: ${DEFAULT-VALUE}).")
        int limit;

        History(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            if (limit < 1 || limit > 100) {
                throw new CliException(ExitCodes.USAGE, "--limit must be 1-100, was " + limit, null, null);
            }
            try (AgentStore store = Database.open(db.toConfig(ctx.env(), false), false)) {
                String flowName = flow != null ? flow : store.flowRuns().findByRunId(runId).map(FlowRun::flowName)
                        .orElseThrow(() -> new CliException(ExitCodes.USAGE, "no run " + runId,
                                "check the run id, or name its flow with --flow", null));
                List<FlowCheckpoint> history = store.checkpoints().history(flowName, runId, null, limit);
                if (history.isEmpty()) {
                    ctx.out().println("run " + flowName + "/" + runId + " has no checkpoints"
                            + (store.checkpoints().policy(flowName).isEmpty()
                            ? " (flow " + flowName + " does not record them)" : ""));
                    return ExitCodes.OK;
                }
                ctx.out().println("checkpoints of run " + flowName + "/" + runId + ", newest first:");
                ctx.out().printf(Locale.ROOT, "%-36s  %-24s  %-7s  %-16s  %-20s  %9s  %-8s  %s%n", "checkpoint",
                        "created", "source", "step", "next", "state", "parent", "");
                for (FlowCheckpoint c : history) {
                    ctx.out().printf(Locale.ROOT, "%-36s  %-24s  %-7s  %-16s  %-20s  %9s  %-8s  %s%n",
                            c.checkpointId(), c.createdAt(), c.source().name().toLowerCase(Locale.ROOT),
                            c.stepId() == null ? "-" : c.stepId(), next(c), size(c),
                            c.parentId() == null ? "-" : c.parentId().toString().substring(0, 8), flags(c));
                }
                return ExitCodes.OK;
            }
        }

        private static String next(FlowCheckpoint c) {
            StringBuilder b = new StringBuilder();
            c.nextSteps().forEach(s -> b.append(b.length() == 0 ? "" : ",").append(s.asText()));
            return b.length() == 0 ? "-" : b.toString();
        }

        private static String size(FlowCheckpoint c) {
            return c.state() == null ? "-"
                    : StatsCommand.bytes(Json.print(c.state()).getBytes(StandardCharsets.UTF_8).length);
        }

        private static String flags(FlowCheckpoint c) {
            return (c.superseded() ? "superseded " : "")
                    + (c.releasedAt() == null ? "" : "released: " + c.releaseMessage());
        }
    }
}
