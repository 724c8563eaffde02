package dev.agentstore.persistence.support;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a repository method that needs no transaction around its statements: it sends one SQL statement (plus, at
 * most, reads after it, for example to explain a failure or return a row that was already there), or only reads, or
 * tries one statement and, when that wrote nothing, calls {@link Sql#requireTransaction} before it goes on
 * with several. A per-call repository ({@code store.flowEvents()}, {@code store.kv()}, … on
 * {@link dev.agentstore.persistence.AgentStore}) runs such a method in PostgreSQL's autocommit mode: each statement is
 * its own transaction, with no {@code BEGIN} and no {@code COMMIT} round trip. For one statement that is exactly as
 * atomic as the explicit transaction it replaces; several reads each see the data committed when they start, as they
 * do inside a transaction at PostgreSQL's default isolation level, READ COMMITTED. Every other method of a per-call
 * repository runs in a transaction of its own.
 *
 * <p>Only for methods whose one statement neither takes a lock meant to outlive it ({@code FOR UPDATE},
 * {@code pg_advisory_xact_lock}) nor depends on a transaction-local setting ({@code SET LOCAL},
 * {@code set_config(…, true)}) made by an earlier statement: in autocommit mode that setting ends with the earlier
 * statement. A setting sent in the <em>same</em> multi-statement prepared statement as the statement that needs it is
 * fine: pgjdbc sends the statements of one {@code prepareStatement("…; …; …")} with one Sync, and PostgreSQL runs
 * everything before a Sync as one implicit transaction, so the setting applies to the statements after it and is gone
 * when they end (the knowledge-base search does this). For the same reason several writes sent as one such
 * statement text commit together or not at all, as in a transaction ({@code CheckpointRepository.put}: the run's
 * snapshot and its checkpoint). Inside a unit of work ({@code store.inTransaction}) and in a
 * container the mark has no effect.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface SingleStatement {
}
