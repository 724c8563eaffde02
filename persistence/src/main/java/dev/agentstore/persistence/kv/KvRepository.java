package dev.agentstore.persistence.kv;

import dev.agentstore.persistence.support.AbstractRepository;
import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.kv.KvEntry;
import dev.agentstore.persistence.support.IncrementCombiner;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.ReadOnly;
import dev.agentstore.persistence.support.SingleStatement;
import dev.agentstore.persistence.support.Sql;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The key-value store with time to live: every JSON value is a value ({@code 0}, {@code false}, {@code ""} and
 * JSON {@code null} are stored and returned, distinct from an absent key), reads never write, and
 * {@link #clear(String)} treats every {@code *} as a wildcard.
 *
 * <p><b>Expiry.</b> An entry whose expiry time is at or before "now" reads as absent everywhere. "Now" is always
 * the injected {@link Clock} (truncated to microseconds, PostgreSQL's precision), in writes and reads alike, so an
 * entry set with a ttl of 10 s is present until the clock has moved 10 s on and absent from then on. Expired rows
 * stay in the table until they are overwritten, deleted, cleared, or removed by {@link #purgeExpired(int)}.
 * Since expiry is judged by each caller's clock (not the database's), processes sharing a store (for example
 * lock holders using {@link #setIfAbsent(String, JsonNode, Duration)}) need synchronised clocks (NTP); a skew of
 * {@code d} shifts when one process sees another's entry expire by {@code d}.
 *
 * <p><b>Transactions.</b> Every method runs in the caller's transaction and sends one SQL statement (except the
 * error paths of {@link #increment} and of a checked {@code set}, and the loop of {@link #purgeExpired(int)});
 * nothing is begun or committed here. Through {@code store.kv()} each call is its own unit of work, and the
 * one-statement methods ({@link SingleStatement}) run in autocommit mode: one round trip. The statements run
 * through {@link Sql} on the unit of work's connection ({@link KvEntry} is read-only to JPA).
 *
 * <p><b>Read-modify-write.</b> A key that a unit of work read ({@link #get}, {@link #getEntry},
 * {@link #getEntryForUpdate}, or its own earlier write) is written by {@link #set(String, JsonNode)} and its overloads
 * only if the entry still has the version read, or is still absent (or expired) when it read as absent
 * ({@link ReadVersions}): the write is one {@code UPDATE ... WHERE version = ?} (an insert that takes over only an
 * absent or expired key, when it read as absent), and when another transaction changed the entry in between it
 * writes nothing and fails with a {@link ConcurrencyConflictException} carrying both versions, so {@code n + 1}
 * computed from a read is never lost; {@code fromTransactionWithRetry} re-runs the unit of work.
 * {@link #getEntryForUpdate} locks the row at the read instead, so concurrent writers queue (for hot keys). Callers
 * outside a unit of work pass the version they read ({@link #set(String, JsonNode, long)}). {@link #increment} (an
 * atomic relative write), {@link #setIfAbsent} (conditional by itself), {@link #delete}, {@link #clear} and the
 * purges are not checked; a unit of work's own increment or delete of a key it read counts as its own write, so a
 * later set in it does not conflict with itself. With nothing read, every set is the one-statement upsert.
 *
 * <p>Standalone: {@code store.fromTransaction(uow -> uow.kv().get("config"))}; in a container inject it.
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
public class KvRepository extends AbstractRepository {

    /** Largest accepted {@code batchSize} of {@link #purgeExpired(int)} and {@link #purgeExpiredBatch(int)}. */
    public static final int MAX_BATCH_SIZE = 10_000;

    /** Largest accepted {@code limit} of {@link #keys(String, int)}. */
    public static final int MAX_KEYS_LIMIT = 10_000;

    /** The entity name in {@link ReadVersions} and conflict messages. */
    private static final String ENTITY = "KvEntry";

    /** What {@link ReadVersions} records for a key that read as absent (or expired). */
    private static final long ABSENT = ReadVersions.ABSENT;

    /**
     * Reads a value: a stored {@code 0}, {@code false}, {@code ""} or JSON {@code null} is returned as such (JSON null
     * as {@code Optional.of(NullNode.instance)}), and the read writes nothing (expired rows are left for
     * {@link #purgeExpired(int)}). One SELECT. In a unit of work, the version read (or the absence) is remembered: a
     * later {@code set} of the key in the same unit of work writes only if the entry has not changed since (see the
     * class description).
     *
     * @param key the key, 1–512 characters
     * @return the value, or empty when the key is absent or expired
     * @throws InvalidInputException when the key is blank, longer than 512 characters or contains NUL
     */
    @SingleStatement
    @ReadOnly
    public Optional<JsonNode> get(String key) {
        KvEntry.requireKey(key);
        Instant now = now();
        Optional<Versioned> row = Sql.call(em, "get KvEntry key=" + key, h -> h.createQuery(KvSql.GET)
                .bind("key", key)
                .bind("now", now)
                .map((rs, ctx) -> new Versioned(rs.getString("value"), rs.getLong("version")))
                .findOne());
        read(key, row.map(Versioned::version).orElse(ABSENT));
        return row.map(r -> Json.parse("value", r.json()));
    }

    /**
     * Reads an entry with its expiry, update time and version, for callers that write it back with
     * {@link #set(String, JsonNode, long)} from another unit of work. One SELECT; remembered as {@link #get} is.
     *
     * @param key the key, 1–512 characters
     * @return the entry, or empty when the key is absent or expired
     * @throws InvalidInputException when the key is invalid
     */
    @SingleStatement
    @ReadOnly
    public Optional<KvEntry> getEntry(String key) {
        KvEntry.requireKey(key);
        return entry("get KvEntry key=" + key, KvSql.SELECT_ENTRY, key);
    }

    /**
     * As {@link #getEntry}, locking the entry's row ({@code SELECT ... FOR UPDATE}) until the transaction ends, so
     * that writers of the key queue behind this unit of work instead of failing its later {@code set} with a
     * conflict: the form for hot keys. An absent or expired key is not locked. Needs a transaction (a unit of work,
     * or a container transaction); called through {@code store.kv()} the lock ends with the call.
     *
     * @param key the key, 1–512 characters
     * @return the entry, or empty when the key is absent or expired
     * @throws InvalidInputException when the key is invalid
     */
    public Optional<KvEntry> getEntryForUpdate(String key) {
        KvEntry.requireKey(key);
        return entry("get KvEntry key=" + key + " for update", KvSql.SELECT_ENTRY_FOR_UPDATE, key);
    }

    /**
     * Stores a value that never expires, replacing any value and removing any expiry the key had (as Redis
     * {@code SET}). One upsert statement; the entry's version goes up by one on every overwrite. After a read of the
     * key in the same unit of work, a compare-and-set instead (see the class description).
     *
     * @param key   the key, 1–512 characters
     * @param value any JSON value, including {@code 0}, {@code false}, {@code ""} and
     *              {@link com.fasterxml.jackson.databind.node.NullNode#instance} (JSON null)
     * @throws InvalidInputException when the key is invalid, or the value is Java {@code null} or contains NUL;
     *                               nothing is written
     * @throws ConcurrencyConflictException when this unit of work read the key and another transaction changed,
     *                                      created or deleted it since (see the class description); nothing is
     *                                      written
     */
    @SingleStatement
    public void set(String key, JsonNode value) {
        upsert(key, value, null);
    }

    /**
     * Stores a value that expires {@code ttl} after the clock's now, replacing any value and expiry the key had, with
     * millisecond precision. One upsert statement.
     *
     * @param key   the key, 1–512 characters
     * @param value any JSON value (see {@link #set(String, JsonNode)})
     * @param ttl   time to live, 1 ms to 36,500 days; a sub-millisecond part is dropped
     * @throws InvalidInputException when the key, value or ttl is invalid; nothing is written
     * @throws ConcurrencyConflictException when this unit of work read the key and another transaction changed,
     *                                      created or deleted it since (see the class description); nothing is
     *                                      written
     */
    @SingleStatement
    public void set(String key, JsonNode value, Duration ttl) {
        upsert(key, value, Check.notNull("ttl", ttl));
    }

    /**
     * As {@link #set(String, JsonNode)} for a plain Java value (maps, lists, strings, numbers, booleans, records),
     * converted with {@link Json#of}.
     *
     * @param key   the key, 1–512 characters
     * @param value the value; Java {@code null} is rejected (store JSON null with
     *              {@link com.fasterxml.jackson.databind.node.NullNode#instance})
     * @throws InvalidInputException when the key is invalid, the value is {@code null} or cannot be converted to
     *                               JSON; nothing is written
     * @throws ConcurrencyConflictException when this unit of work read the key and another transaction changed,
     *                                      created or deleted it since (see the class description); nothing is
     *                                      written
     */
    @SingleStatement
    public void set(String key, Object value) {
        upsert(key, toJson(key, value), null);
    }

    /**
     * As {@link #set(String, JsonNode, Duration)} for a plain Java value, converted with {@link Json#of}.
     *
     * @param key   the key, 1–512 characters
     * @param value the value; Java {@code null} is rejected
     * @param ttl   time to live, 1 ms to 36,500 days
     * @throws InvalidInputException when the key, value or ttl is invalid; nothing is written
     * @throws ConcurrencyConflictException when this unit of work read the key and another transaction changed,
     *                                      created or deleted it since (see the class description); nothing is
     *                                      written
     */
    @SingleStatement
    public void set(String key, Object value, Duration ttl) {
        upsert(key, toJson(key, value), Check.notNull("ttl", ttl));
    }

    /**
     * As {@link #set(String, JsonNode)}, only if the entry still has {@code expectedVersion} (compare-and-set, for
     * callers that read it in an earlier unit of work, or outside any): one {@code UPDATE ... WHERE version = ?}.
     *
     * @param key             the key, 1–512 characters
     * @param value           any JSON value (see {@link #set(String, JsonNode)})
     * @param expectedVersion the version the caller read ({@link KvEntry#version()})
     * @throws InvalidInputException        when the key or value is invalid, or {@code expectedVersion} is negative;
     *                                      nothing is written
     * @throws ConcurrencyConflictException when the entry's version is not {@code expectedVersion} (it carries both
     *                                      versions), or the entry is gone; nothing is written
     */
    @SingleStatement
    public void set(String key, JsonNode value, long expectedVersion) {
        upsert(key, value, null, OptionalLong.of(Check.notNegative("expectedVersion", expectedVersion)));
    }

    /**
     * As {@link #set(String, JsonNode, Duration)}, only if the entry still has {@code expectedVersion}
     * (compare-and-set, see {@link #set(String, JsonNode, long)}).
     *
     * @param key             the key, 1–512 characters
     * @param value           any JSON value
     * @param ttl             time to live, 1 ms to 36,500 days
     * @param expectedVersion the version the caller read ({@link KvEntry#version()})
     * @throws InvalidInputException        when the key, value, ttl or {@code expectedVersion} is invalid; nothing is
     *                                      written
     * @throws ConcurrencyConflictException when the entry's version is not {@code expectedVersion} (it carries both
     *                                      versions), or the entry is gone; nothing is written
     */
    @SingleStatement
    public void set(String key, JsonNode value, Duration ttl, long expectedVersion) {
        upsert(key, value, Check.notNull("ttl", ttl),
                OptionalLong.of(Check.notNegative("expectedVersion", expectedVersion)));
    }

    /**
     * Stores a value only when the key is absent or expired, as Redis {@code SET key value NX PX ttl}: usable as a
     * lock whose holder vanishes after {@code ttl} (the value can name the owner). Of several transactions racing
     * for the same key exactly one gets {@code true}; once that entry has expired by the clock, the next caller can
     * take it over. One statement ({@code INSERT ... ON CONFLICT DO UPDATE ... WHERE expired}).
     *
     * @param key   the key, 1–512 characters
     * @param value any JSON value
     * @param ttl   time to live, 1 ms to 36,500 days
     * @return {@code true} when the value was stored (lock acquired), {@code false} when a live entry exists (it
     *         is left unchanged)
     * @throws InvalidInputException when the key, value or ttl is invalid; nothing is written
     */
    @SingleStatement
    public boolean setIfAbsent(String key, JsonNode value, Duration ttl) {
        return setIfAbsentOrExpired(key, value, Check.notNull("ttl", ttl));
    }

    /**
     * As {@link #setIfAbsent(String, JsonNode, Duration)} for an entry that never expires (a lock taken this way
     * is only released by {@link #delete}).
     *
     * @param key   the key, 1–512 characters
     * @param value any JSON value
     * @return {@code true} when the value was stored, {@code false} when a live entry exists (left unchanged)
     * @throws InvalidInputException when the key or value is invalid; nothing is written
     */
    @SingleStatement
    public boolean setIfAbsent(String key, JsonNode value) {
        return setIfAbsentOrExpired(key, value, null);
    }

    /**
     * Removes a key. An expired entry is removed too but reported as {@code false},
     * since it already read as absent. One statement.
     *
     * @param key the key, 1–512 characters
     * @return whether a live entry was removed
     * @throws InvalidInputException when the key is invalid
     */
    @SingleStatement
    public boolean delete(String key) {
        KvEntry.requireKey(key);
        Instant now = now();
        boolean live = Sql.call(em, "delete KvEntry key=" + key, h -> h.createQuery(KvSql.DELETE)
                .bind("key", key)
                .bind("now", now)
                .mapTo(boolean.class)
                .findOne()
                .orElse(false));
        versions().wrote(ENTITY, key, ABSENT);
        return live;
    }

    /**
     * Adds {@code delta} to an integer value atomically and returns the sum, as Redis {@code INCRBY}:
     * one upsert, so concurrent increments never lose an update. A missing or expired key starts
     * from 0 and gets no expiry; a live key keeps its expiry (as Redis {@code INCR}), so a counter set with a ttl
     * still expires on time.
     *
     * <p>Through {@code store.kv()} (autocommit mode), concurrent positive increments of one key are combined into one
     * statement, each call getting its own value as if they had run one after another (see
     * {@link IncrementCombiner}); inside a unit of work or a container transaction each call is its own statement.
     *
     * @param key   the key, 1–512 characters
     * @param delta the amount to add; may be negative or 0
     * @return the new value
     * @throws InvalidInputException when the key is invalid, the live value is not a JSON integer (a string,
     *                               {@code 1.5}, {@code true}, JSON null, an object...), or the sum would not fit in a
     *                               64-bit signed integer; the message names the key and nothing is written
     */
    @SingleStatement
    public long increment(String key, long delta) {
        KvEntry.requireKey(key);
        return writes().increment(key, delta, now());
    }

    /**
     * Removes every key matching a Redis-style glob: <b>every</b> {@code *} matches any run of characters, including
     * none; every other character matches only itself. In particular {@code %}, {@code _} and {@code \} (LIKE's
     * specials) are literal, and so is {@code ?}: unlike Redis there is no single-character wildcard, no
     * {@code [...]} class and no escape character, so a pattern without {@code *} removes at most that one key and a
     * destructive call never matches more than the {@code *}s allow. Matching is case-sensitive. The pattern is
     * bound as a parameter (LIKE with {@code ESCAPE '\'}); a pattern with a literal prefix ({@code session:*}) can
     * use the key index. Expired entries that match are removed too but not counted. One statement.
     *
     * @param pattern the glob, 1–512 characters, not blank; {@code *} alone removes every key
     * @return how many live entries were removed
     * @throws InvalidInputException when the pattern is blank, longer than 512 characters or contains NUL
     */
    @SingleStatement
    public long clear(String pattern) {
        String like = KvSql.likePattern(KvEntry.requirePattern(pattern));
        Instant now = now();
        return Sql.call(em, "clear KvEntry pattern=" + pattern, h -> h.createQuery(KvSql.CLEAR)
                .bind("pattern", like)
                .bind("now", now)
                .mapTo(long.class)
                .one());
    }

    /**
     * Lists live keys matching a glob (the rules of {@link #clear(String)}), in code-point order, at most
     * {@code limit} of them. For inspection and tooling; it scans the matching keys.
     *
     * @param pattern the glob, 1–512 characters, not blank
     * @param limit   the most keys to return, 1 to {@value #MAX_KEYS_LIMIT}
     * @return the keys, sorted; unmodifiable
     * @throws InvalidInputException when the pattern or limit is invalid
     */
    @SingleStatement
    @ReadOnly
    public List<String> keys(String pattern, int limit) {
        String like = KvSql.likePattern(KvEntry.requirePattern(pattern));
        Check.range("limit", limit, 1, MAX_KEYS_LIMIT);
        Instant now = now();
        return Sql.call(em, "list KvEntry keys pattern=" + pattern, h -> h.createQuery(KvSql.KEYS)
                .bind("pattern", like)
                .bind("now", now)
                .bind("limit", limit)
                .mapTo(String.class)
                .list());
    }

    /**
     * Deletes one batch of at most {@code batchSize} expired entries (oldest expiry first) in the caller's
     * transaction and returns how many it deleted; fewer than {@code batchSize} means none were left (apart from
     * rows another transaction has locked, which are skipped rather than waited for). To purge a large backlog
     * with bounded transactions, commit each batch on its own:
     *
     * <pre>{@code
     * int deleted;
     * do {
     *     deleted = store.fromTransaction(uow -> uow.kv().purgeExpiredBatch(1000));
     * } while (deleted == 1000);
     * }</pre>
     *
     * (In a container, call it from a {@code REQUIRES_NEW} method in the same loop.) One statement.
     *
     * @param batchSize the most rows to delete, 1 to {@value #MAX_BATCH_SIZE}
     * @return how many expired entries were deleted
     * @throws InvalidInputException when {@code batchSize} is out of range
     */
    public int purgeExpiredBatch(int batchSize) {
        Check.range("batchSize", batchSize, 1, MAX_BATCH_SIZE);
        Instant now = now();
        return Sql.call(em, "purge expired KvEntry rows", h -> h.createUpdate(KvSql.PURGE_BATCH)
                .bind("now", now)
                .bind("batchSize", batchSize)
                .execute());
    }

    /**
     * Deletes every expired entry, in DELETE statements of at most {@code batchSize} rows each, until a batch comes
     * back short, and returns the total. Reads never delete expired rows: run this from a periodic job. All
     * batches run in the caller's <b>one</b> transaction (a repository never commits), so each statement is
     * bounded but the row locks and the undo of all batches last until the caller commits; that is fine for a
     * routine purge, while a large backlog should be purged with {@link #purgeExpiredBatch(int)} in one
     * transaction per batch.
     *
     * @param batchSize the most rows per DELETE statement, 1 to {@value #MAX_BATCH_SIZE}
     * @return how many expired entries were deleted in all
     * @throws InvalidInputException when {@code batchSize} is out of range
     */
    public long purgeExpired(int batchSize) {
        Check.range("batchSize", batchSize, 1, MAX_BATCH_SIZE);
        return Sql.deleteInBatches(() -> purgeExpiredBatch(batchSize), batchSize);
    }

    private void upsert(String key, JsonNode value, Duration ttl) {
        KvEntry.requireKey(key);
        upsert(key, value, ttl, versions().expected(ENTITY, key));
    }

    private void upsert(String key, JsonNode value, Duration ttl, OptionalLong expected) {
        KvEntry.requireKey(key);
        String json = JsonWrites.print(em, "value", KvEntry.requireValue(key, value));
        Instant now = now();
        writes().set(key, json, ttl == null ? null : KvEntry.expiryAt(now, ttl), now, expected);
    }

    private boolean setIfAbsentOrExpired(String key, JsonNode value, Duration ttl) {
        KvEntry.requireKey(key);
        String json = JsonWrites.print(em, "value", KvEntry.requireValue(key, value));
        Instant now = now();
        return writes().setIfAbsent(key, json, ttl == null ? null : KvEntry.expiryAt(now, ttl), now);
    }

    /** Reads an entry with {@link KvSql#SELECT_ENTRY} or {@link KvSql#SELECT_ENTRY_FOR_UPDATE} and remembers its version. */
    private Optional<KvEntry> entry(String context, String select, String key) {
        Instant now = now();
        Optional<KvEntry> entry = Sql.call(em, context, h -> h.createQuery(select)
                .bind("key", key)
                .bind("now", now)
                .map((rs, ctx) -> KvEntry.of(key, Json.parse("value", rs.getString("value")),
                        Sql.instant(rs, "expires_at"), Sql.instant(rs, "updated_at"), rs.getLong("version")))
                .findOne());
        read(key, entry.map(KvEntry::version).orElse(ABSENT));
        return entry;
    }

    /** A JSON value as text with its row's version. */
    private record Versioned(String json, long version) {
    }

    /** Remembers the version of a key read in this transaction, {@link #ABSENT} when it read as absent. */
    private void read(String key, long version) {
        versions().read(ENTITY, key, version);
    }


    private ReadVersions versions() {
        return ReadVersions.of(em);
    }

    private KvWrites writes() {
        return new KvWrites(em);
    }

    private static JsonNode toJson(String key, Object value) {
        if (value == null) {
            throw new InvalidInputException("value of KvEntry key=" + key
                    + " must not be null (store JSON null as NullNode.instance)");
        }
        return Json.of("value", value);
    }

    /** "Now" for expiry, at PostgreSQL's precision so that what is written compares exactly with what is read. */
    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
