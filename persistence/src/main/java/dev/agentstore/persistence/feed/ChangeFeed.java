package dev.agentstore.persistence.feed;

import dev.agentstore.domain.InvalidInputException;
import org.jdbi.v3.core.Jdbi;

import java.sql.Connection;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import javax.sql.DataSource;

/**
 * The change feed of one schema: live subscriptions and durable consumers over flow events, run status changes and
 * trigger events, as the changelog's triggers announce them with {@code NOTIFY} (see {@code releases/0.5/feed.xml}).
 *
 * <pre>{@code
 * try (Subscription s = store.feed().subscribe(FeedSelection.run("etl", "run-1"), FeedCursor.START,
 *         event -> System.out.println(event.type()))) {
 *     ...
 * }
 * }</pre>
 *
 * <p><b>Delivery.</b> A subscription reads from its cursor first, then follows live: it always reads by cursor, so
 * there is no switch from catch-up to live at which an event could be skipped or repeated, and the same holds across
 * a lost connection and a PostgreSQL restart. Notifications only wake the readers up; the feed also polls every
 * {@link Options#pollInterval()}. Events of one subscription arrive in feed order ({@link FeedCursor}), one listener
 * call at a time.
 *
 * <p><b>Connections and threads.</b> One dedicated connection per feed listens (not a pool connection per
 * subscriber), on one thread from the thread factory. Reads use short-lived connections of the store's
 * {@link DataSource}; subscriptions of the same selection share reads (one query per wake-up, not one per
 * subscription). Listeners run on the executor, one task per batch; a slow listener holds one executor thread and
 * delays only its own subscription (see {@link Subscription}).
 *
 * <p>Thread-safe. {@link #close()} stops the listening thread and every subscription; it does not shut the executor
 * down (its owner does).
 */
public final class ChangeFeed implements AutoCloseable {

    private final Jdbi jdbi;
    private final Executor executor;
    private final Options options;
    private final FeedNotifications notifications;
    private final SharedReads reads;
    private final Set<FeedPump> pumps = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /**
     * Settings of a feed.
     *
     * @param pollInterval how long the feed waits for a notification before it reads anyway (the fallback poll and
     *                     the longest delay after a lost notification); 10 ms to 1 h
     * @param batchSize    events read per step of a subscription or consumer share, 1 to 10,000
     */
    public record Options(Duration pollInterval, int batchSize) {

        /** One-second fallback poll, batches of 500. */
        public static final Options DEFAULTS = new Options(Duration.ofSeconds(1), 500);

        /**
         * @throws InvalidInputException when a value is out of range (the field named)
         */
        public Options {
            if (pollInterval == null || pollInterval.toMillis() < 10 || pollInterval.compareTo(Duration.ofHours(1)) > 0) {
                throw new InvalidInputException("pollInterval must be 10 ms to 1 h");
            }
            if (batchSize < 1 || batchSize > 10_000) {
                throw new InvalidInputException("batchSize must be 1 to 10000");
            }
        }
    }

    /**
     * Starts a feed: the listening thread starts at once.
     *
     * @param dataSource    connections for reads and for durable consumers' transactions; their {@code search_path}
     *                      must start with {@code schema}
     * @param listenSource  opens the one dedicated {@code LISTEN} connection (again after each failure); it must
     *                      unwrap to pgjdbc's {@code PGConnection}
     * @param schema        the schema (it names the notification channel)
     * @param threads       makes the listening thread (standalone: any; a container: its managed thread factory)
     * @param executor      runs listeners (standalone: a cached pool; a container: its managed executor service)
     * @param options       poll interval and batch size
     * @return the running feed; close it
     */
    public static ChangeFeed start(DataSource dataSource, Callable<Connection> listenSource, String schema,
                                   ThreadFactory threads, Executor executor, Options options) {
        ChangeFeed feed = new ChangeFeed(Objects.requireNonNull(dataSource, "dataSource"),
                Objects.requireNonNull(listenSource, "listenSource"), Objects.requireNonNull(schema, "schema"),
                Objects.requireNonNull(threads, "threads"), Objects.requireNonNull(executor, "executor"),
                Objects.requireNonNull(options, "options"));
        feed.notifications.start();
        return feed;
    }

    private ChangeFeed(DataSource dataSource, Callable<Connection> listenSource, String schema, ThreadFactory threads,
                       Executor executor, Options options) {
        this.jdbi = Jdbi.create(dataSource);
        this.executor = executor;
        this.options = options;
        this.reads = new SharedReads(jdbi);
        this.notifications = new FeedNotifications(listenSource, schema, options.pollInterval(), threads,
                this::wakeAll);
    }

