package dev.agentstore.persistence.support;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.agentstore.domain.ConcurrencyConflictException;
import jakarta.persistence.EntityManager;
import org.hibernate.Session;

import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * The versions of versioned aggregates that one transaction has read, so that a later write of the same aggregate
 * in that transaction is checked against the version it read: optimistic locking for repositories that read and
 * write with SQL, as Hibernate checks {@code @Version} for a managed entity. A repository {@linkplain #read records}
 * the version of every versioned row it hands out, and before a write that replaces what the caller may have
 * computed from such a row, asks for the {@linkplain #expected expected} version and writes only when the row
 * still has it ({@link #conflict} otherwise). After writing it records the new version ({@link #wrote}), so that
 * the transaction's own writes never conflict with its earlier reads.
 *
 * <p>The record lives as long as the transaction's Hibernate session: a unit of work standalone, a JTA transaction
 * in a container. It is found through the session ({@link #of}: two handles of one session are equal), held
 * weakly, dropped with it, and made only by the first {@link #read}: a transaction that writes without reading
 * allocates nothing. Not thread-safe, as the session it belongs to.
 */
public final class ReadVersions {

    /** What a repository records for an aggregate its transaction read as absent: a later write must create it. */
    public static final long ABSENT = -1;

    private static final Cache<Session, Map<Key, Long>> BY_SESSION = Caffeine.newBuilder().weakKeys().build();

    private final Session session;

    private ReadVersions(Session session) {
        this.session = session;
    }

    /** An aggregate: its entity name ({@code FlowRun}) and its key as the messages print it ({@code etl/run-1}). */
    private record Key(String entity, String key) {
    }

    /**
     * @param em the transaction's entity manager
     * @return the versions read in its transaction
     */
    public static ReadVersions of(EntityManager em) {
        return new ReadVersions(em.unwrap(Session.class));
    }

    /**
     * Records that the transaction read {@code version} of an aggregate, replacing an earlier record of it.
     *
     * @param entity  the entity name, for example {@code FlowRun}
     * @param key     the aggregate's key within its entity, for example {@code etl/run-1}
     * @param version the version read
     */
    public void read(String entity, String key, long version) {
        BY_SESSION.get(session, s -> new HashMap<>()).put(new Key(entity, key), version);
    }

    /**
     * Records the version a write of this transaction left, when the transaction had read the aggregate: the row is
     * locked by that write until the transaction ends, so the next write of it must expect this version.
     *
     * @param entity  the entity name
     * @param key     the aggregate's key
     * @param version the version after the write
     */
    public void wrote(String entity, String key, long version) {
        Map<Key, Long> versions = BY_SESSION.getIfPresent(session);
        if (versions != null) {
            versions.computeIfPresent(new Key(entity, key), (k, v) -> version);
        }
    }

    /**
     * Records the version a relative write of this transaction (an increment, a merge: one version step, not checked
     * against the read) left, when the transaction had read the aggregate and no other transaction wrote it in
     * between: the version read + 1, or any version when it read as {@link #ABSENT}. Otherwise the stale version
     * stays, so that a later checked write reports the other transaction's change.
     *
     * @param entity the entity name
     * @param key    the aggregate's key
     * @param after  the version after the relative write
     */
    public void wroteRelative(String entity, String key, long after) {
        Map<Key, Long> versions = BY_SESSION.getIfPresent(session);
        if (versions == null) {
            return;
        }
        versions.computeIfPresent(new Key(entity, key),
                (k, before) -> after != ABSENT && (before == ABSENT || before == after - 1) ? after : before);
    }

    /**
     * @param entity the entity name
     * @param key    the aggregate's key
     * @return the version this transaction last read or wrote of the aggregate; empty when it has not read it
     */
    public OptionalLong expected(String entity, String key) {
        Map<Key, Long> versions = BY_SESSION.getIfPresent(session);
        Long v = versions == null ? null : versions.get(new Key(entity, key));
        return v == null ? OptionalLong.empty() : OptionalLong.of(v);
    }

    /**
     * @param entity the entity name
     * @return whether this transaction has read any aggregate of the entity (so that a bulk write must report the
     *         versions it left, {@link #wrote})
     */
    public boolean holds(String entity) {
        Map<Key, Long> versions = BY_SESSION.getIfPresent(session);
        return versions != null && versions.keySet().stream().anyMatch(k -> k.entity().equals(entity));
    }

    /**
     * @param entity   the entity name
     * @param key      the aggregate's key
     * @param expected the version the write expected
     * @param actual   the version the row has
     * @return the exception that reports the lost race; retrying the unit of work re-reads and is safe
     */
    public static ConcurrencyConflictException conflict(String entity, String key, long expected, long actual) {
        return ConcurrencyConflictException.versionMismatch(entity, key, expected, actual);
    }

    /**
     * How one aggregate is recorded: its entity name (as in messages) and how to get a value's key and version.
     * Repositories hold one as a constant and record what they hand out and write with it. Immutable and thread-safe.
     *
     * @param name    the entity name
     * @param key     the aggregate's key
     * @param version the aggregate's version
     * @param <T>     the entity type
     */
    public record Entity<T>(String name, Function<T, String> key, ToLongFunction<T> version) {

        /**
         * Records the version of a value handed out in the transaction ({@link #read(String, String, long)}).
         *
         * @param em    the transaction's entity manager
         * @param value the value
         * @return {@code value}
         */
        public T read(EntityManager em, T value) {
            of(em).read(name, key.apply(value), version.applyAsLong(value));
            return value;
        }

        /**
         * Records the version this transaction's own write left ({@link #wrote(String, String, long)}).
         *
         * @param em    the transaction's entity manager
         * @param value the value as written
         * @return {@code value}
         */
        public T wrote(EntityManager em, T value) {
            of(em).wrote(name, key.apply(value), version.applyAsLong(value));
            return value;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ReadVersions other && other.session == session;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(session);
    }
}
