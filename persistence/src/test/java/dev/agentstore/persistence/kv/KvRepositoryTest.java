package dev.agentstore.persistence.kv;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import io.hypersistence.utils.jdbc.validator.SQLStatementCountValidator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(AgentStoreExtension.class)
class KvRepositoryTest {

    @Test
    void invalidInputIsRejectedBeforeAnythingIsWritten(AgentStore store) {
        long before = rows(store, "");
        String longest = "k".repeat(512);
        String tooLong = "k".repeat(513);
        Duration ttl = Duration.ofSeconds(1);

        List<Runnable> calls = List.of(
                () -> store.inTransaction(uow -> uow.kv().set("", IntNode.valueOf(1))),
                () -> store.inTransaction(uow -> uow.kv().set("   ", IntNode.valueOf(1))),
                () -> store.inTransaction(uow -> uow.kv().set(null, IntNode.valueOf(1))),
                () -> store.inTransaction(uow -> uow.kv().set(tooLong, IntNode.valueOf(1))),
                () -> store.inTransaction(uow -> uow.kv().set("nul\0key", IntNode.valueOf(1))),
                () -> store.inTransaction(uow -> uow.kv().set("bad:null", (JsonNode) null)),
                () -> store.inTransaction(uow -> uow.kv().set("bad:null", (Object) null)),
                () -> store.inTransaction(uow -> uow.kv().set("bad:nul", TextNode.valueOf("a\0b"))),
                () -> store.inTransaction(uow -> uow.kv().set("bad:ttl", IntNode.valueOf(1), Duration.ZERO)),
                () -> store.inTransaction(uow -> uow.kv().set("bad:ttl", IntNode.valueOf(1), Duration.ofSeconds(-1))),
                () -> store.inTransaction(uow -> uow.kv().set("bad:ttl", IntNode.valueOf(1), Duration.ofNanos(999_999))),
                () -> store.inTransaction(uow -> uow.kv().set("bad:ttl", IntNode.valueOf(1), (Duration) null)),
                () -> store.inTransaction(uow -> uow.kv().set("bad:ttl", IntNode.valueOf(1), Duration.ofDays(36_501))),
                () -> store.inTransaction(uow -> uow.kv().setIfAbsent("bad:lock", IntNode.valueOf(1), Duration.ZERO)),
                () -> store.inTransaction(uow -> uow.kv().setIfAbsent("bad:lock", null, ttl)),
                () -> store.inTransaction(uow -> uow.kv().setIfAbsent(tooLong, IntNode.valueOf(1), ttl)),
                () -> store.inTransaction(uow -> uow.kv().increment(" ", 1)),
                () -> store.inTransaction(uow -> uow.kv().get(tooLong)),
                () -> store.inTransaction(uow -> uow.kv().delete("")),
                () -> store.inTransaction(uow -> uow.kv().clear("")),
                () -> store.inTransaction(uow -> uow.kv().clear(" ")),
                () -> store.inTransaction(uow -> uow.kv().clear("*".repeat(513))),
                () -> store.inTransaction(uow -> uow.kv().keys("*", 0)),
                () -> store.inTransaction(uow -> uow.kv().purgeExpired(0)),
                () -> store.inTransaction(uow -> uow.kv().purgeExpired(-5)),
                () -> store.inTransaction(uow -> uow.kv().purgeExpiredBatch(0)),
                () -> store.inTransaction(uow -> uow.kv().purgeExpiredBatch(KvRepository.MAX_BATCH_SIZE + 1)));
        for (int i = 0; i < calls.size(); i++) {
            assertThatThrownBy(calls.get(i)::run).as("call %d", i).isInstanceOf(InvalidInputException.class);
        }
        assertThat(rows(store, "")).isEqualTo(before);

        store.inTransaction(uow -> uow.kv().set(longest, IntNode.valueOf(512), Duration.ofMillis(1)));
        assertThat(get(store, longest)).contains(IntNode.valueOf(512));
        assertThatThrownBy(() -> store.inTransaction(uow -> uow.kv().set("nul:name", Json.parse("v", "{\"a\\u0000\":1}"))))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("key=nul:name");
    }

    @Nested
    class GetAndSet {

