package dev.agentstore.persistence.support;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a repository method that only reads: a listing, a search, a read by key. A per-call repository
 * ({@code store.flowRuns()}, {@code store.chunks()}, … on {@link dev.agentstore.persistence.AgentStore}) runs such a
 * method in a {@code READ ONLY} transaction on a read replica when the store has replicas, with the store's default
 * {@link dev.agentstore.persistence.ReadConsistency} ({@link dev.agentstore.persistence.AgentStoreConfig#replicaMaxLag()}),
 * and on the primary otherwise; see {@link dev.agentstore.persistence.AgentStore#read}. Only for methods that send no
 * write and take no lock ({@code FOR UPDATE}, advisory locks): a replica refuses both, and so does the primary in a
 * {@code READ ONLY} transaction. Inside a unit of work ({@code store.inTransaction}) and in a container the mark has
 * no effect.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface ReadOnly {
}
