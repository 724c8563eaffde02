package dev.agentstore.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.observability.NewSpan;
import dev.agentstore.domain.observability.Span;
import dev.agentstore.domain.observability.SpanEntity;
import dev.agentstore.domain.observability.SpanType;
import dev.agentstore.domain.observability.Trace;
import dev.agentstore.domain.observability.TraceQuery;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

import java.io.StringReader;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;

/**
 * W9: traces and spans. 2,000 traces x 25 spans (stream 11) written in batches of 500 ({@code W9.ingest},
 * {@code spans().createAll}, one COPY), then 2,000 whole-trace reads ({@code W9.trace}, {@code spans().getTrace}) and
 * 1,000 listings of an entity's 20 newest traces ({@code W9.list}, {@code spans().listTraces}), the keys from stream 12.
 * Baselines in the same run: {@code W9.ingest.jdbc} (a raw COPY per 500 spans), {@code W9.ingest.unnest} (one raw
 * multi-row {@code INSERT ... SELECT FROM unnest(arrays)} per 500, the other one-statement form), and the API's
 * idempotent form {@code W9.ingest.upsert} ({@code spans().upsertAll}: unnest with {@code ON CONFLICT DO UPDATE}),
 * {@code W9.trace.jdbc} and {@code W9.list.jdbc} (the best single SELECT on the same indexes).
 */
final class TraceWorkload implements Workload {

    static final int SPANS = 25;
    static final int BATCH = 500;
    static final int WINDOW = 20;
    static final int ENTITIES = 20;
    static final Instant BASE = Instant.parse("2024-01-01T00:00:00Z");
    private static final String[] CHILD_TYPES = {"model_generation", "tool_call", "workflow_step"};

    static final String COPY = "COPY spans (trace_id, span_id, parent_span_id, name, span_type, entity_type, "
            + "entity_name, started_at, ended_at, status, input, output, attributes, metadata, created_at) FROM STDIN";

    static final String UNNEST = """
            INSERT INTO spans (trace_id, span_id, parent_span_id, name, span_type, entity_type, entity_name, started_at,
                               ended_at, status, input, output, attributes, metadata, created_at)
            SELECT u.trace_id, u.span_id, u.parent_span_id, u.name, u.span_type, 'agent', u.entity_name, u.started_at,
                   u.ended_at, 'UNSET', u.input, u.output, u.attributes, '{}', now()
              FROM unnest(?::uuid[], ?::bigint[], ?::bigint[], ?::varchar[], ?::varchar[], ?::varchar[],
                          ?::timestamptz[], ?::timestamptz[], ?::jsonb[], ?::jsonb[], ?::jsonb[])
                   AS u(trace_id, span_id, parent_span_id, name, span_type, entity_name, started_at, ended_at, input,
                        output, attributes)
            """;

    static final String TRACE = """
            SELECT trace_id, span_id, parent_span_id, name, span_type, entity_type, entity_id, entity_name, run_id,
                   thread_id, resource_id, user_id, started_at, ended_at, status, CAST(error AS text),
                   CAST(input AS text), CAST(output AS text), CAST(attributes AS text), CAST(metadata AS text),
                   created_at, updated_at
              FROM spans
             WHERE trace_id = ?
             ORDER BY started_at, span_id
            """;

    static final String LIST = """
            SELECT trace_id, span_id, parent_span_id, name, span_type, entity_type, entity_id, entity_name, run_id,
                   thread_id, resource_id, user_id, started_at, ended_at, status, CAST(error AS text),
                   CAST(input AS text), CAST(output AS text), CAST(attributes AS text), CAST(metadata AS text),
                   created_at, updated_at
              FROM spans
             WHERE parent_span_id IS NULL AND entity_name = ?
             ORDER BY started_at DESC, trace_id DESC
             LIMIT ?
            """;

    @Override
    public String id() {
        return "W9";
    }

    /** 32 hex digits from 4 x randInt(2^32), or 16 from 2 x. */
    static String hexId(Mulberry32 rng, int words) {
        StringBuilder s = new StringBuilder(words * 8);
        for (int i = 0; i < words; i++) {
            long word = (long) Math.floor(rng.next() * 4294967296.0);
            s.append(String.format(Locale.ROOT, "%08x", word));
        }
        return s.toString();
    }