        @Test
        void zeroFalseEmptyStringAndJsonNullRoundTripAsValuesDistinctFromAbsent(AgentStore store) {
            Map<String, JsonNode> values = Map.of(
                    "falsy:zero", IntNode.valueOf(0),
                    "falsy:false", BooleanNode.FALSE,
                    "falsy:empty", TextNode.valueOf(""),
                    "falsy:null", NullNode.instance,
                    "falsy:object", Json.object(),
                    "falsy:array", Json.parse("v", "[]"));
            store.inTransaction(uow -> values.forEach((k, v) -> uow.kv().set(k, v)));

            values.forEach((k, v) -> assertThat(get(store, k))
                    .as(k).isEqualTo(Optional.of(v)));
            assertThat(get(store, "falsy:null")).containsSame(NullNode.instance);
            assertThat(get(store, "falsy:absent")).isEmpty();
        }

        @Test
        void plainJavaValuesAreConvertedToJson(AgentStore store) {
            store.inTransaction(uow -> {
                uow.kv().set("java:map", Map.of("owner", "worker-1", "attempt", 3));
                uow.kv().set("java:list", List.of(1, "two", false), Duration.ofMinutes(1));
                uow.kv().set("java:number", 0L);
            });

            assertThat(get(store, "java:map"))
                    .contains(Json.parse("v", "{\"owner\":\"worker-1\",\"attempt\":3}"));
            assertThat(get(store, "java:list")).contains(Json.parse("v", "[1,\"two\",false]"));
            assertThat(get(store, "java:number")).contains(IntNode.valueOf(0));
        }

        @Test
        void expiredEntriesReadAsAbsentAndGetDeletesNothing(AgentStore store, MutableClock clock) {
            store.inTransaction(uow -> {
                uow.kv().set("ttl:short", TextNode.valueOf("soon gone"), Duration.ofSeconds(10));
                uow.kv().set("ttl:other", TextNode.valueOf("also gone"), Duration.ofMillis(1));
                uow.kv().set("ttl:none", TextNode.valueOf("stays"));
            });
            long rowsBefore = rows(store, "");

            clock.advance(Duration.ofMillis(9_999));
            assertThat(get(store, "ttl:short")).contains(TextNode.valueOf("soon gone"));
            clock.advance(Duration.ofMillis(1));
            assertThat(get(store, "ttl:short")).isEmpty();
            assertThat(get(store, "ttl:other")).isEmpty();
            assertThat(get(store, "ttl:none")).contains(TextNode.valueOf("stays"));

            assertThat(rows(store, "")).isEqualTo(rowsBefore);
            assertThat(rows(store, "WHERE key IN ('ttl:short', 'ttl:other')")).isEqualTo(2);
        }

        @Test
        void setOverwritesTheValueAndResetsTheTtl(AgentStore store, MutableClock clock) {
            store.inTransaction(uow -> uow.kv().set("over:key", IntNode.valueOf(1), Duration.ofSeconds(1)));
            store.inTransaction(uow -> uow.kv().set("over:key", IntNode.valueOf(2)));
            clock.advance(Duration.ofSeconds(5));
            assertThat(get(store, "over:key")).contains(IntNode.valueOf(2));

            store.inTransaction(uow -> uow.kv().set("over:key", IntNode.valueOf(3), Duration.ofSeconds(30)));
            clock.advance(Duration.ofSeconds(20));
            store.inTransaction(uow -> uow.kv().set("over:key", IntNode.valueOf(4), Duration.ofSeconds(30)));
            clock.advance(Duration.ofSeconds(20));
            assertThat(get(store, "over:key")).contains(IntNode.valueOf(4));
            clock.advance(Duration.ofSeconds(10));
            assertThat(get(store, "over:key")).isEmpty();

            assertThat(version(store, "over:key")).isEqualTo(3);
            store.inTransaction(uow -> uow.kv().set("over:key", TextNode.valueOf("revived")));
            assertThat(get(store, "over:key")).contains(TextNode.valueOf("revived"));
        }

