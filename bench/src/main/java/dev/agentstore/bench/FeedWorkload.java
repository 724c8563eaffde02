package dev.agentstore.bench;

import dev.agentstore.domain.flow.NewFlowEvent;
import dev.agentstore.persistence.feed.ChangeFeed;
import dev.agentstore.persistence.feed.FeedSelection;
import dev.agentstore.persistence.feed.Subscription;
import org.postgresql.PGConnection;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * W10 (change feed): 100 runs {@code feed-000…feed-099}, 10 subscribers (subscriber {@code j} follows runs
 * {@code 10j…10j+9}), one writer appending W1-shaped events round-robin over the runs at 2,000 events/s. Latency is
 * from the return of the append to the listener's receipt; the check: each subscriber got exactly its runs' events,
 * each run's in append order, no duplicate.
 *
 * <p>{@code W10}: {@code store.feed()}; each subscriber is one subscription on the flow, keeping its runs' events
 * (the feed selects one run or one flow, not a set of runs). {@code W10.jdbc}: the hand-written baseline, one
 * {@code LISTEN} connection and one reader thread that reads new rows by {@code (tx, id)} after each notification
 * (and every 100 ms) and hands each to its subscriber in-line; the writer uses W1's raw {@code INSERT}.
 *
 * <p>Each line also says what the writer did against what was offered ({@code offered_per_s}, {@code achieved_per_s},
 * {@code rate_reached}, the append call's p50/p99, {@code behind_schedule_ms}) and the oldest transaction of the
 * cluster seen during the phase ({@code oldest_xact_ms_max}), which delays every feed reader while it runs.
 */
final class FeedWorkload implements Workload {

    static final String FLOW = "feed";
    static final int RUNS = 100;
    static final int SUBSCRIBERS = 10;
    static final int RATE = 2_000;

    private static final String READ = """
            SELECT tx::text::bigint, id, run_id FROM flow_events
            WHERE flow_name = ? AND tx < pg_snapshot_xmin(pg_current_snapshot())
              AND (tx, id) > (CAST(CAST(? AS text) AS xid8), ?)
            ORDER BY tx, id LIMIT 1000
            """;

    /** What subscriber {@code j} received: event id and receipt time, in receipt order. */
    private record Receipt(String runId, long id, long nanos) {
    }

    @Override
    public String id() {
        return "W10";
    }

    @Override
    public void run(Bench b) throws Exception {
        int events = b.scaled(20_000);
        if (b.options.phase("W10")) {
            b.truncate("flow_events");
            List<ConcurrentLinkedQueue<Receipt>> received = receivers();
            List<Subscription> subscriptions = new ArrayList<>();
            for (int j = 0; j < SUBSCRIBERS; j++) {
                ConcurrentLinkedQueue<Receipt> mine = received.get(j);
                int subscriber = j;
                subscriptions.add(b.store.feed().subscribe(FeedSelection.flow(FLOW), b.store.feed().head(), e -> {
                    if (subscriberOf(e.runId()) == subscriber) {
                        mine.add(new Receipt(e.runId(), e.cursor().id(), System.nanoTime()));
                    }
                }));
            }
            Map<Long, Long> returned = new ConcurrentHashMap<>();
            HorizonSampler horizon = new HorizonSampler(b);
            Writer writer = paced(b, events, (ev, i) -> {
                long id = b.store.flowEvents().append(NewFlowEvent.of(runId(i), FLOW, EventWorkloads.TYPE)
                        .step("step-" + ev.seq(), ev.runId() + ":step-" + ev.seq()).attempt(1)
                        .data(EventWorkloads.parse(ev.payload()))).id();
                returned.put(id, System.nanoTime());
            });
            awaitAll(received, events);
            horizon.close();
            subscriptions.forEach(Subscription::close);
            b.emit(horizon.into(result("W10", events, writer, received, returned)));
        }
        if (b.options.phase("W10.jdbc")) {
            b.truncate("flow_events");
            List<ConcurrentLinkedQueue<Receipt>> received = receivers();
            AtomicBoolean stop = new AtomicBoolean();
            Thread reader = new Thread(() -> baselineReader(b, received, stop), "w10-jdbc-reader");
            reader.start();
            Map<Long, Long> returned = new ConcurrentHashMap<>();
            HorizonSampler horizon = new HorizonSampler(b);
            Writer writer = paced(b, events, (ev, i) -> {
                try (Connection c = b.jdbc.getConnection(); PreparedStatement ps = c.prepareStatement(EventWorkloads.INSERT_ONE)) {
                    EventWorkloads.bind(ps, new EventWorkloads.Event(runId(i), ev.seq(), ev.payload()), EventWorkloads.nowMillis());
                    ps.setString(2, FLOW);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        returned.put(rs.getLong(1), System.nanoTime());
                    }
                }
            });
            awaitAll(received, events);
            horizon.close();
            stop.set(true);
            reader.join(5_000);
            b.emit(horizon.into(result("W10.jdbc", events, writer, received, returned)));
        }
    }

    private interface Append {
        void append(EventWorkloads.Event ev, int i) throws Exception;
    }

    /**
     * The writer's side of a phase: its wall time, each append call's time (one durable commit each), and how far
     * it fell behind the 2,000/s schedule at the end (a writer slower than the offered rate appends back to back).
     */
    private record Writer(long nanos, Latencies appends, long behindNanos) {
    }

    /**
     * Appends {@code n} events, the i-th due at {@code start + i / RATE}: it waits for an event's due time, never
     * skips one, and when it is late sends the next at once (so the achieved rate is what one writer with one durable
     * commit per append can do, up to the offered {@link #RATE}).
     */
    private static Writer paced(Bench b, int n, Append append) throws Exception {
        EventWorkloads.Events shapes = new EventWorkloads.Events(b.seed(), Math.max(1, n / EventWorkloads.EVENTS_PER_RUN));
        long interval = 1_000_000_000L / RATE;
        Latencies appends = new Latencies(n);
        long start = System.nanoTime();
        long behind = 0;
        for (int i = 0; i < n; i++) {
            long due = start + i * interval;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            long t0 = System.nanoTime();
            behind = Math.max(0, t0 - due);
            append.append(shapes.hasNext() ? shapes.next() : new EventWorkloads.Event(runId(i), i, "{}"), i);
            appends.add(System.nanoTime() - t0);
        }
        return new Writer(System.nanoTime() - start, appends, behind);
    }

    /**
     * Samples, every 20 ms on its own connection, the age of the oldest transaction of the cluster that holds a
     * transaction id (any session, any database; {@code pg_stat_activity} shows other roles' ids only to privileged
     * roles). A feed reader reads a row only once every older transaction has ended, so such a transaction delays
     * delivery for as long as it runs: on a shared cluster it explains a tail that the feed itself does not make.
     */
    private static final class HorizonSampler implements AutoCloseable {
        private static final String OLDEST = """
                SELECT coalesce(max(extract(epoch FROM clock_timestamp() - xact_start)) * 1000, 0)
                FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()
                """;
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread;
        private volatile double maxMillis;
        private volatile int samples;
        private volatile int over50;

        HorizonSampler(Bench b) {
            thread = new Thread(() -> {
                try (Connection c = b.jdbc.getConnection(); PreparedStatement ps = c.prepareStatement(OLDEST)) {
                    while (!stop.get()) {
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            double ms = rs.getDouble(1);
                            maxMillis = Math.max(maxMillis, ms);
                            samples++;
                            if (ms > 50) {
                                over50++;
                            }
                        }
                        Thread.sleep(20);
                    }
                } catch (Exception e) {
                    // a sampler failure only loses the diagnostic
                }
            }, "w10-horizon-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        Result into(Result r) {
            return r.put("oldest_xact_ms_max", Result.round(maxMillis, 1))
                    .put("oldest_xact_over_50ms_share",
                            samples == 0 ? null : Result.round((double) over50 / samples, 3));
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join(2_000);
        }
    }

    private static void baselineReader(Bench b, List<ConcurrentLinkedQueue<Receipt>> received, AtomicBoolean stop) {
        try (Connection listen = DriverManager.getConnection(b.options.url, b.options.user,
                b.options.password)) {
            try (Statement st = listen.createStatement()) {
                st.execute("SET search_path TO " + b.schema);
                st.execute("LISTEN \"" + ChangeFeed.channel(b.schema) + "\"");
            }
            PGConnection pg = listen.unwrap(PGConnection.class);
            long tx = 0;
            long id = 0;
            while (!stop.get()) {
                pg.getNotifications(100);
                try (Connection c = b.jdbc.getConnection(); PreparedStatement ps = c.prepareStatement(READ)) {
                    boolean more = true;
                    while (more) {
                        ps.setString(1, FLOW);
                        ps.setLong(2, tx);
                        ps.setLong(3, id);
                        int rows = 0;
                        try (ResultSet rs = ps.executeQuery()) {
                            while (rs.next()) {
                                rows++;
                                tx = rs.getLong(1);
                                id = rs.getLong(2);
                                String run = rs.getString(3);
                                received.get(subscriberOf(run)).add(new Receipt(run, id, System.nanoTime()));
                            }
                        }
                        more = rows == 1000;
                    }
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("W10.jdbc reader failed: " + e.getMessage(), e);
        }
    }

    private static List<ConcurrentLinkedQueue<Receipt>> receivers() {
        List<ConcurrentLinkedQueue<Receipt>> received = new ArrayList<>();
        for (int j = 0; j < SUBSCRIBERS; j++) {
            received.add(new ConcurrentLinkedQueue<>());
        }
        return received;
    }

    static String runId(int i) {
        return "feed-" + Generators.pad3(i % RUNS);
    }

    static int subscriberOf(String runId) {
        return Integer.parseInt(runId.substring(5)) / (RUNS / SUBSCRIBERS);
    }

    private static void awaitAll(List<ConcurrentLinkedQueue<Receipt>> received, int events) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (received.stream().mapToInt(ConcurrentLinkedQueue::size).sum() < events && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(300); // a duplicate would arrive now
    }

    private static Result result(String phase, int events, Writer writer,
                                 List<ConcurrentLinkedQueue<Receipt>> received, Map<Long, Long> returned) {
        Latencies lat = new Latencies(events);
        String failure = null;
        int delivered = 0;
        for (int j = 0; j < SUBSCRIBERS; j++) {
            Map<String, Long> lastPerRun = new java.util.HashMap<>();
            java.util.Set<Long> seen = new java.util.HashSet<>();
            for (Receipt r : received.get(j)) {
                delivered++;
                if (!seen.add(r.id())) {
                    failure = "duplicate " + r.id();
                }
                if (subscriberOf(r.runId()) != j) {
                    failure = "subscriber " + j + " got run " + r.runId();
                }
                Long last = lastPerRun.put(r.runId(), r.id());
                if (last != null && last > r.id()) {
                    failure = "run " + r.runId() + " out of order";
                }
                Long back = returned.get(r.id());
                lat.add(back == null ? 0 : Math.max(0, r.nanos() - back));
            }
        }
        if (delivered != events) {
            failure = (failure == null ? "" : failure + "; ") + "delivered " + delivered + " of " + events;
        }
        double achieved = events / (writer.nanos() / 1e9);
        double[] appends = writer.appends().sortedMillis();
        return new Result(phase).timing(events, writer.nanos(), lat).check(failure)
                .put("offered_per_s", RATE).put("achieved_per_s", Result.round(achieved, 1))
                .put("rate_reached", achieved >= RATE * 0.95)
                .put("append_p50_ms", Result.round(Generators.percentile(appends, 50), 3))
                .put("append_p99_ms", Result.round(Generators.percentile(appends, 99), 3))
                .put("behind_schedule_ms", Result.round(writer.behindNanos() / 1e6, 1))
                .put("subscribers", SUBSCRIBERS).put("runs", RUNS);
    }
}
