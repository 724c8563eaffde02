package dev.agentstore.persistence.trigger;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.flow.FlowEventQuery;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.trigger.Trigger;
import dev.agentstore.domain.trigger.TriggerDefinition;
import dev.agentstore.domain.trigger.TriggerEvent;
import dev.agentstore.domain.trigger.TriggerStatus;
import dev.agentstore.domain.trigger.TriggerType;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.Race;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * nvent's trigger index (issue 14): every field of a trigger, listing by type and status, counters incremented
 * without firing, trigger events read with the flow-event query, and retention (listing by type and status:
 * {@code TriggerListByTypeTest}, which needs a schema of its own).
 */
@ExtendWith(AgentStoreExtension.class)
class TriggerIndexFieldsTest {

    private static final Instant T0 = Instant.parse("2031-03-04T05:06:07.008Z");

    private static JsonNode json(String text) {
        return Json.parse("json", text);
    }

    private static TriggerDefinition full() {
        return TriggerDefinition.of(TriggerType.WEBHOOK)
                .displayName("Orders webhook")
                .description("Starts the order flow for each incoming order")
                .scope("flow")
                .source("code")
                .webhook(json("{\"path\":\"/hooks/orders\",\"method\":\"POST\",\"auth\":{\"type\":\"hmac\"}}"))
                .schedule(json("{\"cron\":\"0 * * * *\",\"timezone\":\"Europe/Berlin\"}"))
                .config(json("{\"retries\":3,\"flag\":false,\"none\":null}"))
                .subscriptions(json("{\"order-flow\":{\"mode\":\"auto\"}}"));
    }

    @Nested
    class Fields {

        @Test
        void defineStoresEveryFieldOfTheIndexAndReadsThemBack(AgentStore store, MutableClock clock) {
            clock.set(T0);
            store.inTransaction(uow -> uow.triggers().define("orders", full()));

            Trigger t = store.fromTransaction(uow -> uow.triggers().get("orders"));
            assertThat(t.type()).isEqualTo(TriggerType.WEBHOOK);
            assertThat(t.displayName()).isEqualTo("Orders webhook");
            assertThat(t.description()).isEqualTo("Starts the order flow for each incoming order");
            assertThat(t.scope()).isEqualTo("flow");
            assertThat(t.source()).isEqualTo("code");
            assertThat(t.webhook()).isEqualTo(json("{\"path\":\"/hooks/orders\",\"method\":\"POST\",\"auth\":{\"type\":\"hmac\"}}"));
            assertThat(t.schedule()).isEqualTo(json("{\"cron\":\"0 * * * *\",\"timezone\":\"Europe/Berlin\"}"));
            assertThat(t.config()).isEqualTo(json("{\"retries\":3,\"flag\":false,\"none\":null}"));
            assertThat(t.subscriptions()).isEqualTo(json("{\"order-flow\":{\"mode\":\"auto\"}}"));
            assertThat(t.registeredAt()).isEqualTo(T0);
            assertThat(t.lastActivityAt()).isNull();
            assertThat(t.activeSubscribers()).isZero();
            assertThat(t.counters()).isEqualTo(Json.object());
            assertThat(t.definition()).isEqualTo(full().registeredAt(T0));
        }

        @Test
        void aNewTriggerKeepsTheCallersRegistrationTimeAndReRegistrationKeepsTheStoredOne(AgentStore store,
                                                                                         MutableClock clock) {
            Instant imported = Instant.parse("2020-01-02T03:04:05.006Z");
            clock.set(T0);
            Trigger created = store.fromTransaction(uow -> uow.triggers().define("imported",
                    TriggerDefinition.of(TriggerType.EVENT).registeredAt(imported)));
            clock.set(T0.plusSeconds(60));
            Trigger again = store.fromTransaction(uow -> uow.triggers().define("imported",
                    TriggerDefinition.of(TriggerType.EVENT).registeredAt(T0)));

            assertThat(created.registeredAt()).isEqualTo(imported);
            assertThat(again.registeredAt()).isEqualTo(imported);
            assertThat(again.version()).isEqualTo(created.version() + 1);
        }

