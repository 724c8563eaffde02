package dev.agentstore.persistence;

import dev.agentstore.domain.InvalidInputException;

import java.util.regex.Pattern;

/**
 * The optional observability of an {@link AgentStoreConfig}: a Micrometer {@code MeterRegistry} and an OpenTelemetry
 * instance, each {@code null} when not configured, and the store's name in its meters. The first two are held as
 * {@link Object} so that neither library has to be on the classpath of a store that uses neither; only
 * {@link MicrometerCalls}, {@link PoolMetrics} and {@link OpenTelemetryCalls} cast them, and those classes load only
 * when the setting is present. Immutable.
 *
 * @param meterRegistry an {@code io.micrometer.core.instrument.MeterRegistry}, or {@code null}
 * @param openTelemetry an {@code io.opentelemetry.api.OpenTelemetry}, or {@code null}
 * @param name          see {@link AgentStoreConfig#name()}, validated
 */
record Telemetry(Object meterRegistry, Object openTelemetry, String name) {

    /** Default {@link AgentStoreConfig#name()}. */
    static final String DEFAULT_NAME = "agentstore";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    /**
     * @throws InvalidInputException when {@code name} is not 1 to 63 letters, digits, {@code _}, {@code .} or
     *                               {@code -} starting with a letter or digit
     */
    Telemetry {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new InvalidInputException("name must be 1 to 63 letters, digits, '_', '.' or '-', starting with a"
                    + " letter or digit");
        }
    }

    /** @return what {@link AgentStoreConfig#toString()} shows: the name and which of the two is on */
    @Override
    public String toString() {
        return "name=" + name + ", metrics=" + (meterRegistry != null) + ", tracing=" + (openTelemetry != null);
    }
}
