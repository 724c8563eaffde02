package dev.agentstore.persistence;

import com.zaxxer.hikari.HikariDataSource;
import dev.agentstore.domain.AgentStoreException;
import org.hibernate.Session;
import org.hibernate.SessionFactory;
import org.hibernate.dialect.Dialect;
import org.hibernate.exception.JDBCConnectionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The read replicas of an {@link AgentStore}: per replica a HikariCP pool and a Hibernate session factory (schema not
 * validated, no connection while it starts), the order in which a read tries them (round robin), and which are down.
 * A replica that failed to give a connection, or lost it, is skipped for {@link #RETRY_AFTER}; the next read after
 * that tries it again. Thread-safe.
 */
final class Replicas implements AutoCloseable {

    /** How long a replica that was unreachable is skipped before a read tries it again. */
    static final Duration RETRY_AFTER = Duration.ofSeconds(5);
    /** The most time a read waits for a replica's connection before it falls back to the primary. */
    static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(1);

    private static final Logger LOG = LoggerFactory.getLogger(Replicas.class);

    /** One replica. */
    static final class Node {
        private final String url;
        private final HikariDataSource pool;
        private final SessionFactory sessionFactory;
        /** {@link System#nanoTime()} until which the replica is skipped; 0: up. */
        private final AtomicLong downUntil = new AtomicLong();

        private Node(String url, HikariDataSource pool, SessionFactory sessionFactory) {
            this.url = url;
            this.pool = pool;
            this.sessionFactory = sessionFactory;
        }

        /** @return the replica's JDBC URL, safe to print */
        String url() {
            return url;
        }

        private boolean up(long now) {
            long until = downUntil.get();
            return until == 0 || now - until >= 0;
        }
    }

    private final List<Node> nodes;
    private final AtomicInteger next = new AtomicInteger();

    private Replicas(List<Node> nodes) {
        this.nodes = List.copyOf(nodes);
    }

    /**
     * @param config  the store's settings, whose {@link AgentStoreConfig#replicaUrls()} are opened
     * @param dialect the primary's Hibernate dialect
     * @return the replicas, none connected yet; empty when the config names none
     */
    static Replicas open(AgentStoreConfig config, Dialect dialect) {
        List<Node> nodes = new ArrayList<>();
        try {
            for (ConnectionSettings connection : config.replicas.connections()) {
                HikariDataSource pool = StoreBootstrap.createReplicaPool(config, connection, nodes.size() + 1,
                        CONNECTION_TIMEOUT);
                try {
                    nodes.add(new Node(connection.jdbcUrl(), pool,
                            StoreBootstrap.buildSessionFactory(config, pool, dialect)));
                } catch (RuntimeException e) {
                    pool.close();
                    throw e;
                }
            }
        } catch (RuntimeException e) {
            new Replicas(nodes).close();
            throw new AgentStoreException("could not set up read replica " + (nodes.size() + 1) + ": "
                    + e.getMessage(), e);
        }
        return new Replicas(nodes);
    }

    /** @return the replicas not marked down, in the order a read tries them (round robin across calls) */
    List<Node> candidates() {
        if (nodes.isEmpty()) {
            return List.of();
        }
        long now = System.nanoTime();
        int start = Math.floorMod(next.getAndIncrement(), nodes.size());
        List<Node> up = new ArrayList<>(nodes.size());
        for (int i = 0; i < nodes.size(); i++) {
            Node node = nodes.get((start + i) % nodes.size());
            if (node.up(now)) {
                up.add(node);
            }
        }
        return up;
    }

    /**
     * Runs a read on the first replica {@code consistency} allows, else on the primary: see
     * {@link AgentStore#read(ReadConsistency, Function)}.
     *
     * @param primary the primary's session factory
     * @param inUnit  runs a read-only unit of work on a session factory
     */
    <T> T read(ReadConsistency consistency, SessionFactory primary,
               BiFunction<SessionFactory, Function<UnitOfWork, T>, T> inUnit, Function<UnitOfWork, T> work) {
        if (!consistency.requiresPrimary()) {
            for (Node replica : candidates()) {
                try {
                    return inUnit.apply(replica.sessionFactory, uow -> {
                        long lag = lagMillis(uow.entityManager().unwrap(Session.class));
                        if (!consistency.accepts(lag)) {
                            throw new TooFarBehind();
                        }
                        return work.apply(uow);
                    });
                } catch (TooFarBehind e) {
                    LOG.debug("agentstore: replica {} is further behind than {}", replica.url, consistency);
                } catch (AgentStoreException e) {
                    if (!fallBack(replica, e)) {
                        throw e;
                    }
                }
            }
        }
        return inUnit.apply(primary, work);
    }

    /** A replica's lag exceeds the read's bound: the read moves on (stackless, never reaches a caller). */
    private static final class TooFarBehind extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TooFarBehind() {
            super(null, null, false, false);
        }
    }

    /**
     * Decides what a failed read on {@code node} means: the replica is unreachable (it is then skipped for
     * {@link #RETRY_AFTER}), or the replica cancelled the read for a conflict with recovery; in both cases the read
     * runs again on the primary. Any other failure is the read's own and goes to the caller.
     *
     * @return whether the read should run on the primary instead
     */
    static boolean fallBack(Node node, RuntimeException failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException || t instanceof JDBCConnectionException
                    || t instanceof SQLException sql && isUnavailable(sql.getSQLState())) {
                node.downUntil.set(System.nanoTime() + RETRY_AFTER.toNanos());
                LOG.warn("agentstore: read replica {} unavailable, reading from the primary; retrying it in {} s: {}",
                        node.url, RETRY_AFTER.toSeconds(), firstLine(failure));
                return true;
            }
            if (t instanceof SQLException sql && "40001".equals(sql.getSQLState())) {
                LOG.debug("agentstore: read on replica {} cancelled (conflict with recovery), reading from the"
                        + " primary", node.url);
                return true;
            }
        }
        return false;
    }

    private static boolean isUnavailable(String state) {
        return state != null && (state.startsWith("08") || state.equals("57P01") || state.equals("57P02")
                || state.equals("57P03") || state.equals("53300"));
    }

    /**
     * @param session the read's session, on a replica, in its transaction
     * @return the server's replay lag in milliseconds (see {@link ReadConsistency#replayLagMillis})
     */
    static long lagMillis(Session session) {
        return session.doReturningWork(ReadConsistency::replayLagMillis);
    }

    private static String firstLine(Throwable e) {
        String message = String.valueOf(e.getMessage());
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    /** Closes every replica's session factory and pool. Idempotent. */
    @Override
    public void close() {
        for (Node node : nodes) {
            try {
                node.sessionFactory.close();
            } finally {
                node.pool.close();
            }
        }
    }
}
