package dev.agentstore.persistence.feed;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.domain.flow.NewFlowEvent;
import dev.agentstore.domain.partition.PartitionedTable;
import dev.agentstore.domain.partition.PruneResult;
import dev.agentstore.domain.partition.RetentionPolicy;
import dev.agentstore.domain.trigger.TriggerType;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.PGConnection;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The change feed on the real PostgreSQL with real threads: history then live without gap or duplicate, rollbacks
 * notify nobody, slow listeners do not hold others up, durable consumers resume and share.
 */
@ExtendWith(AgentStoreExtension.class)
class ChangeFeedTest {

    private static ExecutorService executor;

    @BeforeAll
    static void startExecutor() {
        executor = Executors.newCachedThreadPool();
    }

    @AfterAll
    static void stopExecutor() {
        executor.shutdownNow();
    }

    /** A feed with a small batch (many catch-up reads) and a short poll, over the store's pool. */
    private static ChangeFeed smallBatchFeed(AgentStore store) {
        return ChangeFeed.start(store.dataSource(), store.dataSource()::getConnection, store.config().schema(),
                Executors.defaultThreadFactory(), executor, new ChangeFeed.Options(Duration.ofMillis(200), 7));
    }

    private static void append(AgentStore store, String flow, String run, String type) {
        store.flowEvents().append(NewFlowEvent.of(run, flow, type));
    }

    @Nested
    class Subscribe {

