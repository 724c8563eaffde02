package dev.agentstore.persistence.feed;

import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadFactory;

/**
 * The store's one {@code LISTEN} connection, on a thread of its own: it waits for notifications with pgjdbc's
 * {@code PGConnection.getNotifications(timeout)} and calls {@code wake} after each notification and after each
 * poll interval without one (the fallback poll, which also covers notifications lost while disconnected). A broken
 * connection (a server restart, a network failure) is closed and opened again with a backoff of up to 5 s; every
 * reconnect wakes the readers too. The thread is a daemon and stops on {@link #close()}.
 */
final class FeedNotifications implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FeedNotifications.class);
    private static final long MAX_BACKOFF_MILLIS = 5_000;
    /** The longest single wait for a notification, so that {@link #close()} never waits long for the connection. */
    private static final long WAIT_SLICE_MILLIS = 250;

    private final Callable<Connection> connections;
    private final String channel;
    private final Duration pollInterval;
    private final Runnable wake;
    private final Thread thread;
    private volatile boolean closed;
    private volatile Connection current;

    /**
     * @param connections  opens the dedicated connection (unpooled, or a container connection that unwraps to
     *                     {@link PGConnection})
     * @param schema       the store's schema; the channel is {@code agentstore_feed_<schema>} cut to 63 bytes
     * @param pollInterval the fallback poll interval
     * @param threads      makes the listening thread (a container's managed thread factory)
     * @param wake         called on every wake-up, on the listening thread; must return quickly
     */
    FeedNotifications(Callable<Connection> connections, String schema, Duration pollInterval, ThreadFactory threads,
                      Runnable wake) {
        this.connections = connections;
        this.channel = channel(schema);
        this.pollInterval = pollInterval;
        this.wake = wake;
        this.thread = threads.newThread(this::run);
        this.thread.setName("agentstore-feed-listen-" + schema);
        this.thread.setDaemon(true);
    }

    /** @return the channel name that the changelog's triggers notify for {@code schema} */
    static String channel(String schema) {
        String name = "agentstore_feed_" + schema;
        return name.length() > 63 ? name.substring(0, 63) : name;
    }

    void start() {
        thread.start();
    }

    private void run() {
        long backoff = 100;
        while (!closed) {
            try (Connection connection = connections.call()) {
                current = connection;
                PGConnection pg = connection.unwrap(PGConnection.class);
                try (Statement statement = connection.createStatement()) {
                    statement.execute("LISTEN \"" + channel + "\"");
                }
                backoff = 100;
                wake.run(); // anything written while not listening
                listen(connection, pg);
            } catch (Exception e) {
                if (closed) {
                    return;
                }
                LOG.debug("agentstore feed: LISTEN connection failed, reconnecting in {} ms: {}", backoff, e.toString());
                wake.run();
                sleep(backoff);
                backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
            } finally {
                current = null;
            }
        }
    }

    private void listen(Connection connection, PGConnection pg) throws SQLException {
        long poll = Math.max(1, pollInterval.toMillis());
        long lastWake = System.nanoTime();
        while (!closed) {
            // waits in slices of at most WAIT_SLICE_MILLIS: the wait holds the connection's lock, which close() needs
            var notifications = pg.getNotifications((int) Math.min(poll, WAIT_SLICE_MILLIS));
            boolean notified = notifications != null && notifications.length > 0;
            if (!notified && (System.nanoTime() - lastWake) / 1_000_000 < poll) {
                continue;
            }
            if (!notified && !connection.isValid(5)) {
                throw new SQLException("LISTEN connection is no longer valid");
            }
            lastWake = System.nanoTime();
            wake.run();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the thread and closes the connection; waits up to 5 s for the thread. Idempotent. */
    @Override
    public void close() {
        closed = true;
        Connection connection = current;
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // closing anyway
            }
        }
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
