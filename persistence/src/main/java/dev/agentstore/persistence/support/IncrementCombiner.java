package dev.agentstore.persistence.support;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Combines concurrent increments of one counter into one statement, as PostgreSQL's group commit combines
 * concurrent commits into one WAL flush.
 *
 * <p>Concurrent increments of one row serialise on its row lock, which each statement holds until its commit is
 * flushed: one increment per WAL flush, however many callers wait. Here the first caller of a counter runs its
 * statement at once, alone. Callers that arrive while it runs wait, and when it returns the first of them runs one
 * statement that adds all their deltas ({@code counter + Σ delta}) and hands each caller its own value, in arrival
 * order: the value before the statement plus the deltas up to and including its own. Each caller returns only after
 * the statement that carried its delta committed, and every value handed out is one the counter really took, so the
 * results are exactly those of the same increments run one after another: no increment is lost, no value is handed
 * out twice.
 *
 * <p>Only for statements that commit on their own (autocommit mode, as {@link SingleStatement} methods of a
 * per-call repository run): inside a caller's transaction an increment must stay part of that transaction, and the
 * repositories then run it alone. Only positive deltas combine, so that every value in between lies between the
 * counter's old and new value and any check the statement makes on the new value (not below 0, no overflow) holds
 * for each of them.
 *
 * <p>When the combined statement writes nothing (the row is missing, or its check fails), every caller of the batch
 * gets a statement of its own, run one after another on the same connection, and so the answer it would have got
 * without combining. When it throws, every caller of the batch gets that exception: like a failed commit, it leaves
 * open whether the increments were applied.
 */
public final class IncrementCombiner {

    /**
     * The counter's statement, run on the calling thread's own connection.
     */
    @FunctionalInterface
    public interface Statement {
        /**
         * @param delta      the sum of the deltas to add
         * @param increments how many increments the sum stands for (≥ 1), for a version column that counts writes
         * @return the counter's new value, or {@code null} when the statement wrote nothing
         * @throws SQLException when the driver or the database refuses the statement
         */
        Long add(long delta, int increments) throws SQLException;
    }

    /** The counters that have a statement running, by key; a key leaves when its last batch is done. */
    private final Map<Object, Counter> running = new HashMap<>();

    /**
     * Adds {@code delta} to the counter {@code key}, combined with concurrent calls for the same key when
     * {@code combine} and {@code delta > 0}, else alone.
     *
     * @param key       identifies the counter across callers; it must tell databases and schemas apart (for
     *                  example include the {@code EntityManagerFactory}) and have value equality
     * @param delta     what to add
     * @param combine   whether the statement commits on its own (autocommit mode), so it may carry other callers'
     *                  increments
     * @param statement runs the counter's statement on the caller's connection
     * @return the counter's value after this caller's increment, or {@code null} when this caller's own statement
     *         wrote nothing
     * @throws SQLException what the statement that carried this caller's delta threw (so may a runtime exception)
     */
    public Long increment(Object key, long delta, boolean combine, Statement statement) throws SQLException {
        if (!combine || delta <= 0) {
            return statement.add(delta, 1);
        }
        Waiter me = new Waiter(delta);
        List<Waiter> batch;
        synchronized (running) {
            Counter counter = running.get(key);
            if (counter == null) {
                running.put(key, new Counter());
                batch = List.of(me);
            } else {
                counter.waiting.add(me);
                batch = null;
            }
        }
        if (batch == null) {
            batch = me.awaitTurn();
            if (batch == null) {
                return me.result();
            }
        }
        try {
            run(batch, statement);
        } finally {
            handOver(key);
        }
        return me.result();
    }

    /** Runs one batch's statement and gives each of its callers its result. */
    private static void run(List<Waiter> batch, Statement statement) {
        long sum = 0;
        Long value;
        try {
            for (Waiter w : batch) {
                sum = Math.addExact(sum, w.delta);
            }
            value = statement.add(sum, batch.size());
        } catch (SQLException | RuntimeException | Error e) {
            batch.forEach(w -> w.finish(e));
            return;
        }
        if (value == null && batch.size() > 1) {
            for (Waiter w : batch) {
                w.finish(runAlone(w, statement));
            }
            return;
        }
        long before = value == null ? 0 : value - sum;
        for (Waiter w : batch) {
            before += w.delta;
            w.finish(value == null ? null : before);
        }
    }

    /** Runs one caller's delta in a statement of its own (on the batch's connection), when the batch's wrote nothing. */
    private static Object runAlone(Waiter w, Statement statement) {
        try {
            return statement.add(w.delta, 1);
        } catch (SQLException | RuntimeException | Error e) {
            return e;
        }
    }

    /** The batch is done: the callers that arrived meanwhile become the next batch, led by the first of them. */
    private void handOver(Object key) {
        Waiter next;
        List<Waiter> batch;
        synchronized (running) {
            Counter counter = running.get(key);
            if (counter.waiting.isEmpty()) {
                running.remove(key);
                return;
            }
            batch = counter.waiting;
            counter.waiting = new ArrayList<>();
            next = batch.get(0);
        }
        next.lead(batch);
    }

    private static final class Counter {
        List<Waiter> waiting = new ArrayList<>();
    }

    /** One caller: its delta, then either the batch it is to run, or its result. */
    private static final class Waiter {
        private final long delta;
        private List<Waiter> batch;
        private boolean done;
        private Long value;
        private Throwable error;

        Waiter(long delta) {
            this.delta = delta;
        }

        synchronized void lead(List<Waiter> batch) {
            this.batch = batch;
            notifyAll();
        }

        synchronized void finish(Object result) {
            if (result instanceof Throwable t) {
                error = t;
            } else {
                value = (Long) result;
            }
            done = true;
            notifyAll();
        }

        /** @return the batch this caller is to run, or {@code null} when another caller ran its delta */
        synchronized List<Waiter> awaitTurn() {
            boolean interrupted = false;
            while (batch == null && !done) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true; // the increment may already be running: wait for its outcome
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return done ? null : batch;
        }

        synchronized Long result() throws SQLException {
            if (error instanceof SQLException e) {
                throw e;
            }
            if (error instanceof RuntimeException e) {
                throw e;
            }
            if (error instanceof Error e) {
                throw e;
            }
            return value;
        }
    }
}