        @Test
        void setIfAbsentSucceedsOnlyWhenTheKeyIsAbsentOrExpired(AgentStore store, MutableClock clock) {
            JsonNode first = Json.of("v", Map.of("owner", "a"));
            JsonNode second = Json.of("v", Map.of("owner", "b"));
            assertThat(setIfAbsent(store, "lock:x", first, Duration.ofSeconds(30))).isTrue();
            assertThat(setIfAbsent(store, "lock:x", second, Duration.ofSeconds(30))).isFalse();
            assertThat(get(store, "lock:x")).contains(first);
            assertThat(version(store, "lock:x")).isZero();

            clock.advance(Duration.ofSeconds(29));
            assertThat(setIfAbsent(store, "lock:x", second, Duration.ofSeconds(30))).isFalse();
            clock.advance(Duration.ofSeconds(1));
            assertThat(setIfAbsent(store, "lock:x", second, Duration.ofSeconds(30))).isTrue();
            assertThat(get(store, "lock:x")).contains(second);

            // a falsy value is still a live entry, and one without expiry is held until deleted
            assertThat(setIfAbsent(store, "lock:forever", BooleanNode.FALSE)).isTrue();
            clock.advance(Duration.ofDays(365));
            assertThat(setIfAbsent(store, "lock:forever", second, Duration.ofSeconds(1))).isFalse();
            assertThat(delete(store, "lock:forever")).isTrue();
            assertThat(setIfAbsent(store, "lock:forever", second, Duration.ofSeconds(1))).isTrue();
        }

        @Test
        void deleteReportsWhetherALiveEntryWasRemoved(AgentStore store, MutableClock clock) {
            store.inTransaction(uow -> {
                uow.kv().set("del:live", IntNode.valueOf(0));
                uow.kv().set("del:expired", IntNode.valueOf(0), Duration.ofSeconds(1));
            });
            clock.advance(Duration.ofSeconds(1));

            assertThat(delete(store, "del:live")).isTrue();
            assertThat(delete(store, "del:live")).isFalse();
            assertThat(get(store, "del:live")).isEmpty();
            assertThat(delete(store, "del:expired")).isFalse();
            assertThat(rows(store, "WHERE key LIKE 'del:%'")).isZero();
        }

        @Test
        void getAndSetEachSendExactlyOneStatement(AgentStore store) {
            try (AgentStore counting = AgentStoreExtension.statementCountingStore(store)) {
                SQLStatementCountValidator.reset();
                counting.inTransaction(uow -> uow.kv().set("count:key", IntNode.valueOf(1)));
                SQLStatementCountValidator.assertTotalCount(1);
                SQLStatementCountValidator.assertInsertCount(1);

                SQLStatementCountValidator.reset();
                counting.inTransaction(uow -> uow.kv().set("count:key", IntNode.valueOf(2), Duration.ofMinutes(1)));
                SQLStatementCountValidator.assertTotalCount(1);

                SQLStatementCountValidator.reset();
                Optional<JsonNode> value = counting.fromTransaction(uow -> uow.kv().get("count:key"));
                SQLStatementCountValidator.assertTotalCount(1);
                SQLStatementCountValidator.assertSelectCount(1);
                assertThat(value).contains(IntNode.valueOf(2));

                SQLStatementCountValidator.reset();
                assertThat(get(counting, "count:absent")).isEmpty();
                SQLStatementCountValidator.assertTotalCount(1);
            }
        }
    }

    @Nested
    class Increment {

        @Test
        void incrementStartsMissingKeysFromZeroAndReturnsTheNewValue(AgentStore store) {
            assertThat(increment(store, "inc:a", 5)).isEqualTo(5);
            assertThat(increment(store, "inc:a", 1)).isEqualTo(6);
            assertThat(increment(store, "inc:a", -10)).isEqualTo(-4);
            assertThat(increment(store, "inc:a", 0)).isEqualTo(-4);
            assertThat(get(store, "inc:a")).contains(IntNode.valueOf(-4));

            store.inTransaction(uow -> uow.kv().set("inc:set", 41));
            assertThat(increment(store, "inc:set", 1)).isEqualTo(42);
            store.inTransaction(uow -> uow.kv().set("inc:big", Long.MAX_VALUE - 1));
            assertThat(increment(store, "inc:big", 1)).isEqualTo(Long.MAX_VALUE);
        }

        @Test
        void incrementKeepsALiveTtlAndRestartsAnExpiredCounterWithoutTtl(AgentStore store, MutableClock clock) {
            store.inTransaction(uow -> uow.kv().set("inc:ttl", 10, Duration.ofSeconds(10)));
            clock.advance(Duration.ofSeconds(5));
            assertThat(increment(store, "inc:ttl", 1)).isEqualTo(11);
            clock.advance(Duration.ofSeconds(5));
            assertThat(get(store, "inc:ttl")).isEmpty();

            // expired: starts again from 0, and the new counter does not expire; an expired non-number is no obstacle
            assertThat(increment(store, "inc:ttl", 3)).isEqualTo(3);
            store.inTransaction(uow -> uow.kv().set("inc:text", "x", Duration.ofSeconds(1)));
            clock.advance(Duration.ofSeconds(1));
            assertThat(increment(store, "inc:text", 2)).isEqualTo(2);
            clock.advance(Duration.ofDays(1000));
            assertThat(get(store, "inc:ttl")).contains(IntNode.valueOf(3));
            assertThat(get(store, "inc:text")).contains(IntNode.valueOf(2));
        }

