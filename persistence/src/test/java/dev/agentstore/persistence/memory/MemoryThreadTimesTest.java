package dev.agentstore.persistence.memory;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.memory.Memory;
import dev.agentstore.domain.memory.ThreadOrder;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.support.PageRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;

import static dev.agentstore.persistence.memory.MemoryThreadTest.count;
import static dev.agentstore.persistence.memory.MemoryThreadTest.find;
import static dev.agentstore.persistence.memory.MemoryThreadTest.ids;
import static dev.agentstore.persistence.memory.MemoryThreadTest.json;
import static dev.agentstore.persistence.memory.MemoryThreadTest.list;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Threads saved with the caller's times (issue 14: import from another store without losing history). */
@ExtendWith(AgentStoreExtension.class)
class MemoryThreadTimesTest {

    private static final Instant CREATED = Instant.parse("2021-03-04T05:06:07.123456Z");
    private static final Instant UPDATED = Instant.parse("2022-08-09T10:11:12.654321Z");

    @Test
    void newThreadStoresTheCallersTimesExactlyToTheMicrosecond(AgentStore store) {
        Memory saved = store.fromTransaction(uow -> uow.memories().saveThread("tt-exact", "tt-user", "imported",
                json("{\"from\":\"mastra\"}"), CREATED, UPDATED));

        assertThat(saved.createdAt()).isEqualTo(CREATED);
        assertThat(saved.updatedAt()).isEqualTo(UPDATED);
        Memory read = find(store, "tt-exact").orElseThrow();
        assertThat(read.createdAt()).isEqualTo(CREATED);
        assertThat(read.updatedAt()).isEqualTo(UPDATED);
        assertThat(read.title()).isEqualTo("imported");
        assertThat(read.metadata()).isEqualTo(json("{\"from\":\"mastra\"}"));
        assertThat(read.version()).isZero();
        assertThat(count(store, "memories WHERE id = 'tt-exact'"
                + " AND created_at = TIMESTAMPTZ '2021-03-04 05:06:07.123456+00'"
                + " AND updated_at = TIMESTAMPTZ '2022-08-09 10:11:12.654321+00'")).isEqualTo(1);
    }

    @Test
    void digitsBeyondTheMicrosecondAreCutSoWhatIsReturnedIsWhatIsStored(AgentStore store) {
        Memory saved = store.fromTransaction(uow -> uow.memories().saveThread("tt-nanos", "tt-user", null, null,
                CREATED.plusNanos(999), UPDATED.plusNanos(500)));

        assertThat(saved.createdAt()).isEqualTo(CREATED);
        assertThat(saved.updatedAt()).isEqualTo(UPDATED);
        assertThat(find(store, "tt-nanos").orElseThrow().createdAt()).isEqualTo(saved.createdAt());
        assertThat(find(store, "tt-nanos").orElseThrow().updatedAt()).isEqualTo(saved.updatedAt());
    }

    @Test
    void nullTimesAreTheClocksAsWithoutThem(AgentStore store, MutableClock clock) {
        Instant now = clock.instant();
        Memory both = store.fromTransaction(uow -> uow.memories().saveThread("tt-default", "tt-user", null, null,
                null, null));
        Memory plain = store.fromTransaction(uow -> uow.memories().saveThread("tt-plain", "tt-user", null, null));
        Memory onlyCreated = store.fromTransaction(uow -> uow.memories().saveThread("tt-only-created", "tt-user",
                null, null, CREATED, null));
        Memory onlyUpdated = store.fromTransaction(uow -> uow.memories().saveThread("tt-only-updated", "tt-user",
                null, null, null, UPDATED));

        assertThat(both.createdAt()).isEqualTo(now);
        assertThat(both.updatedAt()).isEqualTo(now);
        assertThat(plain.createdAt()).isEqualTo(now);
        assertThat(plain.updatedAt()).isEqualTo(now);
        assertThat(onlyCreated.createdAt()).isEqualTo(CREATED);
        assertThat(onlyCreated.updatedAt()).isEqualTo(now);
        assertThat(onlyUpdated.createdAt()).isEqualTo(now);
        assertThat(onlyUpdated.updatedAt()).isEqualTo(UPDATED);
        assertThat(find(store, "tt-only-created").orElseThrow().updatedAt()).isEqualTo(now);
    }

    @Test
    void anExistingThreadKeepsItsCreationTimeAndTakesTheCallersUpdateTime(AgentStore store, MutableClock clock) {
        Instant created = clock.instant();
        store.inTransaction(uow -> uow.memories().saveThread("tt-existing", "tt-user", "first", null));
        clock.advance(Duration.ofMinutes(5));

        Memory again = store.fromTransaction(uow -> uow.memories().saveThread("tt-existing", "tt-user", "second",
                null, CREATED, UPDATED));

        assertThat(again.createdAt()).isEqualTo(created);
        assertThat(again.updatedAt()).isEqualTo(UPDATED);
        assertThat(again.title()).isEqualTo("second");
        assertThat(again.version()).isEqualTo(1);
        assertThat(find(store, "tt-existing").orElseThrow().createdAt()).isEqualTo(created);

        Memory byClock = store.fromTransaction(uow -> uow.memories().saveThread("tt-existing", "tt-user", "third",
                null, CREATED, null));
        assertThat(byClock.createdAt()).isEqualTo(created);
        assertThat(byClock.updatedAt()).isEqualTo(clock.instant());
    }

