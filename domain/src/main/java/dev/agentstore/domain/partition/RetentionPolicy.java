package dev.agentstore.domain.partition;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * How long rows of the partitioned tables are kept: an age per table, and for the event tables an age per subject
 * (a flow, a trigger, an event type), as nvent keeps each subject type for its own time. Immutable: every
 * {@code keep…} method returns a new policy.
 *
 * <pre>{@code
 * RetentionPolicy policy = RetentionPolicy.none()
 *         .keep(PartitionedTable.FLOW_EVENTS, Duration.ofDays(30))
 *         .keepFlow("billing", Duration.ofDays(365))           // this flow's events a year
 *         .keepType(PartitionedTable.FLOW_EVENTS, "step.log", Duration.ofDays(3))
 *         .keep(PartitionedTable.TRIGGER_EVENTS, Duration.ofDays(90));
 * }</pre>
 *
 * <p>A row goes when it is older than its age: the longest age of the subject rules that match it, or, when none
 * matches, its table's age; a table without an age keeps the rows no rule matches. Tables the policy does not name
 * are not touched.
 */
public final class RetentionPolicy {

    /** Default rows per delete statement. */
    public static final int DEFAULT_BATCH_SIZE = 10_000;
    /** Largest rows per delete statement. */
    public static final int MAX_BATCH_SIZE = 100_000;

    private final Map<PartitionedTable, Duration> tableAges;
    private final Map<PartitionedTable, List<SubjectRule>> rules;
    private final int batchSize;

    private RetentionPolicy(Map<PartitionedTable, Duration> tableAges, Map<PartitionedTable, List<SubjectRule>> rules,
                            int batchSize) {
        this.tableAges = tableAges;
        this.rules = rules;
        this.batchSize = batchSize;
    }

    /** @return a policy that keeps everything (names no table) */
    public static RetentionPolicy none() {
        return new RetentionPolicy(new EnumMap<>(PartitionedTable.class), new EnumMap<>(PartitionedTable.class),
                DEFAULT_BATCH_SIZE);
    }

    /**
     * One subject rule: rows whose {@code column} equals {@code value} are kept for {@code age}.
     *
     * @param column a subject column of the table ({@link PartitionedTable#subjectColumns()})
     * @param value  the value rows are matched by
     * @param age    how long they are kept
     */
    public record SubjectRule(String column, String value, Duration age) {
    }

    /**
     * @param table the table
     * @param age   rows older than this go (unless a subject rule keeps them longer); positive
     * @return a policy with this table's age set (replacing an earlier one)
     * @throws InvalidInputException when an argument is {@code null} or {@code age} is not positive
     */
    public RetentionPolicy keep(PartitionedTable table, Duration age) {
        Check.notNull("table", table);
        Map<PartitionedTable, Duration> ages = new EnumMap<>(tableAges);
        ages.put(table, positive(age));
        return new RetentionPolicy(ages, rules, batchSize);
    }

    /**
     * A subject rule: rows of {@code table} whose {@code column} equals {@code value} are kept for {@code age},
     * longer or shorter than the table's age.
     *
     * @param table  the table
     * @param column one of the table's {@link PartitionedTable#subjectColumns()}
     * @param value  the value; a name of at most 255 characters
     * @param age    positive
     * @return a policy with this rule (replacing an earlier one for the same column and value)
     * @throws InvalidInputException when an argument is {@code null} or invalid, or {@code column} is not a subject
     *                               column of {@code table}
     */
    public RetentionPolicy keep(PartitionedTable table, String column, String value, Duration age) {
        Check.notNull("table", table);
        Check.notNull("column", column);
        if (!table.subjectColumns().contains(column)) {
            throw new InvalidInputException("column " + Check.describe(column) + " is not a retention subject of "
                    + table.tableName() + " (subjects: " + table.subjectColumns() + ")");
        }
        Check.name("value", value);
        Duration checked = positive(age);
        List<SubjectRule> tableRules = new ArrayList<>(rules(table));
        tableRules.removeIf(r -> r.column().equals(column) && r.value().equals(value));
        tableRules.add(new SubjectRule(column, value, checked));
        Map<PartitionedTable, List<SubjectRule>> all = new EnumMap<>(rules);
        all.put(table, List.copyOf(tableRules));
        return new RetentionPolicy(tableAges, all, batchSize);
    }

    /**
     * @param flowName a flow's name
     * @param age      how long its events are kept; positive
     * @return {@code keep(FLOW_EVENTS, "flow_name", flowName, age)}
     */
    public RetentionPolicy keepFlow(String flowName, Duration age) {
        return keep(PartitionedTable.FLOW_EVENTS, "flow_name", flowName, age);
    }

    /**
     * @param triggerName a trigger's name
     * @param age         how long its events are kept; positive
     * @return {@code keep(TRIGGER_EVENTS, "trigger_name", triggerName, age)}
     */
    public RetentionPolicy keepTrigger(String triggerName, Duration age) {
        return keep(PartitionedTable.TRIGGER_EVENTS, "trigger_name", triggerName, age);
    }

    /**
     * @param table {@link PartitionedTable#FLOW_EVENTS} or {@link PartitionedTable#TRIGGER_EVENTS}
     * @param type  an event type
     * @param age   how long events of that type are kept; positive
     * @return {@code keep(table, "type", type, age)}
     */
    public RetentionPolicy keepType(PartitionedTable table, String type, Duration age) {
        return keep(table, "type", type, age);
    }

    /**
     * @param batchSize the most rows one delete statement removes, 1–{@value #MAX_BATCH_SIZE}
     * @return a policy deleting in batches of that size
     * @throws InvalidInputException when {@code batchSize} is out of range
     */
    public RetentionPolicy batchSize(int batchSize) {
        return new RetentionPolicy(tableAges, rules, Check.range("batchSize", batchSize, 1, MAX_BATCH_SIZE));
    }

    /** @return the most rows one delete statement removes */
    public int batchSize() {
        return batchSize;
    }

    /** @return the tables the policy names (with an age or with a subject rule), in declaration order */
    public Set<PartitionedTable> tables() {
        Set<PartitionedTable> tables = EnumSet.noneOf(PartitionedTable.class);
        tables.addAll(tableAges.keySet());
        tables.addAll(rules.keySet());
        return Collections.unmodifiableSet(tables);
    }

    /**
     * @param table a table
     * @return its age, if set
     */
    public Optional<Duration> age(PartitionedTable table) {
        return Optional.ofNullable(tableAges.get(table));
    }

    /**
     * @param table a table
     * @return its subject rules, in the order they were added; empty when none
     */
    public List<SubjectRule> rules(PartitionedTable table) {
        return rules.getOrDefault(table, List.of());
    }

    private static Duration positive(Duration age) {
        Check.notNull("age", age);
        if (age.isNegative() || age.isZero()) {
            throw new InvalidInputException("age must be positive, was " + age);
        }
        return age;
    }

    @Override
    public String toString() {
        return "RetentionPolicy[ages=" + tableAges + ", rules=" + rules + ", batchSize=" + batchSize + "]";
    }
}
