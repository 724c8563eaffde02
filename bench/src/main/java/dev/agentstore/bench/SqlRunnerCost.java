package dev.agentstore.bench;

import org.jdbi.v3.core.ConnectionFactory;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.Handles;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * What a SQL runner costs beside raw JDBC, for the choice of issue 13 (docs/architecture.md): the KV hot path's read
 * (one-row SELECT by key) and write (one-row upsert with a JSONB value), run on one connection in autocommit mode,
 * one thread, through raw JDBC ({@code PreparedStatement}), Jdbi 3 (a {@link Handle} opened per call on the
 * connection, as {@code support/Sql} does) and jOOQ (plain SQL with bind values on a {@link DSLContext} per call).
 * Prints client CPU and wall microseconds per call, median of 5 rounds, for each.
 * {@code java -cp "bench/target/classes:bench/target/lib/*" dev.agentstore.bench.SqlRunnerCost [calls per round]}.
 */
public final class SqlRunnerCost {

    private static final String GET = "SELECT CAST(value AS text) AS value, version FROM runner_cost WHERE key = ?";
    private static final String GET_NAMED = "SELECT CAST(value AS text) AS value, version FROM runner_cost WHERE key = :key";
    private static final String SET = "INSERT INTO runner_cost (key, value, version) VALUES (?, CAST(? AS jsonb), 0)"
            + " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, version = runner_cost.version + 1";
    private static final String SET_NAMED = "INSERT INTO runner_cost (key, value, version)"
            + " VALUES (:key, CAST(:value AS jsonb), 0)"
            + " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, version = runner_cost.version + 1";
    private static final int KEYS = 1000;

    private SqlRunnerCost() {
    }

    private interface Call {
        void run(Connection c, String key) throws SQLException;
    }

    private record Row(String value, long version) {
    }

    /**
     * Prints the table (see the class description).
     *
     * @param args optionally the calls per round (default 20,000)
     * @throws Exception when the database cannot be reached or a statement fails
     */
    public static void main(String[] args) throws Exception {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        String url = System.getenv().getOrDefault("AGENTSTORE_DB_URL", "jdbc:postgresql://127.0.0.1:5432/agentstore");
        String user = System.getenv().getOrDefault("AGENTSTORE_DB_USER", "agentstore");
        String password = System.getenv().getOrDefault("AGENTSTORE_DB_PASSWORD", "agentstore");
        // as support/Sql: one configured Jdbi, a handle per call on the caller's connection
        Jdbi jdbi = Jdbi.create(new ConnectionFactory() {
            @Override
            public Connection openConnection() {
                return CONNECTION.get();
            }

            @Override
            public void closeConnection(Connection connection) {
            }
        });
        jdbi.installPlugin(new PostgresPlugin());
        jdbi.getConfig(Handles.class).setForceEndTransactions(false);
        try (Connection c = DriverManager.getConnection(url, user, password)) {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TEMP TABLE runner_cost (key text PRIMARY KEY, value jsonb NOT NULL,"
                        + " version bigint NOT NULL)");
                s.execute("INSERT INTO runner_cost SELECT 'k' || i, jsonb_build_object('i', i), 0"
                        + " FROM generate_series(0, " + (KEYS - 1) + ") i");
            }
            Call rawGet = (conn, key) -> {
                try (PreparedStatement ps = conn.prepareStatement(GET)) {
                    ps.setString(1, key);
                    try (ResultSet rs = ps.executeQuery()) {
                        Optional<Row> row = rs.next()
                                ? Optional.of(new Row(rs.getString("value"), rs.getLong("version"))) : Optional.empty();
                        row.orElseThrow();
                    }
                }
            };
            Call jdbiGet = (conn, key) -> {
                try (Handle h = handle(jdbi, conn)) {
                    h.createQuery(GET_NAMED).bind("key", key)
                            .map((rs, ctx) -> new Row(rs.getString("value"), rs.getLong("version")))
                            .findOne().orElseThrow();
                }
            };
            Handle[] kept = new Handle[1];
            Call jdbiKeptGet = (conn, key) -> {
                if (kept[0] == null) {
                    kept[0] = handle(jdbi, conn);
                }
                kept[0].createQuery(GET_NAMED).bind("key", key)
                        .map((rs, ctx) -> new Row(rs.getString("value"), rs.getLong("version")))
                        .findOne().orElseThrow();
            };
            Call jooqGet = (conn, key) -> {
                DSLContext ctx = DSL.using(conn, SQLDialect.POSTGRES);
                ctx.resultQuery(GET, key).fetchOptional(r -> new Row(r.get("value", String.class),
                        r.get("version", Long.class))).orElseThrow();
            };
            Call rawSet = (conn, key) -> {
                try (PreparedStatement ps = conn.prepareStatement(SET)) {
                    ps.setString(1, key);
                    ps.setString(2, "{\"i\":1}");
                    ps.executeUpdate();
                }
            };
            Call jdbiSet = (conn, key) -> {
                try (Handle h = handle(jdbi, conn)) {
                    h.createUpdate(SET_NAMED).bind("key", key).bind("value", "{\"i\":1}").execute();
                }
            };
            Call jooqSet = (conn, key) -> DSL.using(conn, SQLDialect.POSTGRES).execute(SET, key, "{\"i\":1}");
            System.out.println("runner  statement  cpu_us_per_call  wall_us_per_call  (median of 5 rounds of "
                    + calls + ")");
            for (String[] pair : new String[][]{{"get", "raw"}, {"get", "jdbi"}, {"get", "jdbi-kept"}, {"get", "jooq"},
                    {"set", "raw"}, {"set", "jdbi"}, {"set", "jooq"}}) {
                Call call = switch (pair[0] + pair[1]) {
                    case "getraw" -> rawGet;
                    case "getjdbi" -> jdbiGet;
                    case "getjdbi-kept" -> jdbiKeptGet;
                    case "getjooq" -> jooqGet;
                    case "setraw" -> rawSet;
                    case "setjdbi" -> jdbiSet;
                    default -> jooqSet;
                };
                measure(c, call, calls); // warm-up
                double[][] rounds = new double[5][];
                for (int r = 0; r < rounds.length; r++) {
                    rounds[r] = measure(c, call, calls);
                }
                System.out.printf(Locale.ROOT, "%-6s  %-9s  %15.1f  %16.1f%n", pair[1], pair[0],
                        median(rounds, 0), median(rounds, 1));
            }
        }
    }

    private static final ThreadLocal<Connection> CONNECTION = new ThreadLocal<>();

    private static Handle handle(Jdbi jdbi, Connection c) {
        CONNECTION.set(c);
        return jdbi.open();
    }

    private static double[] measure(Connection c, Call call, int calls) throws SQLException {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        SplittableRandom random = new SplittableRandom(42);
        long cpu = threads.getCurrentThreadCpuTime();
        long wall = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            call.run(c, "k" + random.nextInt(KEYS));
        }
        return new double[]{(threads.getCurrentThreadCpuTime() - cpu) / 1e3 / calls,
                (System.nanoTime() - wall) / 1e3 / calls};
    }

    private static double median(double[][] rounds, int column) {
        double[] values = Arrays.stream(rounds).mapToDouble(r -> r[column]).sorted().toArray();
        return values[values.length / 2];
    }
}
