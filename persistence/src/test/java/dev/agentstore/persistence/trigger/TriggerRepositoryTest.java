package dev.agentstore.persistence.trigger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.trigger.Trigger;
import dev.agentstore.domain.trigger.TriggerEvent;
import dev.agentstore.domain.trigger.TriggerStatus;
import dev.agentstore.domain.trigger.TriggerType;
import dev.agentstore.persistence.AbortedTransaction;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.UnitOfWork;
import dev.agentstore.persistence.support.PageRequest;
import io.hypersistence.utils.jdbc.validator.SQLStatementCountValidator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(AgentStoreExtension.class)
class TriggerRepositoryTest {

    private static JsonNode json(String text) {
        return Json.parse("json", text);
    }

    private static Trigger get(AgentStore store, String name) {
        return store.fromTransaction(uow -> uow.triggers().get(name));
    }

    private static List<TriggerEvent> events(AgentStore store, String name, int limit, Long afterId) {
        return store.fromTransaction(uow -> uow.triggers().events(name, limit, afterId));
    }

    private static long count(AgentStore store, String sql, String name) {
        return store.fromTransaction(uow -> ((Number) uow.entityManager().createNativeQuery(sql)
                .setParameter(1, name).getSingleResult()).longValue());
    }

    private static long eventRows(AgentStore store, String name) {
        return count(store, "SELECT count(*) FROM trigger_events WHERE trigger_name = ?1", name);
    }

