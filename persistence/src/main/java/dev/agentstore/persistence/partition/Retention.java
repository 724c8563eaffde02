package dev.agentstore.persistence.partition;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.partition.Partition;
import dev.agentstore.domain.partition.PartitionedTable;
import dev.agentstore.domain.partition.PruneResult;
import dev.agentstore.domain.partition.RetentionPolicy;
import dev.agentstore.domain.partition.RetentionPolicy.SubjectRule;
import dev.agentstore.persistence.support.Sql;
import org.jdbi.v3.core.Handle;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One table's retention in a {@link PartitionRepository#prune} call: its cutoffs, the bounded deletes in the
 * partitions it cannot drop, then the drops. The flow events' retention also deletes the run status changes
 * ({@link #deleteRunStatusChanges}).
 */
final class Retention {

    private final String schema;
    private final PartitionedTable table;
    private final int batchSize;
    /** Rows no rule matches go before this; {@code null}: they are kept. */
    private final Instant tableCutoff;
    private final List<SubjectRule> rules;
    private final List<Instant> ruleCutoffs = new ArrayList<>();
    /** Partitions ending at or before this are dropped whole; {@code null}: none is. */
    private final Instant dropCutoff;
    /** No row at or after this goes. */
    private final Instant latestCutoff;
    private final List<String> toDrop = new ArrayList<>();
    private long rowsDeleted;
    private long statusChangesDeleted;

    Retention(String schema, PartitionedTable table, RetentionPolicy policy, Instant now) {
        this.schema = schema;
        this.table = table;
        this.batchSize = policy.batchSize();
        this.tableCutoff = policy.age(table).map(age -> cutoff(now, age)).orElse(null);
        this.rules = policy.rules(table);
        Instant earliest = tableCutoff;
        Instant latest = tableCutoff;
        for (SubjectRule rule : rules) {
            Instant cutoff = cutoff(now, rule.age());
            ruleCutoffs.add(cutoff);
            earliest = earliest == null || cutoff.isBefore(earliest) ? cutoff : earliest;
            latest = latest == null || cutoff.isAfter(latest) ? cutoff : latest;
        }
        this.dropCutoff = tableCutoff == null ? null : earliest;
        this.latestCutoff = latest;
    }

    /**
     * Picks the partitions to drop and deletes, in bounded statements, the rows past their cutoff in every other
     * partition that may hold some.
     */
    void delete(Handle h, List<Partition> partitions) {
        for (Partition p : partitions) {
            if (!p.isDefault() && p.to() != null && dropCutoff != null && !p.to().isAfter(dropCutoff)) {
                toDrop.add(p.name());
            } else if (latestCutoff != null && (p.isDefault() || p.from() == null || p.from().isBefore(latestCutoff))) {
                rowsDeleted += deleteInBatches(h, PartitionSql.deleteBatch(schema, p.name(), table, latestCutoff,
                        tableCutoff, rules, ruleCutoffs, batchSize));
            }
        }
    }

    /**
     * For the flow events only: deletes, in bounded statements, the run status changes ({@code
     * flow_run_status_changes}, one table, not partitioned) past the same cutoffs by {@code changed_at}: a flow's
     * rule, else the table's age; event-type rules match no status change. Nothing when the table is missing.
     */
    void deleteRunStatusChanges(Handle h) {
        if (table != PartitionedTable.FLOW_EVENTS || !h.createQuery(PartitionSql.EXISTS)
                .bind("table", PartitionSql.RUN_STATUS_CHANGES).mapTo(boolean.class).one()) {
            return;
        }
        List<SubjectRule> flowRules = new ArrayList<>();
        List<Instant> flowCutoffs = new ArrayList<>();
        Instant latest = tableCutoff;
        for (int i = 0; i < rules.size(); i++) {
            if (rules.get(i).column().equals("flow_name")) {
                flowRules.add(rules.get(i));
                flowCutoffs.add(ruleCutoffs.get(i));
                latest = latest == null || ruleCutoffs.get(i).isAfter(latest) ? ruleCutoffs.get(i) : latest;
            }
        }
        if (latest != null) {
            statusChangesDeleted += deleteInBatches(h, PartitionSql.deleteBatch(schema, PartitionSql.RUN_STATUS_CHANGES,
                    "changed_at", latest, tableCutoff, flowRules, flowCutoffs, batchSize));
        }
    }

    /** Runs a bounded {@code DELETE} until a statement deletes fewer than {@link #batchSize} rows; the rows deleted. */
    private long deleteInBatches(Handle h, PartitionSql.Statement delete) {
        return Sql.deleteInBatches(() -> h.createUpdate(delete.sql()).bindMap(delete.values()).execute(), batchSize);
    }

    /** @return the run status changes {@link #deleteRunStatusChanges} deleted */
    long statusChangesDeleted() {
        return statusChangesDeleted;
    }

    /** Drops the partitions picked by {@link #delete}; the caller runs this after every table's deletes. */
    PruneResult.Table dropAndReport(Handle h) {
        for (String partition : toDrop) {
            h.execute(PartitionSql.drop(schema, partition));
        }
        return new PruneResult.Table(table, List.copyOf(toDrop), rowsDeleted);
    }

    /** @return {@code now - age}, or the earliest instant PostgreSQL stores for an age beyond it */
    private static Instant cutoff(Instant now, Duration age) {
        Duration room = Duration.between(Check.MIN_TIMESTAMP, now);
        return age.compareTo(room) >= 0 ? Check.MIN_TIMESTAMP : now.minus(age);
    }
}