        @Test
        void incrementOfANonIntegerFailsNamingTheKeyAndChangesNothing(AgentStore store) {
            Map<String, String> values = Map.of(
                    "inc:bad:string", "\"7\"", "inc:bad:fraction", "1.5", "inc:bad:bool", "true",
                    "inc:bad:null", "null", "inc:bad:object", "{\"n\":1}", "inc:bad:onepointzero", "1.0");
            store.inTransaction(uow -> values.forEach((k, v) -> uow.kv().set(k, Json.parse("v", v))));

            values.forEach((k, v) -> {
                boolean usable = store.fromTransaction(uow -> {
                    assertThatThrownBy(() -> uow.kv().increment(k, 1))
                            .isInstanceOf(InvalidInputException.class)
                            .hasMessageContaining("key=" + k)
                            .hasMessageContaining("not an integer");
                    // no SQL error happened: the caller's transaction is still usable
                    return uow.kv().get(k).isPresent();
                });
                assertThat(usable).isTrue();
                assertThat(get(store, k)).as(k).contains(Json.parse("v", v));
                assertThat(version(store, k)).as(k).isZero();
            });
        }

        @Test
        void incrementThatWouldOverflowFailsAndChangesNothing(AgentStore store) {
            store.inTransaction(uow -> {
                uow.kv().set("inc:max", Long.MAX_VALUE);
                uow.kv().set("inc:min", Long.MIN_VALUE);
            });
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.kv().increment("inc:max", 1)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("key=inc:max")
                    .hasMessageContaining("64-bit");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.kv().increment("inc:min", -1)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("key=inc:min");
            assertThat(get(store, "inc:max")).contains(Json.of("v", Long.MAX_VALUE));
            assertThat(increment(store, "inc:min", Long.MAX_VALUE)).isEqualTo(-1);
        }
    }

    @Nested
    class ClearAndKeys {

        @Test
        void clearTreatsEveryStarAsAWildcard(AgentStore store) {
            store.inTransaction(uow -> List.of("clr:user:1:session:a", "clr:user:22:session:", "clr:user:1:profile",
                            "clr:user:1:session", "clr:other:1:session:a")
                    .forEach(k -> uow.kv().set(k, IntNode.valueOf(1))));

            assertThat(clear(store, "clr:user:*:session:*")).isEqualTo(2);
            assertThat(keys(store, "clr:*", 100))
                    .containsExactly("clr:other:1:session:a", "clr:user:1:profile", "clr:user:1:session");
            assertThat(clear(store, "clr:*:1:**on")).isEqualTo(1);
            assertThat(keys(store, "clr:*", 100))
                    .containsExactly("clr:other:1:session:a", "clr:user:1:profile");
            assertThat(clear(store, "clr:user:1:profile")).isEqualTo(1);
            assertThat(clear(store, "clr:*")).isEqualTo(1);
            assertThat(clear(store, "clr:*")).isZero();
        }

        @Test
        void clearMatchesPercentUnderscoreBackslashAndQuestionMarkLiterally(AgentStore store) {
            List<String> keys = List.of("a%b", "aXb", "a_c", "abc", "a\\d", "aYd", "a?c", "aZc");
            store.inTransaction(uow -> keys.forEach(k -> uow.kv().set("lit:" + k, IntNode.valueOf(1))));

            assertThat(keys(store, "lit:a%*", 100)).containsExactly("lit:a%b");
            assertThat(clear(store, "lit:a%*")).isEqualTo(1);
            assertThat(clear(store, "lit:a_*")).isEqualTo(1);
            assertThat(clear(store, "lit:a\\*")).isEqualTo(1);
            assertThat(clear(store, "lit:a?c")).isEqualTo(1);
            assertThat(clear(store, "lit:a%")).isZero();
            assertThat(keys(store, "lit:*", 100))
                    .containsExactly("lit:aXb", "lit:aYd", "lit:aZc", "lit:abc");
        }

