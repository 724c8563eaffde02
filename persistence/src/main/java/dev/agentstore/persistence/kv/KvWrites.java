package dev.agentstore.persistence.kv;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.support.IncrementCombiner;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The writes of {@link KvRepository} that can fail for a reason the caller must hear about: sets checked against a
 * version, the lock-style set-if-absent and increments. Arguments are validated by the repository; values arrive
 * as checked JSON text. One instance per call, in the caller's transaction.
 */
final class KvWrites {

    /** The entity name in {@link ReadVersions} and conflict messages. */
    private static final String ENTITY = "KvEntry";

    private static final long ABSENT = ReadVersions.ABSENT;

    /** Combines concurrent per-call increments of one key (autocommit mode) into one statement. */
    private static final IncrementCombiner INCREMENTS = new IncrementCombiner();

    private final EntityManager em;

    KvWrites(EntityManager em) {
        this.em = em;
    }

    /**
     * Sets a key: the one-statement upsert when {@code expected} is empty; otherwise only if the entry still has the
     * expected version, or, for {@link ReadVersions#ABSENT}, is still absent or expired.
     */
    void set(String key, String json, Instant expiresAt, Instant now, OptionalLong expected) {
        String context = "set KvEntry key=" + key;
        if (expected.isEmpty()) {
            Sql.run(em, context, h -> KvSql.bindEntry(h.createUpdate(KvSql.SET), key, json, expiresAt, now)
                    .execute());
            return;
        }
        long version = expected.getAsLong();
        Optional<Long> written = Sql.call(em, context, h -> (version == ABSENT
                ? KvSql.bindEntry(h.createQuery(KvSql.SET_IF_ABSENT), key, json, expiresAt, now)
                : KvSql.bindEntry(h.createQuery(KvSql.SET_IF_VERSION), key, json, expiresAt, now)
                        .bind("expected", version))
                .mapTo(long.class)
                .findOne());
        if (written.isEmpty()) {
            throw conflict(context, key, version);
        }
        versions().wrote(ENTITY, key, written.get());
    }

    /** Stores the value only when the key is absent or expired; {@code true} when it did. */
    boolean setIfAbsent(String key, String json, Instant expiresAt, Instant now) {
        Optional<Long> written = Sql.call(em, "setIfAbsent KvEntry key=" + key,
                h -> KvSql.bindEntry(h.createQuery(KvSql.SET_IF_ABSENT), key, json, expiresAt, now)
                        .mapTo(long.class)
                        .findOne());
        written.ifPresent(version -> versions().wrote(ENTITY, key, version));
        return written.isPresent();
    }

    /** Adds {@code delta}, combined with concurrent per-call increments; explains a refused one. */
    long increment(String key, long delta, Instant now) {
        String context = "increment KvEntry key=" + key;
        long[] version = {ABSENT}; // the version this caller's own statement left, when it ran one
        Long sum = Sql.call(em, context, h -> INCREMENTS.increment(
                List.of(em.getEntityManagerFactory(), key), delta, Sql.autoCommit(h),
                (d, increments) -> h.createQuery(KvSql.INCREMENT)
                        .bind("key", key)
                        .bind("delta", d)
                        .bind("now", now)
                        .bind("increments", increments)
                        .map((rs, ctx) -> {
                            version[0] = rs.getLong("version");
                            return Long.valueOf(rs.getString("value"));
                        })
                        .findOne()
                        .orElse(null)));
        if (sum != null) {
            versions().wroteRelative(ENTITY, key, version[0]);
            return sum;
        }
        // the live value is not an integer, or the sum overflows: say which, write nothing
        JsonNode value = Sql.call(em, context, h -> h.createQuery(KvSql.CURRENT_VALUE)
                        .bind("key", key)
                        .mapTo(String.class)
                        .findOne())
                .map(json -> Json.parse("value", json))
                .orElseThrow(() -> new ConcurrencyConflictException(context + ": deleted concurrently", null));
        if (value.isIntegralNumber()) {
            throw new InvalidInputException(context + ": " + value + " + " + delta
                    + " does not fit in a 64-bit integer; the value was not changed");
        }
        throw new InvalidInputException(context + ": the value is a JSON " + value.getNodeType().name().toLowerCase()
                + (value.isNumber() ? " with a fraction" : "") + ", not an integer; the value was not changed");
    }

    /** Why a checked set wrote nothing: created, deleted or changed since the version read. */
    private ConcurrencyConflictException conflict(String context, String key, long version) {
        Optional<Long> current = Sql.call(em, context, h -> h.createQuery(KvSql.VERSION_OF)
                .bind("key", key)
                .mapTo(long.class)
                .findOne());
        if (version == ABSENT) {
            return new ConcurrencyConflictException(ENTITY + " " + key + " was created concurrently: it read as"
                    + " absent, found " + current.map(v -> "version " + v).orElse("it changed")
                    + "; retry the unit of work (it re-reads the current state)", null);
        }
        if (current.isEmpty()) {
            return new ConcurrencyConflictException(ENTITY + " " + key + " was deleted concurrently: expected"
                    + " version " + version + "; retry the unit of work (it re-reads the current state)", null);
        }
        return ReadVersions.conflict(ENTITY, key, version, current.get());
    }

    private ReadVersions versions() {
        return ReadVersions.of(em);
    }
}