        @Test
        void readsTheStoredEventsThenFollowsLiveInOrder(AgentStore store) throws Exception {
            for (int i = 0; i < 5; i++) {
                append(store, "live", "r1", "old-" + i);
            }
            FeedRecorder recorder = new FeedRecorder();
            try (Subscription s = store.feed().subscribe(FeedSelection.run("live", "r1"), FeedCursor.START, recorder)) {
                recorder.awaitCount(5);
                for (int i = 0; i < 5; i++) {
                    append(store, "live", "r1", "new-" + i);
                }
                List<FeedEvent> events = recorder.awaitCount(10);
                assertThat(events).extracting(FeedEvent::type).containsExactly(
                        "old-0", "old-1", "old-2", "old-3", "old-4", "new-0", "new-1", "new-2", "new-3", "new-4");
                // the cursor advances when the listener call returns, just after the recorder saw the event
                FeedCursor last = events.get(9).cursor();
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (!s.cursor().equals(last) && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertThat(s.cursor()).isEqualTo(last);
            }
        }

        @Test
        void catchesUpOverManyBatchesWithoutAnotherWakeUp(AgentStore store) throws Exception {
            for (int i = 0; i < 30; i++) {
                append(store, "catch-up", "r" + (i % 2), "old-" + i);
            }
            List<String> stored = storedCursors(store, "catch-up");
            // a feed reads only below the oldest running transaction: one of another test, begun before these appends,
            // would cut the first read short and nothing but the hour-long poll would wake the subscriptions again
            awaitHorizonPast(store, stored.get(stored.size() - 1));
            FeedRecorder first = new FeedRecorder();
            FeedRecorder second = new FeedRecorder();
            // no notification comes and the fallback poll is an hour away: the batches of 7 must follow each other
            try (ChangeFeed feed = ChangeFeed.start(store.dataSource(), store.dataSource()::getConnection,
                    store.config().schema(), Executors.defaultThreadFactory(), executor,
                    new ChangeFeed.Options(Duration.ofHours(1), 7));
                 Subscription a = feed.subscribe(FeedSelection.flow("catch-up"), FeedCursor.START, first);
                 Subscription b = feed.subscribe(FeedSelection.flow("catch-up"), FeedCursor.START, second)) {
                first.await(Duration.ofSeconds(10), e -> e.size() >= stored.size());
                second.await(Duration.ofSeconds(10), e -> e.size() >= stored.size());
                assertThat(first.cursors()).containsExactlyElementsOf(stored);
                assertThat(second.cursors()).containsExactlyElementsOf(stored);
            }
        }

        @Test
        void aRunsStatusChangesComeWithItsEventsAndOtherRunsStayOut(AgentStore store) throws Exception {
            FeedRecorder recorder = new FeedRecorder();
            try (Subscription s = store.feed().subscribe(FeedSelection.run("status", "r1"), FeedCursor.START, recorder)) {
                store.inTransaction(uow -> uow.flowRuns().start("status", "r1"));
                store.inTransaction(uow -> uow.flowRuns().start("status", "r2"));
                append(store, "status", "r1", "step.done");
                append(store, "status", "r2", "elsewhere");
                store.inTransaction(uow -> uow.flowRuns().transition("status", "r1", FlowRunStatus.COMPLETED));
                List<FeedEvent> events = recorder.awaitCount(3);
                Thread.sleep(300);
                assertThat(recorder.events()).extracting(FeedEvent::kind, FeedEvent::type).containsExactly(
                        org.assertj.core.groups.Tuple.tuple(FeedKind.RUN_STATUS, "RUNNING"),
                        org.assertj.core.groups.Tuple.tuple(FeedKind.FLOW_EVENT, "step.done"),
                        org.assertj.core.groups.Tuple.tuple(FeedKind.RUN_STATUS, "COMPLETED"));
                assertThat(events).allSatisfy(e -> assertThat(e.runId()).isEqualTo("r1"));
            }
        }

        @Test
        void aTriggerSelectionGetsThatTriggersEventsOnly(AgentStore store) throws Exception {
            store.inTransaction(uow -> {
                uow.triggers().register("t-feed", TriggerType.EVENT);
                uow.triggers().register("t-other", TriggerType.EVENT);
            });
            FeedRecorder recorder = new FeedRecorder();
            try (Subscription s = store.feed().subscribe(FeedSelection.trigger("t-feed"), FeedCursor.START, recorder)) {
                store.inTransaction(uow -> uow.triggers().fire("t-other", "x", null));
                store.inTransaction(uow -> uow.triggers().fire("t-feed", "fired", null));
                List<FeedEvent> events = recorder.awaitCount(1);
                Thread.sleep(300);
                assertThat(recorder.events()).singleElement().satisfies(e -> {
                    assertThat(e.kind()).isEqualTo(FeedKind.TRIGGER_EVENT);
                    assertThat(e.triggerName()).isEqualTo("t-feed");
                    assertThat(e.type()).isEqualTo("fired");
                });
                assertThat(events).hasSize(1);
            }
        }

        @Test
        void concurrentAppendsDuringCatchUpAndLiveArriveWithoutGapOrDuplicate(AgentStore store) throws Exception {
            String flow = "race";
            for (int i = 0; i < 60; i++) {
                append(store, flow, "r" + (i % 5), "before");
            }
            List<Future<?>> writers = new ArrayList<>();
            CountDownLatch started = new CountDownLatch(4);
            for (int w = 0; w < 4; w++) {
                int writer = w;
                writers.add(executor.submit(() -> {
                    started.countDown();
                    for (int i = 0; i < 60; i++) {
                        String run = "r" + ((writer + i) % 5);
                        if (i % 3 == 0) { // a transaction of three events
                            store.inTransaction(uow -> {
                                for (int k = 0; k < 3; k++) {
                                    uow.flowEvents().append(NewFlowEvent.of(run, flow, "tx"));
                                }
                            });
                        } else if (i % 7 == 0) { // rolled back: must never be delivered
                            try {
                                store.inTransaction(uow -> {
                                    uow.flowEvents().append(NewFlowEvent.of(run, flow, "rolled-back"));
                                    throw new IllegalStateException("roll back");
                                });
                            } catch (IllegalStateException expected) {
                                // rolled back
                            }
                        } else {
                            append(store, flow, run, "single");
                        }
                    }
                    return null;
                }));
            }
            FeedRecorder recorder = new FeedRecorder();
            try (ChangeFeed feed = smallBatchFeed(store)) {
                started.await();
                Subscription s = feed.subscribe(FeedSelection.flow(flow), FeedCursor.START, recorder);
                for (Future<?> writer : writers) {
                    writer.get(60, TimeUnit.SECONDS);
                }
                List<String> stored = storedCursors(store, flow);
                recorder.await(Duration.ofSeconds(30), e -> e.size() >= stored.size());
                Thread.sleep(500);
                assertThat(recorder.cursors()).containsExactlyElementsOf(stored);
                assertThat(new HashSet<>(recorder.cursors())).hasSameSizeAs(recorder.cursors());
                assertThat(recorder.events()).noneMatch(e -> e.type().equals("rolled-back"));
                s.close();
            }
        }

        @Test
        void subscriptionsOfOneSelectionThatShareReadsEachGetEveryEventAfterTheirCursorOnceInOrder(AgentStore store)
                throws Exception {
            String flow = "shared";
            for (int i = 0; i < 20; i++) {
                append(store, flow, "r" + (i % 3), "before");
            }
            FeedCursor tenth = FeedCursor.parse(storedCursors(store, flow).get(9));
            FeedRecorder fromTenth = new FeedRecorder();
            List<FeedRecorder> recorders = new ArrayList<>();
            List<Future<?>> writers = new ArrayList<>();
            try (ChangeFeed feed = smallBatchFeed(store)) {
                List<Subscription> subscriptions = new ArrayList<>();
                subscriptions.add(feed.subscribe(FeedSelection.flow(flow), tenth, fromTenth)); // ahead of the others
                for (int j = 0; j < 6; j++) { // same selection; half from the start, half joining mid-stream
                    FeedRecorder recorder = new FeedRecorder();
                    recorders.add(recorder);
                    if (j % 2 == 0) {
                        subscriptions.add(feed.subscribe(FeedSelection.flow(flow), FeedCursor.START, recorder));
                    }
                }
                for (int w = 0; w < 3; w++) {
                    int writer = w;
                    writers.add(executor.submit(() -> {
                        for (int i = 0; i < 40; i++) {
                            append(store, flow, "r" + ((writer + i) % 3), "live");
                        }
                        return null;
                    }));
                }
                for (int j = 1; j < 6; j += 2) {
                    subscriptions.add(feed.subscribe(FeedSelection.flow(flow), FeedCursor.START, recorders.get(j)));
                }
                for (Future<?> writer : writers) {
                    writer.get(60, TimeUnit.SECONDS);
                }
                List<String> stored = storedCursors(store, flow);
                for (FeedRecorder recorder : recorders) {
                    recorder.await(Duration.ofSeconds(30), e -> e.size() >= stored.size());
                }
                Thread.sleep(500); // a duplicate would arrive now
                for (FeedRecorder recorder : recorders) {
                    assertThat(recorder.cursors()).containsExactlyElementsOf(stored);
                }
                assertThat(fromTenth.cursors()).containsExactlyElementsOf(stored.subList(10, stored.size()));
                subscriptions.forEach(Subscription::close);
            }
        }

        @Test
        void aSlowListenerDoesNotHoldUpAnother(AgentStore store) throws Exception {
            CountDownLatch release = new CountDownLatch(1);
            FeedRecorder fast = new FeedRecorder();
            try (Subscription slow = store.feed().subscribe(FeedSelection.flow("slow"), FeedCursor.START,
                    e -> release.await());
                 Subscription quick = store.feed().subscribe(FeedSelection.flow("slow"), FeedCursor.START, fast)) {
                for (int i = 0; i < 20; i++) {
                    append(store, "slow", "r1", "e" + i);
                }
                assertThat(fast.awaitCount(20)).hasSize(20);
                assertThat(slow.cursor()).isEqualTo(FeedCursor.START);
                release.countDown();
            }
        }

        @Test
        void aListenerThatThrowsClosesItsSubscription(AgentStore store) throws Exception {
            Subscription s = store.feed().subscribe(FeedSelection.flow("throws"), FeedCursor.START, e -> {
                throw new IllegalStateException("listener broke");
            });
            append(store, "throws", "r1", "boom");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!s.isClosed() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(s.failure()).get().extracting(Throwable::getMessage).isEqualTo("listener broke");
        }

        @Test
        void openSubscriptionsCountsTheOpenOnesUntilClosedByCallFailureOrTheFeed(AgentStore store) throws Exception {
            String flow = "count-" + java.util.UUID.randomUUID();
            try (ChangeFeed feed = smallBatchFeed(store)) {
                assertThat(feed.openSubscriptions()).isZero();
                Subscription closed = feed.subscribe(FeedSelection.flow(flow), FeedCursor.START, e -> { });
                Subscription failing = feed.subscribe(FeedSelection.flow(flow), FeedCursor.START, e -> {
                    throw new IllegalStateException("listener broke");
                });
                feed.subscribe(FeedSelection.flow(flow), FeedCursor.START, e -> { });
                assertThat(feed.openSubscriptions()).isEqualTo(3);
                closed.close();
                append(store, flow, "r1", "boom");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!failing.isClosed() && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(feed.openSubscriptions()).isEqualTo(1);
                feed.close();
                assertThat(feed.openSubscriptions()).isZero();
            }
        }
    }

