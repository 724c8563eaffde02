package dev.agentstore.persistence.observability;

import dev.agentstore.persistence.support.AbstractRepository;
import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.observability.NewSpan;
import dev.agentstore.domain.observability.Span;
import dev.agentstore.domain.observability.SpanUpdate;
import dev.agentstore.domain.observability.Trace;
import dev.agentstore.domain.observability.TraceCursor;
import dev.agentstore.domain.observability.TraceIds;
import dev.agentstore.domain.observability.TracePage;
import dev.agentstore.domain.observability.TraceQuery;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.SingleStatement;
import dev.agentstore.persistence.support.Sql;
import dev.agentstore.persistence.support.UnnestColumns;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * AI traces and spans (table {@code spans}, range-partitioned by {@code started_at}): create one span or a batch (one
 * {@code COPY}), update one or many (one statement), read one span, a trace's root, a whole trace as a tree (or its
 * light form), list traces newest first with filters and keyset paging, delete traces, prune old spans.
 *
 * <pre>{@code
 * store.spans().createAll(batch);                                   // one COPY round trip
 * store.spans().update(SpanUpdate.of(traceId, spanId).ended(now, SpanStatus.OK));
 * Trace trace = store.spans().getTrace(traceId).orElseThrow();      // root first, children after their parent
 * TracePage page = store.spans().listTraces(TraceQuery.builder().entityName("support-agent").build());
 * }</pre>
 *
 * <p><b>Identity.</b> A span is identified by its trace id and span id (W3C hex, {@link TraceIds}); the primary key
 * is {@code (trace_id, span_id, started_at)} because a partitioned table's keys must hold the partition key, so the
 * same span written twice with the same start time is a {@link dev.agentstore.domain.DuplicateException}.
 *
 * <p><b>Reads by trace.</b> A trace's spans are found by the primary key's leading {@code trace_id}: one index probe
 * per partition. Listings walk the partial indexes on root spans newest first and stop at the page's end, so a page
 * costs the same whatever the table's size (see {@link #listTraces}).
 *
 * <p>Runs in the caller's transaction; never begins or commits one. The statements run through {@link Sql} on the
 * unit of work's connection ({@link Span} is read-only to JPA); the spans handed out are built from the rows read and
 * attached to no persistence context. Standalone: {@code store.spans()} (each call its own transaction, single
 * statements in autocommit) or {@code uow.spans()}; in a container inject it. Thread-safe as the entity manager it is
 * bound to.
 */
@ApplicationScoped
public class SpanRepository extends AbstractRepository {

    /** Largest batch of {@link #createAll}, {@link #updateAll} and {@link #deleteTraces}. */
    public static final int MAX_BATCH = 100_000;

    /** Largest prune batch. */
    public static final int MAX_PRUNE_BATCH = 100_000;

    /** The batch of {@link #prune(Instant)}. */
    public static final int DEFAULT_PRUNE_BATCH = 10_000;

    /**
     * Creates one span with one {@code INSERT}.
     *
     * @param span the span
     * @return the stored span ({@code createdAt} is the clock's now)
     * @throws InvalidInputException when {@code span} is {@code null} or a JSON value exceeds the store's limits;
     *                               nothing is written
     * @throws dev.agentstore.domain.DuplicateException when a span with the same trace id, span id and start time
     *                                                  is stored
     */
    @SingleStatement
    public Span create(NewSpan span) {
        Check.notNull("span", span);
        Printed p = print("span", span);
        Instant now = now();
        Sql.run(em, "create Span " + span.traceId() + "/" + span.spanId(), h -> h.createUpdate(SpanSql.INSERT)
                .bindMap(Sql.parameters("traceId", TraceIds.traceUuid(span.traceId()),
                        "spanId", TraceIds.spanLong(span.spanId()),
                        "parentSpanId", span.parentSpanId() == null ? null : TraceIds.spanLong(span.parentSpanId()),
                        "name", span.name(), "type", span.type().name(), "entityType", span.entity().type(),
                        "entityId", span.entity().id(), "entityName", span.entity().name(), "runId", span.runId(),
                        "threadId", span.threadId(), "resourceId", span.resourceId(), "userId", span.userId(),
                        "startedAt", span.startedAt(), "endedAt", span.endedAt(), "status", span.status().name(),
                        "error", p.error(), "input", p.input(), "output", p.output(), "attributes", p.attributes(),
                        "metadata", p.metadata(), "createdAt", now))
                .execute());
        return Span.stored(span, now, null);
    }

