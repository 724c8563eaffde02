package dev.agentstore.persistence.support;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.TransientDataAccessException;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * How to retry a unit of work that failed transiently and is known not to have committed (a
 * {@link TransientDataAccessException} whose {@link TransientDataAccessException#retrySafe() retrySafe()} is true: a
 * lost race, a lost connection, no connection within the pool timeout, a server shutdown, a statement or lock
 * timeout): at most {@code maxAttempts} attempts, waiting
 * between them an exponential backoff with full jitter (a random time between 0 and
 * {@code min(maxBackoff, initialBackoff * 2^(attempt-1))}).
 *
 * <p>Each attempt must run in its own transaction: pass a whole unit of work, such as
 * {@code () -> store.fromTransaction(work)} or a {@code REQUIRES_NEW} bean method, never a call inside a
 * transaction that is still open.
 *
 * @param maxAttempts    attempts in all, 1 to 1000
 * @param initialBackoff upper bound of the first wait
 * @param maxBackoff     upper bound of any wait
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {

    /** 20 attempts, waits up to 2 ms, 4 ms, 8 ms, … capped at 250 ms. */
    public static final RetryPolicy DEFAULT = new RetryPolicy(20, Duration.ofMillis(2), Duration.ofMillis(250));

    /**
     * @throws dev.agentstore.domain.InvalidInputException when {@code maxAttempts} is outside 1–1000 or a
     *                                                     duration is null or negative
     */
    public RetryPolicy {
        Check.range("maxAttempts", maxAttempts, 1, 1000);
        Check.notNegative("initialBackoff (ms)", Check.notNull("initialBackoff", initialBackoff).toMillis());
        Check.notNegative("maxBackoff (ms)", Check.notNull("maxBackoff", maxBackoff).toMillis());
    }

    /**
     * Runs {@code attempt} until it returns, fails with anything but a retry-safe
     * {@link TransientDataAccessException}, or the attempts run out.
     *
     * @param what    names the work in the final exception's message, for example {@code FlowRun etl/run-1}
     * @param attempt one whole unit of work (its own transaction)
     * @param <T>     the result type
     * @return what the successful attempt returned
     * @throws ConcurrencyConflictException when every attempt failed and the last one conflicted; the message gives
     *                                      the number of attempts and the last conflict is the cause
     * @throws TransientDataAccessException when every attempt failed transiently and the last failure was not a
     *                                      conflict: its operation is the last failure's, the message names
     *                                      {@code what} and the number of attempts, the last failure is the cause;
     *                                      or, at once, a failure that is not retry-safe (the outcome is unknown)
     * @throws RuntimeException             any other failure of an attempt, at once and unchanged
     */
    public <T> T execute(String what, Supplier<T> attempt) {
        TransientDataAccessException last = null;
        for (int i = 1; i <= maxAttempts; i++) {
            try {
                return attempt.get();
            } catch (TransientDataAccessException e) {
                if (!e.retrySafe()) {
                    throw e;
                }
                last = e;
                if (i < maxAttempts) {
                    sleep(backoff(i), e);
                }
            }
        }
        if (last instanceof ConcurrencyConflictException) {
            throw new ConcurrencyConflictException(what, what + ": still conflicting after " + maxAttempts
                    + " attempts", last);
        }
        throw new TransientDataAccessException(last.operation(), what + ": still failing after " + maxAttempts
                + " attempts; last: " + last.getMessage(), true, last);
    }

    /**
     * @param attempt the attempt that just failed, from 1
     * @return a random wait between 0 and the capped exponential bound for that attempt
     */
    Duration backoff(int attempt) {
        long cap = maxBackoff.toNanos();
        long bound = initialBackoff.toNanos() << Math.min(attempt - 1, 30);
        if (bound <= 0 || bound > cap) {
            bound = cap;
        }
        return Duration.ofNanos(bound == 0 ? 0 : ThreadLocalRandom.current().nextLong(bound + 1));
    }

    /** Waits; when interrupted, keeps the interrupt flag and throws {@code failure} (no further attempt). */
    private static void sleep(Duration d, TransientDataAccessException failure) {
        try {
            Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure.addSuppressed(e);
            throw failure;
        }
    }
}