    @Nested
    class Retention {

        @Test
        void pruningRowsAheadOfASubscriptionLeavesItEveryOtherRowOnceInOrder(AgentStore store) throws Exception {
            String flow = "pruned-" + java.util.UUID.randomUUID();
            Instant old = Instant.now().minus(Duration.ofDays(100));
            store.inTransaction(uow -> uow.flowRuns().start(flow, "old"));
            store.flowEvents().append(NewFlowEvent.of("old", flow, "old-event").at(old));
            store.inTransaction(uow -> uow.flowRuns().start(flow, "kept"));
            append(store, flow, "kept", "kept-1");
            try (Connection c = store.dataSource().getConnection();
                 java.sql.PreparedStatement st = c.prepareStatement("UPDATE flow_run_status_changes"
                         + " SET changed_at = now() - interval '100 days' WHERE run_id = 'old' AND flow_name = ?")) {
                st.setString(1, flow);
                assertThat(st.executeUpdate()).isEqualTo(1);
            }
            CountDownLatch release = new CountDownLatch(1);
            FeedRecorder recorder = new FeedRecorder();
            // batches of one: the subscription holds the first row while the rows ahead of it are pruned
            try (ChangeFeed feed = ChangeFeed.start(store.dataSource(), store.dataSource()::getConnection,
                    store.config().schema(), Executors.defaultThreadFactory(), executor,
                    new ChangeFeed.Options(Duration.ofMillis(100), 1));
                 Subscription s = feed.subscribe(FeedSelection.flow(flow), FeedCursor.START, e -> {
                     recorder.onEvent(e);
                     release.await();
                 })) {
                recorder.awaitCount(1);

                PruneResult pruned = store.partitions().prune(RetentionPolicy.none()
                        .keep(PartitionedTable.FLOW_EVENTS, Duration.ofDays(30)));
                release.countDown();
                store.inTransaction(uow -> uow.flowRuns().transition(flow, "kept", FlowRunStatus.COMPLETED));
                append(store, flow, "kept", "kept-2");

                assertThat(pruned.runStatusChangesDeleted()).isEqualTo(1);
                assertThat(pruned.of(PartitionedTable.FLOW_EVENTS).rowsDeleted()).isEqualTo(1);
                recorder.awaitCount(5);
                Thread.sleep(300);
                assertThat(recorder.events()).extracting(FeedEvent::runId, FeedEvent::type).containsExactly(
                        org.assertj.core.groups.Tuple.tuple("old", "RUNNING"), // read before the prune
                        org.assertj.core.groups.Tuple.tuple("kept", "RUNNING"),
                        org.assertj.core.groups.Tuple.tuple("kept", "kept-1"),
                        org.assertj.core.groups.Tuple.tuple("kept", "COMPLETED"),
                        org.assertj.core.groups.Tuple.tuple("kept", "kept-2"));
                assertThat(s.isClosed()).isFalse();
            }
            FeedRecorder fresh = new FeedRecorder();
            try (Subscription s = store.feed().subscribe(FeedSelection.flow(flow), FeedCursor.START, fresh)) {
                fresh.awaitCount(4);
                Thread.sleep(300);
                assertThat(fresh.events()).extracting(FeedEvent::runId).containsOnly("kept").hasSize(4);
            }
        }
    }

