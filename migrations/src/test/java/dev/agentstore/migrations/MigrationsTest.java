package dev.agentstore.migrations;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Runs the real changelog against the real PostgreSQL, each test in a schema of its own. */
class MigrationsTest {

    private static final List<String> TABLES = List.of(
            "flows", "flow_runs", "flow_events", "triggers", "trigger_events", "scheduler_jobs", "kv_entries");

    private static HikariDataSource dataSource;
    private final List<String> schemas = new ArrayList<>();

    @BeforeAll
    static void pool() {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(env("AGENTSTORE_TEST_DB_URL", "jdbc:postgresql://127.0.0.1:5432/agentstore"));
        hc.setUsername(env("AGENTSTORE_TEST_DB_USER", "agentstore"));
        hc.setPassword(env("AGENTSTORE_TEST_DB_PASSWORD", "agentstore"));
        hc.setMaximumPoolSize(8);
        hc.setMinimumIdle(0);
        dataSource = new HikariDataSource(hc);
    }

    @AfterAll
    static void close() {
        dataSource.close();
    }

    @org.junit.jupiter.api.AfterEach
    void dropSchemas() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            for (String s : schemas) {
                st.execute("DROP SCHEMA IF EXISTS " + s + " CASCADE");
            }
        }
    }

    private Migrations fresh() {
        String schema = "t_migrations_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        schemas.add(schema);
        return new Migrations(dataSource, schema);
    }

    @Test
    void freshSchemaMigratesUpThenRollsBackCompletelyThenMigratesUpAgain() throws SQLException {
        Migrations migrations = fresh();
        int total = migrations.status().size();
        assertThat(total).isGreaterThanOrEqualTo(8);

        assertThat(migrations.up()).hasSize(total);
        assertThat(migrations.status()).isEmpty();
        assertThat(tablesIn(migrations.schema())).containsAll(TABLES);
        assertThat(migrations.up()).as("a second up applies nothing").isEmpty();

        migrations.rollback(total);
        assertThat(migrations.status()).hasSize(total);
        assertThat(tablesIn(migrations.schema())).doesNotContainAnyElementsOf(TABLES);

        assertThat(migrations.up()).hasSize(total);
        assertThat(migrations.status()).isEmpty();
        assertThat(tablesIn(migrations.schema())).containsAll(TABLES);
    }

    @Test
    void aChangelogLockLeftSetByACrashedMigratorIsClearedInsteadOfWaitedFor() throws SQLException {
        Migrations migrations = fresh();
        migrations.up();
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE " + migrations.schema() + ".databasechangeloglock"
                    + " SET locked = true, lockgranted = now(), lockedby = 'crashed-host' WHERE id = 1");
        }

        migrations.rollback(1); // Liquibase would wait 5 minutes for the row, then fail
        assertThat(migrations.status()).hasSize(1);
        assertThat(migrations.up()).hasSize(1);

        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT locked FROM " + migrations.schema() + ".databasechangeloglock")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getBoolean(1)).isFalse();
        }
    }

    @Test
    void rollbackByCountUndoesOnlyTheNewestChangeSets() throws SQLException {
        Migrations migrations = fresh();
        List<String> all = ids(migrations.status());
        migrations.up();
        migrations.rollback(2);
        assertThat(ids(migrations.status())).containsExactlyElementsOf(all.subList(all.size() - 2, all.size()));
        assertThat(tablesIn(migrations.schema())).contains("flows", "flow_runs");
    }

    @Test
    void rollbackToTagKeepsEverythingUpToTheTag() throws SQLException {
        Migrations migrations = fresh();
        List<String> all = ids(migrations.status());
        migrations.up();
        migrations.rollbackToTag(Migrations.TAG_0_1);
        // Liquibase also undoes the tagDatabase change set that holds the tag; every table of 0.1 stays
        assertThat(ids(migrations.status())).containsExactlyElementsOf(all.subList(all.indexOf("0.1-tag"), all.size()));
        assertThat(tablesIn(migrations.schema())).containsAll(TABLES);
        assertThatThrownBy(() -> migrations.rollbackToTag("no-such-tag"))
                .isInstanceOf(MigrationException.class)
                .hasMessageContaining(migrations.schema());
    }

    @Test
    void release03AddsTheChunksGinIndexesAndRollingBackToTag02RemovesOnlyThem() throws SQLException {
        Migrations migrations = fresh();
        List<String> all = ids(migrations.status());
        migrations.up();
        assertThat(indexDefinitions(migrations.schema())).anySatisfy(def -> assertThat(def)
                        .contains("chunks_payload_idx").contains("USING gin (payload jsonb_path_ops)")
                        .contains("fastupdate=off"))
                .anySatisfy(def -> assertThat(def).contains("chunks_meta_idx").contains("USING gin (meta jsonb_path_ops)"));

        migrations.rollbackToTag("0.2");

        // as for 0.1, Liquibase also undoes the change set that holds the tag
        assertThat(ids(migrations.status())).containsExactlyElementsOf(all.subList(all.indexOf("0.2-tag"), all.size()));
        assertThat(indexDefinitions(migrations.schema())).noneSatisfy(def -> assertThat(def).contains("chunks USING gin"))
                .anySatisfy(def -> assertThat(def).contains("chunks_document_idx"));
    }

    @Test
    void release04MakesTheSequencesStepByOneAndRollingBackToTag03RestoresFifty() throws SQLException {
        Migrations migrations = fresh();
        migrations.up();
        assertThat(sequenceIncrements(migrations.schema())).containsKeys("flow_runs_seq", "flow_events_seq",
                "trigger_events_seq", "templates_seq", "configurations_seq", "memory_variables_seq")
                .allSatisfy((name, increment) -> assertThat(increment).as(name).isEqualTo(1L));

        migrations.rollbackToTag("0.3");

        assertThat(sequenceIncrements(migrations.schema()).values()).containsOnly(50L);
    }

    @Test
    void release04AddsTheStepsTableAndTheCompletionGuardAndRollingBackToTag03RemovesThem() throws SQLException {
        Migrations migrations = fresh();
        migrations.up();
        assertThat(tablesIn(migrations.schema())).contains("flow_steps");
        // 0.5 adds the change feed's status triggers (releases/0.5/feed.xml)
        assertThat(triggersOnFlowRuns(migrations.schema()))
                .containsExactly("flow_runs_completion_guard", "flow_runs_feed_insert", "flow_runs_feed_status");

        migrations.rollbackToTag("0.3");

        assertThat(tablesIn(migrations.schema())).doesNotContain("flow_steps").contains("flow_runs");
        assertThat(triggersOnFlowRuns(migrations.schema())).isEmpty();
    }

    @Test
    void release05AddsTheBlobTablesWithUncompressedChunksAndRollingBackToTag04RemovesThem() throws SQLException {
        Migrations migrations = fresh();
        migrations.up();
        assertThat(tablesIn(migrations.schema())).contains("blobs", "blob_contents", "blob_chunks");
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT a.attstorage FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid JOIN pg_namespace n"
                        + " ON n.oid = r.relnamespace WHERE n.nspname = ? AND r.relname = 'blob_chunks'"
                        + " AND a.attname = 'data'")) {
            ps.setString(1, migrations.schema());
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).as("EXTERNAL: out of line, not compressed").isEqualTo("e");
            }
        }

        migrations.rollbackToTag("0.4");

        assertThat(tablesIn(migrations.schema())).doesNotContain("blobs", "blob_contents", "blob_chunks")
                .contains("flow_steps");
        migrations.up();
        assertThat(tablesIn(migrations.schema())).contains("blobs", "blob_contents", "blob_chunks");
    }

    @Test
    void release05FillsTheChunksTsvectorUnderTheDefaultConfigurationAndRollingBackRemovesIt() throws SQLException {
        Migrations migrations = fresh();
        migrations.up();
        migrations.rollbackToTag("0.4");
        String s = migrations.schema();
        execute("INSERT INTO " + s + ".knowledge_bases (name, dimension, distance, vector_type, index_type,"
                + " created_at, updated_at) VALUES ('kb', 3, 'COSINE', 'VECTOR', 'NONE', now(), now())");
        execute("INSERT INTO " + s + ".chunks (knowledge_base, id, dimension, document_id, ordinal, content,"
                + " content_hash, embedding, created_at) VALUES ('kb', 'c1', 3, 'd', 0, 'Vacuuming the tables', 'h',"
                + " '[1,0,0]', now())");

        migrations.up();

        assertThat(query("SELECT text_config || ' ' || (SELECT CAST(text_search AS text) FROM " + s + ".chunks)"
                + " FROM " + s + ".knowledge_bases")).isEqualTo("english 'tabl':3 'vacuum':1");
        execute("UPDATE " + s + ".chunks SET content = 'Write-ahead log'");
        assertThat(query("SELECT CAST(text_search AS text) FROM " + s + ".chunks"))
                .isEqualTo("'ahead':3 'log':4 'write':2 'write-ahead':1");
        assertThat(indexDefinitions(s)).anySatisfy(def -> assertThat(def).contains("chunks_text_search_idx")
                .contains("USING gin (text_search)").contains("fastupdate=off"));

        migrations.rollbackToTag("0.4");

        assertThat(query("SELECT count(*) FROM information_schema.columns WHERE table_schema = '" + s + "'"
                + " AND column_name IN ('text_search', 'text_config')")).isEqualTo("0");
        assertThat(query("SELECT content FROM " + s + ".chunks")).isEqualTo("Write-ahead log");
    }

    @Test
    void release05IndexesSpansByStartTimeWithBrinAndRollingItBackRestoresTheBTree() throws SQLException {
        Migrations migrations = fresh();
        List<String> all = ids(migrations.status());
        migrations.up();
        String s = migrations.schema();
        assertThat(indexDefinitions(s)).anySatisfy(def -> assertThat(def).contains("INDEX spans_started_idx ")
                .contains("USING brin (started_at)").contains("autosummarize='on'"));

        migrations.rollback(all.size() - all.indexOf("0.5-spans-started-brin")); // it and every later change set

        assertThat(indexDefinitions(s)).anySatisfy(def -> assertThat(def).contains("INDEX spans_started_idx ")
                .contains("USING btree (started_at)"));
        migrations.up();
        assertThat(indexDefinitions(s)).anySatisfy(def -> assertThat(def).contains("INDEX spans_started_idx ")
                .contains("USING brin (started_at)"));
    }

    private static void execute(String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.execute();
        }
    }

    private static String query(String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql);
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static List<String> triggersOnFlowRuns(String schema) throws SQLException {
        List<String> names = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT tgname FROM pg_trigger t JOIN pg_class r ON r.oid ="
                     + " t.tgrelid JOIN pg_namespace n ON n.oid = r.relnamespace WHERE n.nspname = ? AND r.relname ="
                     + " 'flow_runs' AND NOT t.tgisinternal ORDER BY tgname")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
        }
        return names;
    }

    private static java.util.Map<String, Long> sequenceIncrements(String schema) throws SQLException {
        java.util.Map<String, Long> increments = new java.util.TreeMap<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT sequencename, increment_by FROM pg_sequences WHERE schemaname = ?")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    increments.put(rs.getString(1), rs.getLong(2));
                }
            }
        }
        return increments;
    }

    private static List<String> indexDefinitions(String schema) throws SQLException {
        List<String> defs = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT indexdef FROM pg_indexes WHERE schemaname = ?")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    defs.add(rs.getString(1));
                }
            }
        }
        return defs;
    }

    private static List<String> ids(List<PendingChangeSet> changeSets) {
        return changeSets.stream().map(PendingChangeSet::id).toList();
    }

    @Test
    void pendingSqlRendersTheDdlWithoutApplyingIt() throws SQLException {
        Migrations migrations = fresh();
        String sql = migrations.pendingSql();
        assertThat(sql)
                .contains("CREATE TABLE " + migrations.schema() + ".flows")
                .contains("CREATE FUNCTION " + migrations.schema() + ".jsonb_merge_patch")
                .contains("scheduler_jobs_due_idx");
        assertThat(tablesIn(migrations.schema())).doesNotContainAnyElementsOf(TABLES);
        assertThat(migrations.status()).isNotEmpty();

        migrations.up();
        assertThat(migrations.pendingSql()).doesNotContain("CREATE TABLE");
    }

    @Test
    void statusAndPendingSqlOfAMissingSchemaReadOnlyAndCreateNothing() throws SQLException {
        Migrations migrations = fresh();
        assertThat(migrations.status()).extracting(PendingChangeSet::id).startsWith("0.1-jsonb-merge-patch")
                .contains("0.1-tag");
        assertThat(migrations.pendingSql()).startsWith("-- schema " + migrations.schema() + " does not exist yet")
                .contains("CREATE SCHEMA IF NOT EXISTS " + migrations.schema() + ";");
        assertThat(schemaExists(migrations.schema())).isFalse();
        assertThatThrownBy(() -> migrations.rollback(1))
                .isInstanceOf(MigrationException.class)
                .hasMessageContaining("does not exist");
        assertThat(schemaExists(migrations.schema())).isFalse();
    }

    @Test
    void concurrentMigratorsOfOneFreshSchemaWaitForEachOtherAndApplyEachChangeSetOnce() throws Exception {
        Migrations probe = fresh();
        int total = probe.status().size();
        int migrators = 4;
        ExecutorService pool = Executors.newFixedThreadPool(migrators);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Integer>> applied = new ArrayList<>();
        for (int i = 0; i < migrators; i++) {
            applied.add(pool.submit(() -> {
                start.await();
                return new Migrations(dataSource, probe.schema()).up().size();
            }));
        }
        start.countDown();
        int sum = 0;
        for (Future<Integer> f : applied) {
            sum += f.get();
        }
        pool.shutdown();
        assertThat(sum).as("change sets applied over all migrators").isEqualTo(total);
        assertThat(probe.status()).isEmpty();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT count(*), count(DISTINCT id) FROM " + probe.schema()
                     + ".databasechangelog")) {
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(total);
                assertThat(rs.getInt(2)).isEqualTo(total);
            }
        }
    }

    @Test
    void invalidSchemaNamesAreRejectedBeforeTouchingTheDatabase() {
        for (String bad : new String[]{null, "", "Public", "a-b", "x; DROP TABLE y", "1abc", "pg_catalog", "a".repeat(64),
                "user", "order", "select", "table"}) {
            assertThatThrownBy(() -> new Migrations(dataSource, bad))
                    .as("schema %s", bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("invalid schema name");
        }
        assertThat(new Migrations(dataSource, "tenant_42").schema()).isEqualTo("tenant_42");
    }

    private static boolean schemaExists(String schema) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_namespace WHERE nspname = ?")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static List<String> tablesIn(String schema) throws SQLException {
        List<String> tables = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT table_name FROM information_schema.tables WHERE table_schema = ?")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
        }
        return tables;
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }
}