    @Test
    void instantsOutsideTimestamptzAreRefusedNamingTheFieldAndNothingIsWritten(AgentStore store) {
        store.inTransaction(uow -> uow.memories().saveThread("tt-kept", "tt-user", "kept", null, CREATED, UPDATED));

        for (Instant bad : new Instant[] {Instant.MAX, Instant.MIN, Instant.parse("+294277-01-01T00:00:00Z")}) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().saveThread("tt-bad", "tt-user", null,
                    null, bad, null))).isInstanceOf(InvalidInputException.class).hasMessageContaining("createdAt");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().saveThread("tt-bad", "tt-user", null,
                    null, null, bad))).isInstanceOf(InvalidInputException.class).hasMessageContaining("updatedAt");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.memories().saveThread("tt-kept", "tt-user",
                    "changed", null, null, bad))).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("updatedAt");
        }

        assertThat(find(store, "tt-bad")).isEmpty();
        Memory kept = find(store, "tt-kept").orElseThrow();
        assertThat(kept.title()).isEqualTo("kept");
        assertThat(kept.updatedAt()).isEqualTo(UPDATED);
        assertThat(kept.version()).isZero();
    }

    @Test
    void timesAtTheEdgesOfTimestamptzAreStored(AgentStore store) {
        // the earliest and latest instants the checks accept are stored as themselves (pgjdbc writes instants before
        // 4713-01-01 BC as -infinity, so the earliest accepted one is that day)
        Instant earliest = dev.agentstore.domain.Check.MIN_TIMESTAMP;
        Instant latest = dev.agentstore.domain.Check.MAX_TIMESTAMP;

        Memory saved = store.fromTransaction(uow -> uow.memories().saveThread("tt-edges", "tt-user", null, null,
                earliest, latest));

        assertThat(saved.createdAt()).isEqualTo(earliest);
        assertThat(saved.updatedAt()).isEqualTo(latest);
        Memory read = find(store, "tt-edges").orElseThrow();
        assertThat(read.createdAt()).isEqualTo(earliest);
        assertThat(read.updatedAt()).isEqualTo(latest);
    }

    @Test
    void listingByCreationOrUpdateTimeHonoursImportedTimes(AgentStore store, MutableClock clock) {
        // saved in the order a, b, c by the clock, but imported with times that order them c, a, b (created)
        // and b, c, a (updated); d is saved by the clock, after every imported time
        Instant t0 = Instant.parse("2020-01-01T00:00:00.000001Z");
        store.inTransaction(uow -> uow.memories().saveThread("tt-list-a", "tt-lister", null, null,
                t0.plusSeconds(10), t0.plusSeconds(300)));
        store.inTransaction(uow -> uow.memories().saveThread("tt-list-b", "tt-lister", null, null,
                t0.plusSeconds(20), t0.plusSeconds(100)));
        store.inTransaction(uow -> uow.memories().saveThread("tt-list-c", "tt-lister", null, null,
                t0, t0.plusSeconds(200)));
        clock.set(Instant.parse("2030-01-01T00:00:00Z"));
        store.inTransaction(uow -> uow.memories().saveThread("tt-list-d", "tt-lister", null, null));

        assertThat(ids(list(store, "tt-lister", null, ThreadOrder.CREATED_ASC, PageRequest.first())))
                .containsExactly("tt-list-c", "tt-list-a", "tt-list-b", "tt-list-d");
        assertThat(ids(list(store, "tt-lister", null, ThreadOrder.CREATED_DESC, PageRequest.first())))
                .containsExactly("tt-list-d", "tt-list-b", "tt-list-a", "tt-list-c");
        assertThat(ids(list(store, "tt-lister", null, ThreadOrder.UPDATED_ASC, PageRequest.first())))
                .containsExactly("tt-list-b", "tt-list-c", "tt-list-a", "tt-list-d");
        assertThat(ids(list(store, "tt-lister", null, ThreadOrder.UPDATED_DESC, PageRequest.first())))
                .containsExactly("tt-list-d", "tt-list-a", "tt-list-c", "tt-list-b");
        assertThat(ids(store.fromTransaction(uow -> uow.memories().listAllThreads("tt-lister", null,
                ThreadOrder.CREATED_ASC)))).containsExactly("tt-list-c", "tt-list-a", "tt-list-b", "tt-list-d");
    }
}