    @Test
    void invalidInputIsRefusedBeforeAnythingIsWritten(AgentStore store) {
        String tooLong = "t".repeat(256);
        for (String name : new String[]{null, "", "  ", tooLong}) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().register(name, TriggerType.EVENT)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("name");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().fire(name, null)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("name");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().get(name)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("name");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().updateSubscriptions(name, json("{}"))))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("name");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().recordFlowsStarted(name, 1)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("name");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().events(name, 10)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("name");
        }
        assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().register("bad-input", null)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("type");
        for (JsonNode subscriptions : new JsonNode[]{json("[]"), json("1"), NullNode.instance, null}) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().register("bad-input", TriggerType.EVENT, subscriptions)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("subscriptions");
        }
        assertThat(store.<Optional<Trigger>>fromTransaction(uow -> uow.triggers().find("bad-input"))).isEmpty();

        store.inTransaction(uow -> uow.triggers().register("bad-fire", TriggerType.EVENT));
        for (String type : new String[]{null, " ", tooLong}) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().fire("bad-fire", type, null)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("type");
        }
        assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().fire("bad-fire", json("{\"s\":\"\\u0000\"}"))))
                .as("jsonb cannot store U+0000").isInstanceOf(InvalidInputException.class);
        assertThat(get(store, "bad-fire").totalFires()).isZero();
        assertThat(eventRows(store, "bad-fire")).isZero();
    }

    @Test
    void readsAndTheLookupsOfChangesTranslateDatabaseFailuresNamingTheTrigger(AgentStore store) {
        store.inTransaction(uow -> uow.triggers().register("translated", TriggerType.EVENT));
        for (Consumer<UnitOfWork> read : List.<Consumer<UnitOfWork>>of(
                uow -> uow.triggers().find("translated"),
                uow -> uow.triggers().get("translated"),
                uow -> uow.triggers().pause("translated"),
                uow -> uow.triggers().delete("translated"))) {
            assertThat(AbortedTransaction.thrownBy(store, read)).isExactlyInstanceOf(AgentStoreException.class)
                    .hasMessageContaining("Trigger translated").hasMessageContaining("25P02");
        }
        assertThat(AbortedTransaction.thrownBy(store, uow -> uow.triggers().list(PageRequest.of(1, 10))))
                .isExactlyInstanceOf(AgentStoreException.class)
                .hasMessageContaining("list Triggers").hasMessageContaining("25P02");
        assertThat(AbortedTransaction.thrownBy(store,
                uow -> uow.triggers().list(TriggerStatus.PAUSED, PageRequest.of(1, 10))))
                .isExactlyInstanceOf(AgentStoreException.class)
                .hasMessageContaining("list Triggers with status PAUSED").hasMessageContaining("25P02");
        assertThat(get(store, "translated").status()).isEqualTo(TriggerStatus.ACTIVE);
    }

    @Nested
    class Register {

        @Test
        void registerCreatesAnActiveTriggerWithZeroStats(AgentStore store, MutableClock clock) {
            Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
            store.inTransaction(uow -> uow.triggers().register("new-trigger", TriggerType.EVENT, json("{\"events\":[\"order.created\"]}")));

            Trigger t = get(store, "new-trigger");
            assertThat(t.name()).isEqualTo("new-trigger");
            assertThat(t.type()).isEqualTo(TriggerType.EVENT);
            assertThat(t.status()).isEqualTo(TriggerStatus.ACTIVE);
            assertThat(t.isActive()).isTrue();
            assertThat(t.registeredAt()).isEqualTo(now);
            assertThat(t.subscriptions()).isEqualTo(json("{\"events\":[\"order.created\"]}"));
            assertThat(t.totalFires()).isZero();
            assertThat(t.flowsStarted()).isZero();
            assertThat(t.lastFiredAt()).isNull();
            assertThat(t.version()).isZero();
            assertThat(store.fromTransaction(uow -> uow.triggers().register("no-subscriptions", TriggerType.MANUAL)).subscriptions())
                    .isEqualTo(Json.object());
        }

        @Test
        void reRegisteringReplacesTypeAndSubscriptionsAndKeepsStatusRegistrationTimeAndStats(AgentStore store,
                MutableClock clock) {
            Instant registered = clock.instant().truncatedTo(ChronoUnit.MILLIS);
            store.inTransaction(uow -> uow.triggers().register("re-register", TriggerType.EVENT, json("{\"a\":1,\"b\":{\"c\":2}}")));
            store.inTransaction(uow -> uow.triggers().fire("re-register", null));
            store.inTransaction(uow -> uow.triggers().pause("re-register"));
            clock.advance(Duration.ofMinutes(5));

            Trigger t = store.fromTransaction(uow -> uow.triggers().register("re-register", TriggerType.WEBHOOK, json("{\"b\":{\"d\":3}}")));

            assertThat(t.type()).isEqualTo(TriggerType.WEBHOOK);
            assertThat(t.subscriptions()).as("replaced, not merged").isEqualTo(json("{\"b\":{\"d\":3}}"));
            assertThat(t.status()).isEqualTo(TriggerStatus.PAUSED);
            assertThat(t.registeredAt()).isEqualTo(registered);
            assertThat(t.totalFires()).isEqualTo(1);
            assertThat(t.version()).isEqualTo(2);
            assertThat(get(store, "re-register").subscriptions()).isEqualTo(json("{\"b\":{\"d\":3}}"));
        }

        @Test
        void registerAfterAGetInTheSameTransactionReturnsTheNewDefinition(AgentStore store) {
            store.inTransaction(uow -> uow.triggers().register("same-tx", TriggerType.EVENT));

            Trigger t = store.fromTransaction(uow -> {
                uow.triggers().get("same-tx");
                return uow.triggers().register("same-tx", TriggerType.SCHEDULE, json("{\"cron\":\"0 * * * *\"}"));
            });

            assertThat(t.type()).isEqualTo(TriggerType.SCHEDULE);
            assertThat(t.subscriptions()).isEqualTo(json("{\"cron\":\"0 * * * *\"}"));
            assertThat(t.version()).isEqualTo(1);
        }

        @Test
        void aMissingTriggerIsNotFound(AgentStore store) {
            assertThat(store.<Optional<Trigger>>fromTransaction(uow -> uow.triggers().find("missing"))).isEmpty();
            assertThatThrownBy(() -> get(store, "missing")).isInstanceOf(NotFoundException.class).hasMessageContaining("missing");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().pause("missing"))).isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().resume("missing"))).isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().disable("missing"))).isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().updateSubscriptions("missing", json("{}"))))
                    .isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().recordFlowsStarted("missing", 1)))
                    .isInstanceOf(NotFoundException.class);
            assertThat(store.<Boolean>fromTransaction(uow -> uow.triggers().delete("missing"))).isFalse();
        }

        @Test
        void deleteRemovesTheTriggerAndItsFireLog(AgentStore store) {
            store.inTransaction(uow -> uow.triggers().register("delete-me", TriggerType.EVENT));
            store.inTransaction(uow -> uow.triggers().fire("delete-me", null));
            store.inTransaction(uow -> uow.triggers().fire("delete-me", null));

            assertThat(store.<Boolean>fromTransaction(uow -> uow.triggers().delete("delete-me"))).isTrue();

            assertThat(store.<Optional<Trigger>>fromTransaction(uow -> uow.triggers().find("delete-me"))).isEmpty();
            assertThat(eventRows(store, "delete-me")).isZero();
        }
    }

    @Nested
    class Status {

        @Test
        void pauseResumeAndDisableChangeTheStatusAndPausingADisabledTriggerIsRefused(AgentStore store) {
            store.inTransaction(uow -> uow.triggers().register("status", TriggerType.MANUAL));

            assertThat(store.fromTransaction(uow -> uow.triggers().pause("status")).status()).isEqualTo(TriggerStatus.PAUSED);
            assertThat(store.fromTransaction(uow -> uow.triggers().pause("status")).version()).as("no-op").isEqualTo(1);
            assertThat(store.fromTransaction(uow -> uow.triggers().resume("status")).status()).isEqualTo(TriggerStatus.ACTIVE);
            assertThat(store.fromTransaction(uow -> uow.triggers().disable("status")).status()).isEqualTo(TriggerStatus.DISABLED);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().pause("status")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("DISABLED");
            assertThat(get(store, "status").status()).isEqualTo(TriggerStatus.DISABLED);
            assertThat(store.fromTransaction(uow -> uow.triggers().resume("status")).status()).isEqualTo(TriggerStatus.ACTIVE);
            assertThat(get(store, "status").version()).isEqualTo(4);
        }
    }

    @Nested
    class Subscriptions {

        @Test
        void updateSubscriptionsDeepMergesAndANullMemberDeletesAKey(AgentStore store) {
            store.inTransaction(uow -> uow.triggers().register("merge", TriggerType.EVENT,
                    json("{\"events\":[\"a\"],\"filter\":{\"region\":\"eu\",\"tier\":\"gold\"},\"keep\":0}")));

            Trigger t = store.fromTransaction(uow -> uow.triggers().updateSubscriptions("merge",
                    json("{\"events\":[\"b\"],\"filter\":{\"tier\":null,\"min\":5},\"new\":false}")));

            JsonNode expected = json("{\"events\":[\"b\"],\"filter\":{\"region\":\"eu\",\"min\":5},\"keep\":0,\"new\":false}");
            assertThat(t.subscriptions()).isEqualTo(expected);
            assertThat(get(store, "merge").subscriptions()).isEqualTo(expected);
            assertThat(get(store, "merge").version()).isEqualTo(1);
            store.inTransaction(uow -> uow.triggers().updateSubscriptions("merge", json("{\"keep\":0}")));
            assertThat(get(store, "merge").version()).as("a patch that changes nothing writes nothing").isEqualTo(1);
        }

        @Test
        void aNonObjectPatchIsRefusedAndNothingChanges(AgentStore store) {
            store.inTransaction(uow -> uow.triggers().register("bad-patch", TriggerType.EVENT, json("{\"a\":1}")));

            for (JsonNode patch : new JsonNode[]{json("[1]"), json("\"x\""), NullNode.instance, null}) {
                assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().updateSubscriptions("bad-patch", patch)))
                        .isInstanceOf(InvalidInputException.class).hasMessageContaining("patch");
            }
            assertThat(get(store, "bad-patch").subscriptions()).isEqualTo(json("{\"a\":1}"));
            assertThat(get(store, "bad-patch").version()).isZero();
        }

        @Test
        void aMergeOnAReadThatAnotherTransactionOutdatedFailsWithAConcurrencyConflict(AgentStore store) {
            store.inTransaction(uow -> uow.triggers().register("stale", TriggerType.EVENT, json("{\"a\":1}")));

            assertThatThrownBy(() -> store.inTransaction(uow -> {
                uow.triggers().get("stale"); // read at version 0
                store.inTransaction(other -> other.triggers().updateSubscriptions("stale", json("{\"b\":2}")));
                uow.triggers().updateSubscriptions("stale", json("{\"c\":3}"));
            })).isInstanceOf(ConcurrencyConflictException.class).hasMessageContaining("stale");

            assertThat(get(store, "stale").subscriptions()).isEqualTo(json("{\"a\":1,\"b\":2}"));
        }

        @Test
        void firesNeitherConflictWithNorGetLostByAConcurrentSubscriptionMerge(AgentStore store) {
            store.inTransaction(uow -> uow.triggers().register("fire-vs-merge", TriggerType.EVENT, json("{\"a\":1}")));

            store.inTransaction(uow -> {
                uow.triggers().get("fire-vs-merge"); // read before the fires commit
                store.inTransaction(other -> {
                    other.triggers().fire("fire-vs-merge", null);
                    other.triggers().fire("fire-vs-merge", null);
                    other.triggers().recordFlowsStarted("fire-vs-merge", 3);
                });
                uow.triggers().updateSubscriptions("fire-vs-merge", json("{\"b\":2}"));
            });

            Trigger t = get(store, "fire-vs-merge");
            assertThat(t.subscriptions()).isEqualTo(json("{\"a\":1,\"b\":2}"));
            assertThat(t.totalFires()).isEqualTo(2);
            assertThat(t.flowsStarted()).isEqualTo(3);
        }
    }

    @Nested
    class Fire {

        @Test
        void fireAppendsAnEventAndCountsItInOneStatement(AgentStore store, MutableClock clock) {
            store.inTransaction(uow -> uow.triggers().register("fire-once", TriggerType.WEBHOOK));
            clock.set(Instant.parse("2031-03-04T05:06:07.891234Z"));
            JsonNode payload = json("{\"body\":{\"id\":7}}");

            TriggerEvent event;
            try (AgentStore counting = AgentStoreExtension.statementCountingStore(store)) {
                SQLStatementCountValidator.reset();
                event = counting.fromTransaction(uow -> uow.triggers().fire("fire-once", payload));
                SQLStatementCountValidator.assertTotalCount(1);
            }

            assertThat(event.id()).isPositive();
            assertThat(event.triggerName()).isEqualTo("fire-once");
            assertThat(event.type()).isEqualTo(TriggerRepository.FIRED);
            assertThat(event.ts()).isEqualTo(Instant.parse("2031-03-04T05:06:07.891Z"));
            assertThat(event.data()).isEqualTo(payload);
            Trigger t = get(store, "fire-once");
            assertThat(t.totalFires()).isEqualTo(1);
            assertThat(t.lastFiredAt()).isEqualTo(Instant.parse("2031-03-04T05:06:07.891Z"));
            assertThat(t.version()).as("stats are not optimistic-locked state").isZero();
            assertThat(events(store, "fire-once", 10, null)).singleElement().satisfies(e -> {
                assertThat(e.id()).isEqualTo(event.id());
                assertThat(e.ts()).isEqualTo(event.ts());
                assertThat(e.type()).isEqualTo("fired");
                assertThat(e.data()).isEqualTo(payload);
            });
        }

        @Test
        void aCallerMayNameTheEventTypeAndOmitOrNullThePayload(AgentStore store) {
            store.inTransaction(uow -> uow.triggers().register("fire-typed", TriggerType.SCHEDULE));
            store.inTransaction(uow -> uow.triggers().fire("fire-typed", "tick", null));
            store.inTransaction(uow -> uow.triggers().fire("fire-typed", "tock", NullNode.instance));

            List<TriggerEvent> log = events(store, "fire-typed", 10, null);
            assertThat(log).extracting(TriggerEvent::type).containsExactly("tock", "tick");
            assertThat(log.get(0).data()).isEqualTo(NullNode.instance);
            assertThat(log.get(1).data()).isNull();
        }

        @Test
        void firingAMissingTriggerIsNotFoundAndAPausedOrDisabledOneIsRefusedNamingItsStatus(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().fire("fire-missing", null)))
                    .isInstanceOf(NotFoundException.class).hasMessageContaining("fire-missing");

            store.inTransaction(uow -> uow.triggers().register("fire-paused", TriggerType.EVENT));
            store.inTransaction(uow -> uow.triggers().pause("fire-paused"));
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().fire("fire-paused", null)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("PAUSED");
            store.inTransaction(uow -> uow.triggers().disable("fire-paused"));
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().fire("fire-paused", null)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("DISABLED");

            assertThat(get(store, "fire-paused").totalFires()).isZero();
            assertThat(get(store, "fire-paused").lastFiredAt()).isNull();
            assertThat(eventRows(store, "fire-paused")).isZero();
        }

        @Test
        void aPauseEarlierInTheSameTransactionStopsAFire(AgentStore store) {
            store.inTransaction(uow -> uow.triggers().register("pause-then-fire", TriggerType.EVENT));

            assertThatThrownBy(() -> store.inTransaction(uow -> {
                uow.triggers().pause("pause-then-fire"); // uncommitted: the fire sees its own transaction's pause
                uow.triggers().fire("pause-then-fire", null);
            })).isInstanceOf(InvalidInputException.class).hasMessageContaining("PAUSED");

            assertThat(eventRows(store, "pause-then-fire")).isZero();
        }

        @Test
        void lastFiredAtNeverMovesBackwards(AgentStore store, MutableClock clock) {
            store.inTransaction(uow -> uow.triggers().register("skew", TriggerType.EVENT));
            Instant later = clock.instant().plusSeconds(60);
            clock.set(later);
            store.inTransaction(uow -> uow.triggers().fire("skew", null));
            clock.set(later.minusSeconds(30)); // another process with a slower clock
            store.inTransaction(uow -> uow.triggers().fire("skew", null));

            Trigger t = get(store, "skew");
            assertThat(t.totalFires()).isEqualTo(2);
            assertThat(t.lastFiredAt()).isEqualTo(later);
        }

        @Test
        void recordFlowsStartedAddsToTheStatAndReturnsIt(AgentStore store) {
            store.inTransaction(uow -> uow.triggers().register("flows-started", TriggerType.EVENT));

            assertThat(store.<Long>fromTransaction(uow -> uow.triggers().recordFlowsStarted("flows-started", 3))).isEqualTo(3);
            assertThat(store.<Long>fromTransaction(uow -> uow.triggers().recordFlowsStarted("flows-started", 0))).isEqualTo(3);
            assertThat(store.<Long>fromTransaction(uow -> uow.triggers().recordFlowsStarted("flows-started", 2))).isEqualTo(5);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().recordFlowsStarted("flows-started", -1)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("n");
            assertThat(get(store, "flows-started").flowsStarted()).isEqualTo(5);
        }

        @Test
        void theFireLogReadsNewestFirstAndPagesWithACursorReturningEveryEventExactlyOnce(AgentStore store,
                MutableClock clock) {
            store.inTransaction(uow -> uow.triggers().register("log", TriggerType.EVENT));
            List<Long> fired = new ArrayList<>();
            for (int i = 0; i < 25; i++) {
                if (i % 3 == 0) {
                    clock.advance(Duration.ofMillis(1)); // three fires per millisecond
                }
                int n = i;
                fired.add(store.fromTransaction(uow -> uow.triggers().fire("log", Json.of("data", n))).id());
            }
            List<Long> newestFirst = new ArrayList<>(fired);
            java.util.Collections.reverse(newestFirst);

            List<Long> seen = new ArrayList<>();
            List<Integer> pageSizes = new ArrayList<>();
            Long cursor = null;
            while (true) {
                List<TriggerEvent> page = events(store, "log", 10, cursor);
                pageSizes.add(page.size());
                page.forEach(e -> seen.add(e.id()));
                if (page.size() < 10) {
                    break;
                }
                cursor = page.get(page.size() - 1).id();
            }

            assertThat(pageSizes).containsExactly(10, 10, 5);
            assertThat(seen).containsExactlyElementsOf(newestFirst);
            assertThat(store.fromTransaction(uow -> uow.triggers().events("log", 1)).get(0).data()).isEqualTo(Json.of("d", 24));
            assertThat(events(store, "no-such-trigger", 10, null)).isEmpty();
            assertThatThrownBy(() -> events(store, "log", 10, Long.MAX_VALUE)).isInstanceOf(NotFoundException.class);
            for (int limit : new int[]{0, -1, 1001}) {
                assertThatThrownBy(() -> events(store, "log", limit, null))
                        .isInstanceOf(InvalidInputException.class).hasMessageContaining("limit");
            }
            assertThatThrownBy(() -> events(store, "log", 10, 0L)).isInstanceOf(InvalidInputException.class);
        }
    }
}