    @Nested
    class Notifications {

        @Test
        void aRolledBackAppendNotifiesNobodyAndACommittedOneNotifiesOnce(AgentStore store) throws Exception {
            String schema = store.config().schema();
            try (Connection listen = DriverManager.getConnection(AgentStoreExtension.testUrl(), "agentstore",
                    "agentstore")) {
                try (Statement st = listen.createStatement()) {
                    st.execute("LISTEN \"" + FeedNotifications.channel(schema) + "\"");
                }
                PGConnection pg = listen.unwrap(PGConnection.class);
                try {
                    store.inTransaction(uow -> {
                        for (int i = 0; i < 3; i++) {
                            uow.flowEvents().append(NewFlowEvent.of("r1", "notify", "rolled-back"));
                        }
                        throw new IllegalStateException("roll back");
                    });
                } catch (IllegalStateException expected) {
                    // rolled back
                }
                var none = pg.getNotifications(500);
                assertThat(none == null ? 0 : none.length).isZero();
                store.inTransaction(uow -> {
                    for (int i = 0; i < 3; i++) {
                        uow.flowEvents().append(NewFlowEvent.of("r1", "notify", "committed"));
                    }
                });
                var some = pg.getNotifications(30_000); // returns as soon as one arrives; 30 s is a hang guard
                assertThat(some).hasSize(1);
                assertThat(some[0].getParameter()).isEqualTo("flow_event");
            }
        }
    }

    @Nested
    class DurableConsumers {

