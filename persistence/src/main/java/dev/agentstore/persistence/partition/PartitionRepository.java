package dev.agentstore.persistence.partition;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.partition.Partition;
import dev.agentstore.domain.partition.PartitionWidth;
import dev.agentstore.domain.partition.PartitionedTable;
import dev.agentstore.domain.partition.PruneResult;
import dev.agentstore.domain.partition.RetentionPolicy;
import dev.agentstore.persistence.support.AbstractRepository;
import dev.agentstore.persistence.support.Sql;
import jakarta.enterprise.context.ApplicationScoped;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Partition maintenance and retention of the time-partitioned tables ({@link PartitionedTable}: flow and trigger
 * events, spans, scores, LLM usage; PostgreSQL declarative range partitioning on a {@code timestamptz} column, each
 * table with a DEFAULT partition for rows no other partition covers).
 *
 * <ul>
 *   <li>{@link #createAhead} creates the partitions of the current period and of the periods ahead (days or months,
 *   UTC), moving rows that the DEFAULT partition holds for their range into them. Run it regularly (a scheduler job,
 *   daily) from any number of nodes: it is idempotent, and concurrent calls for one table wait for each other.</li>
 *   <li>{@link #prune} applies a {@link RetentionPolicy}: partitions wholly older than every cutoff of their table are
 *   dropped (a catalog change, whatever their size), and the rows of the other partitions that are past their cutoff
 *   are deleted in bounded statements.</li>
 * </ul>
 *
 * <p>A table that does not exist in the schema, or is not partitioned, is skipped. Both operations of one table
 * are serialised by a transaction-scoped advisory lock on that table ({@code pg_advisory_xact_lock}), taken in
 * {@link PartitionedTable} order, so concurrent calls cannot deadlock on each other; they need a transaction
 * (standalone, {@code store.partitions()} runs each call in its own; in a container the current JTA transaction),
 * and the locks and the DDL's own locks are held until it ends, so run them in a transaction of their own.
 *
 * <p>Locks taken on the tables: creating a partition attaches it ({@code ATTACH PARTITION}: SHARE UPDATE EXCLUSIVE
 * on the parent, so writers go on; ACCESS EXCLUSIVE on the DEFAULT partition while it is checked); dropping a
 * partition takes ACCESS EXCLUSIVE on the parent, which {@link #prune} takes last, after every delete, so writers wait
 * for the drops only. The store's {@code lockTimeout} bounds every wait.
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
public class PartitionRepository extends AbstractRepository {

    /** Most periods {@link #createAhead} creates partitions for in one call (the current one included). */
    public static final int MAX_PERIODS = 1_000;

    private static final Logger LOG = LoggerFactory.getLogger(PartitionRepository.class);

    /**
     * Creates, for every {@link PartitionedTable} that exists, the partitions of the period that holds the clock's
     * now and of the {@code periodsAhead} periods after it; see {@link #createAhead(PartitionedTable, PartitionWidth,
     * int)}.
     *
     * @param width        days or months
     * @param periodsAhead periods after the current one, 0–{@value #MAX_PERIODS} minus one
     * @return the partitions created, by table then time; empty when all existed
     * @throws dev.agentstore.domain.InvalidInputException when {@code width} is {@code null} or
     *                                                     {@code periodsAhead} is out of range
     */
    public List<Partition> createAhead(PartitionWidth width, int periodsAhead) {
        Check.notNull("width", width);
        Check.range("periodsAhead", periodsAhead, 0, MAX_PERIODS - 1);
        List<Partition> created = new ArrayList<>();
        for (PartitionedTable table : PartitionedTable.values()) {
            created.addAll(createAhead(table, width, periodsAhead));
        }
        return created;
    }

    /**
     * Creates the partitions of one table for the period that holds the clock's now and the {@code periodsAhead}
     * periods after it (UTC days or months), each named {@code <table>_pYYYYMMDD} after its first day. Parts of
     * those periods that existing partitions already cover are left alone (so a change of width takes effect in the
     * gaps, and a second call creates nothing). Rows that the DEFAULT partition holds for a new partition's range are
     * moved into it, in the same transaction, before it is attached.
     *
     * @param table        the table; skipped (empty result) when it does not exist or is not partitioned by a
     *                     {@code timestamptz} column
     * @param width        days or months
     * @param periodsAhead periods after the current one, 0–{@value #MAX_PERIODS} minus one
     * @return the partitions created, oldest first; empty when all existed
     * @throws dev.agentstore.domain.InvalidInputException when an argument is {@code null} or out of range
     */
    public List<Partition> createAhead(PartitionedTable table, PartitionWidth width, int periodsAhead) {
        Check.notNull("table", table);
        Check.notNull("width", width);
        Check.range("periodsAhead", periodsAhead, 0, MAX_PERIODS - 1);
        Instant now = clock.instant();
        return Sql.call(em, "create partitions of " + table.tableName(), h -> {
            Optional<String> schema = lockIfPartitioned(h, table);
            if (schema.isEmpty()) {
                return List.of();
            }
            List<Partition> existing = PartitionCatalog.partitions(h, table);
            Optional<Partition> defaultPartition = existing.stream().filter(Partition::isDefault).findFirst();
            List<Partition> created = new ArrayList<>();
            LocalDate period = width.periodOf(now);
            for (int i = 0; i <= periodsAhead; i++) {
                LocalDate next = width.next(period);
                for (Instant[] gap : PartitionCatalog.gaps(existing, midnight(period), midnight(next))) {
                    created.add(create(h, schema.get(), table, gap[0], gap[1], defaultPartition));
                }
                period = next;
            }
            return created;
        });
    }

    /**
     * @param table a table
     * @return its partitions, by lower bound, the DEFAULT partition last; empty when the table does not exist or is
     *         not partitioned
     * @throws dev.agentstore.domain.InvalidInputException when {@code table} is {@code null}
     */
    public List<Partition> partitions(PartitionedTable table) {
        Check.notNull("table", table);
        return Sql.call(em, "list partitions of " + table.tableName(), h -> PartitionCatalog.partitions(h, table));
    }

    /**
     * Applies a retention policy to the tables it names, with the clock's now: a row goes when it is older than its
     * age (see {@link RetentionPolicy}). For each table (that exists and is partitioned), in {@link PartitionedTable}
     * order:
     * <ol>
     *   <li>the partitions whose upper bound is at or before the earliest cutoff of the table (its own and its
     *   subject rules'; none when the table has no age of its own) are dropped whole, after every delete of the call;
     *   </li>
     *   <li>in every other partition that may hold rows past a cutoff (the DEFAULT partition included), those rows are
     *   deleted in statements of at most {@link RetentionPolicy#batchSize()} rows, until a statement deletes
     *   fewer.</li>
     * </ol>
     * The flow events' policy also applies to the run status changes ({@code flow_run_status_changes}, the change
     * feed's {@code RUN_STATUS} events, one unpartitioned table): by {@code changed_at}, with the table's age and the
     * per-flow rules (event-type rules match none), in the same bounded statements.
     * All in the caller's one transaction; the deletes touch at most the partitions that straddle a cutoff, so with
     * daily partitions a call deletes about a day of rows per cutoff.
     *
     * @param policy the policy
     * @return per table named by the policy and present: the partitions dropped and the rows deleted; and the run
     *         status changes deleted
     * @throws dev.agentstore.domain.InvalidInputException when {@code policy} is {@code null}
     */
    public PruneResult prune(RetentionPolicy policy) {
        Check.notNull("policy", policy);
        Instant now = clock.instant();
        return Sql.call(em, "prune partitioned tables", h -> {
            List<Retention> plans = new ArrayList<>();
            for (PartitionedTable table : policy.tables()) {
                Optional<String> schema = lockIfPartitioned(h, table);
                if (schema.isPresent()) {
                    Retention plan = new Retention(schema.get(), table, policy, now);
                    plan.delete(h, PartitionCatalog.partitions(h, table));
                    plan.deleteRunStatusChanges(h);
                    plans.add(plan);
                }
            }
            List<PruneResult.Table> results = new ArrayList<>();
            long statusChanges = 0;
            for (Retention plan : plans) {
                results.add(plan.dropAndReport(h));
                statusChanges += plan.statusChangesDeleted();
            }
            return new PruneResult(results, statusChanges);
        });
    }

    /**
     * @return the table's schema after taking its lock, or empty (no lock taken) when it is missing or not partitioned
     *         by a timestamptz column
     */
    private static Optional<String> lockIfPartitioned(Handle h, PartitionedTable table) throws SQLException {
        Optional<String> schema = PartitionCatalog.schemaOf(h, table);
        if (schema.isPresent()) {
            Sql.requireTransaction(h);
            h.createQuery(PartitionSql.LOCK).bind("table", table.tableName()).mapTo(int.class).one();
        }
        return schema;
    }

    private static Partition create(Handle h, String schema, PartitionedTable table, Instant from, Instant to,
                                    Optional<Partition> defaultPartition) {
        String name = PartitionSql.partitionName(table, from);
        h.execute(PartitionSql.createLike(schema, name, table));
        if (defaultPartition.isPresent()) {
            String columns = h.createQuery(PartitionSql.COLUMNS).bind("table", table.tableName())
                    .mapTo(String.class).one();
            int moved = h.createUpdate(PartitionSql.moveFromDefault(schema, defaultPartition.get().name(), name, table,
                            columns))
                    .bind("from", from)
                    .bind("to", to)
                    .execute();
            if (moved > 0) {
                LOG.info("agentstore: moved {} row(s) of {} from {} into the new partition {}", moved,
                        table.tableName(), defaultPartition.get().name(), name);
            }
        }
        h.execute(PartitionSql.attach(schema, table, name, from, to));
        return new Partition(table, name, from, to, false);
    }

    private static Instant midnight(LocalDate day) {
        return day.atStartOfDay(ZoneOffset.UTC).toInstant();
    }
}
