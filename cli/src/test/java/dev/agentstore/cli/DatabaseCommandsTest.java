package dev.agentstore.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class DatabaseCommandsTest {

    private static CliRunner cli;

    @BeforeAll
    static void setUp() {
        cli = new CliRunner(DatabaseCommandsTest.class);
    }

    @AfterAll
    static void tearDown() {
        cli.close();
    }

    @Test
    void migrateSqlStatusUpRollbackAndStatusAgain() {
        CliRunner.Result sql = cli.run("migrate", "sql");
        assertThat(sql.exitCode()).as(sql.err()).isZero();
        assertThat(sql.out()).contains("CREATE SCHEMA IF NOT EXISTS " + cli.schema).contains("CREATE TABLE");
        assertThat(cli.queryLong("SELECT count(*) FROM pg_namespace WHERE nspname = '" + cli.schema + "'")).isZero();

        assertThat(cli.run("migrate", "status").out()).contains("pending change set(s)").contains("0.1-flows");
        CliRunner.Result up = cli.run("migrate", "up");
        assertThat(up.exitCode()).isZero();
        assertThat(up.out()).contains("applied").contains("0.1-kv-entries");
        assertThat(cli.run("migrate", "status").out()).contains("up to date");

        CliRunner.Result rollback = cli.run("migrate", "rollback", "--count", "1");
        assertThat(rollback.exitCode()).as(rollback.err()).isZero();
        assertThat(cli.run("migrate", "status").out()).contains("1 pending change set(s)");
        assertThat(cli.run("migrate", "up").exitCode()).isZero();

        assertThat(cli.run("migrate", "rollback").exitCode()).isEqualTo(ExitCodes.USAGE);
        CliRunner.Result badTag = cli.run("migrate", "rollback", "--tag", "no-such-tag");
        assertThat(badTag.exitCode()).isEqualTo(ExitCodes.SCHEMA);
    }

    @Test
    void migrateSqlOfflineRendersTheWholeSchemaForTheNamedSchemaWithoutConnecting() {
        CliRunner.Result sql = cli.run("migrate", "sql", "--offline", "--schema", "tenant_offline",
                "--url", "jdbc:postgresql://127.0.0.1:1/nowhere");
        assertThat(sql.exitCode()).as(sql.err()).isZero();
        assertThat(sql.out()).contains("CREATE SCHEMA IF NOT EXISTS tenant_offline;")
                .contains("CREATE TABLE tenant_offline.flows").contains("INSERT INTO tenant_offline.databasechangelog")
                .doesNotContain(cli.schema);

        assertThat(cli.run("migrate", "sql", "--offline", "--schema", "Bad-Name").exitCode())
                .isNotZero();
    }

    @Test
    void createDefaultIndexesCreatesOnlyTheMissingOnes() {
        assertThat(cli.run("migrate", "up").exitCode()).isZero();
        cli.execute("DROP INDEX flows_last_run_at_idx");

        CliRunner.Result created = cli.run("migrate", "create-default-indexes");
        assertThat(created.exitCode()).as(created.err()).isZero();
        assertThat(created.out()).contains("created 1 default index(es)").contains("flows_last_run_at_idx");
        assertThat(cli.run("migrate", "create-default-indexes").out()).contains("created 0 default index(es)");
    }

    @Test
    void statsListsRowsPerTableAndIndexSizes() {
        assertThat(cli.run("migrate", "up").exitCode()).isZero();
        cli.execute("INSERT INTO kv_entries (\"key\", value) VALUES ('stats-a', '1'::jsonb), ('stats-b', '2'::jsonb)");
        CliRunner.Result stats = cli.run("stats");
        assertThat(stats.exitCode()).as(stats.err()).isZero();
        assertThat(stats.out()).containsPattern("kv_entries\\s+2\\s")
                .containsPattern("flow_runs\\s+0\\s")
                .contains("index").contains("btree");
    }

    @Test
    void anUnreachableServerShowsTheUrlWithoutThePasswordAndAHint() {
        cli.env().put("AGENTSTORE_DB_URL", "jdbc:postgresql://127.0.0.1:1/agentstore");
        cli.env().put("AGENTSTORE_DB_PASSWORD", "s3cret-pw");
        try {
            CliRunner.Result r = cli.run("migrate", "status");
            assertThat(r.exitCode()).isEqualTo(ExitCodes.DB_UNREACHABLE);
            assertThat(r.err()).contains("jdbc:postgresql://127.0.0.1:1/agentstore").contains("hint:")
                    .contains("setup-postgres.sh").doesNotContain("s3cret-pw");
        } finally {
            cli.env().put("AGENTSTORE_DB_URL", CliRunner.URL);
            cli.env().put("AGENTSTORE_DB_PASSWORD", CliRunner.PASSWORD);
        }
    }

    @Test
    void aWrongPasswordOrAMissingDatabaseIsReportedAsSuch() {
        // (the local server may trust 127.0.0.1, so an unknown role is what it surely refuses)
        CliRunner.Result login = cli.run("stats", "--user", "no_such_role_xyz", "--password=wrong-pw-123");
        assertThat(login.exitCode()).isEqualTo(ExitCodes.DB_UNREACHABLE);
        assertThat(login.err()).contains("refused the login").contains("no_such_role_xyz").doesNotContain("wrong-pw-123");

        cli.env().put("AGENTSTORE_DB_URL", CliRunner.URL.replaceAll("/[^/]*$", "/no_such_db_xyz"));
        try {
            CliRunner.Result db = cli.run("stats");
            assertThat(db.exitCode()).isEqualTo(ExitCodes.DB_UNREACHABLE);
            assertThat(db.err()).contains("database does not exist").contains("no_such_db_xyz");
        } finally {
            cli.env().put("AGENTSTORE_DB_URL", CliRunner.URL);
        }
    }

    @Test
    void aDatabaseWithoutPgvectorExitsWithTheExtensionCodeAndAHint(@TempDir Path dir) throws Exception {
        String db = "t_cli_novector_" + java.util.UUID.randomUUID().toString().substring(0, 8);
        try (var c = java.sql.DriverManager.getConnection(CliRunner.URL, CliRunner.USER, CliRunner.PASSWORD);
             var st = c.createStatement()) {
            st.execute("CREATE DATABASE " + db);
        }
        cli.env().put("AGENTSTORE_DB_URL", CliRunner.URL.replaceAll("/[^/]*$", "/" + db));
        try {
            Files.writeString(dir.resolve("a.txt"), "Some text about vacuum.");
            CliRunner.Result r = cli.run("ingest", "--no-progress", dir.toString());
            assertThat(r.exitCode()).isEqualTo(ExitCodes.EXTENSION_MISSING);
            assertThat(r.err()).contains("pgvector").contains(db).contains("hint:").contains("CREATE EXTENSION vector");
        } finally {
            cli.env().put("AGENTSTORE_DB_URL", CliRunner.URL);
            try (var c = java.sql.DriverManager.getConnection(CliRunner.URL, CliRunner.USER, CliRunner.PASSWORD);
                 var st = c.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + db);
            }
        }
    }

    @Test
    void flagsOverrideTheEnvironmentWhichOverridesTheConfigFile(@TempDir Path dir) throws IOException {
        Path config = dir.resolve("agentstore.properties");
        Files.writeString(config, "schema=from_file\nuser=file-user\n");
        cli.env().remove("AGENTSTORE_DB_SCHEMA");
        try {
            var options = new ConnectionOptions();
            options.config = config;
            assertThat(options.toConfig(cli.env(), false).schema()).isEqualTo("from_file");
            assertThat(options.toConfig(cli.env(), false).user()).contains(CliRunner.USER);
            options.schema = "from_flag";
            assertThat(options.toConfig(cli.env(), false).schema()).isEqualTo("from_flag");
        } finally {
            cli.env().put("AGENTSTORE_DB_SCHEMA", cli.schema);
        }
        Files.writeString(config, "colour=blue\n");
        CliRunner.Result bad = cli.run("stats", "--config", config.toString());
        assertThat(bad.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err()).contains("unknown key 'colour'");
    }
}
