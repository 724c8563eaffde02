package dev.agentstore.persistence;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The test utility {@link LocalCluster} does what its contract says, on a real private server. */
class LocalClusterTest {

    private static LocalCluster cluster;

    @BeforeAll
    static void start() {
        cluster = LocalCluster.start();
        cluster.createDatabase("lc");
    }

    @AfterAll
    static void close() {
        cluster.close();
    }

    private static Connection connect(int socketTimeoutSeconds) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", LocalCluster.SUPERUSER);
        props.setProperty("socketTimeout", Integer.toString(socketTimeoutSeconds));
        props.setProperty("connectTimeout", "5");
        return DriverManager.getConnection(cluster.jdbcUrl("lc"), props);
    }

    private static long count(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM kept")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void runsOnItsOwnPortWithPgvector() throws SQLException {
        assertThat(cluster.port()).isNotEqualTo(5432);
        try (Connection c = connect(0); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT '[1,2]'::vector(2)::text, current_setting('port')")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("[1,2]");
            assertThat(rs.getInt(2)).isEqualTo(cluster.port());
        }
    }

    @Test
    void freezeMakesCallsWaitUntilTheSocketTimeoutAndThawResumes() throws SQLException {
        try (Connection c = connect(2)) {
            cluster.freeze();
            try {
                assertThatThrownBy(() -> c.createStatement().execute("SELECT 1")).isInstanceOf(SQLException.class);
            } finally {
                cluster.thaw();
            }
        }
        try (Connection c = connect(0); Statement s = c.createStatement()) {
            assertThat(s.execute("SELECT 1")).isTrue();
        }
    }

    @Test
    void committedRowsSurviveKill9AndImmediateOrFastRestarts() throws SQLException {
        try (Connection c = connect(0); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE kept (id int)");
            s.execute("INSERT INTO kept VALUES (1)");
        }
        Connection open = connect(0);
        cluster.kill9();
        assertThatThrownBy(() -> count(open)).isInstanceOf(SQLException.class);
        open.close();

        cluster.restart();
        try (Connection c = connect(0)) {
            assertThat(count(c)).isEqualTo(1);
        }
        cluster.restart(LocalCluster.StopMode.IMMEDIATE);
        cluster.restart(LocalCluster.StopMode.FAST);
        try (Connection c = connect(0)) {
            assertThat(count(c)).isEqualTo(1);
        }
    }

    @Test
    void closeStopsTheServerAndDeletesItsDirectory() throws SQLException {
        LocalCluster other = LocalCluster.start();
        Path dir = other.directory();
        String url = other.jdbcUrl("postgres");
        other.close();
        assertThat(Files.exists(dir)).isFalse();
        Properties props = new Properties();
        props.setProperty("user", LocalCluster.SUPERUSER);
        assertThatThrownBy(() -> DriverManager.getConnection(url, props).close()).isInstanceOf(SQLException.class);
    }
}
