package dev.agentstore.persistence;

import dev.agentstore.domain.InvalidInputException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The read replicas of an {@link AgentStoreConfig}: one {@link ConnectionSettings} per replica URL, composed as the
 * primary's are (same user, password, TLS mode and timeouts unless the replica's URL says otherwise), and the default
 * replay-lag bound. Immutable.
 *
 * @param connections the replicas' connections, in the order given; empty when the store has no replica
 * @param maxLag      see {@link AgentStoreConfig#replicaMaxLag()}
 */
record ReplicaSettings(List<ConnectionSettings> connections, Duration maxLag) {

    /** Default {@link AgentStoreConfig#replicaMaxLag()}: 1 s. */
    static final Duration DEFAULT_MAX_LAG = Duration.ofSeconds(1);

    ReplicaSettings {
        connections = List.copyOf(connections);
    }

    /**
     * @return {@code b}'s replicas, each URL composed with {@code b}'s other connection settings
     * @throws InvalidInputException naming the replica (its position) and the invalid setting
     */
    static ReplicaSettings compose(AgentStoreConfig.Builder b) {
        if (b.replicaMaxLag.isNegative()) {
            throw new InvalidInputException("replicaMaxLag (AGENTSTORE_DB_REPLICA_MAX_LAG_MS) must be 0 or more, was "
                    + b.replicaMaxLag.toMillis() + " ms");
        }
        List<ConnectionSettings> connections = new ArrayList<>();
        String primaryUrl = b.url;
        try {
            for (int i = 0; i < b.replicaUrls.size(); i++) {
                b.url = b.replicaUrls.get(i);
                if (b.url == null || b.url.isBlank()) {
                    throw new InvalidInputException("replica url " + (i + 1) + " (AGENTSTORE_DB_REPLICA_URLS) is empty");
                }
                try {
                    connections.add(ConnectionSettings.compose(b));
                } catch (InvalidInputException e) {
                    throw new InvalidInputException("replica url " + (i + 1) + " (AGENTSTORE_DB_REPLICA_URLS): "
                            + e.getMessage(), e);
                }
            }
        } finally {
            b.url = primaryUrl;
        }
        return new ReplicaSettings(connections, b.replicaMaxLag);
    }

    /** @return the replicas' JDBC URLs, safe to print */
    List<String> jdbcUrls() {
        return connections.stream().map(ConnectionSettings::jdbcUrl).toList();
    }

    @Override
    public String toString() {
        return connections.isEmpty() ? "replicas=none" : "replicas=" + connections.stream()
                .map(ConnectionSettings::jdbcUrl).collect(Collectors.joining(", ", "[", "]"))
                + ", replicaMaxLag=" + ConnectionSettings.format(maxLag);
    }
}
