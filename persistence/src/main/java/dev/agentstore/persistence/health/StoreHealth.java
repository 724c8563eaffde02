package dev.agentstore.persistence.health;

import java.time.Duration;
import java.util.List;

/**
 * The health of the database a store works on, as {@link HealthProbe#check} found it. Immutable.
 *
 * @param status            {@link Status#UP}, {@link Status#DEGRADED} or {@link Status#DOWN}
 * @param role              whether the server is the primary or a replica (in recovery);
 *                          {@link Role#UNKNOWN} when it could not be reached
 * @param replayLag         on a replica, how far its replay is behind: zero when it has replayed everything it
 *                          received, else the time since the last replayed transaction committed on the primary;
 *                          {@code null} on the primary, when unknown, or when down
 * @param pool              the store's pool, {@code null} when the store does not own it (a caller's or the
 *                          container's datasource)
 * @param pendingMigrations change sets of the changelog not applied to the schema; {@code -1} when unknown
 * @param pgvectorVersion   the version of the {@code vector} extension in the database, {@code null} when it is not
 *                          created there (or when down)
 * @param problems          what made the status DEGRADED or DOWN, one sentence each, never a password; empty when
 *                          UP (unmodifiable)
 */
public record StoreHealth(Status status, Role role, Duration replayLag, PoolSaturation pool, int pendingMigrations,
                          String pgvectorVersion, List<String> problems) {

    /** The overall verdict. */
    public enum Status {
        /** Connected, migrated, pgvector present, no caller waiting for a connection. */
        UP,
        /** Connected, but something needs attention: pending or unreadable migrations, no pgvector, or callers
         *  waiting for a pool connection. */
        DEGRADED,
        /** No connection could be had (or the health query failed). */
        DOWN
    }

    /** The server's role in replication. */
    public enum Role {
        /** Not in recovery: accepts writes. */
        PRIMARY,
        /** In recovery ({@code pg_is_in_recovery()}): a streaming or log-shipping standby, read-only. */
        REPLICA,
        /** Not known: the server could not be reached. */
        UNKNOWN
    }

    /** Copies {@code problems}. */
    public StoreHealth {
        problems = List.copyOf(problems);
    }

    /** @return whether a connection could be had and the health query ran ({@code status != DOWN}) */
    public boolean connected() {
        return status != Status.DOWN;
    }
}
