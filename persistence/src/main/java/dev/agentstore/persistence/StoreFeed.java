package dev.agentstore.persistence;

import dev.agentstore.persistence.feed.ChangeFeed;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * The change feed of one {@link AgentStore}: started on first use (its {@code LISTEN} connection and a cached pool of
 * daemon threads for the listeners), closed with the store. Thread-safe.
 */
final class StoreFeed implements AutoCloseable {

    private final DataSource dataSource;
    private final DataSource listen;
    private final String schema;
    private ChangeFeed feed;
    private ExecutorService executor;
    private boolean closed;

    /**
     * @param dataSource where the feed reads events (the store's pool)
     * @param listen     where its one {@code LISTEN} connection comes from: not through a transaction pooler
     * @param schema     the store's schema
     */
    StoreFeed(DataSource dataSource, DataSource listen, String schema) {
        this.dataSource = dataSource;
        this.listen = listen;
        this.schema = schema;
    }

    /**
     * @return the feed, started now when this is the first call
     * @throws IllegalStateException when the store is closed
     */
    synchronized ChangeFeed get() {
        if (closed) {
            throw new IllegalStateException("the store is closed");
        }
        if (feed == null) {
            AtomicInteger threadNumber = new AtomicInteger();
            ThreadFactory threads = runnable -> {
                Thread thread = new Thread(runnable, "agentstore-feed-" + threadNumber.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            };
            executor = Executors.newCachedThreadPool(threads);
            feed = ChangeFeed.start(dataSource, listen::getConnection, schema, threads, executor,
                    ChangeFeed.Options.DEFAULTS);
        }
        return feed;
    }

    /** Closes the feed and its threads when it was started. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        if (feed != null) {
            feed.close();
            executor.shutdownNow();
        }
    }
}
