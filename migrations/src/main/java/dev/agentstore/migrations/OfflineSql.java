package dev.agentstore.migrations;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import liquibase.Contexts;
import liquibase.LabelExpression;
import liquibase.Liquibase;
import liquibase.Scope;
import liquibase.UpdateSummaryOutputEnum;
import liquibase.changelog.ChangeLogHistoryServiceFactory;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.resource.ClassLoaderResourceAccessor;
import liquibase.ui.LoggerUIService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Renders {@link Migrations#offlineSql(String)}: Liquibase's offline mode for PostgreSQL 15. Stateless. */
final class OfflineSql {

    private static final Logger LOG = LoggerFactory.getLogger(OfflineSql.class);

    private OfflineSql() {
    }

    /** See {@link Migrations#writeOfflineSql(String, Writer)}; {@code schema} is already validated. */
    static void write(String schema, Writer out) {
        Path history = null;
        Database database = null;
        Migrations.LIQUIBASE.writeLock().lock();
        try {
            // offline mode keeps the change sets it rendered in a CSV file; a fresh one per call, deleted after
            history = Files.createTempFile("agentstore-offline-", ".csv");
            Files.delete(history);
            ClassLoaderResourceAccessor resources = new ClassLoaderResourceAccessor(Migrations.class.getClassLoader());
            database = DatabaseFactory.getInstance().openDatabase("offline:postgresql?version=15.0"
                    + "&outputLiquibaseSql=all&changeLogFile=" + history, null, null, null, resources);
            database.setDefaultSchemaName(schema);
            database.setLiquibaseSchemaName(schema);
            Liquibase liquibase = new Liquibase(Migrations.MASTER_CHANGELOG, resources, database);
            liquibase.setChangeLogParameter("schema", schema);
            liquibase.setShowSummaryOutput(UpdateSummaryOutputEnum.LOG);
            out.write("-- agentstore schema " + schema + ": every change set, rendered without a database\n"
                    + "CREATE SCHEMA IF NOT EXISTS " + schema + ";\n"
                    + "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') THEN RAISE"
                    + " EXCEPTION 'agentstore needs the pgvector extension (0.8.0 or later): run CREATE EXTENSION"
                    + " vector first'; END IF; END $$;\n\n");
            Liquibase run = liquibase;
            Scope.child(Map.of(Scope.Attr.ui.name(), new LoggerUIService()), () -> {
                run.update(new Contexts(), new LabelExpression(), out);
                return null;
            });
        } catch (Exception e) {
            throw new MigrationException("could not render the SQL of schema '" + schema + "' offline: "
                    + e.getMessage(), e);
        } finally {
            if (database != null) {
                Scope.getCurrentScope().getSingleton(ChangeLogHistoryServiceFactory.class)
                        .getChangeLogService(database).reset();
            }
            Migrations.LIQUIBASE.writeLock().unlock();
            if (history != null) {
                try {
                    Files.deleteIfExists(history);
                } catch (IOException e) {
                    LOG.warn("could not delete Liquibase's offline history file {}: {}", history, e.toString());
                }
            }
        }
    }
}