    /**
     * Creates a batch of spans with ONE statement, PostgreSQL's {@code COPY spans FROM STDIN} (text format, through
     * pgjdbc's {@code CopyManager} on the unit of work's connection): one round trip whatever the batch size, the
     * fastest way PostgreSQL loads rows. The copy is atomic: if the database refuses any row (a duplicate span, a
     * value it cannot store), no row is written. Every span's JSON is checked before anything is sent.
     *
     * @param spans the spans, at most {@value #MAX_BATCH}; an empty list writes nothing and sends nothing
     * @return the number of spans written
     * @throws InvalidInputException when {@code spans} is {@code null}, holds a {@code null}, is too large, or a JSON
     *                               value exceeds the store's limits; nothing is written
     * @throws dev.agentstore.domain.DuplicateException when one of the spans is already stored (or is twice in the
     *                                                  batch); nothing is written
     */
    @SingleStatement
    public long createAll(List<NewSpan> spans) {
        Check.batch("spans", spans, MAX_BATCH);
        if (spans.isEmpty()) {
            return 0;
        }
        CopyText rows = SpanCopy.rows(spans, JsonWrites.limits(em), now()); // every value checked before sending
        return Sql.call(em, "create " + spans.size() + " Spans", h -> SpanCopy.send(h, rows));
    }

