package dev.agentstore.persistence.partition;

import dev.agentstore.domain.partition.PartitionedTable;
import dev.agentstore.domain.partition.RetentionPolicy.SubjectRule;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The statements of {@link PartitionRepository}: catalog reads with named parameters, and the DDL and per-partition
 * statements it assembles at run time. Identifiers in assembled text are the registered table and column names of
 * {@link PartitionedTable}, partition names derived from them and a date, and the schema name read from the catalog,
 * each quoted by {@link #quote}; time bounds in DDL (which takes no parameters) are {@link Instant}s the repository
 * computed, printed in ISO-8601; every other value is a named parameter.
 */
final class PartitionSql {

    /**
     * The table's schema, whether it is partitioned, and its partition key column with that column's type; no row
     * when the table does not exist (on the search path).
     */
    static final String TABLE = """
            SELECT n.nspname AS schema_name, c.relkind = 'p' AS partitioned,
                   a.attname AS key_column, format_type(a.atttypid, a.atttypmod) AS key_type
              FROM pg_class c
              JOIN pg_namespace n ON n.oid = c.relnamespace
              LEFT JOIN pg_partitioned_table pt ON pt.partrelid = c.oid
              LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = pt.partattrs[0]
             WHERE c.oid = to_regclass(:table)
            """;

    /**
     * The partitions of a table, with their bounds read back from the catalog's bound expression (printed and parsed
     * in the same session, so in the same time zone); a MINVALUE or MAXVALUE bound reads as {@code NULL}.
     */
    static final String PARTITIONS = """
            SELECT c.relname AS name, c.oid = pt.partdefid AS is_default,
                   CAST((regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']*)''\\)'))[1]
                        AS timestamptz) AS range_from,
                   CAST((regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']*)''\\)'))[1]
                        AS timestamptz) AS range_to
              FROM pg_inherits i
              JOIN pg_class c ON c.oid = i.inhrelid
              JOIN pg_partitioned_table pt ON pt.partrelid = i.inhparent
             WHERE i.inhparent = to_regclass(:table)
             ORDER BY is_default, range_from NULLS FIRST, c.relname
            """;

    /**
     * Serialises maintenance and retention of one table across sessions and nodes, until the transaction ends. The
     * key is derived from the table's oid, so tables of different schemas do not wait for each other.
     */
    static final String LOCK = """
            SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtextextended(
                       'agentstore.partitions.' || CAST(CAST(to_regclass(:table) AS oid) AS text), 0))) AS locked
            """;

    /** The table's columns in order, quoted, as a list for an INSERT and a SELECT. */
    static final String COLUMNS = """
            SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum)
              FROM pg_attribute
             WHERE attrelid = to_regclass(:table) AND attnum > 0 AND NOT attisdropped
            """;

    /** The run status log: not partitioned, pruned with the flow events' policy ({@link Retention}). */
    static final String RUN_STATUS_CHANGES = "flow_run_status_changes";

    /** Whether a table exists (on the search path). */
    static final String EXISTS = "SELECT to_regclass(:table) IS NOT NULL";

    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd");

    private PartitionSql() {
    }

    /**
     * @param identifier a name
     * @return the name as a quoted SQL identifier ({@code "a""b"} for {@code a"b})
     */
    static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    /**
     * @param table the table
     * @param from  the partition's lower bound
     * @return {@code <table>_pYYYYMMDD} for a bound at midnight UTC, with {@code _HHMMSS} added otherwise
     */
    static String partitionName(PartitionedTable table, Instant from) {
        LocalDate day = LocalDate.ofInstant(from, ZoneOffset.UTC);
        String name = table.tableName() + "_p" + DAY.format(day);
        long secondOfDay = from.getEpochSecond() - day.atStartOfDay(ZoneOffset.UTC).toEpochSecond();
        return secondOfDay == 0 ? name : name + "_" + String.format("%02d%02d%02d",
                secondOfDay / 3600, secondOfDay / 60 % 60, secondOfDay % 60);
    }

    /**
     * @return {@code CREATE TABLE schema.partition (LIKE schema.table INCLUDING DEFAULTS INCLUDING CONSTRAINTS
     *         INCLUDING GENERATED)}: a plain table of the parent's shape, with its CHECK constraints and generated
     *         columns (which ATTACH PARTITION requires)
     */
    static String createLike(String schema, String partition, PartitionedTable table) {
        return "CREATE TABLE " + qualified(schema, partition) + " (LIKE " + qualified(schema, table.tableName())
                + " INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED)";
    }

    /**
     * @param columns the table's quoted column list ({@link #COLUMNS})
     * @return one statement moving the rows of the DEFAULT partition with {@code :from <= time < :to} into the new
     *         partition: {@code WITH moved AS (DELETE ... RETURNING ...) INSERT ... SELECT ... FROM moved}
     */
    static String moveFromDefault(String schema, String defaultPartition, String partition, PartitionedTable table,
                                  String columns) {
        String time = quote(table.timeColumn());
        return "WITH moved AS (DELETE FROM " + qualified(schema, defaultPartition)
                + " WHERE " + time + " >= :from AND " + time + " < :to RETURNING " + columns + ")"
                + " INSERT INTO " + qualified(schema, partition) + " (" + columns + ")"
                + " SELECT " + columns + " FROM moved";
    }

    /**
     * @return {@code ALTER TABLE schema.table ATTACH PARTITION schema.partition FOR VALUES FROM ('from') TO ('to')},
     *         which takes only a SHARE UPDATE EXCLUSIVE lock on the parent (writers go on) and creates the parent's
     *         indexes, primary key and foreign keys on the partition
     */
    static String attach(String schema, PartitionedTable table, String partition, Instant from, Instant to) {
        return "ALTER TABLE " + qualified(schema, table.tableName()) + " ATTACH PARTITION "
                + qualified(schema, partition) + " FOR VALUES FROM ('" + from + "') TO ('" + to + "')";
    }

    /** @return {@code DROP TABLE schema.partition} */
    static String drop(String schema, String partition) {
        return "DROP TABLE " + qualified(schema, partition);
    }

    /**
     * A bounded retention delete on one partition: at most {@code :batchSize} rows older than their cutoff, picked
     * by {@code ctid} (every table has one, whatever its key), in one statement. A row's cutoff is the earliest
     * cutoff of the rules that match it (the longest age), else the table's ({@code NULL}: kept).
     *
     * @param schema      the schema
     * @param partition   the partition
     * @param table       the table (its time column)
     * @param latest      the latest cutoff of all (rows at or after it are kept whatever rule matches them)
     * @param tableCutoff the table's cutoff, or {@code null} when rows no rule matches are kept
     * @param rules       the subject rules with their cutoffs, in the same order as {@code cutoffs}
     * @param cutoffs     each rule's cutoff
     * @param batchSize   the most rows deleted
     * @return the statement and its values
     */
    static Statement deleteBatch(String schema, String partition, PartitionedTable table, Instant latest,
                                 Instant tableCutoff, List<SubjectRule> rules, List<Instant> cutoffs, int batchSize) {
        return deleteBatch(schema, partition, table.timeColumn(), latest, tableCutoff, rules, cutoffs, batchSize);
    }

    /**
     * {@link #deleteBatch(String, String, PartitionedTable, Instant, Instant, List, List, int)} on any table of the
     * schema, by the {@code timestamptz} column {@code timeColumn} (a registered name, as the rules' columns).
     */
    static Statement deleteBatch(String schema, String partition, String timeColumn, Instant latest,
                                 Instant tableCutoff, List<SubjectRule> rules, List<Instant> cutoffs, int batchSize) {
        String time = quote(timeColumn);
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("latest", latest);
        values.put("tableCutoff", tableCutoff);
        values.put("batchSize", batchSize);
        String rowCutoff = "CAST(:tableCutoff AS timestamptz)";
        if (!rules.isEmpty()) {
            StringBuilder least = new StringBuilder("COALESCE(LEAST(");
            for (int i = 0; i < rules.size(); i++) {
                least.append(i > 0 ? ", " : "").append("CASE WHEN ").append(quote(rules.get(i).column()))
                        .append(" = :value").append(i).append(" THEN CAST(:cutoff").append(i)
                        .append(" AS timestamptz) END");
                values.put("value" + i, rules.get(i).value());
                values.put("cutoff" + i, cutoffs.get(i));
            }
            rowCutoff = least.append("), ").append(rowCutoff).append(")").toString();
        }
        String target = qualified(schema, partition);
        String sql = "DELETE FROM " + target + " WHERE ctid = ANY (ARRAY(SELECT ctid FROM " + target
                + " WHERE " + time + " < :latest AND " + time + " < " + rowCutoff + " LIMIT :batchSize))";
        return new Statement(sql, Collections.unmodifiableMap(values));
    }

    private static String qualified(String schema, String name) {
        return quote(schema) + "." + quote(name);
    }

    /**
     * A statement assembled at run time and the values of its named parameters.
     *
     * @param sql    the statement
     * @param values the parameters by name
     */
    record Statement(String sql, Map<String, Object> values) {
    }
}
