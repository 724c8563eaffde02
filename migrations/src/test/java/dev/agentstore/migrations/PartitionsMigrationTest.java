package dev.agentstore.migrations;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Release 0.5's partitioning of {@code flow_events} and {@code trigger_events}: the rows of 0.4's plain tables are
 * carried into monthly partitions, and rolling back to 0.4 restores the plain tables with every row.
 */
class PartitionsMigrationTest extends UpgradeFrom04Test {

    /** The name of the partition that holds row {@code e}. */
    private static final String PARTITION = "(SELECT c.relname FROM pg_class c WHERE c.oid = e.tableoid)";

    @Override
    String prefix() {
        return "t_partmig";
    }

    /** Events of three months in both event tables. */
    @Override
    void seed(String s) throws SQLException {
        execute("INSERT INTO " + s + ".flow_events (run_id, flow_name, ts, type, data) VALUES"
                + " ('r1', 'etl', '2026-01-31T23:59:59.999Z', 'a', '{\"n\": 1}'),"
                + " ('r1', 'etl', '2026-02-01T00:00:00Z', 'b', NULL),"
                + " ('r2', 'etl', '2026-03-15T12:00:00Z', 'c', '[1, 2]')");
        execute("INSERT INTO " + s + ".triggers (name, type, registered_at) VALUES ('hook', 'WEBHOOK', now())");
        execute("INSERT INTO " + s + ".trigger_events (trigger_name, ts, type) VALUES"
                + " ('hook', '2026-01-10T00:00:00Z', 'fired'), ('hook', '2026-03-10T00:00:00Z', 'fired')");
    }

    @Nested
    class Up {

        @Test
        void carriesEveryRowIntoOnePartitionPerMonthWithItsIdAndValues() throws SQLException {
            List<String> before = rows("SELECT id, run_id, flow_name, ts, type, CAST(data AS text) FROM %s.flow_events"
                    + " ORDER BY id");

            migrations.up();

            assertThat(rows("SELECT id, run_id, flow_name, ts, type, CAST(data AS text) FROM %s.flow_events"
                    + " ORDER BY id")).isEqualTo(before);
            assertThat(rows("SELECT " + PARTITION + " || ' ' || type FROM %s.flow_events e ORDER BY id"))
                    .containsExactly(q("flow_events_p20260101") + " a", q("flow_events_p20260201") + " b",
                            q("flow_events_p20260301") + " c");
            assertThat(rows("SELECT relname FROM pg_class WHERE relname LIKE 'flow_events%%' AND relkind = 'p'"
                    + " AND relnamespace = '%s'::regnamespace")).containsExactly("flow_events");
            assertThat(rows("SELECT " + PARTITION + " FROM %s.trigger_events e ORDER BY id"))
                    .containsExactly(q("trigger_events_p20260101"), q("trigger_events_p20260301"));
        }

        @Test
        void newRowsContinueTheSequenceAndRowsOutsideEveryPartitionGoToTheDefaultPartition() throws SQLException {
            long maxId = Long.parseLong(rows("SELECT max(id) FROM %s.flow_events").get(0));
            migrations.up();

            execute("INSERT INTO " + migrations.schema() + ".flow_events (run_id, flow_name, ts, type)"
                    + " VALUES ('r3', 'etl', '2031-01-01T00:00:00Z', 'late')");

            assertThat(rows("SELECT id || ' ' || " + PARTITION + " FROM %s.flow_events e WHERE type = 'late'"))
                    .containsExactly((maxId + 1) + " " + q("flow_events_default"));
        }

        @Test
        void keepsTheForeignKeyOfTriggerEventsAndItsCascade() throws SQLException {
            migrations.up();
            String s = migrations.schema();

            assertThatThrownBy(() -> execute("INSERT INTO " + s + ".trigger_events (trigger_name, ts, type)"
                    + " VALUES ('nobody', now(), 'x')")).hasMessageContaining("trigger_events_trigger_name_fkey");
            execute("DELETE FROM " + s + ".triggers WHERE name = 'hook'");
            assertThat(rows("SELECT count(*) FROM %s.trigger_events")).containsExactly("0");
        }
    }

    @Nested
    class Rollback {

        @Test
        void restoresThePlainTablesWithEveryRowTheirIndexesAndTheSequences() throws SQLException {
            migrations.up();
            execute("INSERT INTO " + migrations.schema() + ".flow_events (run_id, flow_name, ts, type)"
                    + " VALUES ('r3', 'etl', '2031-01-01T00:00:00Z', 'late')");
            List<String> flowEvents = rows("SELECT id, run_id, ts, type, CAST(data AS text) FROM %s.flow_events"
                    + " ORDER BY id");
            List<String> triggerEvents = rows("SELECT id, trigger_name, ts FROM %s.trigger_events ORDER BY id");
            // the change feed's (tx, id) indexes come later in 0.5 (feed.xml) and go with its rollback
            List<String> indexes = rows("SELECT indexname FROM pg_indexes WHERE schemaname = '%s'"
                    + " AND tablename IN ('flow_events', 'trigger_events') AND indexname NOT LIKE '%%feed%%'"
                    + " ORDER BY indexname");

            migrations.rollbackToTag("0.4");

            assertThat(rows("SELECT relkind FROM pg_class WHERE relname IN ('flow_events', 'trigger_events')"
                    + " AND relnamespace = '%s'::regnamespace")).containsExactly("r", "r");
            assertThat(rows("SELECT count(*) FROM pg_class WHERE relname LIKE '%%events_p2%%'"
                    + " AND relnamespace = '%s'::regnamespace")).containsExactly("0");
            assertThat(rows("SELECT id, run_id, ts, type, CAST(data AS text) FROM %s.flow_events ORDER BY id"))
                    .isEqualTo(flowEvents);
            assertThat(rows("SELECT id, trigger_name, ts FROM %s.trigger_events ORDER BY id")).isEqualTo(triggerEvents);
            assertThat(rows("SELECT indexname FROM pg_indexes WHERE schemaname = '%s'"
                    + " AND tablename IN ('flow_events', 'trigger_events') ORDER BY indexname")).isEqualTo(indexes);
            assertThat(rows("SELECT count(*) FROM pg_sequences WHERE schemaname = '%s'"
                    + " AND sequencename IN ('flow_events_seq', 'trigger_events_seq')")).containsExactly("2");

            migrations.up();
            assertThat(rows("SELECT id, run_id, ts, type, CAST(data AS text) FROM %s.flow_events ORDER BY id"))
                    .as("up again").isEqualTo(flowEvents);
        }
    }

    /** @return the partition's name (a helper that keeps the expected rows readable) */
    private static String q(String table) {
        return table;
    }
}