        @Test
        void defineReplacesTheWholeDefinitionAndKeepsStatusStatsCountersAndActivity(AgentStore store) {
            store.inTransaction(uow -> uow.triggers().define("replaced", full()));
            store.inTransaction(uow -> {
                uow.triggers().fire("replaced", null);
                uow.triggers().increment("replaced", "retries", 2);
                uow.triggers().pause("replaced");
            });

            Trigger t = store.fromTransaction(uow -> uow.triggers().define("replaced",
                    TriggerDefinition.of(TriggerType.EVENT).displayName("Now an event")));

            assertThat(t.type()).isEqualTo(TriggerType.EVENT);
            assertThat(t.displayName()).isEqualTo("Now an event");
            assertThat(t.description()).isNull();
            assertThat(t.webhook()).isNull();
            assertThat(t.schedule()).isNull();
            assertThat(t.config()).isEqualTo(Json.object());
            assertThat(t.subscriptions()).isEqualTo(Json.object());
            assertThat(t.status()).isEqualTo(TriggerStatus.PAUSED);
            assertThat(t.totalFires()).isEqualTo(1);
            assertThat(t.counter("retries")).isEqualTo(2);
            assertThat(t.lastActivityAt()).isNotNull();
        }

        @Test
        void theOldRegisterChangesOnlyTypeAndSubscriptionsAndKeepsTheOtherFields(AgentStore store) {
            store.inTransaction(uow -> uow.triggers().define("kept", full()));

            Trigger t = store.fromTransaction(uow -> uow.triggers().register("kept", TriggerType.MANUAL,
                    json("{\"x\":1}")));

            assertThat(t.type()).isEqualTo(TriggerType.MANUAL);
            assertThat(t.subscriptions()).isEqualTo(json("{\"x\":1}"));
            assertThat(t.displayName()).isEqualTo("Orders webhook");
            assertThat(t.webhook()).isEqualTo(full().webhook());
            assertThat(t.config()).isEqualTo(full().config());
        }

