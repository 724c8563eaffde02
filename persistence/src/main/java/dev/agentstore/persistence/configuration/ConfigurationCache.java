package dev.agentstore.persistence.configuration;

import dev.agentstore.domain.Check;
import com.fasterxml.jackson.databind.JsonNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.agentstore.domain.InvalidInputException;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The bounded read cache of {@link ConfigurationRepository#loadRaw} and {@link ConfigurationRepository#load}
 * (least recently used entries go first), shared by every transaction of one store:
 * repositories are created per unit of work, so the cache lives outside them, in the {@code AgentStore} (built from
 * {@code AgentStoreConfig.configCacheMaxSize()} and {@code configCacheTtl()}) or, in a container, as this
 * {@code @ApplicationScoped} bean (its no-arg constructor reads {@code AGENTSTORE_CONFIG_CACHE_MAX_SIZE} and
 * {@code AGENTSTORE_CONFIG_CACHE_TTL_SECONDS}). It maps an identifier to the content of its newest snapshot, or to
 * "no snapshot"; a store works on one schema, so the identifier is the whole key.
 *
 * <p><b>What is cached and when it goes stale.</b>
 * <ul>
 * <li>Only committed data is cached: a value read while any transaction of this cache's process has an unfinished
 * define or remove of a configuration (including the reader's own transaction, which sees its own uncommitted
 * write) is returned but not stored, and neither is a value read while a define or remove started or ended
 * (a per-cache generation counter detects that). A define or remove invalidates its identifier when it writes and
 * again when its transaction ends, committed or rolled back (a Hibernate after-completion callback), so neither a
 * rolled-back write nor the value from before a committed one is served afterwards.</li>
 * <li>Writes by <b>other processes</b> (or another {@code AgentStore} in this one) are not seen until the entry
 * expires: the TTL (default 10 minutes) is the bound on that staleness. Set a short TTL, or a maximum
 * size of 0 (no caching), when other processes change configurations and readers must see the change promptly.</li>
 * <li>The cache assumes READ COMMITTED transactions (PostgreSQL's and agentstore's default); a reader in an older
 * REPEATABLE READ snapshot could store a value that a define of another process committed after the snapshot
 * began, stale until the TTL.</li>
 * </ul>
 * If an after-completion callback were ever lost, the pending-write count would stay above 0 and the cache would
 * stop storing values: it fails towards reading the database, never towards stale data.
 *
 * <p>Values are held as immutable-by-convention JSON trees and handed out as deep copies. Thread-safe; hits take no
 * lock.
 */
@ApplicationScoped
public class ConfigurationCache {

    /** Default maximum number of cached identifiers: 1,000. */
    public static final long DEFAULT_MAX_SIZE = 1_000;

    /** Default time to live of a cached value: 10 minutes. */
    public static final Duration DEFAULT_TTL = Duration.ofMinutes(10);

    /** Largest accepted maximum size: 1,000,000 entries. */
    public static final long MAX_MAX_SIZE = 1_000_000;

    /** Longest accepted time to live: 1 day. */
    public static final Duration MAX_TTL = Duration.ofDays(1);

    private final Cache<String, Optional<JsonNode>> cache;
    private final long maxSize;
    private final Duration ttl;
    private long generation;
    private int pendingWrites;

    /**
     * For CDI: the settings from the environment variables {@code AGENTSTORE_CONFIG_CACHE_MAX_SIZE} (entries) and
     * {@code AGENTSTORE_CONFIG_CACHE_TTL_SECONDS} (seconds), or the defaults (1,000 entries, 600 s).
     *
     * @throws InvalidInputException when a variable is not a number or out of range
     */
    public ConfigurationCache() {
        this(fromEnvironment(System.getenv(), "AGENTSTORE_CONFIG_CACHE_MAX_SIZE", DEFAULT_MAX_SIZE),
                Duration.ofSeconds(fromEnvironment(System.getenv(), "AGENTSTORE_CONFIG_CACHE_TTL_SECONDS",
                        DEFAULT_TTL.toSeconds())));
    }

    /**
     * @param maxSize the most identifiers kept, 0 (no caching) to {@value #MAX_MAX_SIZE}; beyond it the least
     *                recently and frequently used are evicted (Caffeine's W-TinyLFU)
     * @param ttl     how long a value is kept after it was read from the database, 0 (no caching) to 1 day; the
     *                bound on how stale a value can be after another process changed it
     * @throws InvalidInputException when a setting is out of range
     */
    public ConfigurationCache(long maxSize, Duration ttl) {
        this(maxSize, ttl, Ticker.systemTicker());
    }

    /** With a ticker, for tests of expiry. */
    ConfigurationCache(long maxSize, Duration ttl, Ticker ticker) {
        this.maxSize = requireMaxSize(maxSize);
        this.ttl = requireTtl(ttl);
        this.cache = maxSize == 0 || ttl.isZero() ? null : Caffeine.newBuilder()
                .maximumSize(maxSize)
                .expireAfterWrite(ttl)
                .executor(Runnable::run)
                .ticker(ticker)
                .build();
    }

    /** @return a cache that stores nothing: every load reads the database */
    public static ConfigurationCache disabled() {
        return new ConfigurationCache(0, Duration.ZERO);
    }

    /**
     * Validates a maximum size.
     *
     * @param maxSize the most entries
     * @return {@code maxSize}
     * @throws InvalidInputException when it is outside 0–{@value #MAX_MAX_SIZE}
     */
    public static long requireMaxSize(long maxSize) {
        if (maxSize < 0 || maxSize > MAX_MAX_SIZE) {
            throw new InvalidInputException("configCacheMaxSize (AGENTSTORE_CONFIG_CACHE_MAX_SIZE) must be between 0"
                    + " and " + MAX_MAX_SIZE + ", was " + maxSize);
        }
        return maxSize;
    }

    /**
     * Validates a time to live.
     *
     * @param ttl the time to live
     * @return {@code ttl}
     * @throws InvalidInputException when it is {@code null}, negative or longer than 1 day
     */
    public static Duration requireTtl(Duration ttl) {
        if (ttl == null || ttl.isNegative() || ttl.compareTo(MAX_TTL) > 0) {
            throw new InvalidInputException("configCacheTtl (AGENTSTORE_CONFIG_CACHE_TTL_SECONDS) must be between 0 s"
                    + " and 86400 s, was " + ttl);
        }
        return ttl;
    }

    /** @return the most identifiers kept; 0 when caching is off */
    public long maxSize() {
        return maxSize;
    }

    /** @return how long a value is kept; zero when caching is off */
    public Duration ttl() {
        return ttl;
    }

    /** @return whether this cache stores anything (maximum size and TTL both above 0) */
    public boolean enabled() {
        return cache != null;
    }

    /** @return how many identifiers are cached now (an estimate, for monitoring and tests) */
    public long size() {
        if (cache == null) {
            return 0;
        }
        cache.cleanUp();
        return cache.estimatedSize();
    }

    /** Drops every cached value (for example after changing configurations with SQL behind the repository's back). */
    public void invalidateAll() {
        if (cache != null) {
            synchronized (this) {
                generation++;
                cache.invalidateAll();
            }
        }
    }

    /**
     * The cached content of an identifier's newest snapshot, or {@code loader}'s result, which is stored when no
     * define or remove was pending or happened meanwhile in this process.
     *
     * @param identifier the identifier
     * @param loader     reads the newest content from the database (empty when there is none)
     * @return a copy of the content, or empty
     */
    Optional<JsonNode> get(String identifier, Supplier<Optional<JsonNode>> loader) {
        if (cache == null) {
            return loader.get();
        }
        Optional<JsonNode> hit = cache.getIfPresent(identifier);
        if (hit != null) {
            return hit.map(JsonNode::deepCopy);
        }
        long before;
        synchronized (this) {
            before = pendingWrites == 0 ? generation : -1;
        }
        Optional<JsonNode> loaded = loader.get();
        if (before >= 0) {
            Optional<JsonNode> stored = loaded.map(JsonNode::deepCopy);
            synchronized (this) {
                if (pendingWrites == 0 && generation == before) {
                    cache.put(identifier, stored);
                }
            }
        }
        return loaded;
    }

    /**
     * A define or remove of {@code identifier} has written: drop its value and store nothing until
     * {@link #writeEnded} is called for this write.
     *
     * @param identifier the identifier written
     */
    void writeStarted(String identifier) {
        if (cache != null) {
            synchronized (this) {
                pendingWrites++;
                generation++;
                cache.invalidate(identifier);
            }
        }
    }

    /**
     * The transaction of a write reported by {@link #writeStarted} has ended (committed or rolled back).
     *
     * @param identifier the identifier written
     */
    void writeEnded(String identifier) {
        if (cache != null) {
            synchronized (this) {
                pendingWrites--;
                generation++;
                cache.invalidate(identifier);
            }
        }
    }

    @Override
    public String toString() {
        return "ConfigurationCache[maxSize=" + maxSize + ", ttl=" + ttl + "]";
    }

    private static long fromEnvironment(Map<String, String> env, String name, long fallback) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new InvalidInputException(name + " must be an integer, was " + Check.describe(v.trim()));
        }
    }
}
