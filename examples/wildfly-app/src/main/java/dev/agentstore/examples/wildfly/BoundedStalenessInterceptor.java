package dev.agentstore.examples.wildfly;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.persistence.ReadConsistency;
import dev.agentstore.persistence.support.ReadOnly;
import jakarta.annotation.Priority;
import jakarta.annotation.Resource;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.interceptor.AroundInvoke;
import jakarta.interceptor.Interceptor;
import jakarta.interceptor.InvocationContext;
import org.eclipse.microprofile.config.ConfigProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.InvocationTargetException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;

/**
 * The container's bounded staleness, standalone's {@code AgentStoreConfig.replicaMaxLag()}: before a
 * {@link ReadOnly} method of a {@link BoundedStaleness} repository (the {@code @ReadReplica} ones) runs, measures
 * the replay lag on a connection of {@code AgentStoreReplicaDS} with {@link ReadConsistency#replayLagMillis} (the
 * standalone store's query); over the bound, or when that connection fails, the same method runs on the
 * unqualified repository of the same class instead, the primary's, in its own transaction; the caller gets the
 * result, not an error. Other methods (writes, which the replica refuses) run where they were called.
 *
 * <p>The bound is read on every call: the system property {@value #PROPERTY} (whole milliseconds, 0 or more), else
 * MicroProfile Config's {@value #PROPERTY} (which also reads the environment variable
 * {@code AGENTSTORE_DB_REPLICA_MAX_LAG_MS}, standalone's name), else {@link #DEFAULT_MAX_LAG} (1 s, standalone's
 * default). Unlike standalone the lag is measured on a connection taken just before the read's transaction, not
 * inside it. Runs before {@code @Transactional} (priority {@code PLATFORM_BEFORE + 100}), so a fallback does not put
 * two datasources in one transaction; call {@code @ReadReplica} repositories outside a transaction. Thread-safe.
 */
@BoundedStaleness
@Interceptor
@Priority(Interceptor.Priority.PLATFORM_BEFORE + 100)
public class BoundedStalenessInterceptor {

    /** The configuration key (and system property) of the bound, in milliseconds. */
    public static final String PROPERTY = "agentstore.db.replica.max-lag-ms";
    /** The bound when none is configured: 1 s, as standalone. */
    public static final Duration DEFAULT_MAX_LAG = Duration.ofSeconds(1);

    private static final Logger LOG = LoggerFactory.getLogger(BoundedStalenessInterceptor.class);

    @Resource(lookup = "java:jboss/datasources/AgentStoreReplicaDS")
    DataSource replica;

    @Inject
    Instance<Object> beans;

    /**
     * @param ctx the call on a {@code @ReadReplica} repository
     * @return the method's result, from the replica or the primary
     * @throws Exception what the method throws, unchanged
     * @throws InvalidInputException naming {@value #PROPERTY} when the configured bound is not a whole number of
     *                               milliseconds, 0 or more
     */
    @AroundInvoke
    public Object route(InvocationContext ctx) throws Exception {
        if (!ctx.getMethod().isAnnotationPresent(ReadOnly.class)) {
            return ctx.proceed();
        }
        ReadConsistency bound = ReadConsistency.maxLag(maxLag());
        try (Connection c = replica.getConnection()) {
            long lag = ReadConsistency.replayLagMillis(c);
            if (bound.accepts(lag)) {
                return ctx.proceed();
            }
            LOG.debug("agentstore: replica is {} ms behind, over {}: reading from the primary", lag, bound);
        } catch (SQLException e) {
            LOG.debug("agentstore: replica lag not measurable, reading from the primary: {}", e.getMessage());
        }
        Object primary = beans.select(ctx.getTarget().getClass()).get();
        try {
            return ctx.getMethod().invoke(primary, ctx.getParameters());
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    /** @return the configured bound, see the class comment */
    static Duration maxLag() {
        String value = System.getProperty(PROPERTY);
        if (value == null) {
            value = ConfigProvider.getConfig().getOptionalValue(PROPERTY, String.class).orElse(null);
        }
        if (value == null) {
            return DEFAULT_MAX_LAG;
        }
        try {
            long ms = Long.parseLong(value.strip());
            if (ms >= 0) {
                return Duration.ofMillis(ms);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new InvalidInputException(PROPERTY + " must be a whole number of milliseconds, 0 or more, was '"
                + value + "'");
    }
}
