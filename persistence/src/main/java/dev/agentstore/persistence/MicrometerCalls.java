package dev.agentstore.persistence;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.function.Supplier;

/**
 * Micrometer meters of a store's calls (loaded only when {@link AgentStoreConfig.Builder#meterRegistry} is set):
 * <ul>
 *   <li>{@value #CALLS}, a timer per call, tagged {@code repository} (for example {@code KvRepository}, or
 *       {@code UnitOfWork}), {@code method} (for example {@code set}, or {@code transaction}) and {@code outcome}
 *       ({@link CallObserver#outcome});</li>
 *   <li>{@value #CONFLICTS}, a counter of the calls that lost a race (outcome {@code conflict}), tagged
 *       {@code repository} and {@code method};</li>
 *   <li>{@value #RETRIES}, a counter of the attempts of {@code fromTransactionWithRetry} beyond the first, tagged
 *       {@code repository} and {@code method}.</li>
 * </ul>
 * Each meter is also tagged {@code store}, the store's name ({@link AgentStore#name()}), so that stores sharing a
 * registry keep meters of their own. Tags never carry a key, an identifier or any other value of a call. Thread-safe.
 */
record MicrometerCalls(MeterRegistry registry, String store) implements CallObserver {

    /** Timer of every call. */
    static final String CALLS = "agentstore.calls";
    /** Counter of the calls that ended in a conflict. */
    static final String CONFLICTS = "agentstore.conflicts";
    /** Counter of retried attempts. */
    static final String RETRIES = "agentstore.retries";

    /**
     * @param registry a {@link MeterRegistry} (typed {@link Object} for {@link CallObserver#of})
     * @param store    the store's name, the value of the tag {@code store}
     */
    static CallObserver create(Object registry, String store) {
        return new MicrometerCalls((MeterRegistry) registry, store);
    }

    @Override
    public <T> T observe(Call call, Supplier<T> work) {
        Timer.Sample sample = Timer.start(registry);
        Throwable failure = null;
        try {
            return work.get();
        } catch (RuntimeException | Error e) {
            failure = e;
            throw e;
        } finally {
            String outcome = CallObserver.outcome(failure);
            sample.stop(Timer.builder(CALLS)
                    .description("agentstore repository calls and units of work, begin to commit")
                    .tags("store", store, "repository", call.repository(), "method", call.method(), "outcome", outcome)
                    .register(registry));
            if (CONFLICT.equals(outcome)) {
                registry.counter(CONFLICTS, "store", store, "repository", call.repository(), "method", call.method())
                        .increment();
            }
        }
    }

    @Override
    public void retried(Call call, int retries) {
        registry.counter(RETRIES, "store", store, "repository", call.repository(), "method", call.method())
                .increment(retries);
    }
}
