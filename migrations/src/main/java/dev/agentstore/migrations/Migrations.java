package dev.agentstore.migrations;

import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
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
 * ({@link #rollback(int)}, {@link #rollbackToTag(String)}) and export ({@link #pendingSql()}, and without a database
 * {@link #offlineSql(String)}) the agentstore schema, all driven by the Liquibase changelog {@value #MASTER_CHANGELOG}
 * on the classpath. The default indexes (those no constraint needs) can be left out
 * ({@link #skipDefaultIndexes(boolean)}) and created later ({@link #createDefaultIndexes()}); custom indexes are
 * {@link Indexes}' work.
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
 * returns it. Liquibase's executors are global to the JVM and its SQL output mode resets them, so
 * {@link #pendingSql()} and {@link #offlineSql(String)} run alone in one JVM (other operations wait for them).
 */
public final class Migrations {

    /** Classpath location of the master changelog. */
    public static final String MASTER_CHANGELOG = "db/changelog/db.changelog-master.xml";

    /** The tag applied after the last change set of release 0.1. */
    public static final String TAG_0_1 = "0.1";

    private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);

    /**
     * Liquibase keeps its executors in one registry per JVM, and its SQL output mode ({@link #pendingSql()},
     * {@link #offlineSql(String)}) swaps the registry's executor for a printing one and clears the whole registry
     * when done: another Liquibase operation running meanwhile in the same JVM could print instead of run, or run
     * instead of print. So an output-mode operation takes this lock's write lock and runs alone in the JVM; the
     * others take its read lock and run side by side (each on its own database object).
     */
    static final ReentrantReadWriteLock LIQUIBASE = new ReentrantReadWriteLock();

    private final DataSource dataSource;
    private final String schema;
    private final boolean skipDefaultIndexes;
    private final String vectorSchema;

    /**
     * @param dataSource where to migrate; its user needs CREATE on the database when {@link #up()} has to create
     *                   the schema, or else ownership of the existing schema; {@link #status()} and
     *                   {@link #pendingSql()} only read
     * @param schema     the target schema, validated by {@link SchemaNames#requireValid(String)}
     * @throws IllegalArgumentException when the schema name is invalid
     * @throws NullPointerException     when {@code dataSource} is {@code null}
     */
    public Migrations(DataSource dataSource, String schema) {
        this(Objects.requireNonNull(dataSource, "dataSource"), SchemaNames.requireValid(schema), false, null);
    }

    private Migrations(DataSource dataSource, String schema, boolean skipDefaultIndexes, String vectorSchema) {
        this.dataSource = dataSource;
        this.schema = schema;
        this.skipDefaultIndexes = skipDefaultIndexes;
        this.vectorSchema = vectorSchema;
    }

    /**
     * Returns migrations of the same schema whose session puts the schema of the pgvector extension on its
     * {@code search_path} ({@code <schema>,<vectorSchema>,public}, restored afterwards), so that the changelog's
     * unqualified {@code vector} types and operator classes resolve whatever the {@link DataSource}'s path is; the
     * changelog parameter {@code vectorSchema} carries it. Without it, the connection's path is used as it is.
     *
     * @param vectorSchema the schema the {@code vector} extension was created in, for example {@code extensions}
     * @return migrations with that setting
     * @throws IllegalArgumentException when the name is invalid ({@link SchemaNames#requireValid(String)})
     */
    public Migrations vectorSchema(String vectorSchema) {
        return new Migrations(dataSource, schema, skipDefaultIndexes, SchemaNames.requireValid(vectorSchema));
    }

    /**
     * Returns migrations of the same schema that, when {@code skip} is true, leave out the default indexes: after
     * {@link #up()} applied its change sets, the indexes of {@link #defaultIndexNames()} that those change sets
     * created are dropped, so only the indexes that constraints need (primary keys, unique constraints and unique
     * indexes) remain. Indexes that existed before the call are never dropped. The changelog and its history are the
     * same in both modes; {@link #createDefaultIndexes()} adds the default indexes later.
     *
     * @param skip whether {@link #up()} leaves out the default indexes
     * @return migrations with that setting
     */
    public Migrations skipDefaultIndexes(boolean skip) {
        return new Migrations(dataSource, schema, skip, vectorSchema);
    }

    /** @return whether {@link #up()} leaves out the default indexes (see {@link #skipDefaultIndexes(boolean)}) */
    public boolean skipsDefaultIndexes() {
        return skipDefaultIndexes;
    }

    /**
     * @return the names of the default indexes: those the changelog creates that no constraint needs (neither a
     *         primary key nor unique), as of the last release, sorted
     */
    public static List<String> defaultIndexNames() {
        return DefaultIndexes.ALL.stream().map(DefaultIndexes.DefaultIndex::name).sorted().toList();
    }

    /**
     * Creates the default indexes that are missing (see {@link #skipDefaultIndexes(boolean)}), one at a time with
     * {@code CREATE INDEX CONCURRENTLY}, so reads and writes of the tables go on while they build. An index left
     * invalid by a failed concurrent build is dropped and built again. The schema must be migrated.
     *
     * @return the names of the indexes this call created, in creation order; empty when none was missing
     * @throws MigrationException when an index cannot be created (the schema is not migrated, the build failed);
     *                            the indexes created before stay
     */
    public List<String> createDefaultIndexes() {
        List<String> created = new ArrayList<>();
        try (SchemaSession session = SchemaSession.open(dataSource, schema)) {
            Map<String, Boolean> existing = indexValidity(session.connection());
            Set<String> partitioned = partitionedTables(session.connection());
            try (Statement st = session.connection().createStatement()) {
                for (DefaultIndexes.DefaultIndex index : DefaultIndexes.ALL) {
                    Boolean valid = existing.get(index.name());
                    if (Boolean.TRUE.equals(valid)) {
                        continue;
                    }
                    if (valid != null) {
                        LOG.warn("index {}.{} is invalid (a failed concurrent build): building it again", schema,
                                index.name());
                        st.execute("DROP INDEX CONCURRENTLY IF EXISTS " + schema + "." + index.name());
                    }
                    // PostgreSQL cannot build an index of a partitioned table concurrently
                    String create = index.createSql(schema);
                    st.execute(partitioned.contains(index.table()) ? create.replace(" CONCURRENTLY", "") : create);
                    created.add(index.name());
                }
            }
        } catch (SQLException e) {
            throw new MigrationException("could not create the default indexes in schema '" + schema + "' (created "
                    + created + " before the failure): " + e.getMessage(), e);
        }
        LOG.info("agentstore: created {} default index(es) in schema {}", created.size(), schema);
        return created;
    }

    /** @return the names of the schema's partitioned tables */
    private Set<String> partitionedTables(Connection connection) throws SQLException {
        Set<String> tables = new HashSet<>();
        try (PreparedStatement ps = connection.prepareStatement("SELECT c.relname FROM pg_class c"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind = 'p'")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
        }
        return tables;
    }

    /** @return the schema's indexes by name: whether each is valid (usable) */
    private Map<String, Boolean> indexValidity(Connection connection) throws SQLException {
        Map<String, Boolean> indexes = new HashMap<>();
        try (PreparedStatement ps = connection.prepareStatement("SELECT c.relname, i.indisvalid FROM pg_index i"
                + " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ?")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    indexes.put(rs.getString(1), rs.getBoolean(2));
                }
            }
        }
        return indexes;
    }

    /** Drops the default indexes that did not exist before {@link #up()} ran (see {@link #skipDefaultIndexes}). */
    private void dropNewDefaultIndexes(Connection connection, Set<String> before) throws SQLException {
        List<String> dropped = new ArrayList<>();
        try (Statement st = connection.createStatement()) {
            for (String name : indexValidity(connection).keySet()) {
                if (DefaultIndexes.NAMES.contains(name) && !before.contains(name)) {
                    st.execute("DROP INDEX " + schema + "." + name);
                    dropped.add(name);
                }
            }
        }
        if (!dropped.isEmpty()) {
            LOG.info("agentstore: skipDefaultIndexes: left out {} default index(es) of schema {}", dropped.size(),
                    schema);
        }
    }

    /** @return the schema this instance migrates */
    public String schema() {
        return schema;
    }

    /**
     * Creates the schema if needed and applies every pending change set, in changelog order; with
     * {@link #skipDefaultIndexes(boolean)}, then drops the default indexes those change sets created.
     *
     * @return the change sets that were applied by this call (empty when the schema was up to date)
     * @throws MigrationException when a change set fails; Liquibase rolls back the failing change set's
     *                            transaction, and earlier ones stay applied
     */
    public List<PendingChangeSet> up() {
        return withLiquibase("apply migrations", true, (liquibase, schemaExists, connection) -> {
            List<PendingChangeSet> pending = pending(liquibase);
            Set<String> before = skipDefaultIndexes ? indexValidity(connection).keySet() : Set.of();
            liquibase.update(new Contexts(), new LabelExpression());
            if (skipDefaultIndexes) {
                dropNewDefaultIndexes(connection, before);
            }
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
        return withLiquibase("read migration status", false, (liquibase, schemaExists, connection) -> schemaExists
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
        withLiquibase("roll back " + count + " change set(s)", false, (liquibase, schemaExists, connection) -> {
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
        withLiquibase("roll back to tag '" + tag + "'", false, (liquibase, schemaExists, connection) -> {
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
        withLiquibase(EXPORT, false, (liquibase, schemaExists, connection) -> {
            if (!schemaExists) {
                out.write("-- schema " + schema + " does not exist yet\nCREATE SCHEMA IF NOT EXISTS " + schema + ";\n\n");
            }
            liquibase.update(new Contexts(), new LabelExpression(), out);
            return null;
        });
    }

    /**
     * Renders the whole schema as one SQL script without a database: every change set of the changelog for a schema
     * named {@code schema}, with Liquibase's bookkeeping ({@code databasechangelog} created and filled), so that
     * {@link #status()} of the schema is empty after the script ran and later releases apply on top of it. Rendered
     * by Liquibase's offline mode for PostgreSQL 15. The script starts with {@code CREATE SCHEMA IF NOT EXISTS} and a
     * check that the pgvector extension is installed (the changelog's precondition, which offline mode cannot
     * evaluate), and has no transaction control: run it in one transaction, for example
     * {@code psql -v ON_ERROR_STOP=1 --single-transaction -f schema.sql}. The default indexes are included.
     * Thread-safe.
     *
     * @param schema the schema name the script creates and fills, validated by {@link SchemaNames#requireValid}
     * @return the script
     * @throws IllegalArgumentException when the schema name is invalid
     * @throws MigrationException       when the changelog cannot be read or rendered
     */
    public static String offlineSql(String schema) {
        StringWriter out = new StringWriter();
        writeOfflineSql(schema, out);
        return out.toString();
    }

    /**
     * As {@link #offlineSql(String)}, writing to {@code out}.
     *
     * @param schema the schema name the script creates and fills
     * @param out    where to write the script; not closed
     * @throws IllegalArgumentException when the schema name is invalid
     * @throws MigrationException       when the changelog cannot be read or rendered, or {@code out} fails
     */
    public static void writeOfflineSql(String schema, Writer out) {
        SchemaNames.requireValid(schema);
        OfflineSql.write(schema, Objects.requireNonNull(out, "out"));
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

    /** The name of the one operation of {@link #withLiquibase} in Liquibase's SQL output mode. */
    private static final String EXPORT = "export pending SQL";

    private interface LiquibaseWork<T> {
        T run(Liquibase liquibase, boolean schemaExists, Connection connection) throws LiquibaseException, IOException,
                SQLException;
    }

    /**
     * Runs {@code work} under the schema's advisory lock ({@link SchemaSession}). Only {@code up} creates a missing
     * schema (so reading the status or exporting SQL needs no CREATE privilege on the database, and an existing
     * schema needs only ownership).
     */
    private <T> T withLiquibase(String what, boolean createSchema, LiquibaseWork<T> work) {
        Lock lock = what.equals(EXPORT) ? LIQUIBASE.writeLock() : LIQUIBASE.readLock();
        lock.lock();
        try (SchemaSession session = SchemaSession.open(dataSource, schema, vectorSchema)) {
            Connection connection = session.connection();
            Database database = null;
            try {
                boolean schemaExists = session.schemaExists(schema);
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
                liquibase.setChangeLogParameter("vectorSchema", vectorSchema == null ? "public" : vectorSchema);
                // a library does not print to stdout: Liquibase's console messages go to its logger instead
                liquibase.setShowSummaryOutput(UpdateSummaryOutputEnum.LOG);
                return Scope.child(Map.of(Scope.Attr.ui.name(), new LoggerUIService()),
                        () -> work.run(liquibase, exists, connection));
            } finally {
                if (database != null) {
                    forget(database);
                }
            }
        } catch (Exception e) {
            throw new MigrationException("could not " + what + " in schema '" + schema + "': " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    /** Liquibase caches applied change sets, lock state and executors per database; forgets them. */
    static void forget(Database database) {
        Scope.getCurrentScope().getSingleton(ChangeLogHistoryServiceFactory.class).getChangeLogService(database).reset();
        LockServiceFactory.getInstance().getLockService(database).reset();
        Scope.getCurrentScope().getSingleton(ExecutorService.class).clearExecutor("jdbc", database);
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
}
