package dev.agentstore.persistence;

import dev.agentstore.domain.InvalidInputException;

import java.time.Duration;
import java.util.Objects;

/**
 * Where a read-only call of {@link AgentStore#read} (or a per-call repository method marked
 * {@link dev.agentstore.persistence.support.ReadOnly}) may run, when the store has read replicas
 * ({@link AgentStoreConfig#replicaUrls()}):
 * <ul>
 *   <li>{@link #primary()}: read-your-writes; always the primary;</li>
 *   <li>{@link #maxLag(Duration)}: bounded staleness; a replica whose replay lag is at most the bound, else the
 *       primary. The lag is measured on the connection that runs the read, in its transaction, as
 *       {@code now() - pg_last_xact_replay_timestamp()} while the replica has received WAL it has not replayed, and
 *       0 when it has replayed all it received (an idle primary leaves nothing to replay);</li>
 *   <li>{@link #anyReplica()}: any reachable replica, however far behind.</li>
 * </ul>
 * A store without replicas reads from the primary whatever the consistency. Immutable and thread-safe.
 */
public final class ReadConsistency {

    private static final ReadConsistency PRIMARY = new ReadConsistency(null);
    private static final ReadConsistency ANY_REPLICA = new ReadConsistency(Duration.ofMillis(Long.MAX_VALUE));

    /** The bound on the replica's lag; {@code null} for the primary. */
    private final Duration maxLag;

    private ReadConsistency(Duration maxLag) {
        this.maxLag = maxLag;
    }

    /** @return read-your-writes: the primary */
    public static ReadConsistency primary() {
        return PRIMARY;
    }

    /** @return a replica however far behind it is, the primary only when no replica is reachable */
    public static ReadConsistency anyReplica() {
        return ANY_REPLICA;
    }

    /**
     * @param maxLag the most replay lag accepted, 0 or more (whole milliseconds); 0 accepts only a replica that has
     *               replayed everything it received
     * @return bounded staleness: a replica at most {@code maxLag} behind, else the primary
     * @throws InvalidInputException naming {@code maxLag} when it is negative
     */
    public static ReadConsistency maxLag(Duration maxLag) {
        Objects.requireNonNull(maxLag, "maxLag");
        if (maxLag.isNegative()) {
            throw new InvalidInputException("maxLag must be 0 or more, was " + maxLag);
        }
        return new ReadConsistency(maxLag);
    }

    /** @return whether the read must run on the primary */
    public boolean requiresPrimary() {
        return maxLag == null;
    }

    /**
     * @param lagMillis a replica's replay lag in milliseconds
     * @return whether a replica that far behind may serve the read (never for {@link #primary()})
     */
    public boolean accepts(long lagMillis) {
        return maxLag != null && lagMillis <= maxLag.toMillis();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ReadConsistency other && Objects.equals(maxLag, other.maxLag);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(maxLag);
    }

    @Override
    public String toString() {
        return maxLag == null ? "primary" : this == ANY_REPLICA || maxLag.equals(ANY_REPLICA.maxLag) ? "anyReplica"
                : "maxLag(" + maxLag.toMillis() + " ms)";
    }
}
