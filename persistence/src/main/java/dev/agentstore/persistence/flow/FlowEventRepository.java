package dev.agentstore.persistence.flow;

import dev.agentstore.persistence.support.AbstractRepository;
import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.flow.FlowEvent;
import dev.agentstore.domain.flow.FlowEventQuery;
import dev.agentstore.domain.flow.NewFlowEvent;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.SingleStatement;
import dev.agentstore.persistence.support.Sql;
import dev.agentstore.persistence.support.UnnestColumns;
import jakarta.enterprise.context.ApplicationScoped;

import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The append-only flow event log (table {@code flow_events}):
 * append one or many events, read a run's events with filters and a keyset cursor, read a flow's events of one type
 * over time, delete a run's events, purge old events in bounded batches.
 *
 * <p>Runs in the caller's transaction (standalone: {@code store.inTransaction(uow -> uow.flowEvents().append(e))}; in
 * a container: the current JTA transaction) and never begins or commits one itself; through {@code store.flowEvents()}
 * each call is its own unit of work, and the methods marked {@link SingleStatement} run in autocommit mode. Every
 * statement runs through {@link Sql} with every value bound; reads map rows to {@link FlowEvent} values (the entity
 * is read-only to JPA), so appending or reading many events keeps no entities (nor their snapshots) in memory.
 *
 * <p>Indexes used: {@code (run_id, ts DESC, id DESC)} for {@link #read} (either direction, cursor as an index
 * condition), {@code (flow_name, type, ts DESC)} for {@link #readByFlow}, {@code BRIN(ts)} for purges.
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
public class FlowEventRepository extends AbstractRepository {

    /** Largest accepted purge batch. */
    public static final int MAX_PURGE_BATCH = 100_000;

    /**
     * Appends one event with one statement,
     * {@code INSERT ... RETURNING id}, the id from the column default: always exactly one round trip at the call,
     * and its errors are raised there.
     *
     * @param event the event; when its {@code ts} is {@code null} it gets the clock's now, truncated to milliseconds
     * @return the stored event, with its id and time
     * @throws InvalidInputException when {@code event} is {@code null}, or the database refuses a value (a JSON string
     *                               holding U+0000, which {@code jsonb} cannot store); nothing is written
     */
    @SingleStatement
    public FlowEvent append(NewFlowEvent event) {
        Check.notNull("event", event);
        NewFlowEvent stamped = stamp(event, now());
        JsonNode payload = stamped.data();
        String data = payload == null ? null : JsonWrites.print(em, "data", payload);
        long id = Sql.call(em, "append FlowEvent run=" + event.runId() + " type=" + event.type(), h -> h
                .createQuery(FlowEventSql.APPEND)
                .bindMap(Sql.parameters("runId", stamped.runId(), "flowName", stamped.flowName(), "ts", stamped.ts(),
                        "type", stamped.type(), "stepName", stamped.stepName(), "stepId", stamped.stepId(),
                        "attempt", stamped.attempt(), "data", data))
                .mapTo(long.class)
                .one());
        return FlowEvent.appended(id, stamped);
    }

    /**
     * Appends a batch of events with ONE statement (one round trip, whatever the batch size): a multi-row
     * {@code INSERT ... SELECT ... FROM unnest(<eight bound arrays>) WITH ORDINALITY ORDER BY ordinality RETURNING id},
     * every value bound. The statement is atomic: if the database refuses any element, no element is written.
     * Events without a time all get the same clock reading.
     *
     * <p>The arrays travel whole in one message: batches of up to tens of thousands of events are fine; split larger
     * ones (each call is still one statement). There is no COPY path: COPY cannot return the ids.
     *
     * @param events the events, in order; an empty list writes nothing and sends no statement
     * @return the stored events, in input order (ids ascend in that order)
     * @throws InvalidInputException when {@code events} is {@code null} or holds a {@code null}, or the database
     *                               refuses a value (see {@link #append}); nothing is written
     */
    @SingleStatement
    public List<FlowEvent> appendAll(List<NewFlowEvent> events) {
        Check.noNulls("events", events);
        if (events.isEmpty()) {
            return List.of();
        }
        Instant now = now();
        int n = events.size();
        List<NewFlowEvent> stamped = new ArrayList<>(n);
        for (NewFlowEvent event : events) {
            stamped.add(stamp(event, now));
        }
        Map<String, Object> values = UnnestColumns.rows(n)
                .column("runIds", String.class, i -> stamped.get(i).runId())
                .column("flowNames", String.class, i -> stamped.get(i).flowName())
                // ISO-8601 in UTC ("...Z"), unambiguous for timestamptz input
                .column("timestamps", String.class, i -> stamped.get(i).ts().toString())
                .column("types", String.class, i -> stamped.get(i).type())
                .column("stepNames", String.class, i -> stamped.get(i).stepName())
                .column("stepIds", String.class, i -> stamped.get(i).stepId())
                .column("attempts", Integer.class, i -> stamped.get(i).attempt())
                .column("data", String.class, i -> stamped.get(i).data() == null ? null
                        : JsonWrites.print(em, "events[" + i + "].data", stamped.get(i).data()))
                .values();
        long[] ids = Sql.call(em, "append " + n + " FlowEvents", h -> {
            List<Long> returned = h.createQuery(FlowEventSql.APPEND_ALL)
                    .bindMap(values)
                    .mapTo(long.class)
                    .list();
            if (returned.size() != n) {
                throw new SQLException("expected " + n + " ids from the batch insert, got " + returned.size());
            }
            // ids were drawn in input order from an ascending sequence: sorting restores input order whatever order
            // RETURNING reports them in
            return returned.stream().mapToLong(Long::longValue).sorted().toArray();
        });
        List<FlowEvent> stored = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            stored.add(FlowEvent.appended(ids[i], stamped.get(i)));
        }
        return stored;
    }

    /**
     * Reads a run's events, one page in {@code (ts, id)} order, served by the index
     * {@code (run_id, ts DESC, id DESC)}. To continue, pass the last returned id as the cursor
     * ({@link FlowEventQuery#next(List)} does that); paging this way returns every row exactly once.
     *
     * @param runId the run's id
     * @param query filters, cursor, limit and order ({@link FlowEventQuery#defaults()}: all, oldest first, 100 rows)
     * @return at most {@code query.limit()} events, in the query's order; empty when there are none (more)
     * @throws InvalidInputException when {@code runId} is blank or longer than 255 characters, or {@code query} is
     *                               {@code null}
     * @throws NotFoundException     when {@code query.afterId()} is not the id of an event of this run (for example
     *                               purged since), so a stale cursor is reported rather than read as "no more rows"
     */
    @SingleStatement
    public List<FlowEvent> read(String runId, FlowEventQuery query) {
        Check.name("runId", runId);
        Check.notNull("query", query);
        FlowEventSql.Read read = FlowEventSql.read(runId, query);
        return Sql.call(em, "read FlowEvents of run " + runId, h -> {
            List<FlowEvent> events = read.bind(h.createQuery(read.sql())).map(FlowEventSql.EVENT).list();
            if (events.isEmpty() && query.afterId() != null && h.createQuery(FlowEventSql.CURSOR_EXISTS)
                    .bind("after", query.afterId())
                    .bind("runId", runId)
                    .mapTo(long.class)
                    .one() == 0) {
                throw new NotFoundException("FlowEvent", "id=" + query.afterId() + " of run " + runId
                        + " (the cursor of a read)");
            }
            return events;
        });
    }

    /**
     * Reads a flow's events of one type over time, newest first ("by flow and type over time"), served by the index
     * {@code (flow_name, type, ts DESC)}.
     *
     * @param flowName the flow's name
     * @param type     the event type
     * @param from     earliest {@code ts}, inclusive, or {@code null}
     * @param to       latest {@code ts}, inclusive, or {@code null}
     * @param limit    the most rows returned, 1–{@value FlowEventQuery#MAX_LIMIT}
     * @return at most {@code limit} events by {@code (ts, id)} descending
     * @throws InvalidInputException when a name is blank or longer than 255 characters, {@code from} is after
     *                               {@code to} or outside PostgreSQL's timestamptz range, or {@code limit} is
     *                               outside 1–{@value FlowEventQuery#MAX_LIMIT}
     */
    @SingleStatement
    public List<FlowEvent> readByFlow(String flowName, String type, Instant from, Instant to, int limit) {
        Check.name("flowName", flowName);
        Check.name("type", type);
        Check.range("limit", limit, 1, FlowEventQuery.MAX_LIMIT);
        Check.instant("from", from);
        Check.instant("to", to);
        if (from != null && to != null && from.isAfter(to)) {
            throw new InvalidInputException("from (" + from + ") must not be after to (" + to + ")");
        }
        FlowEventSql.Read read = FlowEventSql.byFlow(flowName, type, from, to, limit);
        return Sql.call(em, "read FlowEvents of flow " + flowName + " type=" + type,
                h -> read.bind(h.createQuery(read.sql())).map(FlowEventSql.EVENT).list());
    }

    /**
     * Deletes all events of a run. Events read before keep their values (they are
     * immutable; their rows are gone).
     *
     * @param runId the run's id
     * @return how many events were deleted; 0 when the run has none
     * @throws InvalidInputException when {@code runId} is blank or longer than 255 characters
     */
    @SingleStatement
    public int deleteRun(String runId) {
        Check.name("runId", runId);
        return Sql.call(em, "delete FlowEvents of run " + runId, h -> h.createUpdate(FlowEventSql.DELETE_RUN)
                .bind("runId", runId)
                .execute());
    }

    /**
     * Retention: deletes every event with {@code ts} before {@code cutoff}, in batches of at most {@code batchSize}
     * rows, each batch its own statement, until a batch deletes fewer than {@code batchSize} rows. All batches run in
     * the caller's ONE transaction, which bounds each statement but not the transaction: for a purge of millions of
     * rows, loop over {@link #purgeOlderThanBatch} with one transaction per batch instead.
     *
     * @param cutoff    events strictly older than this go
     * @param batchSize rows per statement, 1–{@value #MAX_PURGE_BATCH}
     * @return how many events were deleted in all
     * @throws InvalidInputException when {@code cutoff} is {@code null} or {@code batchSize} is out of range
     */
    public long purgeOlderThan(Instant cutoff, int batchSize) {
        return Sql.deleteInBatches(() -> purgeOlderThanBatch(cutoff, batchSize), batchSize);
    }

    /**
     * Retention, one bounded batch: deletes at most {@code batchSize} events with {@code ts} before {@code cutoff}
     * (one statement, {@code DELETE ... WHERE id IN (SELECT id ... WHERE ts < cutoff LIMIT batchSize)}). For large
     * purges call it in a loop with one transaction per batch, so no transaction holds millions of row locks:
     *
     * <pre>{@code
     * while (store.fromTransaction(uow -> uow.flowEvents().purgeOlderThanBatch(cutoff, 10_000)) == 10_000) { }
     * }</pre>
     *
     * @param cutoff    events strictly older than this go
     * @param batchSize the most rows deleted, 1–{@value #MAX_PURGE_BATCH}
     * @return how many events were deleted; less than {@code batchSize} means none older than {@code cutoff} were
     *         left (unless another transaction was purging them at the same time)
     * @throws InvalidInputException when {@code cutoff} is {@code null} or {@code batchSize} is out of range
     */
    @SingleStatement
    public int purgeOlderThanBatch(Instant cutoff, int batchSize) {
        Check.range("batchSize", batchSize, 1, MAX_PURGE_BATCH);
        Check.instant("cutoff", Check.notNull("cutoff", cutoff));
        return Sql.call(em, "purge FlowEvents older than " + cutoff, h -> h.createUpdate(FlowEventSql.PURGE_BATCH)
                .bind("cutoff", cutoff)
                .bind("batchSize", batchSize)
                .execute());
    }

    private static NewFlowEvent stamp(NewFlowEvent event, Instant now) {
        return event.ts() == null ? event.at(now) : event;
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }
}
