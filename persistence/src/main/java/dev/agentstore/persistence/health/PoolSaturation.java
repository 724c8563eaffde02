package dev.agentstore.persistence.health;

/**
 * The connections of a pool at one moment, as HikariCP's {@code HikariPoolMXBean} reports them. Immutable.
 *
 * @param active  connections lent out to callers
 * @param idle    connections open and waiting in the pool
 * @param total   connections open ({@code active + idle})
 * @param waiting threads waiting for a connection: more than zero means the pool is saturated
 * @param max     the pool's maximum size
 */
public record PoolSaturation(int active, int idle, int total, int waiting, int max) {
}