        @Test
        void invalidFieldsAreRefusedNamingTheFieldAndNothingIsWritten(AgentStore store) {
            assertThatThrownBy(() -> TriggerDefinition.of(TriggerType.EVENT).webhook(json("[1]")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("webhook");
            assertThatThrownBy(() -> TriggerDefinition.of(TriggerType.EVENT).scope("s".repeat(65)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("scope");
            assertThatThrownBy(() -> TriggerDefinition.of(TriggerType.EVENT).displayName(" "))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("displayName");
            assertThatThrownBy(() -> TriggerDefinition.of(null)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("type");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().define("bad\u0000", full())))
                    .isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().define("no-definition", null)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("definition");
            Optional<Trigger> none = store.fromTransaction(uow -> uow.triggers().find("no-definition"));
            assertThat(none).isEmpty();
        }
    }

    @Nested
    class Counters {

        @Test
        void incrementAddsToStatsAndNamedCountersWithoutFiringOrBumpingTheVersion(AgentStore store,
                                                                               MutableClock clock) {
            clock.set(T0);
            Trigger before = store.fromTransaction(uow -> uow.triggers().define("counted", full()));
            clock.set(T0.plusSeconds(5));

            long fires = store.fromTransaction(uow -> uow.triggers().increment("counted", "totalFires", 3));
            long dotted = store.fromTransaction(uow -> uow.triggers().increment("counted", "stats.totalFires", 2));
            long subscribers = store.fromTransaction(uow -> uow.triggers().increment("counted", "activeSubscribers", 4));
            long fewer = store.fromTransaction(uow -> uow.triggers().increment("counted", "activeSubscribers", -1));
            long started = store.fromTransaction(uow -> uow.triggers().increment("counted", "flowsStarted", 7));
            long custom = store.fromTransaction(uow -> uow.triggers().increment("counted", "webhook.calls", 10));
            long customAgain = store.fromTransaction(uow -> uow.triggers().increment("counted", "webhook.calls", 5));

            Trigger t = store.fromTransaction(uow -> uow.triggers().get("counted"));
            assertThat(List.of(fires, dotted, subscribers, fewer, started, custom, customAgain))
                    .containsExactly(3L, 5L, 4L, 3L, 7L, 10L, 15L);
            assertThat(t.totalFires()).isEqualTo(5);
            assertThat(t.activeSubscribers()).isEqualTo(3);
            assertThat(t.flowsStarted()).isEqualTo(7);
            assertThat(t.counter("webhook.calls")).isEqualTo(15);
            assertThat(t.counters()).isEqualTo(json("{\"webhook.calls\":15}"));
            assertThat(t.lastFiredAt()).isNull();
            assertThat(t.lastActivityAt()).isEqualTo(T0.plusSeconds(5));
            assertThat(t.version()).isEqualTo(before.version());
            List<TriggerEvent> events = store.fromTransaction(uow -> uow.triggers().events("counted", 10));
            assertThat(events).isEmpty();
        }

        @Test
        void incrementOfAMissingTriggerOrABadNameFailsAndWritesNothing(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().increment("absent", "x", 1)))
                    .isInstanceOf(NotFoundException.class);
            store.inTransaction(uow -> uow.triggers().define("named", TriggerDefinition.of(TriggerType.EVENT)));
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().increment("named", " ", 1)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("counter");
            assertThat(store.fromTransaction(uow -> uow.triggers().get("named")).counters()).isEqualTo(Json.object());
        }

        @Test
        void concurrentIncrementsOfOneCounterLoseNoCount(AgentStore store) throws Exception {
            store.inTransaction(uow -> uow.triggers().define("raced", TriggerDefinition.of(TriggerType.EVENT)));

            Race.run(8, i -> () -> {
                for (int k = 0; k < 25; k++) {
                    store.inTransaction(uow -> {
                        uow.triggers().increment("raced", "hits", 1);
                        uow.triggers().increment("raced", "activeSubscribers", 1);
                    });
                }
                return null;
            });

            Trigger t = store.fromTransaction(uow -> uow.triggers().get("raced"));
            assertThat(t.counter("hits")).isEqualTo(200);
            assertThat(t.activeSubscribers()).isEqualTo(200);
        }

        @Test
        void aFireSetsLastActivity(AgentStore store, MutableClock clock) {
            clock.set(T0);
            store.inTransaction(uow -> uow.triggers().define("active", TriggerDefinition.of(TriggerType.EVENT)));
            clock.set(T0.plusSeconds(9));
            store.inTransaction(uow -> uow.triggers().fire("active", null));

            assertThat(store.fromTransaction(uow -> uow.triggers().get("active")).lastActivityAt())
                    .isEqualTo(T0.plusSeconds(9));
        }
    }

    @Nested
    class Events {

        private void fireAt(AgentStore store, MutableClock clock, String name, String type, int second) {
            clock.set(T0.plusSeconds(second));
            store.inTransaction(uow -> uow.triggers().fire(name, type, null));
        }

        @Test
        void eventsAreReadWithTheFlowEventQueryTypesTimeRangeOrderAndLimit(AgentStore store, MutableClock clock) {
            store.inTransaction(uow -> uow.triggers().define("q", TriggerDefinition.of(TriggerType.EVENT)));
            fireAt(store, clock, "q", "fired", 1);
            fireAt(store, clock, "q", "skipped", 2);
            fireAt(store, clock, "q", "fired", 3);
            fireAt(store, clock, "q", "fired", 4);

            List<TriggerEvent> oldestFirst = store.fromTransaction(uow -> uow.triggers().events("q",
                    FlowEventQuery.defaults()));
            List<TriggerEvent> fired = store.fromTransaction(uow -> uow.triggers().events("q",
                    FlowEventQuery.defaults().types("fired").descending()));
            List<TriggerEvent> window = store.fromTransaction(uow -> uow.triggers().events("q",
                    FlowEventQuery.defaults().between(T0.plusSeconds(2), T0.plusSeconds(3))));
            List<TriggerEvent> two = store.fromTransaction(uow -> uow.triggers().events("q",
                    FlowEventQuery.defaults().descending().limit(2)));

            assertThat(oldestFirst).extracting(TriggerEvent::ts).containsExactly(T0.plusSeconds(1),
                    T0.plusSeconds(2), T0.plusSeconds(3), T0.plusSeconds(4));
            assertThat(fired).extracting(TriggerEvent::ts).containsExactly(T0.plusSeconds(4), T0.plusSeconds(3),
                    T0.plusSeconds(1));
            assertThat(window).extracting(TriggerEvent::type).containsExactly("skipped", "fired");
            assertThat(two).extracting(TriggerEvent::ts).containsExactly(T0.plusSeconds(4), T0.plusSeconds(3));
        }

