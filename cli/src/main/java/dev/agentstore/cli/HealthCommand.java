package dev.agentstore.cli;

import dev.agentstore.persistence.AgentStoreConfig;
import dev.agentstore.persistence.ConnectionCheck;
import dev.agentstore.persistence.health.StoreHealth;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code agentstore health}: the health of the database and schema ({@link ConnectionCheck#health}), without opening a
 * store. Prints the status, the server's role and replay lag, the pending migrations, the pgvector version and the
 * problems. Exit code {@link ExitCodes#OK} when UP, {@link ExitCodes#DEGRADED} when DEGRADED,
 * {@link ExitCodes#DB_UNREACHABLE} when DOWN: usable as a container's or a load balancer's probe command.
 */
@Command(name = "health", mixinStandardHelpOptions = true,
        description = "Checks the database: connectivity, primary or replica and replay lag, pending migrations,"
                + " pgvector. Exit 0 when up, 8 when degraded, 3 when down.")
public final class HealthCommand implements Callable<Integer> {

    private final CliContext ctx;

    @Mixin
    ConnectionOptions db;

    HealthCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() {
        AgentStoreConfig config = db.toConfig(ctx.env(), false);
        StoreHealth health = ConnectionCheck.health(config);
        ctx.out().printf(Locale.ROOT, "%-12s %s%n", "status", health.status());
        ctx.out().printf(Locale.ROOT, "%-12s %s%n", "database", Database.describe(config) + ", schema "
                + config.schema());
        if (health.connected()) {
            ctx.out().printf(Locale.ROOT, "%-12s %s%n", "role", health.role().name().toLowerCase(Locale.ROOT));
            if (health.replayLag() != null) {
                ctx.out().printf(Locale.ROOT, "%-12s %d ms%n", "replay lag", health.replayLag().toMillis());
            }
            ctx.out().printf(Locale.ROOT, "%-12s %s%n", "migrations", health.pendingMigrations() < 0 ? "unknown"
                    : health.pendingMigrations() + " pending");
            ctx.out().printf(Locale.ROOT, "%-12s %s%n", "pgvector",
                    health.pgvectorVersion() == null ? "not created" : health.pgvectorVersion());
        }
        for (String problem : health.problems()) {
            ctx.out().println("problem: " + problem);
        }
        return switch (health.status()) {
            case UP -> ExitCodes.OK;
            case DEGRADED -> ExitCodes.DEGRADED;
            case DOWN -> ExitCodes.DB_UNREACHABLE;
        };
    }
}
