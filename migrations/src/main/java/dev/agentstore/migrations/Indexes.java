package dev.agentstore.migrations;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The indexes of an agentstore schema: custom indexes declared by the application ({@link IndexDefinition}) are
 * reconciled by {@link #ensure}, and every index is listed by {@link #list()}.
 *
 * <p>Reconciling never drops or replaces an index: a declared index is created when no index of its name exists;
 * when one exists, it is compared with the declaration, and a different one is reported
 * ({@link IndexStatus.State#DIFFERENT}) and left as it is. The comparison reads the index's comment, which
 * {@code ensure} sets to {@value #COMMENT_PREFIX} and the declared statement after creating it; so an index created
 * outside {@code ensure} under a declared name is reported as different too. An index that is no longer declared
 * stays.
 *
 * <p>Index builds are DDL: they run on a connection of their own in autocommit mode (required by
 * {@code CREATE INDEX CONCURRENTLY}), without statement or lock timeout, holding the schema's migration lock, so
 * they never run at the same time as a migration or another {@code ensure} of the schema. Instances are cheap and
 * stateless; thread-safe.
 */
public final class Indexes {

    /** The start of the comment {@link #ensure} sets on each index it creates. */
    public static final String COMMENT_PREFIX = "agentstore custom index: ";

    private static final Logger LOG = LoggerFactory.getLogger(Indexes.class);
    private static final Set<String> LIQUIBASE_TABLES = Set.of("databasechangelog", "databasechangeloglock");

    private final DataSource dataSource;
    private final String schema;

    /**
     * @param dataSource where the schema lives; its user needs to own the tables to create indexes
     * @param schema     the schema, validated by {@link SchemaNames#requireValid(String)}
     * @throws IllegalArgumentException when the schema name is invalid
     */
    public Indexes(DataSource dataSource, String schema) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.schema = SchemaNames.requireValid(schema);
    }

    /**
     * As {@link #ensure(Collection)}.
     *
     * @param definitions the declared indexes
     * @return one status per definition, in order
     */
    public List<IndexStatus> ensure(IndexDefinition... definitions) {
        return ensure(List.of(definitions));
    }

    /**
     * Creates the declared indexes that do not exist, in order, and reports the others (see the class comment).
     * Every definition is checked against the catalog first (its table is one of the schema's agentstore tables,
     * its columns exist, two definitions do not share a name), so a bad one fails the call before any index is
     * built. Each index is built with {@code CONCURRENTLY} when its definition says so and its table is not
     * partitioned; a concurrent build that fails leaves no invalid index behind.
     *
     * @param definitions the declared indexes
     * @return one status per definition, in order
     * @throws IllegalArgumentException when a table or a column does not exist or a name is declared twice (nothing
     *                                  was built)
     * @throws MigrationException       when the database cannot be read or a build fails; the indexes built before
     *                                  it stay
     */
    public List<IndexStatus> ensure(Collection<IndexDefinition> definitions) {
        List<IndexDefinition> declared = List.copyOf(definitions);
        List<IndexStatus> statuses = new ArrayList<>();
        try (SchemaSession session = SchemaSession.open(dataSource, schema)) {
            Connection c = session.connection();
            Map<String, Set<String>> tables = tableColumns(c);
            Map<String, Character> kinds = tableKinds(c);
            check(declared, tables);
            Map<String, IndexInfo> existing = new HashMap<>();
            list(c).forEach(i -> existing.put(i.name(), i));
            Map<String, String> comments = comments(c);
            for (IndexDefinition d : declared) {
                statuses.add(reconcile(c, d, existing.get(d.name()), comments.get(d.name()),
                        kinds.get(d.table()) == 'p'));
            }
        } catch (SQLException e) {
            throw new MigrationException("could not ensure the indexes of schema '" + schema + "' (done so far: "
                    + statuses + "): " + e.getMessage(), e);
        }
        return statuses;
    }

    /**
     * @return every index on the schema's agentstore tables (not on Liquibase's tables nor on partitions), ordered
     *         by table and name
     * @throws MigrationException when the catalog cannot be read
     */
    public List<IndexInfo> list() {
        try (Connection c = dataSource.getConnection()) {
            return list(c);
        } catch (SQLException e) {
            throw new MigrationException("could not list the indexes of schema '" + schema + "': " + e.getMessage(), e);
        }
    }

    private IndexStatus reconcile(Connection c, IndexDefinition d, IndexInfo found, String comment, boolean partitioned)
            throws SQLException {
        String statement = d.createSql(schema);
        String signature = COMMENT_PREFIX + d.createSql(null);
        if (found != null) {
            if (!found.valid()) {
                return different(d, "exists but is invalid (a failed build); drop it to build it again",
                        found.definition());
            }
            if (!signature.equals(comment)) {
                return different(d, comment == null || !comment.startsWith(COMMENT_PREFIX)
                        ? "exists but was not created from a declaration" : "exists with another declaration ("
                        + comment.substring(COMMENT_PREFIX.length()) + ")", found.definition());
            }
            return new IndexStatus(d.name(), IndexStatus.State.PRESENT, "");
        }
        boolean concurrently = d.concurrently() && !partitioned;
        try (Statement st = c.createStatement()) {
            try {
                st.execute(concurrently ? statement.replaceFirst("INDEX ", "INDEX CONCURRENTLY ") : statement);
            } catch (SQLException e) {
                if (concurrently) {
                    // a failed concurrent build leaves an invalid index of that name behind
                    st.execute("DROP INDEX CONCURRENTLY IF EXISTS " + schema + "." + d.name());
                }
                throw e;
            }
            st.execute("COMMENT ON INDEX " + schema + "." + d.name() + " IS '" + signature.replace("'", "''") + "'");
        }
        LOG.info("agentstore: created index {}.{} on {}", schema, d.name(), d.table());
        return new IndexStatus(d.name(), IndexStatus.State.CREATED, "");
    }

    private IndexStatus different(IndexDefinition d, String what, String existing) {
        String detail = "index " + schema + "." + d.name() + " " + what + "; it was left as it is. Existing: "
                + existing;
        LOG.warn("agentstore: {}", detail);
        return new IndexStatus(d.name(), IndexStatus.State.DIFFERENT, detail);
    }

    private void check(List<IndexDefinition> declared, Map<String, Set<String>> tables) {
        Set<String> names = new HashSet<>();
        for (IndexDefinition d : declared) {
            String field = "indexes[" + d.name() + "]";
            if (!names.add(d.name())) {
                throw new IllegalArgumentException(field + ": declared twice");
            }
            Set<String> columns = tables.get(d.table());
            if (columns == null) {
                throw new IllegalArgumentException(field + ".table: " + d.table() + " is not a table of schema "
                        + schema + "; agentstore's tables there: " + tables.keySet().stream().sorted().toList());
            }
            for (String column : d.referencedColumns()) {
                if (!columns.contains(column)) {
                    throw new IllegalArgumentException(field + ": table " + d.table() + " has no column " + column);
                }
            }
        }
    }

    /** @return the schema's tables (without Liquibase's and without partitions) and their columns */
    private Map<String, Set<String>> tableColumns(Connection c) throws SQLException {
        Map<String, Set<String>> tables = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT t.relname, a.attname FROM pg_class t"
                + " JOIN pg_namespace n ON n.oid = t.relnamespace JOIN pg_attribute a ON a.attrelid = t.oid"
                + " WHERE n.nspname = ? AND t.relkind IN ('r', 'p') AND NOT t.relispartition AND a.attnum > 0"
                + " AND NOT a.attisdropped")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (!LIQUIBASE_TABLES.contains(rs.getString(1))) {
                        tables.computeIfAbsent(rs.getString(1), t -> new HashSet<>()).add(rs.getString(2));
                    }
                }
            }
        }
        return tables;
    }

    /** @return the schema's tables and their {@code relkind} ({@code r} plain, {@code p} partitioned) */
    private Map<String, Character> tableKinds(Connection c) throws SQLException {
        Map<String, Character> kinds = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT t.relname, t.relkind FROM pg_class t"
                + " JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = ? AND t.relkind IN ('r', 'p')")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    kinds.put(rs.getString(1), rs.getString(2).charAt(0));
                }
            }
        }
        return kinds;
    }

    /** @return the comments of the schema's indexes that have one, by index name */
    private Map<String, String> comments(Connection c) throws SQLException {
        Map<String, String> comments = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT c.relname, d.description FROM pg_class c"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_description d ON d.objoid = c.oid"
                + " AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0 WHERE n.nspname = ? AND c.relkind IN"
                + " ('i', 'I')")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    comments.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return comments;
    }

    private List<IndexInfo> list(Connection c) throws SQLException {
        List<IndexInfo> indexes = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT ic.relname, t.relname, pg_get_indexdef(ic.oid),"
                + " am.amname, i.indisunique, i.indisvalid, pg_relation_size(ic.oid),"
                + " obj_description(ic.oid, 'pg_class') FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
                + " JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = ic.relnamespace"
                + " JOIN pg_am am ON am.oid = ic.relam WHERE n.nspname = ? AND NOT t.relispartition"
                + " ORDER BY t.relname, ic.relname")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String name = rs.getString(1);
                    if (LIQUIBASE_TABLES.contains(rs.getString(2))) {
                        continue;
                    }
                    String comment = rs.getString(8);
                    IndexInfo.Kind kind = rs.getBoolean(5) && !(comment != null && comment.startsWith(COMMENT_PREFIX))
                            ? IndexInfo.Kind.CONSTRAINT
                            : DefaultIndexes.NAMES.contains(name) ? IndexInfo.Kind.DEFAULT
                            : comment != null && comment.startsWith(COMMENT_PREFIX) ? IndexInfo.Kind.CUSTOM
                            : IndexInfo.Kind.OTHER;
                    indexes.add(new IndexInfo(name, rs.getString(2), rs.getString(3), rs.getString(4),
                            rs.getBoolean(5), rs.getBoolean(6), rs.getLong(7), kind));
                }
            }
        }
        return indexes;
    }
}