        @Test
        void clearAndKeysCountOnlyLiveEntriesButClearRemovesExpiredOnesToo(AgentStore store, MutableClock clock) {
            store.inTransaction(uow -> {
                uow.kv().set("mix:live", 1);
                uow.kv().set("mix:expired", 1, Duration.ofSeconds(1));
            });
            clock.advance(Duration.ofSeconds(1));
            assertThat(keys(store, "mix:*", 10)).containsExactly("mix:live");
            assertThat(clear(store, "mix:*")).isEqualTo(1);
            assertThat(rows(store, "WHERE key LIKE 'mix:%'")).isZero();
        }
    }

    @Nested
    class PurgeExpired {

        @Test
        void purgeExpiredDeletesOnlyExpiredEntriesInBoundedBatches(AgentStore store, MutableClock clock) {
            store.inTransaction(uow -> uow.kv().clear("*"));
            store.inTransaction(uow -> {
                for (int i = 0; i < 25; i++) {
                    uow.kv().set("purge:expired:" + i, IntNode.valueOf(i), Duration.ofSeconds(1 + i % 3));
                }
                for (int i = 0; i < 5; i++) {
                    uow.kv().set("purge:live:" + i, IntNode.valueOf(i), Duration.ofHours(1));
                    uow.kv().set("purge:forever:" + i, IntNode.valueOf(i));
                }
            });
            clock.advance(Duration.ofSeconds(3));

            assertThat(purgeExpiredBatch(store, 10)).isEqualTo(10);
            assertThat(rows(store, "")).isEqualTo(25);
            assertThat(purgeExpired(store, 4)).isEqualTo(15);
            assertThat(rows(store, "")).isEqualTo(10);
            assertThat(rows(store, "WHERE key LIKE 'purge:expired:%'")).isZero();
            assertThat(purgeExpired(store, 100)).isZero();

            // one transaction per batch, the loop a caller uses for a large backlog
            clock.advance(Duration.ofHours(1));
            int batches = 0;
            int deleted;
            do {
                deleted = store.fromTransaction(uow -> uow.kv().purgeExpiredBatch(2));
                batches++;
            } while (deleted == 2);
            assertThat(batches).isEqualTo(3);
            assertThat(rows(store, "")).isEqualTo(5);
            assertThat(keys(store, "purge:*", 10)).hasSize(5).allMatch(k -> k.startsWith("purge:forever:"));
        }
    }

    private static Optional<JsonNode> get(AgentStore store, String key) {
        return store.fromTransaction(uow -> uow.kv().get(key));
    }

    private static boolean setIfAbsent(AgentStore store, String key, JsonNode value, Duration ttl) {
        return store.fromTransaction(uow -> uow.kv().setIfAbsent(key, value, ttl));
    }

    private static boolean setIfAbsent(AgentStore store, String key, JsonNode value) {
        return store.fromTransaction(uow -> uow.kv().setIfAbsent(key, value));
    }

    private static boolean delete(AgentStore store, String key) {
        return store.fromTransaction(uow -> uow.kv().delete(key));
    }

    private static long increment(AgentStore store, String key, long delta) {
        return store.fromTransaction(uow -> uow.kv().increment(key, delta));
    }

    private static long clear(AgentStore store, String pattern) {
        return store.fromTransaction(uow -> uow.kv().clear(pattern));
    }

    private static List<String> keys(AgentStore store, String pattern, int limit) {
        return store.fromTransaction(uow -> uow.kv().keys(pattern, limit));
    }

    private static long purgeExpired(AgentStore store, int batchSize) {
        return store.fromTransaction(uow -> uow.kv().purgeExpired(batchSize));
    }

    private static int purgeExpiredBatch(AgentStore store, int batchSize) {
        return store.fromTransaction(uow -> uow.kv().purgeExpiredBatch(batchSize));
    }

    private static long rows(AgentStore store, String where) {
        return store.fromTransaction(uow -> ((Number) uow.entityManager()
                .createNativeQuery("SELECT count(*) FROM kv_entries " + where).getSingleResult()).longValue());
    }

    private static long version(AgentStore store, String key) {
        return store.fromTransaction(uow -> ((Number) uow.entityManager()
                .createNativeQuery("SELECT version FROM kv_entries WHERE key = ?1")
                .setParameter(1, key).getSingleResult()).longValue());
    }
}
