package dev.agentstore.persistence.support;

import jakarta.persistence.EntityManager;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The one revision-numbering and history code path of the append-only revision tables ({@code templates},
 * {@code configurations}): rows keyed by {@code (identifier, revision)}, revisions numbered 1, 2, 3... per
 * identifier.
 *
 * <p><b>Numbering.</b> {@link #append} first takes a transaction-scoped advisory lock on the identifier
 * ({@code pg_advisory_xact_lock(hashtext('agentstore.<table>'), hashtext(identifier))}), so concurrent appends to one
 * identifier queue (appends to different identifiers do not wait for each other, apart from rare hash collisions),
 * then runs the caller's {@code INSERT ... SELECT coalesce(max(revision), 0) + 1 ...}, whose snapshot (under READ
 * COMMITTED) sees every revision committed before the lock was granted: no duplicates, no gaps. The table's unique
 * index on {@code (identifier, revision)} backs it under stricter isolation levels. The lock is held until the
 * transaction ends. (Versioned definitions number with a row lock on their definition row instead: they have one.)
 *
 * <p>The table name is one of the constants the repositories pass, never a user value. Immutable and thread-safe.
 *
 * @param table    the table ({@code templates} or {@code configurations})
 * @param lock     the advisory lock statement
 * @param history  newest first, every column as {@code columns} lists them; {@code :limit} NULL means all
 * @param remove   deletes every revision of an identifier
 */
public record RevisionLog(String table, String lock, String history, String remove) {

    /**
     * @param table   the table name (a constant)
     * @param columns the select list of {@link #history} (a constant)
     * @return the log of {@code table}
     */
    public static RevisionLog of(String table, String columns) {
        return new RevisionLog(table,
                "SELECT 1 FROM pg_advisory_xact_lock(hashtext('agentstore." + table + "'), hashtext(:identifier))",
                "SELECT " + columns + " FROM " + table
                        + " WHERE identifier = :identifier ORDER BY revision DESC LIMIT :limit",
                "DELETE FROM " + table + " WHERE identifier = :identifier");
    }

    /**
     * Appends the next revision of {@code identifier}: the advisory lock, then {@code insert}, which computes
     * {@code coalesce(max(revision), 0) + 1} over the identifier's rows and returns the new row.
     *
     * @param h          the call's handle
     * @param identifier the identifier (bound as {@code :identifier})
     * @param insert     the {@code INSERT ... SELECT ... RETURNING} statement
     * @param values     its other named values
     * @param mapper     reads its {@code RETURNING} row
     * @param <T>        the row type
     * @return the new row
     */
    public <T> T append(Handle h, String identifier, String insert, Map<String, Object> values, RowMapper<T> mapper) {
        h.createQuery(lock).bind("identifier", identifier).mapTo(Integer.class).one();
        return h.createQuery(insert).bindMap(values).bind("identifier", identifier).map(mapper).one();
    }

    /**
     * @param em         the unit of work's entity manager
     * @param context    what is being done, for error messages
     * @param identifier the identifier
     * @param limit      the most revisions, or {@code null} for all
     * @param mapper     reads a row of the history's columns
     * @param <T>        the row type
     * @return the newest {@code limit} revisions, newest first; unmodifiable
     */
    public <T> List<T> history(EntityManager em, String context, String identifier, Integer limit,
                               RowMapper<T> mapper) {
        return Sql.call(em, context, h -> h.createQuery(history)
                .bind("identifier", identifier)
                .bind("limit", limit)
                .map(mapper)
                .collect(Collectors.toUnmodifiableList()));
    }

    /**
     * @param em         the unit of work's entity manager
     * @param context    what is being done, for error messages
     * @param identifier the identifier
     * @return how many revisions were removed
     */
    public int remove(EntityManager em, String context, String identifier) {
        return Sql.call(em, context, h -> h.createUpdate(remove).bind("identifier", identifier).execute());
    }
}
