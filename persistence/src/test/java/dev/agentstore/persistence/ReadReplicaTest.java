package dev.agentstore.persistence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import dev.agentstore.domain.knowledge.Chunk;
import dev.agentstore.domain.knowledge.ChunkMatch;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.persistence.knowledge.SearchOptions;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Read replicas for real: a primary and a streaming replica started by {@code scripts/setup-replica.sh}
 * ({@link ReplicaCluster}), a store whose replica is that one. Checks which server a read ran on
 * ({@code pg_is_in_recovery()}), the lag rule (replay paused on the replica with {@code pg_wal_replay_pause()}), and
 * that a stopped replica costs the caller no error.
 */
class ReadReplicaTest {

    private static final String SCHEMA = AgentStoreExtension.uniqueSchema(ReadReplicaTest.class);
    private static AgentStore store;

    @BeforeAll
    static void open() throws InterruptedException {
        ReplicaCluster.up();
        store = AgentStore.open(config(Duration.ofMillis(100)));
        awaitReplayed(); // the replica has the migrated schema
    }

    @AfterAll
    static void close() {
        if (store != null) {
            ReplicaCluster.superuserSql(ReplicaCluster.REPLICA_URL, "SELECT pg_wal_replay_resume()");
            AgentStoreExtension.dropSchema(store.dataSource(), SCHEMA);
            store.close();
        }
    }

    @AfterEach
    void resumeReplay() {
        ReplicaCluster.startReplica();
        ReplicaCluster.superuserSql(ReplicaCluster.REPLICA_URL, "SELECT pg_wal_replay_resume()");
    }

    private static AgentStoreConfig config(Duration maxLag) {
        return AgentStoreConfig.builder().url(ReplicaCluster.PRIMARY_URL).user("agentstore").password("agentstore")
                .schema(SCHEMA).poolMaxSize(4).poolMinIdle(0)
                .replicaUrls(ReplicaCluster.REPLICA_URL).replicaMaxLag(maxLag).build();
    }

