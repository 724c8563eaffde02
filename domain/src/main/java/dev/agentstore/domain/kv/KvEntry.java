package dev.agentstore.domain.kv;

import dev.agentstore.domain.json.Json;
import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.ReadOnlyEntity;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import org.hibernate.annotations.Immutable;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One entry of the key-value store (table {@code kv_entries}): a key, any JSON value, and an optional
 * expiry time. Every JSON value is a value: {@code 0}, {@code false}, {@code ""} and JSON
 * {@code null} are stored and read back as themselves, distinct from an absent key.
 *
 * <p>An entry whose expiry time is at or before "now" is <em>expired</em> and reads as absent; the row stays until
 * something overwrites, deletes or purges it (reads never write). The repository ({@code KvRepository}) writes
 * the table with set-based SQL; this entity is the mapping for JPA users' reads (JPQL, Criteria), read-only to JPA
 * ({@link ReadOnlyEntity}), and holds the rules every write follows ({@link #requireKey}, {@link #requireValue},
 * {@link #expiryAt}).
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "kv_entries")
public class KvEntry {

    /** Maximum key length: 512 characters (UTF-16 code units, so never more than the column's 512 characters). */
    public static final int MAX_KEY_LENGTH = 512;

    /** Shortest accepted time to live: 1 ms (TTLs are kept to millisecond precision). */
    public static final Duration MIN_TTL = Duration.ofMillis(1);

    /** Longest accepted time to live: 36,500 days (about 100 years). */
    public static final Duration MAX_TTL = Duration.ofDays(36_500);

    @Id
    @Column(name = "\"key\"", length = MAX_KEY_LENGTH)
    private String key;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "value", columnDefinition = "jsonb", nullable = false)
    private JsonNode value;

    @Column(name = "expires_at")
    private Instant expiresAt;

    @Column(name = "updated_at", nullable = false)
    private Instant updatedAt;

    @Version
    private long version;

    /** For JPA. */
    protected KvEntry() {
    }

    private KvEntry(String key, JsonNode value, Instant expiresAt, Instant now) {
        this.key = key;
        this.value = value;
        this.expiresAt = expiresAt;
        this.updatedAt = now;
    }

    /**
     * An entry as read from the database (for repositories that read rows with native SQL).
     *
     * @param key       the key
     * @param value     the value, any JSON value; copied
     * @param expiresAt when it expires, or {@code null} when it never does
     * @param updatedAt when the value was last written
     * @param version   its version
     * @return the entry, not attached to any persistence context
     * @throws InvalidInputException when the key or value is invalid, or {@code updatedAt} is {@code null}
     */
    public static KvEntry of(String key, JsonNode value, Instant expiresAt, Instant updatedAt, long version) {
        KvEntry entry = new KvEntry(requireKey(key), requireValue(key, value).deepCopy(), expiresAt,
                Check.notNull("updatedAt", updatedAt));
        entry.version = version;
        return entry;
    }

    /**
     * Replaces the value and the expiry, as the repository's {@code set}: a {@code null} ttl removes the expiry.
     *
     * @param newValue the new value, any JSON value; copied
     * @param ttl      time to live from {@code now}, or {@code null} for no expiry
     * @param now      the current time
     * @throws InvalidInputException when the value or ttl is invalid, or {@code now} is {@code null}
     */
    public void replace(JsonNode newValue, Duration ttl, Instant now) {
        Check.notNull("now", now);
        JsonNode copy = requireValue(key, newValue).deepCopy();
        Instant newExpiry = ttl == null ? null : expiryAt(now, ttl);
        this.value = copy;
        this.expiresAt = newExpiry;
        this.updatedAt = now;
    }

    /** @return the key */
    public String key() {
        return key;
    }

    /** @return a copy of the value; JSON {@code null} is {@link com.fasterxml.jackson.databind.node.NullNode} */
    public JsonNode value() {
        return value.deepCopy();
    }

    /** @return when the entry expires, or empty when it never does */
    public Optional<Instant> expiresAt() {
        return Optional.ofNullable(expiresAt);
    }

    /** @return when the value was last written */
    public Instant updatedAt() {
        return updatedAt;
    }

    /** @return the optimistic-lock version: 0 when created, plus 1 on every write */
    public long version() {
        return version;
    }

    /**
     * @param now the current time
     * @return whether the entry has an expiry time at or before {@code now} (then it reads as absent)
     */
    public boolean isExpiredAt(Instant now) {
        return expiresAt != null && !expiresAt.isAfter(Check.notNull("now", now));
    }

    /**
     * Validates a key.
     *
     * @param key the key
     * @return {@code key}
     * @throws InvalidInputException when {@code key} is {@code null}, blank, longer than {@value #MAX_KEY_LENGTH}
     *                               characters, or contains the NUL character (PostgreSQL text cannot hold it)
     */
    public static String requireKey(String key) {
        return Check.text("key", key, MAX_KEY_LENGTH);
    }

    /**
     * Validates a key pattern (for {@code clear} and {@code keys}): the same rules as a key.
     *
     * @param pattern the pattern
     * @return {@code pattern}
     * @throws InvalidInputException when {@code pattern} is {@code null}, blank, longer than {@value #MAX_KEY_LENGTH}
     *                               characters, or contains the NUL character
     */
    public static String requirePattern(String pattern) {
        return Check.text("pattern", pattern, MAX_KEY_LENGTH);
    }

    /**
     * Validates a value: any JSON value, but not a Java {@code null} (store JSON null as
     * {@link com.fasterxml.jackson.databind.node.NullNode#instance}) and no NUL character in a string or member
     * name (PostgreSQL's jsonb rejects {@code \u0000}).
     *
     * @param key   the key, for the message
     * @param value the value
     * @return {@code value}
     * @throws InvalidInputException when the value is invalid
     */
    public static JsonNode requireValue(String key, JsonNode value) {
        if (value == null) {
            throw new InvalidInputException("value of KvEntry key=" + key
                    + " must not be null (store JSON null as NullNode.instance)");
        }
        if (Json.containsNul(value)) {
            throw new InvalidInputException("value of KvEntry key=" + key
                    + " must not contain the NUL character (\\u0000), which PostgreSQL's jsonb cannot store");
        }
        return value;
    }

    /**
     * The expiry time of an entry written at {@code now} with time to live {@code ttl}: {@code now} plus the ttl in
     * whole milliseconds (any sub-millisecond part of the ttl is dropped).
     *
     * @param now the current time
     * @param ttl time to live, 1 ms to 36,500 days
     * @return {@code now + ttl}
     * @throws InvalidInputException when {@code ttl} is {@code null} or out of range, or {@code now} is {@code null}
     */
    public static Instant expiryAt(Instant now, Duration ttl) {
        Check.notNull("now", now);
        Check.notNull("ttl", ttl);
        if (ttl.compareTo(MIN_TTL) < 0 || ttl.compareTo(MAX_TTL) > 0) {
            throw new InvalidInputException("ttl must be between 1 ms and 36500 days, was " + ttl);
        }
        return now.plusMillis(ttl.toMillis());
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof KvEntry other && key != null && key.equals(other.key);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(key);
    }

    @Override
    public String toString() {
        return "KvEntry[key=" + key + ", expiresAt=" + expiresAt + ", version=" + version + "]";
    }
}
