package dev.agentstore.persistence.flow;

import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.flow.Flow;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.domain.flow.FlowStat;
import dev.agentstore.persistence.support.IncrementCombiner;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import dev.agentstore.persistence.support.NumberedStatement;
import dev.agentstore.persistence.support.PersistenceErrors;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.SingleStatement;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.transaction.Transactional;
import org.hibernate.Session;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * The flow registry: register, read, list, delete, and atomic counters.
 *
 * <p>Counters change only by single-statement SQL increments ({@code stats_x = stats_x + ?}), never by
 * read-modify-write, so concurrent increments are never lost. The run lifecycle keeps them consistent:
 * {@link FlowRunRepository} moves them in the caller's transaction (one {@code UPDATE flows}, alone or inside the
 * run's own write statement) when a run of a registered flow starts
 * ({@code total + 1}, {@code running + 1}, {@code lastRunAt} moves forward), changes status (the old status's gauge
 * − 1, the new status's counter + 1: {@code running}/{@code awaiting}, {@code success}, {@code failure},
 * {@code cancelled}) or is deleted while active (its gauge − 1). Runs of a flow not registered at that moment are not
 * counted. Gauges are clamped at 0.
 *
 * <p><b>Read-modify-write.</b> A flow that a unit of work read ({@link #get}, {@link #list}, {@link #getForUpdate},
 * or its own earlier {@link #register}) is re-registered by {@link #register} only if it
 * still has the version read ({@link ReadVersions}): the write locks the row, compares, and fails with a
 * {@link dev.agentstore.domain.ConcurrencyConflictException} carrying both versions when another transaction
 * changed the flow in between, so a {@code flowVersion + 1} computed from a read is never lost;
 * {@code fromTransactionWithRetry} re-runs the unit of work. {@link #getForUpdate} locks the row at the read
 * instead, so concurrent writers queue (for hot rows). Callers outside a unit of work pass the version they read
 * ({@link #register(String, String, int, long)}). A registration of a flow the unit of work has not read is the
 * one-statement upsert, unchecked (a put). {@link #incrementStat} and the run lifecycle's counter moves are
 * relative to the stored counters: they are not checked and do not change the flow's {@code version}, which guards
 * what a caller writes from a read (display name and definition version), so a busy flow's runs never make its
 * re-registration conflict; {@link #delete} is not checked either.
 *
 * <p>Runs in the caller's transaction; never begins or commits one. Flows handed out are detached snapshots. Through
 * {@code store.flows()} each call is its own unit of work; {@link #incrementStat} runs in autocommit mode
 * ({@link SingleStatement}).
 * Every registration of an existing flow adds 1 to its {@code version}; counter moves do not.
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
@Transactional(dontRollbackOn = AgentStoreException.class)
public class FlowRepository {

    /** Insert, or update display name and version keeping stats and {@code registered_at}. */
    private static final String REGISTER = """
            INSERT INTO flows (name, display_name, flow_version, registered_at, updated_at)
            VALUES (?1, CAST(?2 AS varchar), ?3, ?4, ?4)
            ON CONFLICT (name) DO UPDATE
               SET display_name = EXCLUDED.display_name,
                   flow_version = EXCLUDED.flow_version,
                   version      = flows.version + 1,
                   updated_at   = EXCLUDED.updated_at
            RETURNING version
            """;

    /**
     * {@code %1$s} is a column name from {@link #column(FlowStat)}, never user input; the WHERE keeps it ≥ 0. A
     * counter move is relative and leaves the flow's {@code version} alone (see the class description).
     */
    private static final String INCREMENT = """
            UPDATE flows
               SET %1$s = %1$s + ?1, updated_at = ?3
             WHERE name = ?2 AND %1$s + ?1 >= 0
            RETURNING %1$s
            """;

    /**
     * One statement moves every counter of a run lifecycle event; gauges are clamped at 0. Run alone
     * ({@link #runChanged}) and as the {@code stats} query of {@link FlowRunRepository}'s single-statement writes,
     * which append {@code AND EXISTS (SELECT 1 FROM run)}; its nine JDBC parameters are bound by
     * {@link #bindRunStats}.
     */
    static final String RUN_STATS = """
            UPDATE flows
               SET stats_total     = stats_total + ?,
                   stats_success   = stats_success + ?,
                   stats_failure   = stats_failure + ?,
                   stats_running   = greatest(stats_running + ?, 0),
                   stats_awaiting  = greatest(stats_awaiting + ?, 0),
                   stats_cancelled = stats_cancelled + ?,
                   last_run_at     = greatest(last_run_at, CAST(? AS timestamptz)),
                   updated_at      = ?
             WHERE name = ?
            """;

    private static final String DELETE = "DELETE FROM flows WHERE name = ?1";

    /** Locks a flow's row and reads its version, to compare with the version a write expects. */
    private static final String LOCK_VERSION = "SELECT version FROM flows WHERE name = ?1 FOR UPDATE";

    /** The entity name in {@link ReadVersions} and conflict messages. */
    private static final String ENTITY = "Flow";

    /** Combines concurrent per-call increments of one counter (autocommit mode) into one statement. */
    private static final IncrementCombiner INCREMENTS = new IncrementCombiner();

    private static final Map<FlowStat, NumberedStatement> INCREMENT_BY_STAT = new EnumMap<>(FlowStat.class);

    static {
        for (FlowStat stat : FlowStat.values()) {
            INCREMENT_BY_STAT.put(stat, new NumberedStatement(INCREMENT.formatted(column(stat))));
        }
    }

    @PersistenceContext(unitName = "agentstore")
    private EntityManager em;
    @Inject
    private Clock clock;

    /** For CDI's proxy; the container injects the entity manager. */
    protected FlowRepository() {
    }

    /**
     * Standalone use: a repository bound to one entity manager (one transaction).
     *
     * @param em    the transaction's entity manager
     * @param clock where the time comes from
     */
    public FlowRepository(EntityManager em, Clock clock) {
        this.em = em;
        this.clock = clock;
    }

    /**
     * Registers a flow, or updates the display name and version of a registered one,
     * in one {@code INSERT ... ON CONFLICT DO UPDATE} statement: counters, {@code registeredAt} and
     * {@code lastRunAt} of an existing flow are kept. When this unit of work read the flow, it is re-registered only
     * if it still has the version read (see the class description).
     *
     * @param name        the flow's name, 1–255 characters, not blank
     * @param displayName a human-readable name, up to 255 characters, or {@code null}
     * @param flowVersion the definition's version, 1 or more
     * @return the flow as stored
     * @throws InvalidInputException                              when a parameter is invalid; nothing is written
     * @throws NotFoundException                                  when this unit of work read the flow and it was
     *                                                            deleted since
     * @throws dev.agentstore.domain.ConcurrencyConflictException when this unit of work read the flow and another
     *                                                            transaction changed it since (it carries both
     *                                                            versions); nothing is written
     */
    public Flow register(String name, String displayName, int flowVersion) {
        Flow valid = new Flow(name, displayName, flowVersion, clock.instant());
        return register(valid, versions().expected(ENTITY, name));
    }

    /**
     * As {@link #register(String, String, int)} for a registered flow, only if it still has {@code expectedVersion}
     * (compare-and-set, for callers that read the flow in an earlier unit of work, or outside any). Locks the flow's
     * row to compare.
     *
     * @param name            the flow's name
     * @param displayName     a human-readable name, up to 255 characters, or {@code null}
     * @param flowVersion     the definition's version, 1 or more
     * @param expectedVersion the version the caller read ({@link Flow#version()})
     * @return the flow as stored
     * @throws InvalidInputException                              when a parameter is invalid; nothing is written
     * @throws NotFoundException                                  when the flow is not registered
     * @throws dev.agentstore.domain.ConcurrencyConflictException when the flow's version is not
     *                                                            {@code expectedVersion} (it carries both versions);
     *                                                            nothing is written
     */
    public Flow register(String name, String displayName, int flowVersion, long expectedVersion) {
        Flow valid = new Flow(name, displayName, flowVersion, clock.instant());
        Check.notNegative("expectedVersion", expectedVersion);
        return register(valid, OptionalLong.of(expectedVersion));
    }

    /**
     * Reads a flow and locks its row ({@code SELECT ... FOR UPDATE}) until the transaction ends, so that writers of
     * the flow queue behind this unit of work instead of failing its later write with a conflict: the form for hot
     * rows. Needs a transaction (a unit of work, or a container transaction); called through {@code store.flows()}
     * the lock ends with the call.
     *
     * @param name the flow's name
     * @return the flow, or empty when it is not registered
     * @throws InvalidInputException when {@code name} is blank or longer than 255 characters
     */
    public Optional<Flow> getForUpdate(String name) {
        Check.name("name", name);
        return db("get Flow name=" + name + " for update", () -> {
            List<?> rows = em.createNativeQuery(LOCK_VERSION).setParameter(1, name).getResultList();
            return rows.isEmpty() ? Optional.<Flow>empty()
                    : Optional.of(read(load(name, ((Number) rows.get(0)).longValue())));
        });
    }

    private Flow register(Flow valid, OptionalLong expected) {
        String name = valid.name();
        return db("register Flow name=" + name, () -> {
            if (expected.isPresent()) {
                ReadVersions.requireVersion(em, LOCK_VERSION, ENTITY, name, expected.getAsLong());
            }
            long version = ((Number) em.createNativeQuery(REGISTER)
                    .setParameter(1, valid.name())
                    .setParameter(2, valid.displayName())
                    .setParameter(3, valid.flowVersion())
                    .setParameter(4, valid.registeredAt())
                    .getSingleResult()).longValue();
            return wrote(load(name, version));
        });
    }

    /**
     * Reads a flow. In a unit of work, the version read is remembered: a later {@link #register} of the flow in the
     * same unit of work writes only if the flow still has that version (see the class description).
     *
     * @param name the flow's name
     * @return the flow, or empty when it is not registered
     * @throws InvalidInputException when {@code name} is blank or longer than 255 characters
     */
    public Optional<Flow> get(String name) {
        Check.name("name", name);
        return db("get Flow name=" + name,
                () -> Optional.ofNullable(detach(em.find(Flow.class, name))).map(this::read));
    }

    /**
     * Lists flows, most recently run first ({@code lastRunAt} descending, never-run flows last, then by name), in two
     * queries (the page and the count).
     *
     * @param page which page
     * @return the page, with the total number of flows
     * @throws InvalidInputException when {@code page} is {@code null}
     */
    public Page<Flow> list(PageRequest page) {
        Check.notNull("page", page);
        return db("list Flows", () -> {
            List<Flow> items = page.offset() > Integer.MAX_VALUE ? List.of()
                    : em.createQuery("SELECT f FROM Flow f ORDER BY f.lastRunAt DESC NULLS LAST, f.name", Flow.class)
                    .setFirstResult((int) page.offset())
                    .setMaxResults(page.perPage())
                    .getResultList();
            items.forEach(flow -> read(detach(flow)));
            long total = em.createQuery("SELECT count(f) FROM Flow f", Long.class).getSingleResult();
            return Page.of(items, page.page(), page.perPage(), total);
        });
    }

    /**
     * Deletes a flow. Its runs and events are kept.
     *
     * @param name the flow's name
     * @return whether a flow was deleted
     * @throws InvalidInputException when {@code name} is blank or longer than 255 characters
     */
    public boolean delete(String name) {
        Check.name("name", name);
        return db("delete Flow name=" + name,
                () -> em.createNativeQuery(DELETE).setParameter(1, name).executeUpdate() > 0);
    }

    /**
     * Adds {@code delta} to a counter in one statement ({@code UPDATE ... SET stats_x = stats_x + ? ... RETURNING}),
     * so a concurrent increment is never lost.
     *
     * <p>Through {@code store.flows()} (autocommit mode), concurrent positive increments of one counter are combined:
     * while one statement runs, the calls that arrive wait and then go in one statement together, each getting its
     * own value, as if they had run one after another (see {@link IncrementCombiner}). One increment of a hot counter
     * then no longer costs one WAL flush each. Inside a unit of work or a container transaction each call is its
     * own statement.
     *
     * @param name  the flow's name
     * @param stat  the counter
     * @param delta what to add; negative to decrement
     * @return the counter's new value
     * @throws InvalidInputException when a parameter is invalid, or the counter would go below 0 (nothing is then
     *                               written)
     * @throws NotFoundException     when the flow is not registered
     */
    @SingleStatement
    public long incrementStat(String name, FlowStat stat, long delta) {
        Check.name("name", name);
        Check.notNull("stat", stat);
        return db("increment " + stat.field() + " of Flow name=" + name, () -> {
            // plain JDBC: Hibernate's native-query result mapping reads the result set metadata on every call, which
            // cost this hot single-row statement more client CPU than the statement itself
            Long value = em.unwrap(Session.class).doReturningWork(connection -> INCREMENTS.increment(
                    List.of(em.getEntityManagerFactory(), name, stat), delta, connection.getAutoCommit(),
                    (sum, increments) -> increment(connection, stat, sum, name)));
            if (value == null) {
                Flow flow = detach(em.find(Flow.class, name));
                if (flow == null) {
                    throw new NotFoundException("Flow", "name=" + name);
                }
                throw new InvalidInputException(stat.field() + " of Flow name=" + name + " must not go below 0: is "
                        + flow.stat(stat) + ", delta " + delta);
            }
            return value;
        });
    }

    /**
     * As {@link #incrementStat(String, FlowStat, long)}, with the counter named by its field
     * path ({@code stats.total}, {@code stats.success}, … see {@link FlowStat#fromField}).
     *
     * @param name  the flow's name
     * @param field the counter's field name
     * @param delta what to add; negative to decrement
     * @return the counter's new value
     * @throws InvalidInputException when {@code field} names no counter (for example {@code displayName}), another
     *                               parameter is invalid, or the counter would go below 0
     * @throws NotFoundException     when the flow is not registered
     */
    @SingleStatement
    public long incrementStat(String name, String field, long delta) {
        return incrementStat(name, FlowStat.fromField(field), delta);
    }

    /**
     * Moves the counters of a flow for one run lifecycle event, in one statement; does nothing when the flow is not
     * registered.
     *
     * @param flowName  the run's flow
     * @param from      the run's status before, or {@code null} for a new run
     * @param to        the run's status after, or {@code null} for a deleted run
     * @param startedAt the new run's start time, moving {@code lastRunAt} forward, or {@code null}
     */
    void runChanged(String flowName, FlowRunStatus from, FlowRunStatus to, Instant startedAt) {
        if (movesStats(from, to, startedAt)) {
            Instant now = clock.instant();
            em.unwrap(Session.class).doWork(connection -> {
                try (PreparedStatement ps = connection.prepareStatement(RUN_STATS)) {
                    bindRunStats(ps, 1, flowName, from, to, startedAt, now);
                    ps.executeUpdate();
                }
            });
        }
    }

    /**
     * @param from      the run's status before, or {@code null} for a new run
     * @param to        the run's status after, or {@code null} for a deleted run
     * @param startedAt the new run's start time, or {@code null}
     * @return whether the event moves any counter or {@code lastRunAt} (a move between two terminal statuses, or a
     *         deleted terminal run, moves nothing)
     */
    static boolean movesStats(FlowRunStatus from, FlowRunStatus to, Instant startedAt) {
        return startedAt != null || deltas(from, to).values().stream().anyMatch(d -> d != 0);
    }

    /**
     * Binds the nine parameters of {@link #RUN_STATS} for one run lifecycle event: the status left loses 1 from its
     * gauge (a terminal status keeps its history counter), the status entered gains 1, a new run counts in
     * {@code total}.
     *
     * @param ps        a statement whose SQL contains {@link #RUN_STATS}
     * @param first     the index of {@link #RUN_STATS}'s first parameter in that SQL
     * @param flowName  the run's flow
     * @param from      the run's status before, or {@code null} for a new run
     * @param to        the run's status after, or {@code null} for a deleted run
     * @param startedAt the new run's start time, moving {@code lastRunAt} forward, or {@code null}
     * @param now       the flow's {@code updatedAt}
     * @throws SQLException when the driver refuses a value
     */
    static void bindRunStats(PreparedStatement ps, int first, String flowName, FlowRunStatus from, FlowRunStatus to,
                             Instant startedAt, Instant now) throws SQLException {
        Map<FlowStat, Long> delta = deltas(from, to);
        int i = first;
        for (FlowStat stat : List.of(FlowStat.TOTAL, FlowStat.SUCCESS, FlowStat.FAILURE, FlowStat.RUNNING,
                FlowStat.AWAITING, FlowStat.CANCELLED)) {
            ps.setLong(i++, delta.get(stat));
        }
        if (startedAt == null) {
            ps.setNull(i++, Types.TIMESTAMP_WITH_TIMEZONE);
        } else {
            ps.setObject(i++, startedAt.atOffset(ZoneOffset.UTC));
        }
        ps.setObject(i++, now.atOffset(ZoneOffset.UTC));
        ps.setString(i, flowName);
    }

    private static Map<FlowStat, Long> deltas(FlowRunStatus from, FlowRunStatus to) {
        Map<FlowStat, Long> delta = new EnumMap<>(FlowStat.class);
        for (FlowStat s : FlowStat.values()) {
            delta.put(s, 0L);
        }
        if (from == null) {
            delta.merge(FlowStat.TOTAL, 1L, Long::sum);
        } else if (!from.isTerminal()) {
            delta.merge(from.stat(), -1L, Long::sum);
        }
        if (to != null) {
            delta.merge(to.stat(), 1L, Long::sum);
        }
        return delta;
    }

    private Flow load(String name, long version) {
        Flow flow = em.find(Flow.class, name);
        if (flow.version() != version) {
            em.refresh(flow); // a copy loaded earlier in this persistence context
        }
        return detach(flow);
    }

    private <T> T detach(T entity) {
        if (entity != null) {
            em.detach(entity);
        }
        return entity;
    }

    /**
     * Runs one (possibly combined) increment. {@code version[0]} gets the flow's version after it; it is read only
     * when the statement ran for this call alone (in a transaction, see {@link IncrementCombiner}).
     */
    private Long increment(Connection connection, FlowStat stat, long delta, String name) throws SQLException {
        try (PreparedStatement ps = INCREMENT_BY_STAT.get(stat).prepare(connection, delta, name, clock.instant());
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getLong(1) : null;
        }
    }

    /** Remembers the version of a flow handed out in this transaction ({@link ReadVersions}). */
    private Flow read(Flow flow) {
        versions().read(ENTITY, flow.name(), flow.version());
        return flow;
    }

    /** Moves the remembered version of a flow this transaction read to the version its own write left. */
    private Flow wrote(Flow flow) {
        versions().wrote(ENTITY, flow.name(), flow.version());
        return flow;
    }

    private ReadVersions versions() {
        return ReadVersions.of(em);
    }

    private static <T> T db(String context, Supplier<T> work) {
        try {
            return work.get();
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate(context, e);
        }
    }

    private static String column(FlowStat stat) {
        return switch (stat) {
            case TOTAL -> "stats_total";
            case SUCCESS -> "stats_success";
            case FAILURE -> "stats_failure";
            case RUNNING -> "stats_running";
            case AWAITING -> "stats_awaiting";
            case CANCELLED -> "stats_cancelled";
        };
    }
}
