package dev.agentstore.persistence.scheduler;

import dev.agentstore.persistence.AgentStore;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

/** Test-only SQL on the store's pool, outside Hibernate: the database clock, row counts, and setting up states. */
final class SchedulerSql {

    private SchedulerSql() {
    }

    /** @return the database's current time (clock_timestamp()), to the millisecond */
    static Instant dbNow(AgentStore store) {
        return Instant.ofEpochMilli(queryLong(store, "SELECT CAST(extract(epoch FROM clock_timestamp()) * 1000 AS bigint)"));
    }

    /** @return the number of rows of scheduler_jobs */
    static long jobCount(AgentStore store) {
        return queryLong(store, "SELECT count(*) FROM scheduler_jobs");
    }

    static long queryLong(AgentStore store, String sql, Object... params) {
        try (Connection c = store.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, params);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    static int update(AgentStore store, String sql, Object... params) {
        try (Connection c = store.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, params);
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /** Deletes every job, so that claims in one test do not see another test's jobs. */
    static void deleteAllJobs(AgentStore store) {
        update(store, "DELETE FROM scheduler_jobs");
    }

    private static void bind(PreparedStatement ps, Object... params) throws SQLException {
        for (int i = 0; i < params.length; i++) {
            ps.setObject(i + 1, params[i]);
        }
    }
}
