package dev.agentstore.persistence.trigger;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.trigger.Trigger;
import dev.agentstore.domain.trigger.TriggerStatus;
import dev.agentstore.domain.trigger.TriggerType;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;

/**
 * The definition side of {@link TriggerRepository}: registration, listing, version-checked changes and deletes, with
 * the {@link ReadVersions} bookkeeping of what they read and write. Arguments are checked by the repository and the
 * domain; every value is a named parameter.
 */
final class TriggerWrites {

    /** Records the versions of what the repository hands out and writes ({@link ReadVersions}). */
    static final ReadVersions.Entity<Trigger> VERSIONS =
            new ReadVersions.Entity<>(TriggerSql.ENTITY, Trigger::name, Trigger::version);

    private TriggerWrites() {
    }

    /**
     * Registers {@code candidate} (as a new trigger builds it) or re-registers it: the type and subscriptions always,
     * the rest of the definition when {@code whole}. When this unit of work read the trigger, only if it still has the
     * version read.
     *
     * @throws NotFoundException            when this unit of work read the trigger and it was deleted since
     * @throws ConcurrencyConflictException when it has another version than the one read
     */
    static Trigger register(EntityManager em, Trigger candidate, boolean whole) {
        String name = candidate.name();
        Map<String, Object> values = Sql.parameters("name", name, "type", candidate.type().name(),
                "registeredAt", candidate.registeredAt(), "updatedAt", candidate.updatedAt(), "whole", whole,
                "subscriptions", JsonWrites.print(em, "subscriptions", candidate.subscriptions()),
                "displayName", candidate.displayName(),
                "description", JsonWrites.text(em, "description", candidate.description()),
                "scope", candidate.scope(), "source", candidate.source(),
                "webhook", printOrNull(em, "webhook", candidate.webhook()),
                "schedule", printOrNull(em, "schedule", candidate.schedule()),
                "config", JsonWrites.print(em, "config", candidate.config()));
        OptionalLong expected = ReadVersions.of(em).expected(TriggerSql.ENTITY, name);
        Trigger stored = Sql.call(em, "register Trigger " + name, h -> {
            if (expected.isPresent()) {
                TriggerSql.requireVersion(h, name, expected.getAsLong());
            }
            return h.createQuery(TriggerSql.REGISTER).bindMap(values).map(TriggerSql.TRIGGER).one();
        });
        return VERSIONS.wrote(em, stored);
    }

    /** @return one page of the triggers of a type and a status (each filter off when {@code null}), by name */
    static Page<Trigger> list(EntityManager em, TriggerType type, TriggerStatus status, PageRequest page) {
        String typeName = type == null ? null : type.name();
        String statusName = status == null ? null : status.name();
        String context = "list Triggers" + (type == null ? "" : " of type " + type)
                + (status == null ? "" : " with status " + status);
        return Sql.call(em, context, h -> {
            List<Trigger> rows = h.createQuery(TriggerSql.LIST)
                    .bind("type", typeName)
                    .bind("status", statusName)
                    .bind("limit", page.perPage())
                    .bind("offset", page.offset())
                    .map(TriggerSql.TRIGGER)
                    .list();
            rows.forEach(x -> VERSIONS.read(em, x));
            long total = h.createQuery(TriggerSql.COUNT).bind("type", typeName).bind("status", statusName)
                    .mapTo(long.class)
                    .one();
            return Page.of(rows, page.page(), page.perPage(), total);
        });
    }

    /**
     * Deletes the version this unit of work read ({@code expected}), or the version read now when it read none.
     *
     * @return whether the trigger existed
     * @throws ConcurrencyConflictException when the trigger has another version
     */
    static boolean delete(EntityManager em, String name, OptionalLong expected) {
        long version;
        if (expected.isPresent()) {
            version = expected.getAsLong();
        } else {
            Trigger t = TriggerSql.select(em, "find Trigger " + name, TriggerSql.FIND, name).orElse(null);
            if (t == null) {
                return false;
            }
            version = VERSIONS.read(em, t).version();
        }
        String context = "delete Trigger " + name;
        int deleted = Sql.call(em, context, h -> h.createUpdate(TriggerSql.DELETE)
                .bind("name", name)
                .bind("version", version)
                .execute());
        if (deleted == 0) {
            throw new ConcurrencyConflictException(context, context
                    + ": modified concurrently; the transaction did not commit: retrying is safe", null);
        }
        return true;
    }

    /**
     * Changes a trigger: locks its row as it reads it, compares its version with the one expected (passed, or read by
     * this unit of work), applies {@code rule} and, when that changed anything, writes the result with
     * {@code update} (bound here: name, version read, updated_at).
     *
     * @throws NotFoundException            when there is no trigger by that name
     * @throws ConcurrencyConflictException when the trigger's version is not the one expected
     */
    static Trigger change(EntityManager em, String name, OptionalLong passed, String what,
                          UnaryOperator<Trigger> rule, BiFunction<Handle, Trigger, Query> update) {
        OptionalLong expected = passed.isPresent() ? passed : ReadVersions.of(em).expected(TriggerSql.ENTITY, name);
        Trigger current = TriggerSql.lockForChange(em, name, expected);
        Trigger next = rule.apply(current);
        if (next == current) {
            return VERSIONS.wrote(em, current);
        }
        return VERSIONS.wrote(em, Sql.call(em, what + " Trigger " + name, h -> update.apply(h, next)
                .bind("name", name)
                .bind("version", current.version())
                .bind("updatedAt", next.updatedAt())
                .map(TriggerSql.TRIGGER)
                .one()));
    }

    private static String printOrNull(EntityManager em, String field, JsonNode value) {
        return value == null ? null : JsonWrites.print(em, field, value);
    }
}