        @Test
        void pagingWithTheCursorReturnsEveryEventOnceInEitherDirection(AgentStore store, MutableClock clock) {
            store.inTransaction(uow -> uow.triggers().define("paged", TriggerDefinition.of(TriggerType.EVENT)));
            clock.set(T0);
            store.inTransaction(uow -> {
                for (int i = 0; i < 7; i++) {
                    uow.triggers().fire("paged", Json.of("data", i));
                }
            });

            for (FlowEventQuery start : List.of(FlowEventQuery.defaults().limit(3),
                    FlowEventQuery.defaults().descending().limit(3))) {
                List<Integer> seen = new ArrayList<>();
                Optional<FlowEventQuery> q = Optional.of(start);
                while (q.isPresent()) {
                    FlowEventQuery current = q.get();
                    List<TriggerEvent> page = store.fromTransaction(uow -> uow.triggers().events("paged", current));
                    page.forEach(e -> seen.add(e.data().asInt()));
                    q = current.next(page, TriggerEvent::id);
                }
                assertThat(seen).containsExactlyElementsOf(start.order() == FlowEventQuery.Order.ASC
                        ? List.of(0, 1, 2, 3, 4, 5, 6) : List.of(6, 5, 4, 3, 2, 1, 0));
            }
        }

        @Test
        void aCursorOfAnotherTriggerIsReportedNotReadAsTheEnd(AgentStore store) {
            store.inTransaction(uow -> {
                uow.triggers().define("mine", TriggerDefinition.of(TriggerType.EVENT));
                uow.triggers().define("other", TriggerDefinition.of(TriggerType.EVENT));
            });
            long foreign = store.fromTransaction(uow -> uow.triggers().fire("other", null)).id();

            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.triggers().events("mine",
                    FlowEventQuery.defaults().after(foreign)))).isInstanceOf(NotFoundException.class)
                    .hasMessageContaining("cursor");
        }

        @Test
        void retentionPurgesOnlyOlderEventsInBoundedBatchesAndKeepsTheStats(AgentStore store, MutableClock clock) {
            // long before every other test's events, which share the table: only these are older than the cutoff
            Instant old = Instant.parse("2001-01-01T00:00:00Z");
            store.inTransaction(uow -> uow.triggers().define("kept-stats", TriggerDefinition.of(TriggerType.EVENT)));
            for (int i = 0; i < 5; i++) {
                clock.set(old.plusSeconds(i));
                store.inTransaction(uow -> uow.triggers().fire("kept-stats", null));
            }

            int firstBatch = store.fromTransaction(uow -> uow.triggers().purgeEventsOlderThanBatch(old.plusSeconds(4),
                    3));
            long rest = store.fromTransaction(uow -> uow.triggers().purgeEventsOlderThan(old.plusSeconds(4), 3));

            assertThat(firstBatch).isEqualTo(3);
            assertThat(rest).isEqualTo(1);
            List<TriggerEvent> left = store.fromTransaction(uow -> uow.triggers().events("kept-stats",
                    FlowEventQuery.defaults()));
            assertThat(left).extracting(TriggerEvent::ts).containsExactly(old.plusSeconds(4));
            assertThat(store.fromTransaction(uow -> uow.triggers().get("kept-stats")).totalFires()).isEqualTo(5);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().purgeEventsOlderThan(null, 3)))
                    .isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.triggers().purgeEventsOlderThanBatch(T0, 0)))
                    .isInstanceOf(InvalidInputException.class);
        }
    }
}