    /**
     * Trace {@code t} as the spec draws it (stream 11, trace by trace, draws in the order the spec writes them).
     *
     * @param rng stream 11, positioned at trace {@code t}
     * @param t   the trace's number
     * @return its 25 spans, span 0 (the root) first
     */
    static List<NewSpan> trace(Mulberry32 rng, int t) {
        String traceId = hexId(rng, 4);
        List<NewSpan> spans = new ArrayList<>(SPANS);
        String[] spanIds = new String[SPANS];
        SpanEntity entity = SpanEntity.of("agent", null, "agent-" + (t % ENTITIES));
        for (int i = 0; i < SPANS; i++) {
            spanIds[i] = hexId(rng, 2);
            String type = i == 0 ? "agent_run" : CHILD_TYPES[i % 3];
            String name = i == 0 ? "agent.run" : type + "." + i;
            Instant startedAt = BASE.plusMillis(t * 60_000L + i * 10L);
            Instant endedAt = startedAt.plusMillis(rng.randInt(1000));
            ObjectNode attributes = Json.object();
            attributes.put("gen_ai.request.model", "model-" + (i % 4));
            attributes.put("gen_ai.usage.input_tokens", rng.randInt(4096));
            attributes.put("gen_ai.usage.output_tokens", rng.randInt(1024));
            attributes.put("note", rng.randText(120));
            ObjectNode input = Json.object().put("text", rng.randText(200));
            ObjectNode output = Json.object().put("text", rng.randText(200));
            spans.add(NewSpan.builder(traceId, spanIds[i], name, SpanType.fromValue(type), startedAt)
                    .parentSpanId(i == 0 ? null : spanIds[(i - 1) / 4]).entity(entity).endedAt(endedAt)
                    .attributes(attributes).input(input).output(output).build());
        }
        return spans;
    }

    /** One ingest form: writes a batch of spans. */
    interface Ingest {
        void write(List<NewSpan> batch) throws Exception;
    }

    /** One read of a whole trace: its span ids in the order read, with their parents. */
    interface TraceRead {
        List<String[]> spans(String traceId) throws Exception;
    }

    /** One listing: the trace ids of an entity's newest roots, in the order read. */
    interface ListRead {
        List<String> traceIds(String entityName) throws Exception;
    }

    @Override
    public void run(Bench b) throws Exception {
        int traces = b.scaled(2000);
        int reads = b.scaled(2000);
        int listings = b.scaled(1000);
        if (b.options.phase("W9.ingest") || b.options.phase("W9.trace") || b.options.phase("W9.list")) {
            String[] ids = ingest(b, "W9.ingest", traces, batch -> b.store.spans().createAll(batch));
            reads(b, "", ids, reads, listings, traceId -> {
                Trace trace = b.store.spans().getTrace(traceId).orElseThrow();
                List<String[]> out = new ArrayList<>(trace.spans().size());
                for (Span s : trace.spans()) {
                    out.add(new String[]{s.spanId(), s.parentSpanId()});
                }
                return out;
            }, entity -> b.store.spans().listTraces(TraceQuery.builder().entityName(entity).limit(WINDOW).build())
                    .roots().stream().map(Span::traceId).toList());
        }
        if (b.options.phase("W9.ingest.jdbc") || b.options.phase("W9.trace.jdbc") || b.options.phase("W9.list.jdbc")) {
            String[] ids = ingest(b, "W9.ingest.jdbc", traces, batch -> copy(b, batch));
            reads(b, ".jdbc", ids, reads, listings, traceId -> readTrace(b, traceId), entity -> list(b, entity));
        }
        if (b.options.phase("W9.ingest.upsert")) {
            ingest(b, "W9.ingest.upsert", traces, batch -> b.store.spans().upsertAll(batch));
        }
        if (b.options.phase("W9.ingest.unnest")) {
            ingest(b, "W9.ingest.unnest", traces, batch -> unnest(b, batch));
        }
    }

