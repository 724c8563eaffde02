package dev.agentstore.persistence.feed;

import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.Executor;

/**
 * One subscription: each step reads the next batch after its cursor on a pool connection (autocommit), or takes its
 * part of another subscription's read of the same selection ({@link SharedReads}), and hands the events to the
 * listener, advancing the cursor after each call.
 *
 * <p><b>Back-pressure.</b> A subscription holds at most one batch in memory: the table is its queue. A slow
 * listener falls behind and catches up by cursor; nothing is dropped and nothing is buffered without bound. It
 * occupies one executor thread while it runs; the others carry on on other threads.
 *
 * <p>A failed read (the server is down) leaves the cursor where it is; the next wake-up (a notification, the
 * fallback poll, a reconnect) reads again; the first failure of a run of them is logged as a warning. A listener
 * exception closes the subscription.
 */
final class FeedSubscription extends FeedPump {

    private static final Logger LOG = LoggerFactory.getLogger(FeedSubscription.class);

    private final SharedReads reads;
    private volatile FeedCursor cursor;
    private volatile boolean readFailing;

    FeedSubscription(SharedReads reads, Jdbi jdbi, FeedSelection selection, FeedCursor from, FeedListener listener,
                     Executor executor, int batchSize, Runnable onClose) {
        super(jdbi, selection, listener, batchSize, executor, onClose);
        this.reads = reads;
        this.cursor = from;
    }

    @Override
    boolean step() throws Exception {
        SharedReads.Batch batch;
        long since = reads.generation();
        try {
            batch = reads.read(selection, cursor, batchSize, since);
        } catch (RuntimeException e) {
            if (!readFailing) { // once per outage, not at every poll
                LOG.warn("agentstore feed: read failed, retrying on the next wake-up: {}", e.toString());
            }
            readFailing = true;
            return false;
        }
        readFailing = false;
        for (FeedEvent event : batch.events()) {
            if (isClosed()) {
                return false;
            }
            listener.onEvent(event);
            cursor = event.cursor();
        }
        return batch.more();
    }

    @Override
    public FeedCursor cursor() {
        return cursor;
    }
}