    /**
     * Creates or replaces a batch of spans with ONE statement, {@code INSERT ... SELECT FROM unnest(<twenty bound
     * arrays>) ON CONFLICT (trace_id, span_id, started_at) DO UPDATE}: a span already stored with the same trace id,
     * span id and start time is replaced by the new values (it keeps its {@code createdAt}; {@code updatedAt} is the
     * clock's now). For writers that may send a span again (an exporter retrying a batch); slower than
     * {@link #createAll} (see {@code docs/performance.md}, W9). Atomic: if the database refuses any row, none is
     * written.
     *
     * @param spans the spans, each at most once, at most {@value #MAX_BATCH}; an empty list sends nothing
     * @return the number of spans written (created or replaced)
     * @throws InvalidInputException when {@code spans} is {@code null}, holds a {@code null} or the same span twice
     *                               (same ids and start), is too large, or a JSON value exceeds the store's limits;
     *                               nothing is written
     */
    @SingleStatement
    public int upsertAll(List<NewSpan> spans) {
        if (Check.batch("spans", spans, MAX_BATCH).isEmpty()) {
            return 0;
        }
        int n = spans.size();
        String[][] text = new String[19][n];
        long[] spanIds = new long[n];
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < n; i++) {
            NewSpan s = spans.get(i);
            if (!seen.add(s.traceId() + s.spanId() + s.startedAt())) {
                throw new InvalidInputException("spans[" + i + "]: the span is in the batch twice");
            }
            Printed p = print("spans[" + i + "]", s);
            spanIds[i] = TraceIds.spanLong(s.spanId());
            String[] row = {s.traceId(), s.parentSpanId() == null ? null
                    : Long.toString(TraceIds.spanLong(s.parentSpanId())), s.name(), s.type().name(), s.entity().type(),
                    s.entity().id(), s.entity().name(), s.runId(), s.threadId(), s.resourceId(), s.userId(),
                    s.startedAt().toString(), s.endedAt() == null ? null : s.endedAt().toString(), s.status().name(),
                    p.error(), p.input(), p.output(), p.attributes(), p.metadata()};
            for (int k = 0; k < row.length; k++) {
                text[k][i] = row[k];
            }
        }
        Instant now = now();
        return Sql.call(em, "upsert " + n + " Spans", h -> h.createUpdate(SpanSql.UPSERT_ALL)
                .bindMap(Sql.parameters("traceIds", text[0], "spanIds", spanIds, "parentSpanIds", text[1],
                        "names", text[2], "types", text[3], "entityTypes", text[4], "entityIds", text[5],
                        "entityNames", text[6], "runIds", text[7], "threadIds", text[8], "resourceIds", text[9],
                        "userIds", text[10], "startedAts", text[11], "endedAts", text[12], "statuses", text[13],
                        "errors", text[14], "inputs", text[15], "outputs", text[16], "attributes", text[17],
                        "metadata", text[18], "now", now))
                .execute());
    }

    /**
     * Updates one span (see {@link SpanUpdate} for what changes), one statement.
     *
     * @param update the change
     * @throws InvalidInputException when {@code update} is {@code null}, a JSON value exceeds the store's limits, or
     *                               the new end time is before the span's start; nothing is written
     * @throws NotFoundException     when the span is not stored
     */
    @SingleStatement
    public void update(SpanUpdate update) {
        Check.notNull("update", update);
        if (updateAll(List.of(update)) == 0) {
            throw new NotFoundException("Span", update.traceId() + "/" + update.spanId());
        }
    }

    /**
     * Updates many spans with ONE statement ({@code UPDATE spans ... FROM unnest(<eight bound arrays>)}); spans that
     * are not stored are skipped. Atomic: if the database refuses any change, none is made.
     *
     * @param updates the changes, each span at most once, at most {@value #MAX_BATCH}; an empty list sends nothing
     * @return how many spans were updated
     * @throws InvalidInputException when {@code updates} is {@code null}, holds a {@code null} or one span twice, is
     *                               too large, a JSON value exceeds the store's limits, or a new end time is before
     *                               its span's start; nothing is written
     */
    @SingleStatement
    public int updateAll(List<SpanUpdate> updates) {
        Check.batch("updates", updates, MAX_BATCH);
        if (updates.isEmpty()) {
            return 0;
        }
        Set<String> seen = new HashSet<>();
        int n = updates.size();
        for (int i = 0; i < n; i++) {
            SpanUpdate u = updates.get(i);
            if (!seen.add(u.traceId() + u.spanId())) {
                throw new InvalidInputException("updates[" + i + "]: the span is updated twice in one call");
            }
        }
        // in id order, so that concurrent batches over the same spans tend to lock them in the same order
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparing((Integer k) -> updates.get(k).traceId())
                .thenComparing(k -> updates.get(k).spanId()));
        Map<String, Object> values = UnnestColumns.rows(n)
                .column("traceIds", String.class, i -> updates.get(order[i]).traceId())
                .column("spanIds", Long.class, i -> TraceIds.spanLong(updates.get(order[i]).spanId()))
                .column("endedAts", String.class, i -> updates.get(order[i]).endedAt() == null ? null
                        : updates.get(order[i]).endedAt().toString())
                .column("statuses", String.class, i -> updates.get(order[i]).status() == null ? null
                        : updates.get(order[i]).status().name())
                .column("errors", String.class, i -> json(order[i], "error", updates.get(order[i]).error()))
                .column("outputs", String.class, i -> json(order[i], "output", updates.get(order[i]).output()))
                .column("attributes", String.class,
                        i -> json(order[i], "attributes", updates.get(order[i]).attributes()))
                .column("metadata", String.class, i -> json(order[i], "metadata", updates.get(order[i]).metadata()))
                .values();
        values.put("now", now());
        return Sql.call(em, "update " + n + " Spans", h -> h.createUpdate(SpanSql.UPDATE_ALL)
                .bindMap(values)
                .execute());
    }

    /**
     * Reads one span. One query.
     *
     * @param traceId the trace id, 32 lower-case hex digits
     * @param spanId  the span id, 16 lower-case hex digits
     * @return the span, or empty when it is not stored
     * @throws InvalidInputException when an id is invalid
     */
    @SingleStatement
    public Optional<Span> getSpan(String traceId, String spanId) {
        UUID trace = TraceIds.traceUuid(traceId);
        long span = TraceIds.spanLong(spanId);
        return Sql.call(em, "get Span " + traceId + "/" + spanId, h -> h.createQuery(SpanSql.GET)
                .bind("traceId", trace)
                .bind("spanId", span)
                .map(SpanSql.SPAN)
                .findFirst());
    }

    /**
     * Reads a trace's root span (the earliest span without a parent). One query.
     *
     * @param traceId the trace id, 32 lower-case hex digits
     * @return the root, or empty when the trace has none stored
     * @throws InvalidInputException when the id is invalid
     */
    @SingleStatement
    public Optional<Span> getRootSpan(String traceId) {
        UUID trace = TraceIds.traceUuid(traceId);
        return Sql.call(em, "get root Span of trace " + traceId, h -> h.createQuery(SpanSql.ROOT)
                .bind("traceId", trace)
                .map(SpanSql.SPAN)
                .findFirst());
    }

    /**
     * Reads a whole trace as a tree in start order ({@link Trace}: the root, then each child after its parent). One
     * query over the primary key.
     *
     * @param traceId the trace id, 32 lower-case hex digits
     * @return the trace, or empty when none of its spans is stored
     * @throws InvalidInputException when the id is invalid
     */
    @SingleStatement
    public Optional<Trace> getTrace(String traceId) {
        return trace(traceId, false);
    }

    /**
     * As {@link #getTrace}, in light form: the spans without input, output, attributes and metadata (for a trace's
     * outline; the large values are neither read nor sent).
     *
     * @param traceId the trace id, 32 lower-case hex digits
     * @return the trace, or empty when none of its spans is stored
     * @throws InvalidInputException when the id is invalid
     */
    @SingleStatement
    public Optional<Trace> getTraceLight(String traceId) {
        return trace(traceId, true);
    }

    /**
     * Lists traces, newest first: the root spans that pass the query's filters, ordered by
     * {@code (started_at, trace_id)} descending, at most {@code query.limit()}, after the query's cursor. One query
     * walking a partial index of root spans in order (by entity name, by entity type and id, or all roots) and stopping
     * at the page's end; paging by cursor returns every root once even while spans are written.
     *
     * @param query the filters, limit and cursor ({@code TraceQuery.builder().build()}: the 20 newest traces)
     * @return the page; {@link TracePage#next()} is set when the page is full
     * @throws InvalidInputException when {@code query} is {@code null} or its attributes exceed the store's limits
     */
    @SingleStatement
    public TracePage listTraces(TraceQuery query) {
        Check.notNull("query", query);
        String attributes = query.attributes() == null ? null
                : JsonWrites.print(em, "query.attributes", query.attributes());
        TraceListSql.Read read = TraceListSql.list(query, attributes);
        List<Span> roots = Sql.call(em, "list traces", h -> h.createQuery(read.sql())
                .bindMap(read.values())
                .map(SpanSql.SPAN)
                .list());
        TraceCursor next = roots.size() == query.limit() ? TraceCursor.after(roots.get(roots.size() - 1)) : null;
        return new TracePage(roots, next);
    }

    /**
     * Deletes whole traces: every span of the given trace ids. One statement.
     *
     * @param traceIds the trace ids (32 lower-case hex digits each), at most {@value #MAX_BATCH}
     * @return how many spans were deleted
     * @throws InvalidInputException when {@code traceIds} is {@code null}, holds an invalid id or is too large
     */
    @SingleStatement
    public long deleteTraces(Collection<String> traceIds) {
        Check.batch("traceIds", traceIds, MAX_BATCH);
        if (traceIds.isEmpty()) {
            return 0;
        }
        String[] ids = traceIds.stream().map(id -> TraceIds.requireTraceId("traceIds[]", id)).toArray(String[]::new);
        return Sql.call(em, "delete " + ids.length + " traces", h -> h.createUpdate(SpanSql.DELETE_TRACES)
                .bind("traceIds", ids)
                .execute());
    }

    /**
     * Retention: deletes every span that started before {@code olderThan}, in bounded batches of
     * batches of {@value #DEFAULT_PRUNE_BATCH} (see {@link #prune(Instant, int)}).
     *
     * @param olderThan spans that started strictly before this go
     * @return how many spans were deleted
     * @throws InvalidInputException when {@code olderThan} is {@code null}
     */
    public long prune(Instant olderThan) {
        return prune(olderThan, DEFAULT_PRUNE_BATCH);
    }

    /**
     * Retention: deletes every span that started before {@code olderThan}, one bounded {@code DELETE} after the other
     * ({@link #pruneBatch}) until one deletes fewer than {@code batchSize}, all in the caller's transaction
     * ({@code store.spans().prune(...)}: one transaction). To keep no transaction holding millions of row locks, loop
     * over {@link #pruneBatch} with one transaction per batch instead.
     *
     * @param olderThan spans that started strictly before this go
     * @param batchSize old spans looked at per statement, 1–{@value #MAX_PRUNE_BATCH}
     * @return how many spans were deleted
     * @throws InvalidInputException when {@code olderThan} is {@code null} or {@code batchSize} is out of range
     */
    public long prune(Instant olderThan, int batchSize) {
        return Sql.deleteInBatches(() -> pruneBatch(olderThan, batchSize), batchSize);
    }

    /**
     * Retention, one bounded batch, one statement: takes {@code batchSize} spans that started before
     * {@code olderThan} (any of them, in no particular order; the BRIN index {@code spans_started_idx} skips the newer
     * parts of the table) and deletes every span of their traces that started before {@code olderThan}. So a batch deletes at least those spans and at most the old spans of
     * {@code batchSize} traces, and it reaches them through the primary key.
     *
     * <pre>{@code
     * while (store.fromTransaction(uow -> uow.spans().pruneBatch(cutoff, 10_000)) >= 10_000) { }
     * }</pre>
     *
     * @param olderThan spans that started strictly before this go
     * @param batchSize old spans looked at, 1–{@value #MAX_PRUNE_BATCH}
     * @return how many spans were deleted; fewer than {@code batchSize} means none older were left (unless another
     *         transaction was writing or deleting old spans at the same time)
     * @throws InvalidInputException when {@code olderThan} is {@code null} or {@code batchSize} is out of range
     */
    @SingleStatement
    public int pruneBatch(Instant olderThan, int batchSize) {
        Check.instant("olderThan", Check.notNull("olderThan", olderThan));
        Check.range("batchSize", batchSize, 1, MAX_PRUNE_BATCH);
        return Sql.call(em, "prune Spans", h -> h.createUpdate(SpanSql.PRUNE_BATCH)
                .bind("cutoff", olderThan)
                .bind("batchSize", batchSize)
                .execute());
    }

    private Optional<Trace> trace(String traceId, boolean light) {
        UUID trace = TraceIds.traceUuid(traceId);
        List<Span> spans = Sql.call(em, "get trace " + traceId, h -> h
                .createQuery(light ? SpanSql.TRACE_LIGHT : SpanSql.TRACE)
                .bind(0, trace)
                .map(SpanSql.traceSpan(light))
                .list());
        return spans.isEmpty() ? Optional.empty() : Optional.of(Trace.of(traceId, spans, light));
    }

    /** The printed JSON of one span ({@code null} for SQL NULL), for {@link #create} and {@link #upsertAll}. */
    private record Printed(String error, String input, String output, String attributes, String metadata) {
    }

    private Printed print(String field, NewSpan s) {
        return new Printed(json(field + ".error", s.error()), json(field + ".input", s.input()),
                json(field + ".output", s.output()), JsonWrites.print(em, field + ".attributes", s.attributes()),
                JsonWrites.print(em, field + ".metadata", s.metadata()));
    }

    /** A value of {@code updates[index]}, printed for its {@code jsonb} column. */
    private String json(int index, String name, JsonNode value) {
        return json("updates[" + index + "]." + name, value);
    }

    private String json(String field, JsonNode value) {
        return value == null ? null : JsonWrites.print(em, field, value);
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
