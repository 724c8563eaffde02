package dev.agentstore.migrations;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.zip.CRC32;
import javax.sql.DataSource;

/**
 * One connection prepared for schema changes (migrations, index builds): autocommit on, no
 * {@code statement_timeout}, {@code lock_timeout} or JDBC network timeout (a long change set or index build, or
 * waiting for another migrator, is not cut by the pool's bounds), holding the schema's session-level advisory lock,
 * so that every agentstore migrator and index builder of one schema runs alone. {@link #close()} releases the lock,
 * restores the settings and returns the connection. Not thread-safe.
 */
final class SchemaSession implements AutoCloseable {

    private static final long ADVISORY_LOCK_NAMESPACE = 0x6167656e74L << 32; // "agent"

    private final Connection connection;
    private final long lockKey;
    private final boolean autoCommit;
    private final int networkTimeout;
    private final String statementTimeout;
    private final String lockTimeout;
    private String searchPath; // the connection's own, when this session changed it; else null

    private SchemaSession(Connection connection, long lockKey) throws SQLException {
        this.connection = connection;
        this.lockKey = lockKey;
        this.autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(true);
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("SELECT current_setting('statement_timeout'),"
                     + " current_setting('lock_timeout'), set_config('statement_timeout', '0', false),"
                     + " set_config('lock_timeout', '0', false)")) {
            rs.next();
            this.statementTimeout = rs.getString(1);
            this.lockTimeout = rs.getString(2);
        }
        this.networkTimeout = connection.getNetworkTimeout();
        connection.setNetworkTimeout(Runnable::run, 0);
        lock("SELECT pg_advisory_lock(?)");
    }

    /**
     * Borrows a connection from {@code dataSource} and waits for the schema's advisory lock.
     *
     * @throws SQLException when no connection can be had or a setting cannot be changed; the connection is then closed
     */
    static SchemaSession open(DataSource dataSource, String schema) throws SQLException {
        return open(dataSource, schema, null);
    }

    /**
     * As {@link #open(DataSource, String)}; with a {@code vectorSchema}, the session's {@code search_path} is
     * {@code <schema>,<vectorSchema>,public} until {@link #close()} restores the connection's own.
     */
    static SchemaSession open(DataSource dataSource, String schema, String vectorSchema) throws SQLException {
        Connection connection = dataSource.getConnection();
        try {
            SchemaSession session = new SchemaSession(connection, advisoryLockKey(schema));
            if (vectorSchema != null) {
                session.searchPath = session.setSearchPath(schema + ", " + vectorSchema + ", public");
            }
            return session;
        } catch (SQLException | RuntimeException e) {
            try {
                connection.close();
            } catch (SQLException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
    }

    /** @return the prepared connection; do not close it, close this session */
    Connection connection() {
        return connection;
    }

    /** @return whether {@code schema} exists */
    boolean schemaExists(String schema) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT 1 FROM pg_namespace WHERE nspname = ?")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    @Override
    public void close() throws SQLException {
        try {
            lock("SELECT pg_advisory_unlock(?)");
            if (searchPath != null) {
                setSearchPath(searchPath);
            }
            try (PreparedStatement ps = connection.prepareStatement(
                    "SELECT set_config('statement_timeout', ?, false), set_config('lock_timeout', ?, false)")) {
                ps.setString(1, statementTimeout);
                ps.setString(2, lockTimeout);
                ps.executeQuery().close();
            }
            connection.setNetworkTimeout(Runnable::run, networkTimeout);
            connection.setAutoCommit(autoCommit);
        } finally {
            connection.close();
        }
    }

    /** @return the {@code search_path} before the change */
    private String setSearchPath(String path) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT current_setting('search_path'), set_config('search_path', ?, false)")) {
            ps.setString(1, path);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private void lock(String sql) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setLong(1, lockKey);
            ps.execute();
        }
    }

    private static long advisoryLockKey(String schema) {
        CRC32 crc = new CRC32();
        crc.update(schema.getBytes(StandardCharsets.UTF_8));
        return ADVISORY_LOCK_NAMESPACE | crc.getValue();
    }
}
