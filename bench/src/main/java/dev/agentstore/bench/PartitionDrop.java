package dev.agentstore.bench;

import dev.agentstore.domain.partition.PartitionWidth;
import dev.agentstore.domain.partition.PartitionedTable;
import dev.agentstore.domain.partition.PruneResult;
import dev.agentstore.domain.partition.RetentionPolicy;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreConfig;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Retention of a month of flow events (issue 15), both ways in the same run: dropping the month's partition through
 * {@code store.partitions().prune(policy)} against a raw-JDBC {@code DELETE} of a month of the same size. Fills
 * January and February 2030 with {@code round(100,000 × scale)} events each (300-byte JSON payloads, spread over the
 * month), then deletes February with one {@code DELETE ... WHERE ts >= '2030-02-01' AND ts < '2030-03-01'} and drops
 * January with a prune whose cutoff is 2030-02-01 (after one prune that removes nothing, to warm the call path), each
 * timed by the wall clock, as is the {@code VACUUM} that the deleted rows need before their space is reused ({@code
 * speedup} = (delete + vacuum) / drop). Prints one JSON line. Runs in a schema
 * of its own ({@code bench_partdrop_<hex>}), dropped at the end.
 * {@code java -cp "bench/target/classes:bench/target/lib/*" dev.agentstore.bench.PartitionDrop [scale]}; the
 * database from {@code AGENTSTORE_DB_URL/_USER/_PASSWORD} as for the harness.
 */
public final class PartitionDrop {

    private static final String FILL = """
            INSERT INTO flow_events (run_id, flow_name, ts, type, step_name, attempt, data)
            SELECT 'run-' || (i / 20), 'flow-' || (i %% 10),
                   CAST('%s' AS timestamptz) + make_interval(secs => i * (28 * 86400.0 / %d)),
                   'step.completed', 'step-' || (i %% 20), 1,
                   jsonb_build_object('payload', repeat(md5(CAST(i AS text)), 9))
              FROM generate_series(0, %d - 1) AS i
            """;

    private PartitionDrop() {
    }

    /**
     * @param args optionally the scale (default 1: 100,000 events per month)
     * @throws Exception when the database cannot be reached or a statement fails
     */
    public static void main(String[] args) throws Exception {
        double scale = args.length > 0 ? Double.parseDouble(args[0]) : 1;
        int perMonth = (int) Math.max(1, Math.round(100_000 * scale));
        String schema = "bench_partdrop_" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
        SettableClock clock = new SettableClock(Instant.parse("2030-01-01T00:00:00Z"));
        AgentStoreConfig config = AgentStoreConfig.builder()
                .url(env("AGENTSTORE_DB_URL", "jdbc:postgresql://127.0.0.1:5432/agentstore"))
                .user(env("AGENTSTORE_DB_USER", "agentstore"))
                .password(env("AGENTSTORE_DB_PASSWORD", "agentstore"))
                .schema(schema).poolMaxSize(2).poolMinIdle(0).statementTimeout(Duration.ofMinutes(30))
                .socketTimeout(Duration.ofMinutes(60)).clock(clock).autoMigrate(true).build();
        try (AgentStore store = AgentStore.open(config)) {
            try (Connection c = store.dataSource().getConnection(); Statement st = c.createStatement()) {
                c.setAutoCommit(true);
                store.partitions().createAhead(PartitionedTable.FLOW_EVENTS, PartitionWidth.MONTHLY, 2);
                st.execute(FILL.formatted("2030-01-01T00:00:00Z", perMonth, perMonth));
                st.execute(FILL.formatted("2030-02-01T00:00:00Z", perMonth, perMonth));
                st.execute("VACUUM ANALYZE flow_events");

                long start = System.nanoTime();
                int deleted = st.executeUpdate("DELETE FROM flow_events"
                        + " WHERE ts >= '2030-02-01T00:00:00Z' AND ts < '2030-03-01T00:00:00Z'");
                double deleteSeconds = (System.nanoTime() - start) / 1e9;
                // a DELETE leaves the rows dead in the heap and the indexes until a VACUUM reads them all again
                start = System.nanoTime();
                st.execute("VACUUM flow_events_p20300201");
                double vacuumSeconds = (System.nanoTime() - start) / 1e9;

                clock.set(Instant.parse("2030-03-01T00:00:00Z"));
                // warm-up: the same call path with a cutoff that removes nothing (classes loaded, statements known)
                store.partitions().prune(RetentionPolicy.none()
                        .keep(PartitionedTable.FLOW_EVENTS, Duration.ofDays(90)));
                RetentionPolicy policy = RetentionPolicy.none().keep(PartitionedTable.FLOW_EVENTS, Duration.ofDays(28));
                start = System.nanoTime();
                PruneResult pruned = store.partitions().prune(policy);
                double dropSeconds = (System.nanoTime() - start) / 1e9;

                System.out.printf(Locale.ROOT, "{\"workload\":\"partition-drop\",\"scale\":%s,\"rows_per_month\":%d,"
                                + "\"delete_rows\":%d,\"delete_s\":%.3f,\"vacuum_after_delete_s\":%.3f,"
                                + "\"drop_partitions\":\"%s\",\"drop_s\":%.3f,\"speedup\":%.1f}%n", scale, perMonth,
                        deleted, deleteSeconds, vacuumSeconds,
                        pruned.of(PartitionedTable.FLOW_EVENTS).droppedPartitions(), dropSeconds,
                        (deleteSeconds + vacuumSeconds) / dropSeconds);
            } finally {
                try (Connection c = store.dataSource().getConnection(); Statement st = c.createStatement()) {
                    st.execute("DROP SCHEMA " + schema + " CASCADE");
                } catch (SQLException e) {
                    System.err.println("could not drop schema " + schema + ": " + e.getMessage());
                }
            }
        }
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    /** A clock the run moves: partitions are created in January, retention runs on March 1. */
    private static final class SettableClock extends Clock {

        private volatile Instant now;

        SettableClock(Instant now) {
            this.now = now;
        }

        void set(Instant instant) {
            now = instant;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
