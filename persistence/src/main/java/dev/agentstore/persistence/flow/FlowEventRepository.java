package dev.agentstore.persistence.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.flow.FlowEvent;
import dev.agentstore.domain.flow.FlowEventQuery;
import dev.agentstore.domain.flow.NewFlowEvent;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.NumberedStatement;
import dev.agentstore.persistence.support.PersistenceErrors;
import dev.agentstore.persistence.support.SingleStatement;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.transaction.Transactional;
import org.hibernate.Session;

import java.sql.Array;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The append-only flow event log (table {@code flow_events}):
 * append one or many events, read a run's events with filters and a keyset cursor, read a flow's events of one type
 * over time, delete a run's events, purge old events in bounded batches.
 *
 * <p>Runs in the caller's transaction (standalone: {@code store.inTransaction(uow -> uow.flowEvents().append(e))}; in
 * a container: the current JTA transaction) and never begins or commits one itself; through {@code store.flowEvents()}
 * each call is its own unit of work, and the methods marked {@link SingleStatement} run in autocommit mode. Writes are native SQL with every
 * value bound; reads are plain JDBC too, mapped to {@link FlowEvent} values. Neither goes through the persistence
 * context, so appending or reading many events keeps no entities (nor their snapshots) in memory.
 *
 * <p>Indexes used: {@code (run_id, ts DESC, id DESC)} for {@link #read} (either direction, cursor as an index
 * condition), {@code (flow_name, type, ts DESC)} for {@link #readByFlow}, {@code BRIN(ts)} for purges.
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
@Transactional(dontRollbackOn = AgentStoreException.class)
public class FlowEventRepository {

    /** One event, one round trip: the id from the column default {@code nextval('flow_events_seq')}. */
    private static final String APPEND = """
            INSERT INTO flow_events (run_id, flow_name, ts, type, step_name, step_id, attempt, data)
            VALUES (?, ?, ?, ?, ?, ?, ?, CAST(? AS jsonb))
            RETURNING id
            """;

    /**
     * A whole batch, one round trip: eight bound arrays (column-wise), unnested in input order; {@code nextval} (the
     * column default) is evaluated row by row over the ordered rows, so the ids ascend in input order.
     */
    private static final String APPEND_ALL = """
            INSERT INTO flow_events (run_id, flow_name, ts, type, step_name, step_id, attempt, data)
            SELECT u.run_id, u.flow_name, u.ts, u.type, u.step_name, u.step_id, u.attempt, u.data
            FROM unnest(CAST(? AS varchar[]), CAST(? AS varchar[]), CAST(? AS timestamptz[]), CAST(? AS varchar[]),
                        CAST(? AS varchar[]), CAST(? AS varchar[]), CAST(? AS int[]), CAST(? AS jsonb[]))
                 WITH ORDINALITY AS u(run_id, flow_name, ts, type, step_name, step_id, attempt, data, ord)
            ORDER BY u.ord
            RETURNING id
            """;

    /** The columns of a read, in the order {@code row} maps them; {@code data} as text, parsed with {@link Json}. */
    private static final String SELECT_EVENTS = """
            SELECT e.id, e.run_id, e.flow_name, e.ts, e.type, e.step_name, e.step_id, e.attempt, CAST(e.data AS text)
              FROM flow_events e""";

    /**
     * Keyset cursor, ascending: rows strictly after the cursor row by (ts, id); an index condition on the run index.
     * {@code %s}: the cursor's parameter; {@code ?1} is the run id.
     */
    private static final String AFTER_ASC =
            " AND (e.ts, e.id) > ((SELECT c.ts FROM flow_events c WHERE c.id = %1$s AND c.run_id = ?1), %1$s)";

    /** Keyset cursor, descending: rows strictly before the cursor row by (ts, id); as {@link #AFTER_ASC}. */
    private static final String AFTER_DESC =
            " AND (e.ts, e.id) < ((SELECT c.ts FROM flow_events c WHERE c.id = %1$s AND c.run_id = ?1), %1$s)";

    private static final String CURSOR_EXISTS = """
            SELECT count(*) FROM flow_events WHERE id = :after AND run_id = :runId
            """;

    private static final String DELETE_RUN = """
            DELETE FROM flow_events WHERE run_id = :runId
            """;

    /**
     * One bounded purge batch. No ORDER BY: every row older than the cutoff goes, so which ones go first does not
     * matter, and sorting all old rows for every batch would cost more than the delete.
     */
    private static final String PURGE_BATCH = """
            DELETE FROM flow_events
            WHERE id IN (SELECT id FROM flow_events WHERE ts < :cutoff LIMIT :batchSize)
            """;

    /**
     * The read statements by SQL text, rewritten once each: {@link #readSql} and {@link #readByFlowSql} build at most
     * 32 and 4 texts (one per combination of filters), so this stays small.
     */
    private static final Map<String, NumberedStatement> READS = new ConcurrentHashMap<>();

    /** Largest accepted purge batch. */
    public static final int MAX_PURGE_BATCH = 100_000;

    @PersistenceContext(unitName = "agentstore")
    private EntityManager em;
    @Inject
    private Clock clock;

    /** For CDI's proxy; the container injects the entity manager. */
    protected FlowEventRepository() {
    }

    /**
     * Standalone use: a repository bound to one entity manager (one transaction).
     *
     * @param em    the transaction's entity manager
     * @param clock where the time comes from
     */
    public FlowEventRepository(EntityManager em, Clock clock) {
        this.em = em;
        this.clock = clock;
    }

    /**
     * Appends one event with one statement,
     * {@code INSERT ... RETURNING id}. A native insert rather than {@code persist}: it is always exactly one round
     * trip at the call (persist would add a sequence call every 50 ids and defer the INSERT, and its errors, to the
     * flush), and the log keeps no entities in the persistence context.
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
        try {
            long id = session().doReturningWork(connection -> {
                try (PreparedStatement ps = connection.prepareStatement(APPEND)) {
                    ps.setString(1, stamped.runId());
                    ps.setString(2, stamped.flowName());
                    ps.setObject(3, stamped.ts().atOffset(ZoneOffset.UTC));
                    ps.setString(4, stamped.type());
                    ps.setString(5, stamped.stepName());
                    ps.setString(6, stamped.stepId());
                    if (stamped.attempt() == null) {
                        ps.setNull(7, Types.INTEGER);
                    } else {
                        ps.setInt(7, stamped.attempt());
                    }
                    ps.setString(8, data);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        return rs.getLong(1);
                    }
                }
            });
            return FlowEvent.appended(id, stamped);
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate("append FlowEvent run=" + event.runId() + " type=" + event.type(), e);
        }
    }

    /**
     * Appends a batch of events with ONE statement (one round trip, whatever the batch size): a multi-row
     * {@code INSERT ... SELECT ... FROM unnest(<eight JDBC arrays>) WITH ORDINALITY ORDER BY ordinality RETURNING id},
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
        String[] runIds = new String[n];
        String[] flowNames = new String[n];
        String[] timestamps = new String[n];
        String[] types = new String[n];
        String[] stepNames = new String[n];
        String[] stepIds = new String[n];
        Integer[] attempts = new Integer[n];
        String[] data = new String[n];
        for (int i = 0; i < n; i++) {
            NewFlowEvent e = stamp(events.get(i), now);
            stamped.add(e);
            runIds[i] = e.runId();
            flowNames[i] = e.flowName();
            timestamps[i] = e.ts().toString(); // ISO-8601 in UTC ("...Z"), unambiguous for timestamptz input
            types[i] = e.type();
            stepNames[i] = e.stepName();
            stepIds[i] = e.stepId();
            attempts[i] = e.attempt();
            JsonNode payload = e.data();
            data[i] = payload == null ? null : JsonWrites.print(em, "events[" + i + "].data", payload);
        }
        try {
            long[] ids = session().doReturningWork(connection -> {
                List<Array> arrays = new ArrayList<>(8);
                try (PreparedStatement ps = connection.prepareStatement(APPEND_ALL)) {
                    Object[][] columns = {runIds, flowNames, timestamps, types, stepNames, stepIds, attempts, data};
                    for (int c = 0; c < columns.length; c++) {
                        Array array = connection.createArrayOf(columns[c] == attempts ? "int4" : "text", columns[c]);
                        arrays.add(array);
                        ps.setArray(c + 1, array);
                    }
                    long[] result = new long[n];
                    int count = 0;
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            result[count++] = rs.getLong(1);
                        }
                    }
                    if (count != n) {
                        throw new SQLException("expected " + n + " ids from the batch insert, got " + count);
                    }
                    return result;
                } finally {
                    freeAll(arrays);
                }
            });
            // ids were drawn in input order from an ascending sequence: sorting restores input order whatever order
            // RETURNING reports them in
            Arrays.sort(ids);
            List<FlowEvent> stored = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                stored.add(FlowEvent.appended(ids[i], stamped.get(i)));
            }
            return stored;
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate("append " + n + " FlowEvents", e);
        }
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
        List<Object> parameters = new ArrayList<>(6);
        String sql = readSql(query, parameters, runId);
        try {
            List<FlowEvent> events = select(sql, parameters);
            if (events.isEmpty() && query.afterId() != null && !cursorExists(runId, query.afterId())) {
                throw new NotFoundException("FlowEvent", "id=" + query.afterId() + " of run " + runId
                        + " (the cursor of a read)");
            }
            return events;
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate("read FlowEvents of run " + runId, e);
        }
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
     *                               {@code to} or outside PostgreSQL's timestamptz range, or {@code limit} is outside 1–{@value FlowEventQuery#MAX_LIMIT}
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
        try {
            List<Object> parameters = new ArrayList<>(5);
            parameters.add(flowName);
            parameters.add(type);
            if (from != null) {
                parameters.add(from);
            }
            if (to != null) {
                parameters.add(to);
            }
            parameters.add(limit);
            return select(readByFlowSql(from != null, to != null), parameters);
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate("read FlowEvents of flow " + flowName + " type=" + type, e);
        }
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
        try {
            return em.createNativeQuery(DELETE_RUN).setParameter("runId", runId).executeUpdate();
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate("delete FlowEvents of run " + runId, e);
        }
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
        long total = 0;
        int deleted;
        do {
            deleted = purgeOlderThanBatch(cutoff, batchSize);
            total += deleted;
        } while (deleted == batchSize);
        return total;
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
        Check.instant("cutoff", Check.notNull("cutoff", cutoff));
        Check.range("batchSize", batchSize, 1, MAX_PURGE_BATCH);
        try {
            return em.createNativeQuery(PURGE_BATCH)
                    .setParameter("cutoff", cutoff)
                    .setParameter("batchSize", batchSize)
                    .executeUpdate();
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate("purge FlowEvents older than " + cutoff, e);
        }
    }

    /**
     * The SQL of {@link #read} for a query: fixed fragments chosen by which filters are set, every value a numbered
     * parameter ({@code ?1} is the run id), added to {@code parameters} in number order.
     */
    static String readSql(FlowEventQuery query, List<Object> parameters, String runId) {
        boolean asc = query.order() == FlowEventQuery.Order.ASC;
        StringBuilder sql = new StringBuilder(SELECT_EVENTS).append(" WHERE e.run_id = ").append(bind(parameters, runId));
        if (!query.types().isEmpty()) {
            sql.append(" AND e.type = ANY (CAST(").append(bind(parameters, query.types().toArray(new String[0])))
                    .append(" AS text[]))");
        }
        if (query.from() != null) {
            sql.append(" AND e.ts >= ").append(bind(parameters, query.from()));
        }
        if (query.to() != null) {
            sql.append(" AND e.ts <= ").append(bind(parameters, query.to()));
        }
        if (query.afterId() != null) {
            sql.append((asc ? AFTER_ASC : AFTER_DESC).formatted(bind(parameters, query.afterId())));
        }
        return sql.append(asc ? " ORDER BY e.ts ASC, e.id ASC" : " ORDER BY e.ts DESC, e.id DESC")
                .append(" LIMIT ").append(bind(parameters, query.limit())).toString();
    }

    /**
     * The SQL of {@link #readByFlow}, with or without each time bound: parameters {@code ?1} flow name, {@code ?2}
     * type, then {@code from} and {@code to} when present, then the limit.
     */
    static String readByFlowSql(boolean from, boolean to) {
        int n = 2;
        StringBuilder sql = new StringBuilder(SELECT_EVENTS).append(" WHERE e.flow_name = ?1 AND e.type = ?2");
        if (from) {
            sql.append(" AND e.ts >= ?").append(++n);
        }
        if (to) {
            sql.append(" AND e.ts <= ?").append(++n);
        }
        return sql.append(" ORDER BY e.ts DESC, e.id DESC LIMIT ?").append(++n).toString();
    }

    /** Adds a value to {@code parameters} and returns its placeholder, {@code ?1}, {@code ?2}, ... */
    private static String bind(List<Object> parameters, Object value) {
        parameters.add(value);
        return "?" + parameters.size();
    }

    /**
     * Runs a read with plain JDBC ({@link NumberedStatement}) and maps each row to a {@link FlowEvent}: events are
     * immutable, so they bypass the persistence context (no entity entries, no snapshots), as appends do.
     */
    private List<FlowEvent> select(String sql, List<Object> parameters) {
        return session().doReturningWork(connection -> {
            List<FlowEvent> events = new ArrayList<>();
            try (PreparedStatement ps = READS.computeIfAbsent(sql, NumberedStatement::new)
                    .prepare(connection, parameters.toArray());
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    events.add(row(rs));
                }
            }
            return events;
        });
    }

    private static FlowEvent row(ResultSet rs) throws SQLException {
        String data = rs.getString(9);
        Number attempt = (Number) rs.getObject(8);
        return FlowEvent.stored(rs.getLong(1), rs.getString(2), rs.getString(3),
                rs.getObject(4, OffsetDateTime.class).toInstant(), rs.getString(5), rs.getString(6), rs.getString(7),
                attempt == null ? null : attempt.intValue(), data == null ? null : Json.parse("data", data));
    }

    private boolean cursorExists(String runId, long afterId) {
        Number count = (Number) em.createNativeQuery(CURSOR_EXISTS)
                .setParameter("after", afterId)
                .setParameter("runId", runId)
                .getSingleResult();
        return count.longValue() > 0;
    }

    private static NewFlowEvent stamp(NewFlowEvent event, Instant now) {
        return event.ts() == null ? event.at(now) : event;
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    private Session session() {
        return em.unwrap(Session.class);
    }

    private static void freeAll(List<Array> arrays) throws SQLException {
        for (Array a : arrays) {
            a.free();
        }
    }

}