    /**
     * Subscribes: {@code listener} gets every selected event after {@code from}, first the stored ones, then the new
     * ones as they commit, until the subscription is closed or the listener throws.
     *
     * @param selection which events
     * @param from      the position to start after: {@link FeedCursor#START}, {@link #head()}, or a delivered
     *                  event's cursor (a reconnecting client's {@code Last-Event-ID})
     * @param listener  receives the events (see {@link FeedListener})
     * @return the subscription; close it to stop
     * @throws IllegalStateException when the feed is closed
     */
    public Subscription subscribe(FeedSelection selection, FeedCursor from, FeedListener listener) {
        FeedSubscription[] self = new FeedSubscription[1];
        self[0] = new FeedSubscription(reads, jdbi, Objects.requireNonNull(selection, "selection"),
                Objects.requireNonNull(from, "from"), Objects.requireNonNull(listener, "listener"), executor,
                options.batchSize(), () -> {
                    pumps.remove(self[0]);
                    if (pumps.stream().noneMatch(p -> p.selection.equals(selection))) {
                        reads.forget(selection);
                    }
                });
        return add(self[0]);
    }

    /**
     * Starts an instance of the durable consumer {@code name}: it gets the selected events after the consumer's
     * committed position (at least once; deduplicate by {@link FeedEvent#cursor()}), sharing the work with the other
     * live instances of the same name without delivering an event twice while they live. A new consumer starts
     * after {@code startAt}. Events arrive in feed order within one run (or one trigger), not across partitions.
     *
     * @param name       the consumer's name, 1 to 255 characters
     * @param selection  which events; every instance of a consumer must use the same
     * @param partitions how many shares the work is split into (the most instances that work at once), 1 to 1,024;
     *                   fixed when the consumer is first started
     * @param startAt    where a new consumer starts ({@link FeedCursor#START} or {@link #head()}); ignored after
     * @param listener   receives the events
     * @return the running instance; closing it lets the other instances take its shares
     * @throws InvalidInputException when the name or partition count is invalid, or differs from the stored count
     * @throws IllegalStateException when the feed is closed
     */
    public Subscription consume(String name, FeedSelection selection, int partitions, FeedCursor startAt,
                                FeedListener listener) {
        if (name == null || name.isBlank() || name.length() > 255) {
            throw new InvalidInputException("name must be 1 to 255 characters, not blank");
        }
        if (partitions < 1 || partitions > 1024) {
            throw new InvalidInputException("partitions must be 1 to 1024");
        }
        DurableConsumer[] self = new DurableConsumer[1];
        self[0] = new DurableConsumer(jdbi, name, Objects.requireNonNull(selection, "selection"), partitions,
                Objects.requireNonNull(startAt, "startAt"), options.batchSize(),
                Objects.requireNonNull(listener, "listener"), executor, () -> pumps.remove(self[0]));
        self[0].register();
        return add(self[0]);
    }

    /**
     * @return a cursor at the present: a subscription from it gets the events of transactions still running or not
     *         yet begun (and possibly a few that committed just now, while an older transaction was still open)
     */
    public FeedCursor head() {
        long horizon = jdbi.withHandle(h -> h.createQuery(
                "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint").mapTo(Long.class).one());
        return new FeedCursor(horizon, 0, 0);
    }

    /**
     * @return how many subscriptions and durable consumer instances of this feed are open now: started and not yet
     *         closed (by {@link Subscription#close()}, a listener's exception, or {@link #close()}); 0 after
     *         {@link #close()}. A moment's count, for monitoring and tests (a leak of subscriptions shows here).
     *         Thread-safe.
     */
    public int openSubscriptions() {
        return pumps.size();
    }

    /**
     * @param schema a schema name
     * @return the channel the changelog's triggers notify for the schema: {@code agentstore_feed_<schema>}, cut to
     *         63 bytes as PostgreSQL cuts identifiers (for a hand-written {@code LISTEN})
     */
    public static String channel(String schema) {
        return FeedNotifications.channel(schema);
    }

    private <P extends FeedPump> P add(P pump) {
        if (closed) {
            throw new IllegalStateException("the change feed is closed");
        }
        pumps.add(pump);
        reads.advance();
        pump.wake();
        return pump;
    }

    private void wakeAll() {
        reads.advance();
        pumps.forEach(FeedPump::wake);
    }

    /** Closes every subscription and consumer instance and the listening connection. Idempotent. */
    @Override
    public void close() {
        closed = true;
        notifications.close();
        pumps.forEach(FeedPump::close);
    }
}
