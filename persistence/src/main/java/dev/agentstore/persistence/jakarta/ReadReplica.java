package dev.agentstore.persistence.jakarta;

import jakarta.inject.Qualifier;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * CDI qualifier for repositories (or an {@code EntityManager}) on a read replica's datasource in a container: an
 * application declares a second persistence unit over the replica's datasource and produces
 * {@code @ReadReplica} repositories from it (see {@code docs/operations.md}, "Read replicas", for the datasource,
 * the unit and the producer). Unqualified repositories stay on the primary. Only read methods of a
 * {@code @ReadReplica} repository may be called: the replica refuses writes and locks. The example bounds the replay
 * lag as the standalone store does with an interceptor ({@code BoundedStalenessInterceptor}, which measures it with
 * {@link dev.agentstore.persistence.ReadConsistency#replayLagMillis}); falling back to the primary on an outage is
 * the datasource's work (the example's
 * {@code AgentStoreReplicaDS} lists the replica, then the primary, with pgjdbc's
 * {@code targetServerType=preferSecondary}, and validates pooled connections), and a read cut off mid-way fails.
 */
@Qualifier
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.FIELD, ElementType.PARAMETER})
public @interface ReadReplica {
}
