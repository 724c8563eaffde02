package dev.agentstore.persistence.trigger;

import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.trigger.Trigger;
import dev.agentstore.domain.trigger.TriggerStatus;
import dev.agentstore.domain.trigger.TriggerType;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * The statements of {@link TriggerRepository} on the {@code triggers} table, the mapping of their rows
 * ({@link #COLUMNS}, {@link #TRIGGER}) and the reads that precede a change; the fire log's are in
 * {@link TriggerFireLog}. Every value is a named parameter.
 */
final class TriggerSql {

    /** The entity name in {@link ReadVersions} and conflict messages. */
    static final String ENTITY = "Trigger";

    /** A trigger's columns, as {@link #TRIGGER} reads them. */
    static final String COLUMNS = """
            name, type, status, registered_at, CAST(subscriptions AS text) AS subscriptions, stats_total_fires,
                   stats_flows_started, stats_last_fired_at, version, updated_at""";

    /**
     * Register or re-register, race-free (concurrent registrations of one name both succeed): a new trigger is
     * ACTIVE with zero stats; an existing one gets the new type and subscriptions (replaced, not
     * merged) and a version bump, and keeps its status, registration time and stats.
     */
    static final String REGISTER = """
            INSERT INTO triggers (name, type, status, registered_at, subscriptions, version, updated_at)
            VALUES (:name, :type, 'ACTIVE', :registeredAt, CAST(:subscriptions AS jsonb), 0, :updatedAt)
            ON CONFLICT (name) DO UPDATE
               SET type = EXCLUDED.type,
                   subscriptions = EXCLUDED.subscriptions,
                   version = triggers.version + 1,
                   updated_at = EXCLUDED.updated_at
            RETURNING\s""" + COLUMNS;

    static final String FIND = "SELECT " + COLUMNS + " FROM triggers WHERE name = :name";

    /** {@link #FIND} locking the row until the transaction ends: the read before a change. */
    static final String FIND_FOR_UPDATE = FIND + " FOR UPDATE";

    /** Locks a trigger's row and reads its version, to compare with the version a write expects. */
    static final String LOCK_VERSION = "SELECT version FROM triggers WHERE name = :name FOR UPDATE";

    static final String LIST = "SELECT " + COLUMNS + " FROM triggers ORDER BY name LIMIT :limit OFFSET :offset";

    static final String LIST_BY_STATUS = "SELECT " + COLUMNS
            + " FROM triggers WHERE status = :status ORDER BY name LIMIT :limit OFFSET :offset";

    static final String COUNT = "SELECT count(*) FROM triggers";

    static final String COUNT_BY_STATUS = "SELECT count(*) FROM triggers WHERE status = :status";

    /** A status change of the version read; no row when the trigger has another version (or is gone). */
    static final String SET_STATUS = """
            UPDATE triggers
               SET status = :status, updated_at = :updatedAt, version = version + 1
             WHERE name = :name AND version = :version
            RETURNING\s""" + COLUMNS;

    /** New subscriptions for the version read; no row when the trigger has another version (or is gone). */
    static final String SET_SUBSCRIPTIONS = """
            UPDATE triggers
               SET subscriptions = CAST(:subscriptions AS jsonb), updated_at = :updatedAt, version = version + 1
             WHERE name = :name AND version = :version
            RETURNING\s""" + COLUMNS;

    /** Deletes the version read; 0 rows when the trigger has another version (or is gone). */
    static final String DELETE = "DELETE FROM triggers WHERE name = :name AND version = :version";

    /** Maps a row of {@link #COLUMNS}. */
    static final RowMapper<Trigger> TRIGGER = (rs, ctx) -> Trigger.of(rs.getString("name"),
            TriggerType.valueOf(rs.getString("type")), TriggerStatus.valueOf(rs.getString("status")),
            Sql.instant(rs, "registered_at"), Json.parse("subscriptions", rs.getString("subscriptions")),
            rs.getLong("stats_total_fires"), rs.getLong("stats_flows_started"), Sql.instant(rs, "stats_last_fired_at"),
            rs.getLong("version"), Sql.instant(rs, "updated_at"));

    private TriggerSql() {
    }

    /** Reads one trigger with {@link #FIND} or {@link #FIND_FOR_UPDATE}; empty when there is none by that name. */
    static Optional<Trigger> select(EntityManager em, String context, String sql, String name) {
        return Sql.call(em, context, h -> h.createQuery(sql).bind("name", name).map(TRIGGER).findOne());
    }

    /**
     * Reads a trigger before a change, locking its row until the transaction ends, and compares its version with the
     * one a write expects, when it expects one.
     *
     * @throws NotFoundException            when there is no trigger by that name
     * @throws ConcurrencyConflictException when the trigger's version is not the one expected; it carries both
     */
    static Trigger lockForChange(EntityManager em, String name, OptionalLong expected) {
        Trigger current = select(em, "lock Trigger " + name, FIND_FOR_UPDATE, name).orElseThrow(() -> expected.isEmpty()
                ? new NotFoundException(ENTITY, "name=" + name) : new NotFoundException(ENTITY, name));
        if (expected.isPresent() && current.version() != expected.getAsLong()) {
            throw ReadVersions.conflict(ENTITY, name, expected.getAsLong(), current.version());
        }
        return current;
    }

    /**
     * Locks a trigger's row and compares its version with the version a write expects.
     *
     * @throws NotFoundException            when there is no such trigger
     * @throws ConcurrencyConflictException when it has another version; it carries both
     */
    static void requireVersion(Handle h, String name, long expected) {
        long actual = h.createQuery(LOCK_VERSION).bind("name", name).mapTo(long.class).findOne()
                .orElseThrow(() -> new NotFoundException(ENTITY, name));
        if (actual != expected) {
            throw ReadVersions.conflict(ENTITY, name, expected, actual);
        }
    }
}
