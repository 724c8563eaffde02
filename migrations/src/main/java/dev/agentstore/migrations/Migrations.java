package dev.agentstore.migrations;

import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.CRC32;
import javax.sql.DataSource;

import liquibase.Contexts;
import liquibase.LabelExpression;
import liquibase.Scope;
import liquibase.UpdateSummaryOutputEnum;
import liquibase.executor.ExecutorService;
import liquibase.changelog.ChangeLogHistoryServiceFactory;
import liquibase.changelog.ChangeSet;
import liquibase.changelog.FastCheckService;
import liquibase.lockservice.LockServiceFactory;
import liquibase.Liquibase;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.exception.LiquibaseException;
import liquibase.resource.ClassLoaderResourceAccessor;
import liquibase.ui.LoggerUIService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The programmatic migration API: apply ({@link #up()}), inspect ({@link #status()}), undo
 * ({@link #rollback(int)}, {@link #rollbackToTag(String)}) and export ({@link #pendingSql()}) the agentstore
 * schema, all driven by the Liquibase changelog {@value #MASTER_CHANGELOG} on the classpath.
 *
 * <p>Every table, and Liquibase's own {@code databasechangelog} and {@code databasechangeloglock} tables, live
 * in one schema, created by {@code up()} if missing. Concurrent migrators of the same schema are serialised:
 * each operation first takes the PostgreSQL session-level advisory lock derived from the schema name (so two
 * processes starting at once on a fresh database do not race to create Liquibase's lock table), then Liquibase's
 * own changelog lock. A second process waits; it neither fails nor applies a change set twice.
 *
 * <p>The advisory lock is the one that serialises: it belongs to the session, so PostgreSQL releases it when a
 * migrator's connection ends, however the migrator ended. Liquibase's changelog lock is a row
 * ({@code databasechangeloglock.locked}) that a migrator which crashed or failed to release it leaves set, and every
 * later migrator would then wait for it (Liquibase gives up after 5 minutes). Holding the advisory lock, no other
 * agentstore migrator of the schema can be running, so a set row is stale: it is cleared, with a warning naming who
 * set it and when, before Liquibase runs.
 *
 * <p>A migrator's session runs without {@code statement_timeout}, {@code lock_timeout} and JDBC network timeout
 * (a long change set, or waiting for another migrator, is not cut by the pool's bounds); they are restored before
 * the connection is returned.
 *
 * <p>Instances are cheap and stateless; each call borrows one connection from the {@link DataSource} and
 * returns it.
 */
public final class Migrations {

    /** Classpath location of the master changelog. */
    public static final String MASTER_CHANGELOG = "db/changelog/db.changelog-master.xml";

    /** The tag applied after the last change set of release 0.1. */
    public static final String TAG_0_1 = "0.1";

    private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);

    private static final long ADVISORY_LOCK_NAMESPACE = 0x6167656e74L << 32; // "agent"

    private final DataSource dataSource;
    private final String schema;

    /**
     * @param dataSource where to migrate; its user needs CREATE on the database when {@link #up()} has to create
     *                   the schema, or else ownership of the existing schema; {@link #status()} and
     *                   {@link #pendingSql()} only read
     * @param schema     the target schema, validated by {@link SchemaNames#requireValid(String)}
     * @throws IllegalArgumentException when the schema name is invalid
     * @throws NullPointerException     when {@code dataSource} is {@code null}
     */
    public Migrations(DataSource dataSource, String schema) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.schema = SchemaNames.requireValid(schema);
    }

    /** @return the schema this instance migrates */
    public String schema() {
        return schema;
    }

    /**
     * Creates the schema if needed and applies every pending change set, in changelog order.
     *
     * @return the change sets that were applied by this call (empty when the schema was up to date)
     * @throws MigrationException when a change set fails; Liquibase rolls back the failing change set's
     *                            transaction, and earlier ones stay applied
     */
    public List<PendingChangeSet> up() {
        return withLiquibase("apply migrations", true, (liquibase, schemaExists) -> {
            List<PendingChangeSet> pending = pending(liquibase);
            liquibase.update(new Contexts(), new LabelExpression());
            return pending;
        });
    }

    /**
     * Lists the change sets not applied yet, in the order {@link #up()} would apply them. Only reads: when the
     * schema does not exist, every change set is pending and nothing is created.
     *
     * @return the pending change sets; empty when the schema is up to date
     * @throws MigrationException when the changelog or the database cannot be read
     */
    public List<PendingChangeSet> status() {
        return withLiquibase("read migration status", false, (liquibase, schemaExists) -> schemaExists
                ? pending(liquibase)
                : liquibase.getDatabaseChangeLog().getChangeSets().stream().map(Migrations::pendingChangeSet).toList());
    }

    /**
     * Rolls back the last {@code count} applied change sets, newest first, using each change set's rollback.
     *
     * @param count how many change sets to roll back; at least 1
     * @throws IllegalArgumentException when {@code count < 1}
     * @throws MigrationException       when a rollback fails
     */
    public void rollback(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("rollback count must be at least 1, was " + count);
        }
        withLiquibase("roll back " + count + " change set(s)", false, (liquibase, schemaExists) -> {
            requireExisting(schemaExists);
            liquibase.rollback(count, (String) null);
            return null;
        });
    }

    /**
     * Rolls back every change set applied after {@code tag} (for example {@link #TAG_0_1}). Liquibase also undoes
     * the {@code tagDatabase} change set that set the tag, so that change set alone shows as pending afterwards;
     * the schema is as the tagged release left it.
     *
     * @param tag a tag previously applied by the changelog
     * @throws MigrationException when the tag is unknown or a rollback fails
     */
    public void rollbackToTag(String tag) {
        Objects.requireNonNull(tag, "tag");
        withLiquibase("roll back to tag '" + tag + "'", false, (liquibase, schemaExists) -> {
            requireExisting(schemaExists);
            liquibase.rollback(tag, (String) null);
            return null;
        });
    }

    /**
     * Renders the SQL that {@link #up()} would run, without running it, for deployments where DDL is reviewed and
     * applied separately. The script includes Liquibase's bookkeeping
     * statements, so applying it by hand leaves {@link #status()} empty afterwards; it starts with
     * {@code CREATE SCHEMA} when the schema does not exist. Nothing is created or changed in the database.
     *
     * @return the SQL script; only comments when nothing is pending
     * @throws MigrationException when the changelog or the database cannot be read
     */
    public String pendingSql() {
        StringWriter out = new StringWriter();
        writePendingSql(out);
        return out.toString();
    }

    /**
     * As {@link #pendingSql()}, writing to {@code out}.
     *
     * @param out where to write the script; not closed
     * @throws MigrationException when the changelog or the database cannot be read
     */
    public void writePendingSql(Writer out) {
        Objects.requireNonNull(out, "out");
        withLiquibase("export pending SQL", false, (liquibase, schemaExists) -> {
            if (!schemaExists) {
                out.write("-- schema " + schema + " does not exist yet\nCREATE SCHEMA IF NOT EXISTS " + schema + ";\n\n");
            }
            liquibase.update(new Contexts(), new LabelExpression(), out);
            return null;
        });
    }

    private static List<PendingChangeSet> pending(Liquibase liquibase) throws LiquibaseException {
        return liquibase.listUnrunChangeSets(new Contexts(), new LabelExpression()).stream()
                .map(Migrations::pendingChangeSet)
                .toList();
    }

    private static PendingChangeSet pendingChangeSet(ChangeSet cs) {
        return new PendingChangeSet(cs.getId(), cs.getAuthor(), cs.getFilePath());
    }

    private void requireExisting(boolean schemaExists) throws LiquibaseException {
        if (!schemaExists) {
            throw new LiquibaseException("the schema does not exist, so nothing was ever applied to it");
        }
    }

    private interface LiquibaseWork<T> {
        T run(Liquibase liquibase, boolean schemaExists) throws LiquibaseException, IOException;
    }

    /**
     * Runs {@code work} under the schema's advisory lock. Only {@code up} creates a missing schema (so reading the
     * status or exporting SQL needs no CREATE privilege on the database, and an existing schema needs only
     * ownership).
     */
    private <T> T withLiquibase(String what, boolean createSchema, LiquibaseWork<T> work) {
        try (Connection connection = dataSource.getConnection()) {
            boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(true);
            // a change set may run long, and a second migrator waits for the advisory lock as long as the first
            // one runs: the pool's statement, lock and socket timeouts would cut both, so they are lifted here
            // and restored before the connection goes back
            int networkTimeout = connection.getNetworkTimeout();
            String[] timeouts = new String[2];
            try (Statement st = connection.createStatement();
                 ResultSet rs = st.executeQuery("SELECT current_setting('statement_timeout'),"
                         + " current_setting('lock_timeout'), set_config('statement_timeout', '0', false),"
                         + " set_config('lock_timeout', '0', false)")) {
                rs.next();
                timeouts[0] = rs.getString(1);
                timeouts[1] = rs.getString(2);
            }
            connection.setNetworkTimeout(Runnable::run, 0);
            long lockKey = advisoryLockKey();
            lock(connection, "SELECT pg_advisory_lock(?)", lockKey);
            Database database = null;
            try {
                boolean schemaExists = schemaExists(connection);
                if (!schemaExists && createSchema) {
                    try (Statement st = connection.createStatement()) {
                        st.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
                    }
                    schemaExists = true;
                }
                if (schemaExists) {
                    releaseStaleChangelogLock(connection);
                }
                boolean exists = schemaExists;
                // Liquibase caches "schema is up to date" per URL and schema for the JVM's lifetime; a rollback by
                // this or another process makes that answer stale, so always ask the database
                Scope.getCurrentScope().getSingleton(FastCheckService.class).clearCache();
                database = DatabaseFactory.getInstance()
                        .findCorrectDatabaseImplementation(new JdbcConnection(connection));
                database.setDefaultSchemaName(schema);
                database.setLiquibaseSchemaName(schema);
                Liquibase liquibase = new Liquibase(MASTER_CHANGELOG,
                        new ClassLoaderResourceAccessor(Migrations.class.getClassLoader()), database);
                liquibase.setChangeLogParameter("schema", schema);
                // a library does not print to stdout: Liquibase's console messages go to its logger instead
                liquibase.setShowSummaryOutput(UpdateSummaryOutputEnum.LOG);
                return Scope.child(Map.of(Scope.Attr.ui.name(), new LoggerUIService()), () -> work.run(liquibase, exists));
            } finally {
                if (database != null) {
                    // Liquibase caches applied change sets, lock state and executors per database; forget them
                    Scope.getCurrentScope().getSingleton(ChangeLogHistoryServiceFactory.class).getChangeLogService(database).reset();
                    LockServiceFactory.getInstance().getLockService(database).reset();
                    Scope.getCurrentScope().getSingleton(ExecutorService.class).clearExecutor("jdbc", database);
                }
                lock(connection, "SELECT pg_advisory_unlock(?)", lockKey);
                try (PreparedStatement ps = connection.prepareStatement(
                        "SELECT set_config('statement_timeout', ?, false), set_config('lock_timeout', ?, false)")) {
                    ps.setString(1, timeouts[0]);
                    ps.setString(2, timeouts[1]);
                    ps.executeQuery().close();
                }
                connection.setNetworkTimeout(Runnable::run, networkTimeout);
                connection.setAutoCommit(autoCommit);
            }
        } catch (Exception e) {
            throw new MigrationException("could not " + what + " in schema '" + schema + "': " + e.getMessage(), e);
        }
    }

    /**
     * Clears Liquibase's changelog lock row when it is set; called while this migrator holds the schema's advisory
     * lock, so the row is stale (see the class comment).
     */
    private void releaseStaleChangelogLock(Connection connection) throws SQLException {
        String table = schema + ".databasechangeloglock";
        try (PreparedStatement exists = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            exists.setString(1, table);
            try (ResultSet rs = exists.executeQuery()) {
                if (!rs.next() || !rs.getBoolean(1)) {
                    return;
                }
            }
        }
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("UPDATE " + table + " AS l SET locked = false, lockgranted = NULL,"
                     + " lockedby = NULL FROM " + table + " AS old WHERE l.id = old.id AND old.locked"
                     + " RETURNING old.lockedby, old.lockgranted")) {
            while (rs.next()) {
                LOG.warn("released a stale Liquibase changelog lock in schema {}, set by"
                        + " {} at {}: no agentstore migrator of the schema was running", schema, rs.getString(1),
                        rs.getString(2));
            }
        }
    }

    private boolean schemaExists(Connection connection) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT 1 FROM pg_namespace WHERE nspname = ?")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static void lock(Connection connection, String sql, long key) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setLong(1, key);
            ps.execute();
        }
    }

    private long advisoryLockKey() {
        CRC32 crc = new CRC32();
        crc.update(schema.getBytes(StandardCharsets.UTF_8));
        return ADVISORY_LOCK_NAMESPACE | crc.getValue();
    }
}
