package dev.agentstore.cli;

import dev.agentstore.migrations.MigrationException;
import dev.agentstore.migrations.Migrations;
import dev.agentstore.migrations.PendingChangeSet;
import dev.agentstore.persistence.AgentStoreConfig;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code agentstore migrate up | status | rollback | sql}: the Liquibase migrations of the schema. */
@Command(name = "migrate", description = "Apply, inspect, roll back or print the schema migrations.",
        mixinStandardHelpOptions = true,
        subcommands = {MigrateCommand.Up.class, MigrateCommand.Status.class, MigrateCommand.Rollback.class,
                MigrateCommand.Sql.class, MigrateCommand.CreateDefaultIndexes.class})
public final class MigrateCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "name a subcommand: up, status, rollback, sql or create-default-indexes");
    }

    private abstract static class Base implements Callable<Integer> {
        final CliContext ctx;
        @Mixin
        ConnectionOptions db;

        Base(CliContext ctx) {
            this.ctx = ctx;
        }

        Migrations migrations(AgentStoreConfig config) {
            return Database.migrations(config);
        }

        AgentStoreConfig config() {
            return db.toConfig(ctx.env(), false);
        }

        static CliException failed(MigrationException e) {
            return new CliException(ExitCodes.SCHEMA, e.getMessage(),
                    "`agentstore migrate status` lists what is pending; the schema's owner must run the migrations", e);
        }
    }

    /** {@code migrate up}. */
    @Command(name = "up", description = "Apply every pending change set (creates the schema if missing).", mixinStandardHelpOptions = true)
    static final class Up extends Base {
        Up(CliContext ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            AgentStoreConfig config = config();
            try {
                List<PendingChangeSet> applied = migrations(config).up();
                ctx.out().println("schema " + config.schema() + ": applied " + applied.size() + " change set(s)");
                applied.forEach(cs -> ctx.out().println("  " + cs.id() + "  (" + cs.changeLog() + ")"));
                return ExitCodes.OK;
            } catch (MigrationException e) {
                throw failed(e);
            }
        }
    }

    /** {@code migrate status}. */
    @Command(name = "status", description = "List the change sets not applied yet (only reads).", mixinStandardHelpOptions = true)
    static final class Status extends Base {
        Status(CliContext ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            AgentStoreConfig config = config();
            try {
                List<PendingChangeSet> pending = migrations(config).status();
                if (pending.isEmpty()) {
                    ctx.out().println("schema " + config.schema() + ": up to date");
                } else {
                    ctx.out().println("schema " + config.schema() + ": " + pending.size() + " pending change set(s)");
                    pending.forEach(cs -> ctx.out().println("  " + cs.id() + "  (" + cs.changeLog() + ")"));
                }
                return ExitCodes.OK;
            } catch (MigrationException e) {
                throw failed(e);
            }
        }
    }

    /** {@code migrate rollback --count N | --tag T}. */
    @Command(name = "rollback", description = "Roll back the last N change sets, or everything after a tag.", mixinStandardHelpOptions = true)
    static final class Rollback extends Base {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Target target;

        static final class Target {
            @Option(names = "--count", description = "How many change sets to roll back (newest first).")
            Integer count;
            @Option(names = "--tag", description = "Roll back everything applied after this tag (for example 0.1).")
            String tag;
        }

        Rollback(CliContext ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            AgentStoreConfig config = config();
            if (target.count != null && target.count < 1) {
                throw new CliException(ExitCodes.USAGE, "--count must be at least 1, was " + target.count, null, null);
            }
            try {
                Migrations m = migrations(config);
                if (target.count != null) {
                    m.rollback(target.count);
                    ctx.out().println("schema " + config.schema() + ": rolled back " + target.count + " change set(s)");
                } else {
                    m.rollbackToTag(target.tag);
                    ctx.out().println("schema " + config.schema() + ": rolled back to tag " + target.tag);
                }
                return ExitCodes.OK;
            } catch (MigrationException e) {
                throw failed(e);
            }
        }
    }

    /** {@code migrate sql [--offline]}. */
    @Command(name = "sql", description = "Print the SQL of the pending change sets without running it; with --offline,"
            + " the whole schema's SQL for --schema without connecting.", mixinStandardHelpOptions = true)
    static final class Sql extends Base {
        @Option(names = "--offline", description = "Render every change set for the schema without a database"
                + " (run the script with psql -v ON_ERROR_STOP=1 --single-transaction -f FILE).")
        boolean offline;

        Sql(CliContext ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            AgentStoreConfig config = config();
            try {
                PrintWriter w = new PrintWriter(ctx.out(), false);
                if (offline) {
                    Migrations.writeOfflineSql(config.schema(), w);
                } else {
                    migrations(config).writePendingSql(w);
                }
                w.flush();
                return ExitCodes.OK;
            } catch (MigrationException e) {
                throw failed(e);
            }
        }
    }

    /** {@code migrate create-default-indexes}. */
    @Command(name = "create-default-indexes", description = "Create the default indexes that are missing (after"
            + " AGENTSTORE_SKIP_DEFAULT_INDEXES), concurrently.", mixinStandardHelpOptions = true)
    static final class CreateDefaultIndexes extends Base {
        CreateDefaultIndexes(CliContext ctx) {
            super(ctx);
        }

        @Override
        public Integer call() {
            AgentStoreConfig config = config();
            try {
                List<String> created = migrations(config).createDefaultIndexes();
                ctx.out().println("schema " + config.schema() + ": created " + created.size() + " default index(es)");
                created.forEach(name -> ctx.out().println("  " + name));
                return ExitCodes.OK;
            } catch (MigrationException e) {
                throw failed(e);
            }
        }
    }
}