        @Test
        void aRestartedConsumerResumesAfterItsCommittedPosition(AgentStore store) throws Exception {
            for (int i = 0; i < 10; i++) {
                append(store, "resume", "r" + (i % 3), "first");
            }
            FeedRecorder first = new FeedRecorder();
            try (Subscription c = store.feed().consume("resumer", FeedSelection.flow("resume"), 2, FeedCursor.START,
                    first)) {
                first.awaitCount(10);
            }
            for (int i = 0; i < 5; i++) {
                append(store, "resume", "r" + (i % 3), "second");
            }
            FeedRecorder second = new FeedRecorder();
            try (Subscription c = store.feed().consume("resumer", FeedSelection.flow("resume"), 2, FeedCursor.START,
                    second)) {
                second.awaitCount(5);
                Thread.sleep(500);
                assertThat(second.events()).extracting(FeedEvent::type).containsOnly("second").hasSize(5);
            }
        }

        @Test
        void twoLiveInstancesShareTheWorkWithoutDeliveringAnEventTwice(AgentStore store) throws Exception {
            FeedRecorder a = new FeedRecorder();
            FeedRecorder b = new FeedRecorder();
            try (ChangeFeed feedA = smallBatchFeed(store); ChangeFeed feedB = smallBatchFeed(store);
                 // each delivery takes a moment, so that a share is held while the other instance looks for work
                 // (on a loaded machine one instance could otherwise drain every share before the other runs)
                 Subscription ca = feedA.consume("sharer", FeedSelection.flow("share"), 4, FeedCursor.START,
                         e -> { Thread.sleep(5); a.onEvent(e); });
                 Subscription cb = feedB.consume("sharer", FeedSelection.flow("share"), 4, FeedCursor.START,
                         e -> { Thread.sleep(5); b.onEvent(e); })) {
                List<Future<?>> writers = new ArrayList<>();
                for (int w = 0; w < 4; w++) {
                    int writer = w;
                    writers.add(executor.submit(() -> {
                        for (int i = 0; i < 50; i++) {
                            append(store, "share", "r" + (writer * 50 + i) % 16, "e");
                        }
                        return null;
                    }));
                }
                for (Future<?> writer : writers) {
                    writer.get(60, TimeUnit.SECONDS);
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (a.events().size() + b.events().size() < 200 && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                Thread.sleep(500);
                List<String> all = new ArrayList<>(a.cursors());
                all.addAll(b.cursors());
                assertThat(all).hasSize(200).doesNotHaveDuplicates();
                assertThat(a.events()).isNotEmpty();
                assertThat(b.events()).isNotEmpty();
            }
        }

        @Test
        void anotherPartitionCountForAStoredConsumerIsRefused(AgentStore store) {
            store.feed().consume("fixed", FeedSelection.all(), 2, FeedCursor.START, e -> { }).close();
            assertThatThrownBy(() -> store.feed().consume("fixed", FeedSelection.all(), 3, FeedCursor.START, e -> { }))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("partitions");
        }
    }

    @Nested
    class Cursors {

        @Test
        void aCursorsTextReadsBack() {
            FeedCursor cursor = new FeedCursor(123456789L, 2, 42);
            assertThat(FeedCursor.parse(cursor.toString())).isEqualTo(cursor);
            assertThat(cursor).isGreaterThan(new FeedCursor(123456789L, 1, 99));
        }

        @Test
        void badCursorTextIsRefusedNamingTheCursor() {
            assertThatThrownBy(() -> FeedCursor.parse("1.x.3")).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("cursor");
            assertThatThrownBy(() -> FeedSelection.run("", "r")).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("flowName");
        }
    }

    /**
     * Waits until every transaction older than the event at {@code cursor} has ended (the feed's horizon is past it),
     * at most 60 seconds.
     */
    static void awaitHorizonPast(AgentStore store, String cursor) throws Exception {
        long tx = Long.parseLong(cursor.substring(0, cursor.indexOf('.')));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        try (Connection c = store.dataSource().getConnection();
             var ps = c.prepareStatement("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")) {
            while (true) {
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) > tx) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("transactions older than " + cursor + " still running after 60 s");
                }
                Thread.sleep(20);
            }
        }
    }

    /** Every committed event of {@code flow}, in feed order, read by SQL. */
    static List<String> storedCursors(AgentStore store, String flow) throws Exception {
        List<String> cursors = new ArrayList<>();
        try (Connection c = store.dataSource().getConnection();
             var ps = c.prepareStatement("SELECT tx::text || '.1.' || id FROM flow_events WHERE flow_name = ?"
                     + " ORDER BY tx, id")) {
            ps.setString(1, flow);
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    cursors.add(rs.getString(1));
                }
            }
        }
        return cursors;
    }
}
