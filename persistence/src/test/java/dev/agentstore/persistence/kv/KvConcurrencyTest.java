package dev.agentstore.persistence.kv;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.Race;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;


import static org.assertj.core.api.Assertions.assertThat;

/** Races of real transactions on real threads: the single-statement upserts must need no retry and lose nothing. */
@ExtendWith(AgentStoreExtension.class)
class KvConcurrencyTest {

    private static final int THREADS = 16;

    @Test
    void exactlyOneOfSixteenRacingSetIfAbsentCallsWinsAndAnotherCanWinAfterExpiry(AgentStore store, MutableClock clock)
            throws Exception {
        List<Boolean> firstRace = Race.run(THREADS, i -> () -> store.fromTransaction(uow ->
                uow.kv().setIfAbsent("race:lock", owner(i), Duration.ofSeconds(30))));
        assertThat(firstRace).filteredOn(Boolean::booleanValue).hasSize(1);
        int firstWinner = firstRace.indexOf(true);
        assertThat(get(store, "race:lock")).contains(owner(firstWinner));

        clock.advance(Duration.ofSeconds(29));
        List<Boolean> stillHeld = Race.run(THREADS, i -> () -> store.fromTransaction(uow ->
                uow.kv().setIfAbsent("race:lock", owner(i), Duration.ofSeconds(30))));
        assertThat(stillHeld).containsOnly(false);
        assertThat(get(store, "race:lock")).contains(owner(firstWinner));

        clock.advance(Duration.ofSeconds(1));
        List<Boolean> afterExpiry = Race.run(THREADS, i -> () -> store.fromTransaction(uow ->
                uow.kv().setIfAbsent("race:lock", owner(i), Duration.ofSeconds(30))));
        assertThat(afterExpiry).filteredOn(Boolean::booleanValue).hasSize(1);
        assertThat(get(store, "race:lock")).contains(owner(afterExpiry.indexOf(true)));
    }

    @Test
    void sixteenThreadsIncrementingFiveHundredTimesEachCountExactlyEightThousand(AgentStore store) throws Exception {
        int perThread = 500;
        List<List<Long>> returned = Race.run(THREADS, i -> () -> {
            List<Long> mine = new ArrayList<>(perThread);
            for (int n = 0; n < perThread; n++) {
                mine.add(store.fromTransaction(uow -> uow.kv().increment("race:counter", 1)));
            }
            return mine;
        });

        Set<Long> distinct = new HashSet<>();
        returned.forEach(distinct::addAll);
        assertThat(distinct).hasSize(THREADS * perThread);
        assertThat(distinct).allMatch(v -> v >= 1 && v <= THREADS * perThread);
        assertThat(get(store, "race:counter")).contains(IntNode.valueOf(THREADS * perThread));
    }

    @Test
    void purgeLeavesAnExpiredEntryThatAnOpenTransactionIsRenewing(AgentStore store, MutableClock clock) throws Exception {
        store.inTransaction(uow -> {
            uow.kv().set("renew:busy", IntNode.valueOf(1), Duration.ofSeconds(1));
            uow.kv().set("renew:idle", IntNode.valueOf(1), Duration.ofSeconds(1));
        });
        clock.advance(Duration.ofSeconds(1));

        CountDownLatch renewed = new CountDownLatch(1);
        CountDownLatch purged = new CountDownLatch(1);
        ExecutorService renewer = Executors.newSingleThreadExecutor();
        try {
            Future<?> renewal = renewer.submit(() -> store.inTransaction(uow -> {
                uow.kv().set("renew:busy", IntNode.valueOf(2), Duration.ofHours(1));
                renewed.countDown();
                Race.await(purged);
            }));
            assertThat(renewed.await(30, TimeUnit.SECONDS)).isTrue();
            long deleted = store.fromTransaction(uow -> uow.kv().purgeExpired(100));
            purged.countDown();
            renewal.get(30, TimeUnit.SECONDS);

            assertThat(deleted).isEqualTo(1);
            assertThat(get(store, "renew:busy")).contains(IntNode.valueOf(2));
            assertThat(get(store, "renew:idle")).isEmpty();
        } finally {
            purged.countDown();
            renewer.shutdownNow();
        }
    }

    private static JsonNode owner(int i) {
        return Json.of("value", Map.of("owner", "worker-" + i));
    }

    private static Optional<JsonNode> get(AgentStore store, String key) {
        return store.fromTransaction(uow -> uow.kv().get(key));
    }
}
