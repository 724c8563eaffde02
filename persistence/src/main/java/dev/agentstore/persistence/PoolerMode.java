package dev.agentstore.persistence;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.util.Locale;

/**
 * What sits between agentstore's pool and PostgreSQL ({@link AgentStoreConfig.Builder#poolerMode}). Behind a
 * transaction pooler (PgBouncer {@code pool_mode = transaction}, Supabase's pooler on port 6543, Supavisor,
 * PgCat) consecutive transactions of one agentstore connection may run on different server connections, so nothing
 * may rely on session state; see {@code docs/operations.md}, "Connection poolers and managed services".
 */
public enum PoolerMode {
    /** A direct connection, or a pooler in session mode: one server session per agentstore connection. */
    NONE,
    /**
     * A pooler in transaction mode: connections send no startup parameters but the ones PgBouncer knows (no
     * {@code currentSchema}, no {@code options} with the timeouts, which then must be set on the role or in the
     * pooler), use no server-side prepared statements (pgjdbc {@code prepareThreshold=0} unless the URL sets it,
     * for PgBouncer before 1.21 or without {@code max_prepared_statements}), and migrations and index maintenance
     * use {@link AgentStoreConfig#directUrl()}.
     */
    TRANSACTION;

    /**
     * @param setting the setting's name, for the message
     * @param value   {@code none} or {@code transaction} (case-insensitive)
     * @return the mode
     * @throws InvalidInputException for any other value
     */
    public static PoolerMode parse(String setting, String value) {
        for (PoolerMode mode : values()) {
            if (mode.name().equalsIgnoreCase(value == null ? "" : value.trim())) {
                return mode;
            }
        }
        throw new InvalidInputException(setting + " must be none or transaction, was " + Check.describe(value));
    }

    /** @return the mode as written in the environment: {@code none} or {@code transaction} */
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }
}
