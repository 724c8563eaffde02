package dev.agentstore.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.agentstore.persistence.jakarta.ReadReplica;
import dev.agentstore.persistence.kv.KvRepository;
import jakarta.annotation.Resource;
import jakarta.inject.Inject;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.UUID;
import javax.management.ObjectName;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The read-replica path inside WildFly, for real: {@code AgentStoreDS} on the tests' primary, {@code AgentStoreReplicaDS}
 * on its streaming replica (both from {@code scripts/setup-replica.sh}, see {@link ReplicaPair}), the example's
 * persistence unit {@code agentstore-replica} and the {@code @ReadReplica} repositories its
 * {@code ReplicaRepositories} produces. Checks which server each datasource reaches ({@code pg_is_in_recovery()},
 * {@code inet_server_port()}), that a {@code @ReadReplica} read does not see a write the replica has received but not
 * replayed while the primary's repository does, that such a read runs on the primary once the replica's replay lag
 * is over the bound ({@code BoundedStalenessInterceptor}, set per call here through its system property), that writes through it are refused, that a stopped replica moves
 * its reads to the primary without an error to the caller, and that they return to the restarted replica once the
 * pool is flushed. Runs in the server; the outage test last.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContainerReadReplicaTest {

    /** The example's {@code BoundedStalenessInterceptor.PROPERTY}: the lag bound in ms, read on every call. */
    private static final String MAX_LAG_PROPERTY = "agentstore.db.replica.max-lag-ms";

    @Deployment
    static WebArchive deployment() {
        return Deployments.withTests("replica-it.war", ContainerReadReplicaTest.class, ReplicaPair.class);
    }

    @Inject
    KvRepository kv;

    @Inject
    @ReadReplica
    KvRepository replicaKv;

    @Resource(lookup = "java:jboss/datasources/AgentStoreDS")
    DataSource primaryDs;

    @Resource(lookup = "java:jboss/datasources/AgentStoreReplicaDS")
    DataSource replicaDs;

    @Test
    @Order(1)
    void eachDatasourceReachesItsServer() throws SQLException {
        assertThat(server(primaryDs)).isEqualTo("f:" + ReplicaPair.primaryPort());
        assertThat(server(replicaDs)).as("the replica's datasource on the replica").isEqualTo("t:" + ReplicaPair.replicaPort());
    }

    @Test
    @Order(2)
    void readReplicaRepositoriesReadTheReplicaAndWritesGoToThePrimary() throws InterruptedException {
        String replayed = "replayed-" + UUID.randomUUID();
        kv.set(replayed, TextNode.valueOf("a"));
        ReplicaPair.awaitReplayed();
        assertThat(replicaKv.get(replayed)).as("replayed: visible on the replica").contains(TextNode.valueOf("a"));

        String db = System.getenv("AGENTSTORE_DB_NAME");
        ReplicaPair.superuserSql(ReplicaPair.replicaPort(), db, "SELECT pg_wal_replay_pause()");
        System.setProperty(MAX_LAG_PROPERTY, "600000"); // any lag this test can reach
        try {
            String pending = "pending-" + UUID.randomUUID();
            kv.set(pending, TextNode.valueOf("b"));
            awaitReceived(db);
            assertThat(replicaKv.get(pending)).as("received, not replayed: the replica does not have it yet").isEmpty();
            assertThat(kv.get(pending)).as("the primary has it").contains(TextNode.valueOf("b"));
        } finally {
            System.clearProperty(MAX_LAG_PROPERTY);
            ReplicaPair.superuserSql(ReplicaPair.replicaPort(), db, "SELECT pg_wal_replay_resume()");
        }

        assertThatThrownBy(() -> replicaKv.set("refused-" + UUID.randomUUID(), TextNode.valueOf("c")))
                .hasStackTraceContaining("read-only transaction");
    }

    @Test
    @Order(3)
    void aReadReplicaReadOverTheLagBoundReturnsThePrimarysValue() throws InterruptedException {
        String key = "lag-" + UUID.randomUUID();
        kv.set(key, TextNode.valueOf("old"));
        ReplicaPair.awaitReplayed();
        String db = System.getenv("AGENTSTORE_DB_NAME");
        ReplicaPair.superuserSql(ReplicaPair.replicaPort(), db, "SELECT pg_wal_replay_pause()");
        try {
            kv.set(key, TextNode.valueOf("new"));
            awaitReceived(db);
            System.setProperty(MAX_LAG_PROPERTY, "600000");
            assertThat(replicaKv.get(key)).as("within the bound: the replica's stale value")
                    .contains(TextNode.valueOf("old"));
            Thread.sleep(20); // the lag is the time since the last replayed commit: now over 10 ms
            System.setProperty(MAX_LAG_PROPERTY, "10");
            assertThat(replicaKv.get(key)).as("over the bound: read on the primary, no error")
                    .contains(TextNode.valueOf("new"));
            assertThatThrownBy(() -> replicaKv.set(key, TextNode.valueOf("w")))
                    .as("writes are not moved to the primary").hasStackTraceContaining("read-only transaction");
        } finally {
            System.clearProperty(MAX_LAG_PROPERTY);
            ReplicaPair.superuserSql(ReplicaPair.replicaPort(), db, "SELECT pg_wal_replay_resume()");
        }
        ReplicaPair.awaitReplayed();
        assertThat(replicaKv.get(key)).as("replayed: the replica has it, within the default bound")
                .contains(TextNode.valueOf("new"));
    }

    @Test
    @Order(4)
    void aStoppedReplicaLeavesReadsToThePrimaryWithoutAnError() throws Exception {
        String key = "outage-" + UUID.randomUUID();
        kv.set(key, TextNode.valueOf("v"));
        ReplicaPair.awaitReplayed();
        assertThat(replicaKv.get(key)).as("before: from the replica").contains(TextNode.valueOf("v"));

        ReplicaPair.stopReplica();
        try {
            // the pool's connections to the replica are dead now: validate-on-match discards them, pgjdbc's
            // preferSecondary connects to the primary instead
            Optional<JsonNode> during = replicaKv.get(key);
            assertThat(during).as("during the outage: read, no error").contains(TextNode.valueOf("v"));
            assertThat(server(replicaDs)).as("served by the primary").isEqualTo("f:" + ReplicaPair.primaryPort());
            assertThatThrownBy(() -> replicaKv.set(key, TextNode.valueOf("w")))
                    .as("still read-only on the primary").hasStackTraceContaining("read-only transaction");
            assertThat(kv.get(key)).contains(TextNode.valueOf("v"));
        } finally {
            ReplicaPair.startReplica();
        }

        // back: reads return to the replica once the pool's connections to the primary are replaced (here flushed,
        // as an operator would; pgjdbc tries the failed host again after hostRecheckSeconds, 10 s)
        String back = null;
        for (int i = 0; i < 60 && !("t:" + ReplicaPair.replicaPort()).equals(back); i++) {
            Thread.sleep(i == 0 ? 0 : 500);
            flushReplicaPool();
            back = server(replicaDs);
        }
        assertThat(back).as("after the replica's restart and a pool flush").isEqualTo("t:" + ReplicaPair.replicaPort());
        assertThat(replicaKv.get(key)).contains(TextNode.valueOf("v"));
    }

    /** {@code /subsystem=datasources/data-source=AgentStoreReplicaDS:flush-all-connection-in-pool}, through JMX. */
    private static void flushReplicaPool() throws Exception {
        ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("jboss.as:subsystem=datasources,data-source=AgentStoreReplicaDS"),
                "flushAllConnectionInPool", new Object[0], new String[0]);
    }

    /** @return {@code "t:port"} or {@code "f:port"}: whether the connection's server is in recovery, and its port */
    private static String server(DataSource ds) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery(), inet_server_port()")) {
            rs.next();
            return (rs.getBoolean(1) ? "t:" : "f:") + rs.getInt(2);
        }
    }

    /** Waits until the replica has received (not necessarily replayed) all WAL the primary has written. */
    private static void awaitReceived(String db) throws InterruptedException {
        String lsn = ReplicaPair.superuserSql(ReplicaPair.primaryPort(), db, "SELECT pg_current_wal_lsn()");
        for (int i = 0; i < 300; i++) {
            if ("t".equals(ReplicaPair.superuserSql(ReplicaPair.replicaPort(), db,
                    "SELECT pg_last_wal_receive_lsn() >= '" + lsn + "'::pg_lsn"))) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the replica did not receive up to " + lsn + " within 30 s");
    }
}