    /** Waits until the replica has replayed everything the primary has written so far. */
    private static void awaitReplayed() throws InterruptedException {
        String lsn = ReplicaCluster.superuserSql(ReplicaCluster.PRIMARY_URL, "SELECT pg_current_wal_lsn()");
        for (int i = 0; i < 300; i++) {
            if ("t".equals(ReplicaCluster.superuserSql(ReplicaCluster.REPLICA_URL,
                    "SELECT pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn"))) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the replica did not replay up to " + lsn + " within 30 s");
    }

    /** Pauses replay on the replica and writes {@code key} on the primary, which the replica receives but not applies. */
    private static void writeWhileReplayPaused(String key) throws InterruptedException {
        ReplicaCluster.superuserSql(ReplicaCluster.REPLICA_URL, "SELECT pg_wal_replay_pause()");
        store.kv().set(key, TextNode.valueOf("v"));
        String lsn = ReplicaCluster.superuserSql(ReplicaCluster.PRIMARY_URL, "SELECT pg_current_wal_lsn()");
        for (int i = 0; i < 300; i++) {
            if ("t".equals(ReplicaCluster.superuserSql(ReplicaCluster.REPLICA_URL,
                    "SELECT pg_last_wal_receive_lsn() >= '" + lsn + "'::pg_lsn"))) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the replica did not receive up to " + lsn + " within 30 s");
    }

    private static boolean inRecovery(ReadConsistency consistency) {
        return inRecovery(store, consistency);
    }

    private static boolean inRecovery(AgentStore store, ReadConsistency consistency) {
        return store.read(consistency, uow -> (Boolean) uow.entityManager()
                .createNativeQuery("SELECT pg_is_in_recovery()").getSingleResult());
    }

    @Nested
    class Routing {

        @Test
        void readOnlyCallsRunOnTheReplicaAndWritesOnThePrimary() {
            assertThat(inRecovery(ReadConsistency.anyReplica())).as("read on the replica").isTrue();
            assertThat(inRecovery(ReadConsistency.primary())).as("read-your-writes on the primary").isFalse();
            Boolean unitOfWork = store.fromTransaction(uow -> (Boolean) uow.entityManager()
                    .createNativeQuery("SELECT pg_is_in_recovery()").getSingleResult());
            assertThat(unitOfWork).as("a unit of work on the primary").isFalse();
        }

        @Test
        void perCallReadOnlyMethodsReadTheReplica() throws InterruptedException {
            String key = "routing-" + UUID.randomUUID();
            writeWhileReplayPaused(key);
            try (AgentStore lagTolerant = AgentStore.open(config(Duration.ofDays(1)))) {
                assertThat(lagTolerant.kv().get(key)).as("the replica has not replayed the write").isEmpty();
                Optional<JsonNode> fromPrimary = lagTolerant.read(ReadConsistency.primary(), uow -> uow.kv().get(key));
                assertThat(fromPrimary).contains(TextNode.valueOf("v"));
            }
        }

        @Test
        void aVectorSearchAndAChunkListingRunOnTheReplica() throws InterruptedException {
            store.inTransaction(uow -> uow.knowledge().create("kb", 2, Distance.COSINE, IndexSpec.hnsw()));
            store.chunks().upsert("kb", List.of(NewChunk.of("d", 0, "text", new float[]{1, 0}).withId("c0")));
            awaitReplayed();
            ReplicaCluster.superuserSql(ReplicaCluster.REPLICA_URL, "SELECT pg_wal_replay_pause()");
            store.chunks().upsert("kb", List.of(NewChunk.of("d", 1, "later", new float[]{0, 1}).withId("c1")));

            try (AgentStore lagTolerant = AgentStore.open(config(Duration.ofDays(1)))) {
                assertThat(lagTolerant.chunks().search("kb", new float[]{1, 0}, SearchOptions.top(5)))
                        .extracting(ChunkMatch::id).as("the replica's chunks only").containsExactly("c0");
                assertThat(lagTolerant.chunks().list("kb", null, null, 10).chunks())
                        .extracting(Chunk::id).containsExactly("c0");
            }
        }

        @Test
        void aWriteInAReadIsRefused() {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.read(ReadConsistency.primary(), uow -> {
                uow.kv().set("refused", TextNode.valueOf("v"));
                return null;
            })).hasMessageContaining("read-only transaction");
        }
    }

    @Nested
    class Lag {

        @Test
        void aReplicaFurtherBehindThanTheBoundLeavesTheReadToThePrimary() throws InterruptedException {
            String key = "lag-" + UUID.randomUUID();
            writeWhileReplayPaused(key);
            Thread.sleep(300); // the replica is now more than 100 ms behind

            assertThat(inRecovery(ReadConsistency.maxLag(Duration.ofMillis(100)))).isFalse();
            assertThat(store.kv().get(key)).as("default bound 100 ms: the primary").contains(TextNode.valueOf("v"));
            assertThat(inRecovery(ReadConsistency.anyReplica())).isTrue();
        }

        @Test
        void aReplicaThatReplayedEverythingServesABoundedRead() throws InterruptedException {
            store.kv().set("caught-up", TextNode.valueOf("v"));
            boolean onReplica = false;
            // a background WAL record (running transactions, every 15 s) may be in flight for a moment: a few tries
            for (int attempt = 0; attempt < 5 && !onReplica; attempt++) {
                awaitReplayed();
                onReplica = inRecovery(ReadConsistency.maxLag(Duration.ZERO));
            }
            assertThat(onReplica).isTrue();
        }
    }

    /** Each test on a store of its own: the replica it finds down stays skipped for a while in that store only. */
    @Nested
    class Outage {

        @Test
        void aStoppedReplicaFallsBackToThePrimaryWithoutAnError() {
            try (AgentStore own = AgentStore.open(config(Duration.ofDays(1)))) {
                own.kv().set("outage", TextNode.valueOf("v"));
                assertThat(inRecovery(own, ReadConsistency.anyReplica())).as("the replica is up").isTrue();
                ReplicaCluster.stopReplica();

                assertThat(inRecovery(own, ReadConsistency.anyReplica())).as("served by the primary").isFalse();
                Optional<JsonNode> value = own.kv().get("outage");
                assertThat(value).contains(TextNode.valueOf("v"));
            }
        }

        @Test
        void aStoreOpensWhileItsReplicaIsDownAndReadsFromThePrimary() {
            ReplicaCluster.stopReplica();
            try (AgentStore own = AgentStore.open(config(Duration.ofDays(1)))) {
                assertThat(inRecovery(own, ReadConsistency.anyReplica())).isFalse();
            }
        }

        @Test
        void aReplicaBackAfterTheRetryIntervalServesReadsAgain() throws InterruptedException {
            try (AgentStore own = AgentStore.open(config(Duration.ofDays(1)))) {
                ReplicaCluster.stopReplica();
                long failedAt = System.nanoTime(); // the replica is skipped from a moment after this
                assertThat(inRecovery(own, ReadConsistency.anyReplica())).isFalse();
                ReplicaCluster.startReplica();
                // starting the replica may outlast the interval on a loaded machine: then there is nothing to see
                if (System.nanoTime() - failedAt < Replicas.RETRY_AFTER.minusSeconds(2).toNanos()) {
                    assertThat(inRecovery(own, ReadConsistency.anyReplica())).as("still skipped").isFalse();
                }
                long left = failedAt + Replicas.RETRY_AFTER.toNanos() - System.nanoTime();
                Thread.sleep(Math.max(0, left / 1_000_000) + 200);

                // tried again; on a loaded machine the first new connection may outlast the replica pool's 1 s
                // timeout, and then the next interval's try serves it: a bound of 30 s, not a speed assertion
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                boolean onReplica = inRecovery(own, ReadConsistency.anyReplica());
                while (!onReplica && System.nanoTime() < deadline) {
                    Thread.sleep(200);
                    onReplica = inRecovery(own, ReadConsistency.anyReplica());
                }
                assertThat(onReplica).as("tried again").isTrue();
            }
        }
    }
}
