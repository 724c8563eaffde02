package dev.agentstore.persistence.trigger;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.trigger.Trigger;
import dev.agentstore.domain.trigger.TriggerDefinition;
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
                   stats_flows_started, stats_last_fired_at, version, updated_at, display_name, description, scope,
                   source, CAST(webhook AS text) AS webhook, CAST(schedule AS text) AS schedule,
                   CAST(config AS text) AS config, last_activity_at, stats_active_subscribers,
                   CAST(counters AS text) AS counters""";

    /**
     * Register or re-register, race-free (concurrent registrations of one name both succeed): a new trigger is
     * ACTIVE with zero stats; an existing one gets the new type and subscriptions and, when {@code :whole}, the rest
     * of the definition (descriptive fields, configuration; replaced, not merged) and a version bump, and keeps its
     * status, registration time, stats, counters and last activity.
     */
    static final String REGISTER = """
            INSERT INTO triggers (name, type, status, registered_at, subscriptions, version, updated_at, display_name,
                                  description, scope, source, webhook, schedule, config)
            VALUES (:name, :type, 'ACTIVE', :registeredAt, CAST(:subscriptions AS jsonb), 0, :updatedAt, :displayName,
                    :description, :scope, :source, CAST(:webhook AS jsonb), CAST(:schedule AS jsonb),
                    CAST(:config AS jsonb))
            ON CONFLICT (name) DO UPDATE
               SET type = EXCLUDED.type,
                   subscriptions = EXCLUDED.subscriptions,
                   display_name = CASE WHEN :whole THEN EXCLUDED.display_name ELSE triggers.display_name END,
                   description = CASE WHEN :whole THEN EXCLUDED.description ELSE triggers.description END,
                   scope = CASE WHEN :whole THEN EXCLUDED.scope ELSE triggers.scope END,
                   source = CASE WHEN :whole THEN EXCLUDED.source ELSE triggers.source END,
                   webhook = CASE WHEN :whole THEN EXCLUDED.webhook ELSE triggers.webhook END,
                   schedule = CASE WHEN :whole THEN EXCLUDED.schedule ELSE triggers.schedule END,
                   config = CASE WHEN :whole THEN EXCLUDED.config ELSE triggers.config END,
                   version = triggers.version + 1,
                   updated_at = EXCLUDED.updated_at
            RETURNING\s""" + COLUMNS;

    static final String FIND = "SELECT " + COLUMNS + " FROM triggers WHERE name = :name";

    /** {@link #FIND} locking the row until the transaction ends: the read before a change. */
    static final String FIND_FOR_UPDATE = FIND + " FOR UPDATE";

    /** Locks a trigger's row and reads its version, to compare with the version a write expects. */
    static final String LOCK_VERSION = "SELECT version FROM triggers WHERE name = :name FOR UPDATE";

    /** Each filter applies when its value is not null: one type, one status. */
    private static final String FILTER = """
             WHERE (CAST(:type AS varchar) IS NULL OR type = CAST(:type AS varchar))
               AND (CAST(:status AS varchar) IS NULL OR status = CAST(:status AS varchar))""";

    static final String LIST = "SELECT " + COLUMNS + " FROM triggers " + FILTER
            + " ORDER BY name LIMIT :limit OFFSET :offset";

    static final String COUNT = "SELECT count(*) FROM triggers " + FILTER;

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
            new TriggerDefinition(TriggerType.valueOf(rs.getString("type")), rs.getString("display_name"),
                    rs.getString("description"), rs.getString("scope"), rs.getString("source"),
                    json(rs.getString("webhook"), "webhook"), json(rs.getString("schedule"), "schedule"),
                    json(rs.getString("config"), "config"), json(rs.getString("subscriptions"), "subscriptions"),
                    null),
            TriggerStatus.valueOf(rs.getString("status")), Sql.instant(rs, "registered_at"),
            new Trigger.Stats(rs.getLong("stats_total_fires"), rs.getLong("stats_flows_started"),
                    rs.getLong("stats_active_subscribers"), Sql.instant(rs, "stats_last_fired_at"),
                    Sql.instant(rs, "last_activity_at")),
            Json.parse("counters", rs.getString("counters")), rs.getLong("version"), Sql.instant(rs, "updated_at"));

    private static JsonNode json(String text, String column) {
        return text == null ? null : Json.parse(column, text);
    }

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