    /** Writes every trace in generation order in batches of 500 spans; returns the trace ids. */
    static String[] ingest(Bench b, String phase, int traces, Ingest ingest) throws Exception {
        b.truncate("spans");
        Mulberry32 rng = Mulberry32.stream(b.seed(), 11);
        String[] ids = new String[traces];
        int total = traces * SPANS;
        Latencies lat = new Latencies((total + BATCH - 1) / BATCH);
        List<NewSpan> batch = new ArrayList<>(BATCH);
        long start = System.nanoTime();
        for (int t = 0; t < traces; t++) {
            List<NewSpan> spans = trace(rng, t);
            ids[t] = spans.get(0).traceId();
            for (NewSpan s : spans) {
                batch.add(s);
                if (batch.size() == BATCH) {
                    long t0 = System.nanoTime();
                    ingest.write(batch);
                    lat.add(System.nanoTime() - t0);
                    batch = new ArrayList<>(BATCH);
                }
            }
        }
        if (!batch.isEmpty()) {
            long t0 = System.nanoTime();
            ingest.write(batch);
            lat.add(System.nanoTime() - t0);
        }
        long nanos = System.nanoTime() - start;
        long rows = b.queryLong("SELECT count(*) FROM spans");
        b.emit(new Result(phase).timing(total, nanos, lat).put("batch", BATCH).put("rows", rows)
                .check(rows == total ? null : rows + " rows, expected " + total));
        b.sql("ANALYZE spans");
        return ids;
    }

    /** W9.trace then W9.list (suffix "" or ".jdbc"), keys from stream 12: first the traces, then the entities. */
    static void reads(Bench b, String suffix, String[] ids, int reads, int listings, TraceRead read, ListRead list)
            throws Exception {
        Mulberry32 rng = Mulberry32.stream(b.seed(), 12);
        int[] picks = new int[reads];
        for (int i = 0; i < reads; i++) {
            picks[i] = rng.randInt(ids.length);
        }
        int[] entities = new int[listings];
        for (int i = 0; i < listings; i++) {
            entities[i] = rng.randInt(ENTITIES);
        }
        if (b.options.phase("W9.trace" + suffix)) {
            Latencies lat = new Latencies(reads);
            int bad = 0;
            long start = System.nanoTime();
            for (int i = 0; i < reads; i++) {
                long t0 = System.nanoTime();
                List<String[]> spans = read.spans(ids[picks[i]]);
                lat.add(System.nanoTime() - t0);
                if (!isTree(spans)) {
                    bad++;
                }
            }
            long nanos = System.nanoTime() - start;
            b.emit(new Result("W9.trace" + suffix).timing(reads, nanos, lat)
                    .check(bad == 0 ? null : bad + " reads were not 25 spans, root first, children after their parent"));
        }
        if (b.options.phase("W9.list" + suffix)) {
            Latencies lat = new Latencies(listings);
            int bad = 0;
            long start = System.nanoTime();
            for (int i = 0; i < listings; i++) {
                int e = entities[i];
                long t0 = System.nanoTime();
                List<String> page = list.traceIds("agent-" + e);
                lat.add(System.nanoTime() - t0);
                if (!page.equals(newest(ids, e))) {
                    bad++;
                }
            }
            long nanos = System.nanoTime() - start;
            b.emit(new Result("W9.list" + suffix).timing(listings, nanos, lat)
                    .check(bad == 0 ? null : bad + " listings were not the entity's 20 newest roots, newest first"));
        }
    }

    /** 25 spans, the root first, each other span after its parent. */
    static boolean isTree(List<String[]> spans) {
        if (spans.size() != SPANS || spans.get(0)[1] != null) {
            return false;
        }
        Set<String> seen = new HashSet<>();
        for (String[] s : spans) {
            if (s[1] != null && !seen.contains(s[1])) {
                return false;
            }
            seen.add(s[0]);
        }
        return true;
    }

    /** The trace ids of entity {@code e}'s newest roots: traces t = e (mod 20), the latest first, at most 20. */
    static List<String> newest(String[] ids, int e) {
        List<String> out = new ArrayList<>(WINDOW);
        int last = ids.length - 1 - Math.floorMod(ids.length - 1 - e, ENTITIES);
        for (int t = last; t >= 0 && out.size() < WINDOW; t -= ENTITIES) {
            out.add(ids[t]);
        }
        return out;
    }

