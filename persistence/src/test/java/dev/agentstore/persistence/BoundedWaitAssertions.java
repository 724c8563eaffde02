package dev.agentstore.persistence;

import dev.agentstore.domain.AgentStoreException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Assertions for calls that must end within a bound (a timeout plus a margin) instead of hanging: they throw the
 * expected agentstore exception type, in time, with no secret in the message.
 */
final class BoundedWaitAssertions {

    /** The type a timed-out or cut-off call throws; the narrowest type the error translation guarantees. */
    static final Class<? extends AgentStoreException> EXPECTED_TIMEOUT_TYPE = AgentStoreException.class;

    private BoundedWaitAssertions() {
    }

    /**
     * Runs {@code call} on a thread of its own and waits at most {@code bound} for it, so that a call that hangs
     * fails the test instead of hanging it.
     *
     * @param bound   the most time the call may take (the timeout under test plus a generous margin)
     * @param call    the call
     * @param secrets texts that must not appear in the exception's message or its causes' messages
     * @return the exception, for further assertions
     */
    static AgentStoreException assertFailsWithin(Duration bound, ThrowingCallable call, String... secrets) {
        long start = System.nanoTime();
        FutureTask<Throwable> task = new FutureTask<>(() -> catchThrowable(call));
        Thread thread = new Thread(task, "bounded-call");
        thread.setDaemon(true);
        thread.start();
        Throwable thrown;
        try {
            thrown = task.get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("the call was still waiting after " + bound + "; it must fail within it");
        } catch (InterruptedException | ExecutionException e) {
            throw new AssertionError(e);
        }
        assertThat(thrown).as("the call must fail, not succeed").isNotNull();
        // the figure docs/reliability-config.md quotes; not asserted beyond the bound
        System.out.printf("bounded call failed after %d ms (bound %d ms): %s%n",
                Duration.ofNanos(System.nanoTime() - start).toMillis(), bound.toMillis(), thrown.getClass().getSimpleName());
        assertThat(thrown).as("exception type").isInstanceOf(EXPECTED_TIMEOUT_TYPE);
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            for (String secret : secrets) {
                assertThat(String.valueOf(t.getMessage())).as("message of " + t.getClass().getName())
                        .doesNotContain(secret);
            }
        }
        return (AgentStoreException) thrown;
    }
}
