package dev.agentstore.persistence;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * The names the open stores of this JVM use in each meter registry, so that two stores reporting to one registry
 * never share a name: HikariCP's tracker keys its gauges by pool name (a second pool of the same name would get the
 * first one's gauges), and {@link MicrometerCalls} tags every meter with it. The registries are held weakly and
 * compared by identity. Thread-safe.
 */
final class StoreNames {

    private static final Map<Object, Set<String>> IN_USE = new WeakHashMap<>();

    private StoreNames() {
    }

    /**
     * @param telemetry the store's registry and configured name
     * @return the configured name when no other open store uses it in the same registry (or there is no registry),
     *         else the name with the first free suffix {@code -2}, {@code -3}, …
     */
    static synchronized String claim(Telemetry telemetry) {
        if (telemetry.meterRegistry() == null) {
            return telemetry.name();
        }
        Set<String> used = IN_USE.computeIfAbsent(telemetry.meterRegistry(), r -> new HashSet<>());
        String name = telemetry.name();
        for (int n = 2; used.contains(name); n++) {
            name = telemetry.name() + "-" + n;
        }
        used.add(name);
        return name;
    }

    /**
     * Frees a name {@link #claim} gave; freeing it twice or a name never claimed does nothing.
     *
     * @param telemetry the store's registry
     * @param name      the claimed name
     */
    static synchronized void release(Telemetry telemetry, String name) {
        Set<String> used = telemetry.meterRegistry() == null ? null : IN_USE.get(telemetry.meterRegistry());
        if (used != null) {
            used.remove(name);
        }
    }
}
