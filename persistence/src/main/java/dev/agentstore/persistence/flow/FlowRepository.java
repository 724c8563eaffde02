package dev.agentstore.persistence.flow;

import dev.agentstore.persistence.support.AbstractRepository;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.flow.Flow;
import dev.agentstore.domain.flow.FlowOrder;
import dev.agentstore.domain.flow.FlowStat;
import dev.agentstore.domain.flow.FlowStats;
import dev.agentstore.persistence.support.IncrementCombiner;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.SingleStatement;
import dev.agentstore.persistence.support.Sql;
import jakarta.enterprise.context.ApplicationScoped;
import org.jdbi.v3.core.mapper.RowMapper;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

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
 * <p>Runs in the caller's transaction; never begins or commits one. The statements run through {@link Sql} on the
 * unit of work's connection ({@link Flow} is read-only to JPA: these methods are the way to change a flow), and
 * every flow handed out is a copy built from a row. Through {@code store.flows()} each call is its own unit of work;
 * {@link #incrementStat} runs in autocommit mode ({@link SingleStatement}).
 * Every registration of an existing flow adds 1 to its {@code version}; counter moves do not.
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
public class FlowRepository extends AbstractRepository {

    /** Every column of a flow, as {@link #FLOW} reads them; for {@code SELECT} and {@code RETURNING}. */
    private static final String COLUMNS = """
            name, display_name, flow_version, registered_at, last_run_at, stats_total, stats_success, stats_failure,
                   stats_running, stats_awaiting, stats_cancelled, version, updated_at""";

    /** Insert, or update display name and version keeping stats and {@code registered_at}. */
    private static final String REGISTER = """
            INSERT INTO flows (name, display_name, flow_version, registered_at, updated_at)
            VALUES (:name, CAST(:displayName AS varchar), :flowVersion, :registeredAt, :now)
            ON CONFLICT (name) DO UPDATE
               SET display_name = EXCLUDED.display_name,
                   flow_version = EXCLUDED.flow_version,
                   version      = flows.version + 1,
                   updated_at   = EXCLUDED.updated_at
            RETURNING\s""" + COLUMNS + "\n";

    private static final String SELECT = "SELECT " + COLUMNS + "\n  FROM flows WHERE name = :name";

    private static final String SELECT_FOR_UPDATE = SELECT + " FOR UPDATE";

    private static final String LIST = "SELECT " + COLUMNS + "\n  FROM flows\n ORDER BY %s\n LIMIT :limit OFFSET :offset\n";

    /** The listing per order: fixed text, never user input. */
    private static final Map<FlowOrder, String> LIST_BY_ORDER = new EnumMap<>(Map.of(
            FlowOrder.LAST_RUN, LIST.formatted("last_run_at DESC NULLS LAST, name"),
            FlowOrder.REGISTERED_NEWEST_FIRST, LIST.formatted("registered_at DESC, name"),
            FlowOrder.REGISTERED_OLDEST_FIRST, LIST.formatted("registered_at, name"),
            FlowOrder.NAME, LIST.formatted("name COLLATE \"C\"")));

    private static final String COUNT = "SELECT count(*) FROM flows";

    private static final String DELETE = "DELETE FROM flows WHERE name = :name";

    /** Locks a flow's row and reads its version, to compare with the version a write expects. */
    private static final String LOCK_VERSION = "SELECT version FROM flows WHERE name = :name FOR UPDATE";

    /**
     * {@code %1$s} is a column name from {@link #column(FlowStat)}, never user input; the WHERE keeps it ≥ 0. A
     * counter move is relative and leaves the flow's {@code version} alone (see the class description).
     */
    private static final String INCREMENT = """
            UPDATE flows
               SET %1$s = %1$s + :delta, updated_at = :now
             WHERE name = :name AND %1$s + :delta >= 0
            RETURNING %1$s
            """;

    /** A counter's value, to explain an increment that wrote nothing. */
    private static final String STAT = "SELECT %1$s FROM flows WHERE name = :name";

    /** The entity name in {@link ReadVersions} and conflict messages. */
    private static final String ENTITY = "Flow";
    /** Records the versions of what this class hands out and writes ({@link ReadVersions}). */
    private static final ReadVersions.Entity<Flow> VERSIONS =
            new ReadVersions.Entity<>(ENTITY, Flow::name, Flow::version);

    /** Combines concurrent per-call increments of one counter (autocommit mode) into one statement. */
    private static final IncrementCombiner INCREMENTS = new IncrementCombiner();

    private static final Map<FlowStat, String> INCREMENT_BY_STAT = new EnumMap<>(FlowStat.class);

    private static final Map<FlowStat, String> STAT_BY_STAT = new EnumMap<>(FlowStat.class);

    static {
        for (FlowStat stat : FlowStat.values()) {
            INCREMENT_BY_STAT.put(stat, INCREMENT.formatted(column(stat)));
            STAT_BY_STAT.put(stat, STAT.formatted(column(stat)));
        }
    }

    /** Maps a row with {@link #COLUMNS}. */
    private static final RowMapper<Flow> FLOW = (rs, ctx) -> flow(rs);

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
     * As {@link #register(String, String, int)}, with the caller's registration time for a flow registered now (for
     * example imported from another store); a flow that is already registered keeps its {@code registeredAt}.
     *
     * @param name         the flow's name, 1–255 characters, not blank
     * @param displayName  a human-readable name, up to 255 characters, or {@code null}
     * @param flowVersion  the definition's version, 1 or more
     * @param registeredAt when it was registered, or {@code null} for the store's clock
     * @return the flow as stored
     * @throws InvalidInputException                              when a parameter is invalid; nothing is written
     * @throws dev.agentstore.domain.ConcurrencyConflictException as for {@link #register(String, String, int)}
     */
    public Flow register(String name, String displayName, int flowVersion, Instant registeredAt) {
        Flow valid = new Flow(name, displayName, flowVersion, registeredAt == null ? clock.instant() : registeredAt);
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
        return find("get Flow name=" + name + " for update", SELECT_FOR_UPDATE, name);
    }

    private Flow register(Flow valid, OptionalLong expected) {
        String name = valid.name();
        String context = "register Flow name=" + name;
        if (expected.isPresent()) {
            long actual = Sql.call(em, context, h -> h.createQuery(LOCK_VERSION)
                            .bind("name", name)
                            .mapTo(long.class)
                            .findOne())
                    .orElseThrow(() -> new NotFoundException(ENTITY, name));
            if (actual != expected.getAsLong()) {
                throw ReadVersions.conflict(ENTITY, name, expected.getAsLong(), actual);
            }
        }
        return VERSIONS.wrote(em, Sql.call(em, context, h -> h.createQuery(REGISTER)
                .bind("name", valid.name())
                .bind("displayName", valid.displayName())
                .bind("flowVersion", valid.flowVersion())
                .bind("registeredAt", valid.registeredAt())
                .bind("now", clock.instant())
                .map(FLOW)
                .one()));
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
        return find("get Flow name=" + name, SELECT, name);
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
        return list(FlowOrder.LAST_RUN, page);
    }

    /**
     * Lists flows in the caller's order ({@link FlowOrder}: last run, registration time either way, or name; ties by
     * name), in two queries (the page and the count).
     *
     * @param order the order
     * @param page  which page
     * @return the page, with the total number of flows
     * @throws InvalidInputException when a parameter is {@code null}
     */
    public Page<Flow> list(FlowOrder order, PageRequest page) {
        Check.notNull("order", order);
        Check.notNull("page", page);
        List<Flow> items = page.offset() > Integer.MAX_VALUE ? List.of() : Sql.call(em, "list Flows", h -> h
                .createQuery(LIST_BY_ORDER.get(order))
                .bind("limit", page.perPage())
                .bind("offset", page.offset())
                .map(FLOW)
                .list());
        items.forEach(x -> VERSIONS.read(em, x));
        long total = Sql.call(em, "list Flows", h -> h.createQuery(COUNT).mapTo(long.class).one());
        return Page.of(items, page.page(), page.perPage(), total);
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
        return Sql.call(em, "delete Flow name=" + name, h -> h.createUpdate(DELETE).bind("name", name).execute()) > 0;
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
        String context = "increment " + stat.field() + " of Flow name=" + name;
        Long value = Sql.call(em, context, h -> INCREMENTS.increment(
                List.of(em.getEntityManagerFactory(), name, stat), delta, Sql.autoCommit(h),
                (sum, increments) -> h.createQuery(INCREMENT_BY_STAT.get(stat))
                        .bind("delta", sum)
                        .bind("name", name)
                        .bind("now", clock.instant())
                        .mapTo(Long.class)
                        .findOne()
                        .orElse(null)));
        if (value != null) {
            return value;
        }
        long current = Sql.call(em, context, h -> h.createQuery(STAT_BY_STAT.get(stat))
                        .bind("name", name)
                        .mapTo(Long.class)
                        .findOne())
                .orElseThrow(() -> new NotFoundException("Flow", "name=" + name));
        throw new InvalidInputException(stat.field() + " of Flow name=" + name + " must not go below 0: is "
                + current + ", delta " + delta);
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

    /** Reads a flow with {@code sql} ({@link #SELECT} or {@link #SELECT_FOR_UPDATE}) and remembers its version. */
    private Optional<Flow> find(String context, String sql, String name) {
        return Sql.call(em, context, h -> h.createQuery(sql).bind("name", name).map(FLOW).findOne())
                .map(x -> VERSIONS.read(em, x));
    }

    private static Flow flow(ResultSet rs) throws SQLException {
        return Flow.restore(rs.getString("name"), rs.getString("display_name"), rs.getInt("flow_version"),
                Sql.instant(rs, "registered_at"), Sql.instant(rs, "last_run_at"),
                new FlowStats(rs.getLong("stats_total"), rs.getLong("stats_success"), rs.getLong("stats_failure"),
                        rs.getLong("stats_running"), rs.getLong("stats_awaiting"), rs.getLong("stats_cancelled")),
                rs.getLong("version"), Sql.instant(rs, "updated_at"));
    }



    private ReadVersions versions() {
        return ReadVersions.of(em);
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
