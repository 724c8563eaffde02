package dev.agentstore.domain.partition;

import java.util.List;
import java.util.Optional;

/**
 * The append-only tables that are range-partitioned by time, each with its partition key (a {@code timestamptz}
 * column) and the columns a retention rule may single rows out by (its subjects). Partition maintenance and
 * retention act on these tables only; a table that does not exist in the schema (yet) is skipped.
 */
public enum PartitionedTable {

    /** Flow events, partitioned on {@code ts}; retention per flow ({@code flow_name}) or event {@code type}. */
    FLOW_EVENTS("flow_events", "ts", List.of("flow_name", "type")),

    /** Trigger events, partitioned on {@code ts}; retention per trigger ({@code trigger_name}) or {@code type}. */
    TRIGGER_EVENTS("trigger_events", "ts", List.of("trigger_name", "type")),

    /** Trace spans, partitioned on {@code started_at}. */
    SPANS("spans", "started_at", List.of()),

    /** Evaluation scores, partitioned on {@code created_at}. */
    SCORES("scores", "created_at", List.of()),

    /** LLM token usage, partitioned on {@code created_at}. */
    LLM_USAGE("llm_usage", "created_at", List.of());

    private final String tableName;
    private final String timeColumn;
    private final List<String> subjectColumns;

    PartitionedTable(String tableName, String timeColumn, List<String> subjectColumns) {
        this.tableName = tableName;
        this.timeColumn = timeColumn;
        this.subjectColumns = subjectColumns;
    }

    /** @return the table's name, unqualified (it lives in the store's schema) */
    public String tableName() {
        return tableName;
    }

    /** @return the partition key column, a {@code timestamptz} */
    public String timeColumn() {
        return timeColumn;
    }

    /** @return the columns a retention rule may select rows by; empty when the table has none */
    public List<String> subjectColumns() {
        return subjectColumns;
    }

    /**
     * @param tableName a table's name
     * @return the partitioned table of that name, if it is one
     */
    public static Optional<PartitionedTable> byName(String tableName) {
        for (PartitionedTable t : values()) {
            if (t.tableName.equals(tableName)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
