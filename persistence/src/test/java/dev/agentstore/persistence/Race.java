package dev.agentstore.persistence;

import dev.agentstore.persistence.support.RetryPolicy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/** Real threads released at once by a start gate, for concurrency tests. */
public final class Race {

    /**
     * The retry policy of the read-modify-write races: enough attempts for 64 writers of one row, with a backoff
     * that keeps them from retrying in lockstep.
     */
    public static final RetryPolicy PATIENT = new RetryPolicy(1000, Duration.ofMillis(1), Duration.ofMillis(50));

    private Race() {
    }

    /**
     * Runs one task per thread, all released together once every thread is ready.
     *
     * @param threads how many threads (and tasks)
     * @param task    the task of thread {@code i}, 0-based
     * @param <T>     the result type
     * @return the results in thread order
     * @throws Exception what a task threw, or a timeout after 300 s (a hang guard, not a speed assertion)
     */
    public static <T> List<T> run(int threads, IntFunction<Callable<T>> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch ready = new CountDownLatch(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                Callable<T> work = task.apply(i);
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    start.await();
                    return work.call();
                }));
            }
            ready.await();
            start.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get(300, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Waits for a latch that another thread of the test counts down.
     *
     * @param latch the latch
     * @throws AssertionError when it is not released within 30 s (a hang guard, not a speed assertion)
     */
    public static void await(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new AssertionError("latch not released within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
