package dev.agentstore.domain;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * Thrown when a write lost a race: the version it expected (read earlier in the unit of work, or passed by the
 * caller) is no longer the aggregate's version, an optimistic lock check on {@code @Version} failed, or PostgreSQL
 * reported a serialization failure or deadlock (SQL states 40001, 40P01). The transaction was rolled back and
 * nothing of the failed write is kept, so it is always {@link #retrySafe() retry-safe}: retrying the whole unit of
 * work in a new transaction re-reads the current state; {@code AgentStore.fromTransactionWithRetry} does that and
 * throws this exception only when every attempt conflicted, with the last conflict's versions.
 */
public class ConcurrencyConflictException extends TransientDataAccessException {

    private final String entity;
    private final String key;
    private final Long expectedVersion;
    private final Long actualVersion;

    /**
     * @param message names the entity and key (the {@link #operation()}), and how many attempts were made when
     *                retries ran out
     * @param cause   the underlying optimistic lock or SQL exception, or {@code null}; when it is a version mismatch
     *                (the last attempt's conflict when retries ran out), its entity, key and versions are this
     *                exception's too
     */
    public ConcurrencyConflictException(String message, Throwable cause) {
        this(operationOf(message), message, cause);
    }

    /**
     * @param operation what was being done, for example {@code update FlowRun etl/run-1}
     * @param message   the whole message, starting with the operation
     * @param cause     the underlying optimistic lock or SQL exception, or {@code null}; a version mismatch's entity,
     *                  key and versions are taken over, as by {@link #ConcurrencyConflictException(String, Throwable)}
     */
    public ConcurrencyConflictException(String operation, String message, Throwable cause) {
        super(operation, message, true, cause);
        ConcurrencyConflictException c = cause instanceof ConcurrencyConflictException cce ? cce : null;
        this.entity = c == null ? null : c.entity;
        this.key = c == null ? null : c.key;
        this.expectedVersion = c == null ? null : c.expectedVersion;
        this.actualVersion = c == null ? null : c.actualVersion;
    }

    private ConcurrencyConflictException(String entity, String key, Long expectedVersion, Long actualVersion) {
        super(entity + " " + key, entity + " " + key + " was " + what(expectedVersion, actualVersion)
                + "; retry the unit of work (it re-reads the current state)", true, null);
        this.entity = entity;
        this.key = key;
        this.expectedVersion = expectedVersion;
        this.actualVersion = actualVersion;
    }

    /**
     * A write that expected one version of an aggregate and found another.
     *
     * @param entity          the entity name, for example {@code FlowRun}
     * @param key             the aggregate's key, for example {@code etl/run-1}
     * @param expectedVersion the version the write expected (read earlier, or passed by the caller)
     * @param actualVersion   the version the aggregate has
     * @return the exception
     */
    public static ConcurrencyConflictException versionMismatch(String entity, String key, long expectedVersion,
                                                               long actualVersion) {
        return new ConcurrencyConflictException(entity, key, expectedVersion, actualVersion);
    }

    /**
     * A write that expected an aggregate to exist with one version, or not to exist, and found otherwise: created
     * since it was read as absent ({@code expectedVersion} empty), or deleted since it was read
     * ({@code actualVersion} empty).
     *
     * @param entity          the entity name, for example {@code Record}
     * @param key             the aggregate's key
     * @param expectedVersion the version the write expected; empty when it expected no aggregate
     * @param actualVersion   the version the aggregate has; empty when there is none
     * @return the exception; {@link #expectedVersion()} and {@link #actualVersion()} return these arguments
     */
    public static ConcurrencyConflictException versionMismatch(String entity, String key,
                                                               OptionalLong expectedVersion,
                                                               OptionalLong actualVersion) {
        return new ConcurrencyConflictException(entity, key, boxed(expectedVersion), boxed(actualVersion));
    }

    /** @return the entity name of the aggregate, when the conflict was a version mismatch */
    public Optional<String> entity() {
        return Optional.ofNullable(entity);
    }

    /** @return the aggregate's key, when the conflict was a version mismatch */
    public Optional<String> key() {
        return Optional.ofNullable(key);
    }

    /**
     * @return the version the write expected, when the conflict was a version mismatch; empty too when the write
     *         expected no aggregate ({@link #entity()} present)
     */
    public OptionalLong expectedVersion() {
        return expectedVersion == null ? OptionalLong.empty() : OptionalLong.of(expectedVersion);
    }

    /**
     * @return the version the aggregate had, when the conflict was a version mismatch; empty too when it had been
     *         deleted ({@link #entity()} present)
     */
    public OptionalLong actualVersion() {
        return actualVersion == null ? OptionalLong.empty() : OptionalLong.of(actualVersion);
    }

    private static String what(Long expected, Long actual) {
        if (expected == null) {
            return "created concurrently: it was read as absent, found version " + actual;
        }
        if (actual == null) {
            return "deleted concurrently: expected version " + expected;
        }
        return "modified concurrently: expected version " + expected + ", found version " + actual;
    }

    private static Long boxed(OptionalLong version) {
        return version.isPresent() ? version.getAsLong() : null;
    }

    /** The messages of this library start with the operation and a colon. */
    private static String operationOf(String message) {
        if (message == null) {
            return null;
        }
        int colon = message.indexOf(": ");
        return colon < 0 ? message : message.substring(0, colon);
    }
}
