package dev.agentstore.bench;

import dev.agentstore.domain.json.Json;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The floor under W10: PostgreSQL's bare {@code LISTEN/NOTIFY} latency on this machine, with no feed, no table and no
 * read. One writer connection commits a transaction that calls {@code pg_notify(channel, i)} at a paced rate (as W10's
 * writer); one listening connection on its own thread waits with pgjdbc's {@code getNotifications(100)} and notes when
 * notification {@code i} arrives. Latency is from the return of the commit to the arrival (one JVM,
 * {@code System.nanoTime}). Prints one line per rate. A change feed built on notifications cannot deliver faster than
 * this; compare W10's figures with it in the same sitting.
 *
 * <p>{@code java -cp "bench/target/classes:bench/target/lib/*" dev.agentstore.bench.NotifyLatency [count [rate...]]}
 * (default 4,000 notifications at 200, 1,000 and 2,000/s); the database from {@code AGENTSTORE_DB_URL/_USER/_PASSWORD}.
 */
public final class NotifyLatency {

    private NotifyLatency() {
    }

    /**
     * @param args optionally the count, then the rates per second
     * @throws Exception when the database cannot be reached
     */
    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 4_000;
        int[] rates = args.length > 1
                ? Arrays.stream(args, 1, args.length).mapToInt(Integer::parseInt).toArray()
                : new int[] {200, 1_000, 2_000};
        for (int rate : rates) {
            System.out.println(measure(count, rate));
        }
    }

    private static String measure(int count, int rate) throws Exception {
        String channel = "bench_notify_" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
        long[] committed = new long[count];
        long[] arrived = new long[count];
        try (Connection listen = connect(); Connection write = connect()) {
            try (Statement st = listen.createStatement()) {
                st.execute("LISTEN " + channel);
            }
            Thread listener = new Thread(() -> receive(listen, arrived, count), "notify-latency-listener");
            listener.start();
            write.setAutoCommit(false);
            long interval = 1_000_000_000L / rate;
            long start = System.nanoTime();
            try (PreparedStatement notify = write.prepareStatement("SELECT pg_notify(?, ?)")) {
                for (int i = 0; i < count; i++) {
                    long due = start + i * interval;
                    while (System.nanoTime() < due) {
                        Thread.onSpinWait();
                    }
                    notify.setString(1, channel);
                    notify.setString(2, Integer.toString(i));
                    notify.executeQuery().close();
                    write.commit();
                    committed[i] = System.nanoTime();
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            listener.join(30_000);
            double[] millis = new double[count];
            int received = 0;
            for (int i = 0; i < count; i++) {
                if (arrived[i] != 0) {
                    millis[received++] = Math.max(0, arrived[i] - committed[i]) / 1e6;
                }
            }
            double[] sorted = Arrays.copyOf(millis, received);
            Arrays.sort(sorted);
            return Json.print(Json.object().put("workload", "NOTIFY").put("offered_per_s", rate)
                    .put("achieved_per_s", Math.round(count / seconds * 10) / 10.0).put("received", received)
                    .put("p50_ms", round2(Generators.percentile(sorted, 50)))
                    .put("p90_ms", round2(Generators.percentile(sorted, 90)))
                    .put("p99_ms", round2(Generators.percentile(sorted, 99))));
        }
    }

    private static double round2(double millis) {
        return Math.round(millis * 100) / 100.0;
    }

    private static void receive(Connection listen, long[] arrived, int count) {
        try {
            PGConnection pg = listen.unwrap(PGConnection.class);
            int received = 0;
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (received < count && System.nanoTime() < deadline) {
                PGNotification[] notifications = pg.getNotifications(100);
                long now = System.nanoTime();
                if (notifications != null) {
                    for (PGNotification n : notifications) {
                        arrived[Integer.parseInt(n.getParameter())] = now;
                        received++;
                    }
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("listener failed: " + e.getMessage(), e);
        }
    }

    /** A connection to the harness's database ({@link Options}: {@code AGENTSTORE_DB_URL/_USER/_PASSWORD}). */
    private static Connection connect() throws Exception {
        Options db = new Options();
        return DriverManager.getConnection(db.url, db.user, db.password);
    }
}
