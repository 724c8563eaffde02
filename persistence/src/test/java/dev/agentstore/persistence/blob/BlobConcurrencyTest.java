package dev.agentstore.persistence.blob;

import dev.agentstore.domain.blob.Blob;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.Race;
import dev.agentstore.persistence.UnitOfWork;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.agentstore.persistence.blob.Blobs.contents;
import static dev.agentstore.persistence.blob.Blobs.generated;
import static dev.agentstore.persistence.blob.Blobs.generatedSha256;
import static dev.agentstore.persistence.blob.Blobs.unreferencedContents;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Puts and deletes of the same content in concurrent transactions, on real threads: content a key refers to is never
 * lost, equal content is stored once, and nothing unreferenced is left behind.
 */
@ExtendWith(AgentStoreExtension.class)
class BlobConcurrencyTest {

    /** Larger than a chunk, so that streaming it in takes several statements. */
    private static final long SIZE = BlobWrites.CHUNK_SIZE + 4096;

    @BeforeEach
    void empty(AgentStore store) {
        List<Blob> page;
        while (!(page = store.blobs().list(null, 1000)).isEmpty()) {
            page.forEach(b -> store.blobs().delete(b.key()));
        }
    }

    private static String readHash(AgentStore store, String key) {
        Blobs.Digesting out = new Blobs.Digesting();
        store.blobs().get(key, out).orElseThrow();
        return out.hex();
    }

    @Nested
    class PutAndDeleteOfTheSameContent {

        @Test
        void aPutCommittingWhileTheDeleteOfTheLastOtherKeyWaitsKeepsTheContent(AgentStore store) throws Exception {
            String hash = generatedSha256(SIZE, 1);
            store.blobs().put("old", generated(SIZE, 1), null, null);
            CountDownLatch putDone = new CountDownLatch(1);
            CountDownLatch deleteStarted = new CountDownLatch(1);
            ExecutorService threads = Executors.newFixedThreadPool(2);
            try {
                Future<?> put = threads.submit(() -> store.inTransaction(uow -> {
                    uow.blobs().put("new", generated(SIZE, 1), null, null); // refers to the existing content
                    putDone.countDown();
                    Race.await(deleteStarted);
                    awaitBlockedBy(store, uow); // the delete waits for this transaction's lock on the content
                }));
                Future<Boolean> delete = threads.submit(() -> {
                    Race.await(putDone);
                    deleteStarted.countDown();
                    return store.fromTransaction(uow -> uow.blobs().delete("old"));
                });
                put.get(60, TimeUnit.SECONDS);
                assertThat(delete.get(60, TimeUnit.SECONDS)).isTrue();
            } finally {
                threads.shutdownNow();
            }

            assertThat(store.blobs().has("old")).isFalse();
            assertThat(readHash(store, "new")).isEqualTo(hash);
            assertThat(contents(store)).isOne();
        }

        @Test
        void aDeleteCommittingWhileAPutOfTheSameContentWaitsLeavesThePutsOwnCopy(AgentStore store) throws Exception {
            String hash = generatedSha256(SIZE, 2);
            store.blobs().put("old", generated(SIZE, 2), null, null);
            CountDownLatch deleteDone = new CountDownLatch(1);
            CountDownLatch putStarted = new CountDownLatch(1);
            ExecutorService threads = Executors.newFixedThreadPool(2);
            try {
                Future<?> delete = threads.submit(() -> store.inTransaction(uow -> {
                    uow.blobs().delete("old"); // deletes the content, holding its lock
                    deleteDone.countDown();
                    Race.await(putStarted);
                    awaitBlockedBy(store, uow); // the put has streamed its copy in and waits for the lock
                }));
                Future<Blob> put = threads.submit(() -> {
                    Race.await(deleteDone);
                    putStarted.countDown();
                    return store.fromTransaction(uow -> uow.blobs().put("new", generated(SIZE, 2), null, null));
                });
                delete.get(60, TimeUnit.SECONDS);
                assertThat(put.get(60, TimeUnit.SECONDS).hash()).isEqualTo(hash);
            } finally {
                threads.shutdownNow();
            }

            assertThat(readHash(store, "new")).isEqualTo(hash);
            assertThat(contents(store)).isOne();
            assertThat(unreferencedContents(store)).isZero();
        }

        @Test
        void racingPutsAndDeletesOfOneContentNeverLoseItForAKeyThatExists(AgentStore store) throws Exception {
            String hash = generatedSha256(SIZE, 3);
            for (int round = 0; round < 5; round++) {
                Race.run(6, i -> () -> {
                    String key = "k" + (i % 3);
                    for (int k = 0; k < 4; k++) {
                        if ((i + k) % 2 == 0) {
                            store.blobs().put(key, generated(SIZE, 3), null, null);
                        } else {
                            store.blobs().delete(key);
                        }
                    }
                    return null;
                });

                for (Blob blob : store.blobs().list(null, 10)) {
                    assertThat(readHash(store, blob.key())).isEqualTo(hash);
                }
                assertThat(contents(store)).isLessThanOrEqualTo(1);
                assertThat(unreferencedContents(store)).isZero();
            }
        }
    }

    @Nested
    class EqualContent {

        @Test
        void eightThreadsPuttingEqualContentUnderTheirOwnKeysStoreItOnce(AgentStore store) throws Exception {
            String hash = generatedSha256(SIZE, 4);

            List<Blob> stored = Race.run(8, i -> () -> store.blobs().put("key-" + i, generated(SIZE, 4), null, null));

            assertThat(stored).extracting(Blob::hash).containsOnly(hash);
            assertThat(contents(store)).isOne();
            assertThat(unreferencedContents(store)).isZero();
            for (int i = 0; i < 8; i++) {
                assertThat(readHash(store, "key-" + i)).isEqualTo(hash);
            }
        }

        @Test
        void eightThreadsPuttingEqualContentWithoutAKeyLeaveOneBlob(AgentStore store) throws Exception {
            Race.run(8, i -> () -> store.blobs().put(generated(SIZE, 5), null, null));

            assertThat(store.blobs().list(null, 10)).hasSize(1);
            assertThat(contents(store)).isOne();
            assertThat(unreferencedContents(store)).isZero();
        }
    }

    /** Waits until another session waits for a lock {@code uow}'s transaction holds; a hang guard of 30 s. */
    private static void awaitBlockedBy(AgentStore store, UnitOfWork uow) {
        long pid = ((Number) uow.entityManager().createNativeQuery("SELECT pg_backend_pid()").getSingleResult())
                .longValue();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (blockedBy(store, pid) == 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no session waited for the transaction's lock within 30 s");
            }
            sleep(20);
        }
    }

    private static long blockedBy(AgentStore store, long pid) {
        try (Connection c = store.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity WHERE ?::int = ANY(pg_blocking_pids(pid))")) {
            ps.setLong(1, pid);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
