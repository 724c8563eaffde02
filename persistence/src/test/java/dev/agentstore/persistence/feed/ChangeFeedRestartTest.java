package dev.agentstore.persistence.feed;

import dev.agentstore.domain.flow.NewFlowEvent;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreConfig;
import dev.agentstore.persistence.LocalCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A subscription keeps delivering across PostgreSQL restarts (fast and immediate) without gap or duplicate: a writer
 * appends flow events throughout, the server goes down twice, and afterwards the events the subscriber received are
 * exactly the committed ones, in feed order. Runs on a private cluster ({@link LocalCluster}), never on the shared
 * server.
 */
class ChangeFeedRestartTest {

    private static LocalCluster cluster;
    private static AgentStore store;

    @BeforeAll
    static void start() {
        cluster = LocalCluster.start();
        String url = cluster.createDatabase("feed");
        store = AgentStore.open(AgentStoreConfig.builder().url(url).user(LocalCluster.SUPERUSER).schema("feed")
                .poolMaxSize(6).poolConnectionTimeout(Duration.ofSeconds(1)).connectTimeout(Duration.ofSeconds(2))
                .build());
    }

    @AfterAll
    static void stop() {
        if (store != null) {
            store.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void deliveryContinuesAcrossRestartsWithoutGapOrDuplicate() throws Exception {
        FeedRecorder recorder = new FeedRecorder();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger acknowledged = new AtomicInteger();
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try (Subscription s = store.feed().subscribe(FeedSelection.all(), FeedCursor.START, recorder)) {
            Future<?> writes = writer.submit(() -> {
                int i = 0;
                while (writing.get()) {
                    try {
                        store.flowEvents().append(NewFlowEvent.of("r" + (i % 4), "restart", "e" + i));
                        acknowledged.incrementAndGet();
                    } catch (RuntimeException e) {
                        sleep(50); // the server is down; the event is written again (or was, if the outcome was unknown)
                    }
                    i++;
                    sleep(5);
                }
                return null;
            });
            recorder.awaitCount(20);
            cluster.restart(LocalCluster.StopMode.FAST);
            int afterFirst = acknowledged.get() + 20; // 20 events written after the restart arrive
            recorder.await(Duration.ofSeconds(60), e -> e.size() >= afterFirst);
            cluster.restart(LocalCluster.StopMode.IMMEDIATE);
            int afterSecond = acknowledged.get() + 20;
            recorder.await(Duration.ofSeconds(60), e -> e.size() >= afterSecond);
            writing.set(false);
            writes.get(30, TimeUnit.SECONDS);

            List<String> stored = ChangeFeedTest.storedCursors(store, "restart");
            recorder.await(Duration.ofSeconds(30), e -> e.size() >= stored.size());
            Thread.sleep(1_500);
            assertThat(recorder.cursors()).containsExactlyElementsOf(stored);
            assertThat(new HashSet<>(recorder.cursors())).hasSameSizeAs(recorder.cursors());
            assertThat(s.isClosed()).isFalse();
        } finally {
            writing.set(false);
            writer.shutdownNow();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
