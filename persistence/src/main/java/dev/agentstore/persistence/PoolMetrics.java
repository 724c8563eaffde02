package dev.agentstore.persistence;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * HikariCP's own Micrometer gauges and timers ({@code hikaricp.connections.active}, {@code .idle}, {@code .pending},
 * {@code .max}, {@code .acquire}, … tagged {@code pool} with the store's name) for a store's pool; loaded only when
 * {@link AgentStoreConfig.Builder#meterRegistry} is set.
 */
final class PoolMetrics {

    private PoolMetrics() {
    }

    /**
     * @param pool     the pool's configuration, before the pool starts
     * @param registry a {@link MeterRegistry} (typed {@link Object}, see {@link Telemetry})
     */
    static void register(HikariConfig pool, Object registry) {
        pool.setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory((MeterRegistry) registry));
    }
}
