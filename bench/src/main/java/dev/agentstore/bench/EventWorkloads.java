package dev.agentstore.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.flow.FlowEvent;
import dev.agentstore.domain.flow.FlowEventQuery;
import dev.agentstore.domain.flow.NewFlowEvent;
import dev.agentstore.domain.json.Json;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

import java.io.StringReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * W1 (event append: one call per event, {@code appendAll} batches, JDBC batches, COPY) and W5 (latest 50 events of a
 * random run), on {@code flow_events}.
 */
final class EventWorkloads {

    static final String FLOW = "bench-flow";
    static final String TYPE = "step.completed";
    static final int EVENTS_PER_RUN = 100;
    static final int BATCH = 500;

    /** The best single-event SQL: one INSERT, autocommit, returning the id as {@code append} does. */
    static final String INSERT_ONE = """
            INSERT INTO flow_events (run_id, flow_name, ts, type, step_name, step_id, attempt, data)
            VALUES (?, ?, ?, ?, ?, ?, ?, CAST(? AS jsonb))
            RETURNING id
            """;

    static final String INSERT_BATCH = """
            INSERT INTO flow_events (run_id, flow_name, ts, type, step_name, step_id, attempt, data)
            VALUES (?, ?, ?, ?, ?, ?, ?, CAST(? AS jsonb))
            """;

    static final String COPY = "COPY flow_events (run_id, flow_name, ts, type, step_name, step_id, attempt, data) "
            + "FROM STDIN";

    static final String LATEST = """
            SELECT id, run_id, flow_name, ts, type, step_name, step_id, attempt, CAST(data AS text)
              FROM flow_events
             WHERE run_id = ?
             ORDER BY ts DESC, id DESC
             LIMIT ?
            """;

    private EventWorkloads() {
    }

    /** One W1 event, as the spec draws it (stream 1, in append order). */
    record Event(String runId, int seq, String payload) {
        NewFlowEvent toNew() {
            return NewFlowEvent.of(runId, FLOW, TYPE).step("step-" + seq, runId + ":step-" + seq).attempt(1)
                    .data(parse(payload));
        }
    }

    /** Streams the W1 events in append order, without keeping them. */
    static final class Events {
        private final Mulberry32 rng;
        private final int runs;
        private int r;
        private int e;

        Events(long seed, int runs) {
            this.rng = Mulberry32.stream(seed, 1);
            this.runs = runs;
        }

        boolean hasNext() {
            return r < runs;
        }

        Event next() {
            String runId = "run-" + Generators.pad6(r);
            Event ev = new Event(runId, e, Generators.payload(rng, runId, e));
            if (++e == EVENTS_PER_RUN) {
                e = 0;
                r++;
            }
            return ev;
        }
    }

