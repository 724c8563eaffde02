package dev.agentstore.persistence.feed;

import dev.agentstore.domain.InvalidInputException;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One running instance of a named durable consumer. The consumer's events are split into {@code partitions} shares
 * by a hash of the run id (flow events and status changes: one run's events stay in order in one share) or of the
 * trigger name; each share has a row in {@code feed_consumers} with its committed position.
 *
 * <p><b>Sharing the work.</b> A step visits the shares in turn; for each it opens a transaction, takes the share's row
 * with {@code SELECT ... FOR UPDATE SKIP LOCKED} (a share another instance is delivering is skipped, not waited for),
 * reads the next batch after the stored position, hands it to the listener, stores the new position and commits.
 * The row lock lasts exactly as long as the delivery, so two live instances never deliver the same event, and a
 * share whose instance died is taken over at once (PostgreSQL ends the dead session's transaction). Row locks were
 * chosen over advisory locks: they need no session-level state on a pooled connection, and the lock and the
 * position are one row, committed together.
 *
 * <p><b>At least once.</b> A listener exception, a lost connection or a failed commit rolls the batch back: its
 * events come again (to this or another instance), so a listener deduplicates by {@link FeedEvent#cursor()}.
 * A listener exception does not close the instance; the batch is retried on the next wake-up.
 */
final class DurableConsumer extends FeedPump {

    private static final Logger LOG = LoggerFactory.getLogger(DurableConsumer.class);

    private static final String CREATE_SHARES = """
            INSERT INTO feed_consumers (name, part, parts, tx, kind, event_id)
            SELECT :name, g, :parts, :tx, :kind, :id FROM generate_series(0, :parts - 1) AS g
            ON CONFLICT (name, part) DO NOTHING
            """;
    private static final String STORED_PARTS = "SELECT DISTINCT parts FROM feed_consumers WHERE name = :name";
    private static final String CLAIM = """
            SELECT tx, kind, event_id FROM feed_consumers WHERE name = :name AND part = :part
            FOR UPDATE SKIP LOCKED
            """;
    private static final String COMMIT_POSITION = """
            UPDATE feed_consumers SET tx = :tx, kind = :kind, event_id = :id, updated_at = now()
            WHERE name = :name AND part = :part
            """;

    private final String name;
    private final int parts;
    private final FeedCursor start;
    private final AtomicInteger nextPart = new AtomicInteger();

    DurableConsumer(Jdbi jdbi, String name, FeedSelection selection, int parts, FeedCursor start, int batchSize,
                    FeedListener listener, Executor executor, Runnable onClose) {
        super(jdbi, selection, listener, batchSize, executor, onClose);
        this.name = name;
        this.parts = parts;
        this.start = start;
    }

    /**
     * Creates the consumer's rows when missing (at {@code start}) and checks the stored partition count.
     *
     * @throws InvalidInputException when the consumer is stored with another number of partitions
     */
    void register() {
        jdbi.useTransaction(h -> {
            h.createUpdate(CREATE_SHARES).bind("name", name).bind("parts", parts).bind("tx", start.tx())
                    .bind("kind", start.kind()).bind("id", start.id()).execute();
            List<Integer> stored = h.createQuery(STORED_PARTS).bind("name", name).mapTo(Integer.class).list();
            if (!stored.equals(List.of(parts))) {
                throw new InvalidInputException("partitions must be " + stored + " for consumer '" + name
                        + "', as it is stored, not " + parts);
            }
        });
    }

    @Override
    boolean step() {
        boolean more = false;
        int first = Math.floorMod(nextPart.getAndIncrement(), parts);
        for (int i = 0; i < parts && !isClosed(); i++) {
            int part = (first + i) % parts;
            try {
                more |= jdbi.inTransaction(h -> deliver(h, part)) == batchSize;
            } catch (Exception e) {
                LOG.debug("agentstore feed: consumer '{}' share {} rolled back, retrying later: {}", name, part,
                        e.toString());
            }
        }
        return more;
    }

    private int deliver(Handle h, int part) throws Exception {
        Optional<FeedCursor> position = h.createQuery(CLAIM).bind("name", name).bind("part", part)
                .map((rs, ctx) -> new FeedCursor(rs.getLong("tx"), rs.getInt("kind"), rs.getLong("event_id")))
                .findOne();
        if (position.isEmpty()) {
            return 0; // another instance is delivering this share
        }
        List<FeedEvent> batch = FeedSql.read(h, selection, position.get(), batchSize,
                new FeedSql.Partition(part, parts));
        for (FeedEvent event : batch) {
            listener.onEvent(event);
        }
        if (!batch.isEmpty()) {
            FeedCursor last = batch.get(batch.size() - 1).cursor();
            h.createUpdate(COMMIT_POSITION).bind("tx", last.tx()).bind("kind", last.kind()).bind("id", last.id())
                    .bind("name", name).bind("part", part).execute();
        }
        return batch.size();
    }

    @Override
    public FeedCursor cursor() {
        return start;
    }
}
