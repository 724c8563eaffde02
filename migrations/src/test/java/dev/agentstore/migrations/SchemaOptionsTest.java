package dev.agentstore.migrations;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The store options of the migrations: default indexes left out and added later, and the schema's SQL offline. */
class SchemaOptionsTest {

    private static TestSchemas schemas;

    @BeforeAll
    static void open() {
        schemas = new TestSchemas();
    }

    @AfterAll
    static void close() throws SQLException {
        schemas.close();
    }

    private static Migrations migrations(String schema) {
        return new Migrations(schemas.dataSource, schema);
    }

    @Nested
    class SkipDefaultIndexes {

        @Test
        void aFreshSchemaKeepsOnlyTheIndexesThatConstraintsNeed() throws SQLException {
            Migrations skipping = migrations(schemas.fresh("t_skip")).skipDefaultIndexes(true);
            assertThat(skipping.skipsDefaultIndexes()).isTrue();

            skipping.up();

            assertThat(skipping.status()).isEmpty();
            assertThat(schemas.nonUniqueIndexes(skipping.schema())).isEmpty();
            assertThat(schemas.indexes(skipping.schema())).containsKeys("flows_pkey", "flow_runs_flow_name_run_id_key",
                    "memory_messages_memory_seq_idx", "definition_versions_number_uq");
        }

        @Test
        void theDefaultIndexListIsExactlyWhatTheMigrationsCreateBeyondConstraints() throws SQLException {
            Migrations full = migrations(schemas.fresh("t_full"));
            full.up();

            assertThat(schemas.nonUniqueIndexes(full.schema()))
                    .as("a change set added, dropped or renamed an index that no constraint needs: update"
                            + " DefaultIndexes.ALL")
                    .containsExactlyInAnyOrderElementsOf(Migrations.defaultIndexNames());
        }

        @Test
        void createDefaultIndexesRestoresExactlyTheDefaultSet() throws SQLException {
            Migrations full = migrations(schemas.fresh("t_full"));
            full.up();
            Migrations skipping = migrations(schemas.fresh("t_skip")).skipDefaultIndexes(true);
            skipping.up();

            assertThat(skipping.createDefaultIndexes()).containsExactlyInAnyOrderElementsOf(Migrations.defaultIndexNames());

            assertThat(schemas.indexes(skipping.schema())).isEqualTo(schemas.indexes(full.schema()));
            assertThat(skipping.createDefaultIndexes()).as("a second call finds nothing missing").isEmpty();
        }

        @Test
        void indexesThatExistedBeforeAreNeverDropped() throws SQLException {
            Migrations full = migrations(schemas.fresh("t_full"));
            full.up();
            full.rollback(1); // the last tag: one change set pending again
            Map<String, String> before = schemas.indexes(full.schema());

            full.skipDefaultIndexes(true).up();

            assertThat(full.status()).isEmpty();
            assertThat(schemas.indexes(full.schema())).isEqualTo(before);
        }

        @Test
        void anIndexLeftInvalidByAFailedBuildIsBuiltAgain() throws SQLException {
            Migrations skipping = migrations(schemas.fresh("t_skip")).skipDefaultIndexes(true);
            skipping.up();
            String s = skipping.schema();
            schemas.execute("INSERT INTO " + s + ".records (id, data, created_at, updated_at)"
                    + " VALUES ('r1', '{}', now(), now())");
            // a concurrent build that fails on a row leaves its index behind, invalid
            assertThatThrownBy(() -> schemas.execute("CREATE INDEX CONCURRENTLY records_created_at_idx ON " + s
                    + ".records ((1 / (length(id) - 2)))")).isInstanceOf(SQLException.class);
            assertThat(schemas.indexes(s)).containsKey("records_created_at_idx");

            assertThat(skipping.createDefaultIndexes()).contains("records_created_at_idx");
            assertThat(schemas.indexes(s).get("records_created_at_idx")).contains("(created_at, id)");
        }

        @Test
        void onAnUnmigratedSchemaItFailsNamingTheSchema() {
            Migrations none = migrations(schemas.fresh("t_none"));
            assertThatThrownBy(none::createDefaultIndexes)
                    .isInstanceOf(MigrationException.class)
                    .hasMessageContaining(none.schema());
        }
    }

    @Nested
    class OfflineSql {

        @Test
        void theScriptBuildsTheSameSchemaAsTheMigrations() throws SQLException, IOException, InterruptedException {
            Migrations migrated = migrations(schemas.fresh("t_online"));
            migrated.up();
            String offline = schemas.fresh("t_offline");

            String script = Migrations.offlineSql(offline);
            schemas.execute(script);

            assertThat(schemas.dump(offline)).isEqualTo(schemas.dump(migrated.schema()));
            assertThat(migrations(offline).status()).as("the script records every change set").isEmpty();
            assertThat(migrations(offline).up()).as("with the checksums Liquibase computes for this schema").isEmpty();
        }

        @Test
        void theScriptNeedsNoDatabaseAndNamesOnlyTheGivenSchema() {
            String script = Migrations.offlineSql("tenant_a");

            assertThat(script).startsWith("-- agentstore schema tenant_a")
                    .contains("CREATE SCHEMA IF NOT EXISTS tenant_a;")
                    .contains("CREATE TABLE tenant_a.flows")
                    .contains("pg_extension WHERE extname = 'vector'")
                    .doesNotContain("${schema}");
        }

        @Test
        void renderingsRunningAtOnceInOneJvmEachPrintTheWholeScriptAndRunNothing() throws Exception {
            String missing = schemas.fresh("t_pending");
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<String>> scripts = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    String name = "tenant_" + i;
                    scripts.add(pool.submit(() -> Migrations.offlineSql(name)));
                    scripts.add(pool.submit(() -> migrations(missing).pendingSql()));
                }
                for (Future<String> script : scripts) {
                    assertThat(script.get(5, TimeUnit.MINUTES)).contains("'0.1-flows'").contains("'0.5-tag'");
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(schemas.indexes(missing)).as("pendingSql created nothing").isEmpty();
        }

        @Test
        void anInvalidSchemaNameIsRejected() {
            assertThatThrownBy(() -> Migrations.offlineSql("a; DROP TABLE x"))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