    static void copy(Bench b, List<NewSpan> batch) throws Exception {
        StringBuilder text = new StringBuilder(batch.size() * 1100);
        String now = Instant.now().toString();
        for (NewSpan s : batch) {
            text.append(s.traceId()).append('\t').append(Long.parseUnsignedLong(s.spanId(), 16)).append('\t')
                    .append(s.parentSpanId() == null ? "\\N" : Long.toString(Long.parseUnsignedLong(s.parentSpanId(), 16)))
                    .append('\t').append(EventWorkloads.copyText(s.name())).append('\t').append(s.type().name())
                    .append("\tagent\t").append(EventWorkloads.copyText(s.entity().name())).append('\t')
                    .append(s.startedAt()).append('\t').append(s.endedAt()).append("\tUNSET\t")
                    .append(EventWorkloads.copyText(Json.print(s.input()))).append('\t')
                    .append(EventWorkloads.copyText(Json.print(s.output()))).append('\t')
                    .append(EventWorkloads.copyText(Json.print(s.attributes()))).append("\t{}\t").append(now)
                    .append('\n');
        }
        try (Connection c = b.jdbc.getConnection()) {
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            copy.copyIn(COPY, new StringReader(text.toString()));
        }
    }

    static void unnest(Bench b, List<NewSpan> batch) throws Exception {
        int n = batch.size();
        Object[][] cols = new Object[11][n];
        for (int i = 0; i < n; i++) {
            NewSpan s = batch.get(i);
            cols[0][i] = s.traceId();
            cols[1][i] = Long.parseUnsignedLong(s.spanId(), 16);
            cols[2][i] = s.parentSpanId() == null ? null : Long.parseUnsignedLong(s.parentSpanId(), 16);
            cols[3][i] = s.name();
            cols[4][i] = s.type().name();
            cols[5][i] = s.entity().name();
            cols[6][i] = s.startedAt().toString();
            cols[7][i] = s.endedAt().toString();
            cols[8][i] = Json.print(s.input());
            cols[9][i] = Json.print(s.output());
            cols[10][i] = Json.print(s.attributes());
        }
        String[] types = {"text", "int8", "int8", "text", "text", "text", "text", "text", "text", "text", "text"};
        try (Connection c = b.jdbc.getConnection(); PreparedStatement ps = c.prepareStatement(UNNEST)) {
            for (int k = 0; k < 11; k++) {
                Array array = c.createArrayOf(types[k], cols[k]);
                ps.setArray(k + 1, array);
            }
            ps.executeUpdate();
        }
    }

    static List<String[]> readTrace(Bench b, String traceId) throws Exception {
        List<String[]> out = new ArrayList<>(SPANS);
        try (Connection c = b.jdbc.getConnection(); PreparedStatement ps = c.prepareStatement(TRACE)) {
            ps.setObject(1, UUID.fromString(traceId.replaceFirst(
                    "(\\p{XDigit}{8})(\\p{XDigit}{4})(\\p{XDigit}{4})(\\p{XDigit}{4})(\\p{XDigit}+)", "$1-$2-$3-$4-$5")));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long parent = rs.getLong(3);
                    String parentHex = rs.wasNull() ? null : String.format(Locale.ROOT, "%016x", parent);
                    out.add(new String[]{String.format(Locale.ROOT, "%016x", rs.getLong(2)), parentHex});
                    readRest(rs);
                }
            }
        }
        return out;
    }

    static List<String> list(Bench b, String entity) throws Exception {
        List<String> out = new ArrayList<>(WINDOW);
        try (Connection c = b.jdbc.getConnection(); PreparedStatement ps = c.prepareStatement(LIST)) {
            ps.setString(1, entity);
            ps.setInt(2, WINDOW);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getObject(1, UUID.class).toString().replace("-", ""));
                    readRest(rs);
                }
            }
        }
        return out;
    }

    /** Reads the row's other columns as the API does (JSON parsed, times as OffsetDateTime). */
    private static void readRest(ResultSet rs) throws Exception {
        for (int k = 4; k <= 12; k++) {
            rs.getString(k);
        }
        rs.getObject(13, OffsetDateTime.class);
        rs.getObject(14, OffsetDateTime.class);
        rs.getString(15);
        for (int k = 16; k <= 20; k++) {
            String json = rs.getString(k);
            if (json != null) {
                Json.MAPPER.readTree(json);
            }
        }
        rs.getObject(21, OffsetDateTime.class);
        rs.getObject(22, OffsetDateTime.class);
    }
}
