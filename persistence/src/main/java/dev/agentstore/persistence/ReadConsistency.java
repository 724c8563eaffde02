package dev.agentstore.persistence;

import dev.agentstore.domain.InvalidInputException;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
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

    /**
     * The replay lag of the server a connection is on, in milliseconds: 0 when it is not in recovery (a primary) or
     * has replayed all the WAL it received, else the time since the last transaction it replayed committed.
     */
    private static final String LAG_SQL = "SELECT CASE WHEN NOT pg_is_in_recovery()"
            + " OR pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0"
            + " ELSE coalesce((extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000)::bigint,"
            + " 9223372036854775807) END";

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

    /**
     * Measures the replay lag that {@link #accepts(long)} is given, as the standalone store measures it: one query on
     * {@code connection}. Used by the store on the read's own connection, and by a container application before a
     * read through its replica's datasource.
     *
     * @param connection an open connection, to a replica or a primary; left open, in whatever transaction it is in
     * @return the server's replay lag in milliseconds: 0 on a primary or on a replica that has replayed all the WAL it
     *         received, else the time since the last replayed transaction committed ({@link Long#MAX_VALUE} when it
     *         has replayed none)
     * @throws SQLException when the query fails (for example the connection is broken)
     */
    public static long replayLagMillis(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(LAG_SQL)) {
            rs.next();
            return rs.getLong(1);
        }
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