    static JsonNode parse(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static OffsetDateTime nowMillis() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS).atOffset(ZoneOffset.UTC);
    }

    /** W1: event append. */
    static final class W1 implements Workload {
        @Override
        public String id() {
            return "W1";
        }

        @Override
        public void run(Bench b) throws Exception {
            int runs = b.scaled(200);
            if (b.options.phase("W1")) {
                b.truncate("flow_events");
                Events events = new Events(b.seed(), runs);
                Latencies lat = new Latencies(runs * EVENTS_PER_RUN);
                long start = System.nanoTime();
                while (events.hasNext()) {
                    NewFlowEvent ev = events.next().toNew();
                    long t0 = System.nanoTime();
                    b.store.flowEvents().append(ev);
                    lat.add(System.nanoTime() - t0);
                }
                long nanos = System.nanoTime() - start;
                b.emit(check(b, runs, new Result("W1").timing(lat.count(), nanos, lat)));
            }
            if (b.options.phase("W1.jdbc")) {
                b.truncate("flow_events");
                Events events = new Events(b.seed(), runs);
                Latencies lat = new Latencies(runs * EVENTS_PER_RUN);
                long start = System.nanoTime();
                while (events.hasNext()) {
                    Event ev = events.next();
                    long t0 = System.nanoTime();
                    try (Connection c = b.jdbc.getConnection(); PreparedStatement ps = c.prepareStatement(INSERT_ONE)) {
                        bind(ps, ev, nowMillis());
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            rs.getLong(1);
                        }
                    }
                    lat.add(System.nanoTime() - t0);
                }
                long nanos = System.nanoTime() - start;
                b.emit(check(b, runs, new Result("W1.jdbc").timing(lat.count(), nanos, lat)));
            }
            if (b.options.phase("W1.batch")) {
                b.truncate("flow_events");
                Events events = new Events(b.seed(), runs);
                Latencies lat = new Latencies(runs * EVENTS_PER_RUN / BATCH + 1);
                long ops = 0;
                long start = System.nanoTime();
                while (events.hasNext()) {
                    List<NewFlowEvent> batch = new ArrayList<>(BATCH);
                    while (events.hasNext() && batch.size() < BATCH) {
                        batch.add(events.next().toNew());
                    }
                    long t0 = System.nanoTime();
                    b.store.flowEvents().appendAll(batch);
                    lat.add(System.nanoTime() - t0);
                    ops += batch.size();
                }
                long nanos = System.nanoTime() - start;
                b.emit(check(b, runs, new Result("W1.batch").timing(ops, nanos, lat).put("batch", BATCH)));
            }
            if (b.options.phase("W1.batch.jdbc")) {
                b.truncate("flow_events");
                Events events = new Events(b.seed(), runs);
                Latencies lat = new Latencies(runs * EVENTS_PER_RUN / BATCH + 1);
                long ops = 0;
                long start = System.nanoTime();
                while (events.hasNext()) {
                    List<Event> batch = new ArrayList<>(BATCH);
                    while (events.hasNext() && batch.size() < BATCH) {
                        batch.add(events.next());
                    }
                    long t0 = System.nanoTime();
                    insertUnnest(b, batch);
                    lat.add(System.nanoTime() - t0);
                    ops += batch.size();
                }
                long nanos = System.nanoTime() - start;
                b.emit(check(b, runs, new Result("W1.batch.jdbc").timing(ops, nanos, lat).put("batch", BATCH)
                        .put("sql", "INSERT ... SELECT FROM unnest(8 arrays) RETURNING id, autocommit")));
            }
            if (b.options.phase("W1.jdbcbatch")) {
                b.truncate("flow_events");
                Events events = new Events(b.seed(), runs);
                Latencies lat = new Latencies(runs * EVENTS_PER_RUN / BATCH + 1);
                long ops = 0;
                long start = System.nanoTime();
                while (events.hasNext()) {
                    List<Event> batch = new ArrayList<>(BATCH);
                    while (events.hasNext() && batch.size() < BATCH) {
                        batch.add(events.next());
                    }
                    long t0 = System.nanoTime();
                    try (Connection c = b.jdbc.getConnection()) {
                        c.setAutoCommit(false);
                        try (PreparedStatement ps = c.prepareStatement(INSERT_BATCH)) {
                            OffsetDateTime ts = nowMillis();
                            for (Event ev : batch) {
                                bind(ps, ev, ts);
                                ps.addBatch();
                            }
                            ps.executeBatch();
                        }
                        c.commit();
                        c.setAutoCommit(true);
                    }
                    lat.add(System.nanoTime() - t0);
                    ops += batch.size();
                }
                long nanos = System.nanoTime() - start;
                b.emit(check(b, runs, new Result("W1.jdbcbatch").timing(ops, nanos, lat).put("batch", BATCH)
                        .put("sql", "executeBatch, reWriteBatchedInserts=true, no ids returned")));
            }
            if (b.options.phase("W1.copy")) {
                b.truncate("flow_events");
                loadByCopy(b, runs, true);
            }
            b.sql("ANALYZE flow_events");
        }

        /** COPY in batches of 500 (one COPY statement, autocommit, per batch); also W5's untimed loader. */
        static void loadByCopy(Bench b, int runs, boolean emit) throws Exception {
            Events events = new Events(b.seed(), runs);
            Latencies lat = new Latencies(runs * EVENTS_PER_RUN / BATCH + 1);
            long ops = 0;
            long start = System.nanoTime();
            while (events.hasNext()) {
                StringBuilder text = new StringBuilder(BATCH * 400);
                int n = 0;
                String ts = nowMillis().toString();
                while (events.hasNext() && n < BATCH) {
                    Event ev = events.next();
                    text.append(copyText(ev.runId())).append('\t').append(FLOW).append('\t').append(ts).append('\t')
                            .append(TYPE).append('\t').append("step-").append(ev.seq()).append('\t')
                            .append(copyText(ev.runId())).append(":step-").append(ev.seq()).append('\t')
                            .append(1).append('\t').append(copyText(ev.payload())).append('\n');
                    n++;
                }
                long t0 = System.nanoTime();
                try (Connection c = b.jdbc.getConnection()) {
                    CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
                    copy.copyIn(COPY, new StringReader(text.toString()));
                }
                lat.add(System.nanoTime() - t0);
                ops += n;
            }
            long nanos = System.nanoTime() - start;
            if (emit) {
                b.emit(check(b, runs, new Result("W1.copy").timing(ops, nanos, lat).put("batch", BATCH)));
            }
        }

        static Result check(Bench b, int runs, Result r) {
            long rows = b.queryLong("SELECT count(*) FROM flow_events");
            if (rows != (long) runs * EVENTS_PER_RUN) {
                r.check(rows + " rows, expected " + (long) runs * EVENTS_PER_RUN);
            }
            String last = "run-" + Generators.pad6(runs - 1);
            List<FlowEvent> read = b.store.fromTransaction(uow -> uow.flowEvents().read(last,
                    FlowEventQuery.defaults().limit(EVENTS_PER_RUN)));
            if (read.size() != EVENTS_PER_RUN) {
                r.check("last run read back " + read.size() + " events, expected " + EVENTS_PER_RUN);
            } else if (read.get(0).data().path("seq").asInt(-1) != 0
                    || read.get(EVENTS_PER_RUN - 1).data().path("seq").asInt(-1) != EVENTS_PER_RUN - 1) {
                r.check("last run read back out of order");
            }
            return r.put("rows", rows);
        }
    }

    static final String INSERT_UNNEST = """
            INSERT INTO flow_events (run_id, flow_name, ts, type, step_name, step_id, attempt, data)
            SELECT u.run_id, u.flow_name, u.ts, u.type, u.step_name, u.step_id, u.attempt, u.data
              FROM unnest(CAST(? AS varchar[]), CAST(? AS varchar[]), CAST(? AS timestamptz[]), CAST(? AS varchar[]),
                          CAST(? AS varchar[]), CAST(? AS varchar[]), CAST(? AS int[]), CAST(? AS jsonb[]))
                   WITH ORDINALITY AS u(run_id, flow_name, ts, type, step_name, step_id, attempt, data, ord)
             ORDER BY u.ord
            RETURNING id
            """;

    /** The best one-statement batch insert in raw JDBC: eight column arrays, unnested, ids returned. */
    static long[] insertUnnest(Bench b, List<Event> batch) throws java.sql.SQLException {
        int n = batch.size();
        String[] runIds = new String[n];
        String[] flows = new String[n];
        String[] ts = new String[n];
        String[] types = new String[n];
        String[] steps = new String[n];
        String[] stepIds = new String[n];
        Integer[] attempts = new Integer[n];
        String[] data = new String[n];
        String now = nowMillis().toString();
        for (int i = 0; i < n; i++) {
            Event ev = batch.get(i);
            runIds[i] = ev.runId();
            flows[i] = FLOW;
            ts[i] = now;
            types[i] = TYPE;
            steps[i] = "step-" + ev.seq();
            stepIds[i] = ev.runId() + ":step-" + ev.seq();
            attempts[i] = 1;
            data[i] = ev.payload();
        }
        try (Connection c = b.jdbc.getConnection(); PreparedStatement ps = c.prepareStatement(INSERT_UNNEST)) {
            Object[][] columns = {runIds, flows, ts, types, steps, stepIds, attempts, data};
            for (int i = 0; i < columns.length; i++) {
                ps.setArray(i + 1, c.createArrayOf(columns[i] == attempts ? "int4" : "text", columns[i]));
            }
            long[] ids = new long[n];
            int k = 0;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids[k++] = rs.getLong(1);
                }
            }
            return ids;
        }
    }

    /** COPY text format: escape backslash, tab, newline, carriage return. */
    static String copyText(String s) {
        if (s.indexOf('\\') < 0 && s.indexOf('\t') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
            return s;
        }
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r");
    }

    static void bind(PreparedStatement ps, Event ev, OffsetDateTime ts) throws java.sql.SQLException {
        ps.setString(1, ev.runId());
        ps.setString(2, FLOW);
        ps.setObject(3, ts);
        ps.setString(4, TYPE);
        ps.setString(5, "step-" + ev.seq());
        ps.setString(6, ev.runId() + ":step-" + ev.seq());
        ps.setInt(7, 1);
        ps.setString(8, ev.payload());
    }

    /** W5: the latest 50 events of a random run, newest first (after W1's data). */
    static final class W5 implements Workload {
        static final int WINDOW = 50;

        @Override
        public String id() {
            return "W5";
        }

        @Override
        public void run(Bench b) throws Exception {
            int runs = b.scaled(200);
            int reads = b.scaled(5000);
            long expected = (long) runs * EVENTS_PER_RUN;
            if (b.queryLong("SELECT count(*) FROM flow_events") != expected) {
                // W1 did not run in this process (or left other data): load its events untimed
                b.truncate("flow_events");
                W1.loadByCopy(b, runs, false);
                b.sql("ANALYZE flow_events");
            }
            if (b.options.phase("W5")) {
                Mulberry32 rng = Mulberry32.stream(b.seed(), 5);
                Latencies lat = new Latencies(reads);
                int bad = 0;
                long start = System.nanoTime();
                for (int i = 0; i < reads; i++) {
                    String runId = "run-" + Generators.pad6(rng.randInt(runs));
                    long t0 = System.nanoTime();
                    List<FlowEvent> page = b.store.flowEvents().read(runId,
                            FlowEventQuery.defaults().limit(WINDOW).descending());
                    lat.add(System.nanoTime() - t0);
                    if (page.size() != WINDOW || page.get(0).data().path("seq").asInt(-1) != EVENTS_PER_RUN - 1
                            || !page.get(0).runId().equals(runId)) {
                        bad++;
                    }
                }
                long nanos = System.nanoTime() - start;
                b.emit(new Result("W5").timing(reads, nanos, lat)
                        .check(bad == 0 ? null : bad + " reads did not return 50 events starting at seq 99"));
            }
            if (b.options.phase("W5.jdbc")) {
                Mulberry32 rng = Mulberry32.stream(b.seed(), 5);
                Latencies lat = new Latencies(reads);
                int bad = 0;
                long start = System.nanoTime();
                for (int i = 0; i < reads; i++) {
                    String runId = "run-" + Generators.pad6(rng.randInt(runs));
                    long t0 = System.nanoTime();
                    List<Row> page = new ArrayList<>(WINDOW);
                    try (Connection c = b.jdbc.getConnection(); PreparedStatement ps = c.prepareStatement(LATEST)) {
                        ps.setString(1, runId);
                        ps.setInt(2, WINDOW);
                        try (ResultSet rs = ps.executeQuery()) {
                            while (rs.next()) {
                                page.add(new Row(rs.getLong(1), rs.getString(2), rs.getString(3),
                                        rs.getObject(4, OffsetDateTime.class).toInstant(), rs.getString(5),
                                        rs.getString(6), rs.getString(7), (Integer) rs.getObject(8),
                                        parse(rs.getString(9))));
                            }
                        }
                    }
                    lat.add(System.nanoTime() - t0);
                    if (page.size() != WINDOW || page.get(0).data().path("seq").asInt(-1) != EVENTS_PER_RUN - 1
                            || !page.get(0).runId().equals(runId)) {
                        bad++;
                    }
                }
                long nanos = System.nanoTime() - start;
                b.emit(new Result("W5.jdbc").timing(reads, nanos, lat)
                        .check(bad == 0 ? null : bad + " reads did not return 50 events starting at seq 99"));
            }
        }
    }

    /** What the baseline materialises per event: every column, the payload parsed, as the API returns it. */
    record Row(long id, String runId, String flowName, Instant ts, String type, String stepName, String stepId,
               Integer attempt, JsonNode data) {
    }
}
