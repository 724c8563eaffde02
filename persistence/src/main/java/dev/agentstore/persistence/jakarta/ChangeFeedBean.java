package dev.agentstore.persistence.jakarta;

import dev.agentstore.persistence.feed.ChangeFeed;
import dev.agentstore.persistence.feed.FeedCursor;
import dev.agentstore.persistence.feed.FeedListener;
import dev.agentstore.persistence.feed.FeedSelection;
import dev.agentstore.persistence.feed.Subscription;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.PersistenceUnit;
import org.hibernate.engine.jdbc.connections.spi.ConnectionProvider;
import org.hibernate.engine.spi.SessionFactoryImplementor;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import javax.sql.DataSource;

/**
 * The change feed in a Jakarta EE container: one {@link ChangeFeed} per deployment over the {@code agentstore}
 * persistence unit's datasource and schema ({@code hibernate.default_schema}, {@code public} when unset). Listeners
 * run on the container's default {@code ManagedExecutorService} and the {@code LISTEN} loop on a thread of its
 * default {@code ManagedThreadFactory}, so they carry the application's context. Started on first use, closed
 * with the application. The {@code LISTEN} connection is one connection of the datasource, held for the feed's
 * life (it must unwrap to pgjdbc's {@code PGConnection}, as WildFly's wrapped connections do).
 *
 * <p>A Jakarta REST resource bridges a subscription to Server-Sent Events by sending each event with
 * {@code event.cursor().toString()} as the SSE id, closing the subscription when the sink closes, and resuming
 * from {@code FeedCursor.parse(lastEventId)}. Thread-safe.
 */
@ApplicationScoped
public class ChangeFeedBean {

    @PersistenceUnit(unitName = "agentstore")
    EntityManagerFactory emf;

    @Resource(lookup = "java:comp/DefaultManagedExecutorService")
    ExecutorService executor;

    @Resource(lookup = "java:comp/DefaultManagedThreadFactory")
    ThreadFactory threads;

    private ChangeFeed feed;

    /** @return the deployment's feed, started on first call */
    public synchronized ChangeFeed feed() {
        if (feed == null) {
            Object configured = emf.getProperties().get("hibernate.default_schema");
            String schema = configured == null || configured.toString().isBlank() ? "public" : configured.toString().trim();
            DataSource dataSource = emf.unwrap(SessionFactoryImplementor.class).getServiceRegistry()
                    .requireService(ConnectionProvider.class).unwrap(DataSource.class);
            feed = ChangeFeed.start(dataSource, dataSource::getConnection, schema, threads, executor,
                    ChangeFeed.Options.DEFAULTS);
        }
        return feed;
    }

    /** See {@link ChangeFeed#subscribe(FeedSelection, FeedCursor, FeedListener)}. */
    public Subscription subscribe(FeedSelection selection, FeedCursor from, FeedListener listener) {
        return feed().subscribe(selection, from, listener);
    }

    /** See {@link ChangeFeed#consume(String, FeedSelection, int, FeedCursor, FeedListener)}. */
    public Subscription consume(String name, FeedSelection selection, int partitions, FeedCursor startAt,
                                FeedListener listener) {
        return feed().consume(name, selection, partitions, startAt, listener);
    }

    /** @return {@link ChangeFeed#openSubscriptions()}, 0 while the feed is not started (this does not start it) */
    public synchronized int openSubscriptions() {
        return feed == null ? 0 : feed.openSubscriptions();
    }

    /** See {@link ChangeFeed#head()}. */
    public FeedCursor head() {
        return feed().head();
    }

    @PreDestroy
    synchronized void close() {
        if (feed != null) {
            feed.close();
            feed = null;
        }
    }
}
