package dev.agentstore.persistence.support;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a repository method that sends exactly one SQL statement (plus, at most, read-only statements on its error
 * path that only explain a failure), so that the statement alone is the whole unit of work. A per-call repository
 * ({@code store.flowEvents()}, {@code store.kv()}, … on {@link dev.agentstore.persistence.AgentStore}) runs such a
 * method in PostgreSQL's autocommit mode: the statement is its own transaction, with no {@code BEGIN} and no
 * {@code COMMIT} round trip, which is exactly as atomic as the explicit transaction it replaces. Every other method
 * of a per-call repository runs in a transaction of its own.
 *
 * <p>Only for methods whose one statement neither takes a lock meant to outlive it ({@code FOR UPDATE},
 * {@code pg_advisory_xact_lock}) nor depends on a transaction-local setting ({@code SET LOCAL}). Inside a unit of
 * work ({@code store.inTransaction}) and in a container the mark has no effect.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface SingleStatement {
}
