package dev.agentstore.persistence;

/**
 * The optional observability of an {@link AgentStoreConfig}: a Micrometer {@code MeterRegistry} and an OpenTelemetry
 * instance, each {@code null} when not configured. Held as {@link Object} so that neither library has to be on the
 * classpath of a store that uses neither; only {@link MicrometerCalls}, {@link PoolMetrics} and
 * {@link OpenTelemetryCalls} cast them, and those classes load only when the setting is present. Immutable.
 *
 * @param meterRegistry an {@code io.micrometer.core.instrument.MeterRegistry}, or {@code null}
 * @param openTelemetry an {@code io.opentelemetry.api.OpenTelemetry}, or {@code null}
 */
record Telemetry(Object meterRegistry, Object openTelemetry) {

    /** Neither metrics nor tracing. */
    static final Telemetry NONE = new Telemetry(null, null);

    /** @return what {@link AgentStoreConfig#toString()} shows: which of the two is on */
    @Override
    public String toString() {
        return "metrics=" + (meterRegistry != null) + ", tracing=" + (openTelemetry != null);
    }
}
