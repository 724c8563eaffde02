package dev.agentstore.migrations;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Change set {@code 0.5-storage-hot-tables}: the fillfactor and autovacuum storage parameters of the update-heavy
 * tables (docs/operations.md, "Autovacuum and fillfactor"), read back from {@code pg_class.reloptions}, and its
 * rollback to the server's defaults.
 */
class StorageSettingsTest {

    private static final String CHANGE_SET = "0.5-storage-hot-tables";

    /** Table (or {@code table.toast}) to its expected reloptions, as PostgreSQL stores them. */
    private static final Map<String, List<String>> EXPECTED = Map.of(
            "flows", List.of("fillfactor=50"),
            "flow_runs", List.of("fillfactor=80", "autovacuum_vacuum_scale_factor=0.05",
                    "autovacuum_analyze_scale_factor=0.02"),
            "flow_runs.toast", List.of("autovacuum_vacuum_scale_factor=0.05"),
            "flow_steps", List.of("fillfactor=80", "autovacuum_vacuum_scale_factor=0.05",
                    "autovacuum_analyze_scale_factor=0.02"),
            "triggers", List.of("fillfactor=50"),
            "kv_entries", List.of("fillfactor=80", "autovacuum_vacuum_scale_factor=0.05"),
            "scheduler_jobs", List.of("autovacuum_vacuum_scale_factor=0.02", "autovacuum_analyze_scale_factor=0.02"),
            "memories", List.of("autovacuum_vacuum_scale_factor=0.05"));

    private static TestSchemas schemas;

    @BeforeAll
    static void open() {
        schemas = new TestSchemas();
    }

    @AfterAll
    static void close() throws SQLException {
        schemas.close();
    }

    @Nested
    class AfterUp {

        @Test
        void theHotTablesCarryTheirFillfactorAndAutovacuumSettingsAndNoOtherTableDoes() throws SQLException {
            Migrations migrations = new Migrations(schemas.dataSource, schemas.fresh("t_storage"));
            migrations.up();

            Map<String, List<String>> options = reloptions(migrations.schema());

            assertThat(options).as("tables with storage parameters, and their values").isEqualTo(EXPECTED);
        }
    }

    @Nested
    class Rollback {

        @Test
        void rollingBackTheChangeSetResetsEveryParameterAndUpSetsThemAgain() throws SQLException {
            Migrations migrations = new Migrations(schemas.dataSource, schemas.fresh("t_storage"));
            List<String> ids = migrations.status().stream().map(PendingChangeSet::id).toList();
            migrations.up();

            migrations.rollback(ids.size() - ids.indexOf(CHANGE_SET));

            assertThat(migrations.status()).extracting(PendingChangeSet::id).first().isEqualTo(CHANGE_SET);
            assertThat(reloptions(migrations.schema())).isEmpty();
            migrations.up();
            assertThat(reloptions(migrations.schema())).isEqualTo(EXPECTED);
        }
    }

    /**
     * @return every table of {@code schema} (and TOAST table, as {@code <table>.toast}) that has storage parameters,
     *         to its {@code reloptions}
     */
    private static Map<String, List<String>> reloptions(String schema) throws SQLException {
        Map<String, List<String>> options = new TreeMap<>();
        try (Connection c = schemas.dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT r.relname, r.reloptions, t.reloptions FROM pg_class r JOIN pg_namespace n"
                        + " ON n.oid = r.relnamespace LEFT JOIN pg_class t ON t.oid = r.reltoastrelid"
                        + " WHERE n.nspname = ? AND r.relkind IN ('r', 'p')")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    put(options, rs.getString(1), rs.getArray(2));
                    put(options, rs.getString(1) + ".toast", rs.getArray(3));
                }
            }
        }
        return options;
    }

    private static void put(Map<String, List<String>> options, String name, java.sql.Array array)
            throws SQLException {
        if (array != null) {
            options.put(name, List.of((String[]) array.getArray()));
        }
    }
}
