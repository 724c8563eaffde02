package dev.agentstore.persistence.flow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.flow.FlowEvent;
import dev.agentstore.domain.flow.FlowEventQuery;
import dev.agentstore.domain.flow.NewFlowEvent;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(AgentStoreExtension.class)
class FlowEventRepositoryTest {

    private static final Instant BASE = Instant.parse("2030-01-01T00:00:00Z");
    private static final Comparator<FlowEvent> TS_ID = Comparator.comparing(FlowEvent::ts).thenComparingLong(FlowEvent::id);

    @Nested
    class Append {

        @Test
        void appendStoresEveryFieldAndStampsTheClocksNowTruncatedToMillis(AgentStore store, MutableClock clock) {
            clock.set(Instant.parse("2030-02-03T04:05:06.789123456Z"));
            JsonNode data = Json.parse("data", "{\"rows\":42,\"nested\":{\"ok\":true},\"list\":[1,\"two\",null]}");
            FlowEvent appended = store.fromTransaction(uow -> uow.flowEvents().append(
                    NewFlowEvent.of("run-fields", "etl", "step.completed").step("extract", "extract-0").attempt(2).data(data)));

            assertThat(appended.id()).isPositive();
            assertThat(appended.ts()).isEqualTo(Instant.parse("2030-02-03T04:05:06.789Z"));
            List<FlowEvent> read = store.fromTransaction(uow -> uow.flowEvents().read("run-fields", FlowEventQuery.defaults()));
            assertThat(read).singleElement().satisfies(e -> {
                assertThat(e.id()).isEqualTo(appended.id());
                assertThat(e.runId()).isEqualTo("run-fields");
                assertThat(e.flowName()).isEqualTo("etl");
                assertThat(e.ts()).isEqualTo(Instant.parse("2030-02-03T04:05:06.789Z"));
                assertThat(e.type()).isEqualTo("step.completed");
                assertThat(e.stepName()).isEqualTo("extract");
                assertThat(e.stepId()).isEqualTo("extract-0");
                assertThat(e.attempt()).isEqualTo(2);
                assertThat(e.data()).isEqualTo(data);
            });
        }

        @Test
        void aGivenTimeIsKeptTruncatedToMillisAndOptionalFieldsMayBeAbsent(AgentStore store) {
            FlowEvent appended = store.fromTransaction(uow -> uow.flowEvents().append(
                    NewFlowEvent.of("run-given-ts", "etl", "flow.started").at(BASE.plusNanos(1_999_999))));

            assertThat(appended.ts()).isEqualTo(BASE.plusMillis(1));
            FlowEvent read = store.fromTransaction(uow -> uow.flowEvents().read("run-given-ts", FlowEventQuery.defaults())).get(0);
            assertThat(read.ts()).isEqualTo(BASE.plusMillis(1));
            assertThat(read.stepName()).isNull();
            assertThat(read.stepId()).isNull();
            assertThat(read.attempt()).isNull();
            assertThat(read.data()).isNull();
        }

        @Test
        void payloadsRoundTripAnyJsonValueAndJsonNullStaysApartFromNoPayload(AgentStore store) {
            List<JsonNode> payloads = Arrays.asList(NullNode.instance, IntNode.valueOf(0), BooleanNode.FALSE,
                    TextNode.valueOf(""), Json.parse("d", "[]"), Json.object(), null);
            for (int i = 0; i < payloads.size(); i++) {
                JsonNode payload = payloads.get(i);
                Instant ts = BASE.plusMillis(i);
                store.inTransaction(uow -> uow.flowEvents().append(
                        NewFlowEvent.of("run-payloads", "etl", "data").data(payload).at(ts)));
            }

            List<FlowEvent> read = store.fromTransaction(uow -> uow.flowEvents().read("run-payloads", FlowEventQuery.defaults()));
            assertThat(read).extracting(FlowEvent::data).containsExactlyElementsOf(payloads);
            long sqlNulls = store.fromTransaction(uow -> ((Number) uow.entityManager().createNativeQuery(
                    "SELECT count(*) FROM flow_events WHERE run_id = 'run-payloads' AND data IS NULL").getSingleResult()).longValue());
            assertThat(sqlNulls).as("only the event without payload has SQL NULL").isEqualTo(1);
        }

        @Test
        void invalidEventsAreRefusedBeforeAnythingIsWritten(AgentStore store) {
            String tooLong = "x".repeat(256);
            assertThatThrownBy(() -> NewFlowEvent.of(" ", "etl", "e")).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("runId");
            assertThatThrownBy(() -> NewFlowEvent.of("run-bad", tooLong, "e")).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("flowName");
            assertThatThrownBy(() -> NewFlowEvent.of("run-bad", "etl", null)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("type");
            assertThatThrownBy(() -> NewFlowEvent.of("run-bad", "etl", "e").step("", null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("stepName");
            assertThatThrownBy(() -> NewFlowEvent.of("run-bad", "etl", "e").step(null, tooLong))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("stepId");
            assertThatThrownBy(() -> NewFlowEvent.of("run-bad", "etl", "e").attempt(-1))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("attempt");
            assertThatThrownBy(() -> NewFlowEvent.of("run-bad", "etl", "e").at(Instant.parse("+10000-01-01T00:00:00Z")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("ts");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.flowEvents().append(null)))
                    .isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.flowEvents().append(
                    NewFlowEvent.of("run-bad", "etl", "e").data(Json.parse("d", "{\"s\":\"a\\u0000b\"}")))))
                    .as("jsonb cannot store U+0000").isInstanceOf(InvalidInputException.class);

            assertThat(read(store, "run-bad", FlowEventQuery.defaults())).isEmpty();
        }
    }

    @Nested
    class ReadARun {

        @Test
        void readOrdersByTimeThenIdInBothDirectionsWhateverTheAppendOrder(AgentStore store) {
            // appended out of time order, with ties in the same millisecond
            List<FlowEvent> appended = store.fromTransaction(uow -> uow.flowEvents().appendAll(List.of(
                    NewFlowEvent.of("run-order", "etl", "e").at(BASE.plusMillis(5)),
                    NewFlowEvent.of("run-order", "etl", "e").at(BASE.plusMillis(1)),
                    NewFlowEvent.of("run-order", "etl", "e").at(BASE.plusMillis(5)),
                    NewFlowEvent.of("run-order", "etl", "e").at(BASE.plusMillis(3)),
                    NewFlowEvent.of("run-order", "etl", "e").at(BASE.plusMillis(1)))));
            List<FlowEvent> expectedAsc = appended.stream().sorted(TS_ID).toList();

            List<FlowEvent> asc = store.fromTransaction(uow -> uow.flowEvents().read("run-order", FlowEventQuery.defaults()));
            List<FlowEvent> desc = store.fromTransaction(uow -> uow.flowEvents().read("run-order",
                    FlowEventQuery.defaults().descending()));

            assertThat(asc).extracting(FlowEvent::id).containsExactlyElementsOf(expectedAsc.stream().map(FlowEvent::id).toList());
            assertThat(desc).extracting(FlowEvent::id)
                    .containsExactlyElementsOf(reversed(expectedAsc.stream().map(FlowEvent::id).toList()));
        }

        @Test
        void aCursorReadsStrictlyAfterItsRowInAscendingOrderAndStrictlyBeforeItInDescendingOrder(AgentStore store) {
            List<FlowEvent> appended = store.fromTransaction(uow -> uow.flowEvents().appendAll(List.of(
                    NewFlowEvent.of("run-cursor", "etl", "e").at(BASE),
                    NewFlowEvent.of("run-cursor", "etl", "e").at(BASE.plusMillis(1)),
                    NewFlowEvent.of("run-cursor", "etl", "e").at(BASE.plusMillis(1)),
                    NewFlowEvent.of("run-cursor", "etl", "e").at(BASE.plusMillis(1)),
                    NewFlowEvent.of("run-cursor", "etl", "e").at(BASE.plusMillis(2)))));
            long middle = appended.get(2).id(); // shares its millisecond with the rows before and after it

            List<FlowEvent> after = store.fromTransaction(uow -> uow.flowEvents().read("run-cursor",
                    FlowEventQuery.defaults().after(middle)));
            List<FlowEvent> before = store.fromTransaction(uow -> uow.flowEvents().read("run-cursor",
                    FlowEventQuery.defaults().descending().after(middle)));

            assertThat(after).extracting(FlowEvent::id).containsExactly(appended.get(3).id(), appended.get(4).id());
            assertThat(before).extracting(FlowEvent::id).containsExactly(appended.get(1).id(), appended.get(0).id());
        }

        @Test
        void pagingThrough250EventsWithLimit100ReturnsAllInOrderExactlyOnceInBothDirections(AgentStore store) {
            List<NewFlowEvent> events = new ArrayList<>();
            for (int i = 0; i < 250; i++) {
                // seven events per millisecond, and the milliseconds not in append order
                events.add(NewFlowEvent.of("run-paging", "etl", "tick").at(BASE.plusMillis((i / 7) * 37L % 41)));
            }
            List<FlowEvent> appended = store.fromTransaction(uow -> uow.flowEvents().appendAll(events));
            List<Long> expectedAsc = appended.stream().sorted(TS_ID).map(FlowEvent::id).toList();

            for (FlowEventQuery first : List.of(FlowEventQuery.defaults(), FlowEventQuery.defaults().descending())) {
                List<Long> seen = new ArrayList<>();
                List<Integer> pageSizes = new ArrayList<>();
                Optional<FlowEventQuery> query = Optional.of(first);
                while (query.isPresent()) {
                    FlowEventQuery q = query.get();
                    List<FlowEvent> page = store.fromTransaction(uow -> uow.flowEvents().read("run-paging", q));
                    pageSizes.add(page.size());
                    page.forEach(e -> seen.add(e.id()));
                    query = q.next(page);
                }
                List<Long> expected = first.order() == FlowEventQuery.Order.ASC ? expectedAsc : reversed(expectedAsc);
                assertThat(pageSizes).containsExactly(100, 100, 50);
                assertThat(seen).containsExactlyElementsOf(expected);
            }
        }

        @Test
        void typeFilterAndInclusiveTimeRangeSelectOnlyMatchingEvents(AgentStore store) {
            List<NewFlowEvent> events = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                events.add(NewFlowEvent.of("run-filter", "etl", i % 2 == 0 ? "step.started" : "step.completed")
                        .at(BASE.plusSeconds(i)));
            }
            events.add(NewFlowEvent.of("run-filter", "etl", "step.failed").at(BASE.plusSeconds(4)));
            store.inTransaction(uow -> uow.flowEvents().appendAll(events));

            List<FlowEvent> range = store.fromTransaction(uow -> uow.flowEvents().read("run-filter",
                    FlowEventQuery.defaults().between(BASE.plusSeconds(2), BASE.plusSeconds(5))));
            List<FlowEvent> completed = store.fromTransaction(uow -> uow.flowEvents().read("run-filter",
                    FlowEventQuery.defaults().types("step.completed")));
            List<FlowEvent> both = store.fromTransaction(uow -> uow.flowEvents().read("run-filter",
                    FlowEventQuery.defaults().types("step.started", "step.failed")
                            .between(BASE.plusSeconds(4), BASE.plusSeconds(4)).descending()));
            List<FlowEvent> fromOnly = store.fromTransaction(uow -> uow.flowEvents().read("run-filter",
                    FlowEventQuery.defaults().between(BASE.plusSeconds(8), null)));
            List<FlowEvent> toOnly = store.fromTransaction(uow -> uow.flowEvents().read("run-filter",
                    FlowEventQuery.defaults().between(null, BASE.plusSeconds(1))));

            assertThat(range).extracting(FlowEvent::ts).containsExactly(BASE.plusSeconds(2), BASE.plusSeconds(3),
                    BASE.plusSeconds(4), BASE.plusSeconds(4), BASE.plusSeconds(5));
            assertThat(completed).extracting(FlowEvent::ts).containsExactly(BASE.plusSeconds(1), BASE.plusSeconds(3),
                    BASE.plusSeconds(5), BASE.plusSeconds(7), BASE.plusSeconds(9));
            assertThat(both).extracting(FlowEvent::type).containsExactlyInAnyOrder("step.started", "step.failed");
            assertThat(fromOnly).extracting(FlowEvent::ts).containsExactly(BASE.plusSeconds(8), BASE.plusSeconds(9));
            assertThat(toOnly).extracting(FlowEvent::ts).containsExactly(BASE, BASE.plusSeconds(1));
        }

        @Test
        void readsSeeOnlyTheirOwnRun(AgentStore store) {
            store.inTransaction(uow -> uow.flowEvents().appendAll(List.of(
                    NewFlowEvent.of("run-mine", "etl", "e").at(BASE),
                    NewFlowEvent.of("run-other", "etl", "e").at(BASE))));

            assertThat(read(store, "run-mine", FlowEventQuery.defaults()))
                    .extracting(FlowEvent::runId).containsExactly("run-mine");
            assertThat(read(store, "run-none", FlowEventQuery.defaults())).isEmpty();
        }

        @Test
        void aCursorThatIsNotAnEventOfTheRunIsReportedNotFound(AgentStore store) {
            List<FlowEvent> appended = store.fromTransaction(uow -> uow.flowEvents().appendAll(List.of(
                    NewFlowEvent.of("run-stale-a", "etl", "e").at(BASE),
                    NewFlowEvent.of("run-stale-b", "etl", "e").at(BASE))));
            long ofB = appended.get(1).id();

            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.flowEvents().read("run-stale-a",
                    FlowEventQuery.defaults().after(ofB))))
                    .isInstanceOf(NotFoundException.class).hasMessageContaining("id=" + ofB);
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.flowEvents().read("run-stale-a",
                    FlowEventQuery.defaults().after(Long.MAX_VALUE))))
                    .isInstanceOf(NotFoundException.class);
            // the last row as cursor is valid: simply nothing after it
            assertThat(read(store, "run-stale-b", FlowEventQuery.defaults().after(ofB))).isEmpty();
        }

        @Test
        void invalidReadsAreRefused(AgentStore store) {
            for (int limit : new int[]{0, -1, 1001}) {
                assertThatThrownBy(() -> FlowEventQuery.defaults().limit(limit))
                        .isInstanceOf(InvalidInputException.class).hasMessageContaining("limit");
                assertThatThrownBy(() -> store.fromTransaction(uow -> uow.flowEvents().readByFlow("etl", "e", null, null, limit)))
                        .isInstanceOf(InvalidInputException.class).hasMessageContaining("limit");
            }
            assertThat(FlowEventQuery.defaults().limit()).isEqualTo(100);
            assertThat(FlowEventQuery.defaults().limit(1000).limit()).isEqualTo(1000);
            assertThatThrownBy(() -> FlowEventQuery.defaults().between(BASE.plusMillis(1), BASE))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("from");
            assertThatThrownBy(() -> FlowEventQuery.defaults().after(0L)).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> FlowEventQuery.defaults().types("ok", " ")).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> FlowEventQuery.defaults().types((String) null)).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.flowEvents().read("", FlowEventQuery.defaults())))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("runId");
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.flowEvents().read("x".repeat(256), FlowEventQuery.defaults())))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("runId");
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.flowEvents().read("run", null)))
                    .isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.flowEvents().readByFlow(" ", "e", null, null, 10)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("flowName");
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.flowEvents().readByFlow("etl", "e", BASE.plusMillis(1), BASE, 10)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("from");
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.flowEvents().deleteRun(" ")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("runId");
        }
    }

    @Nested
    class ReadAFlow {

        @Test
        void readByFlowReturnsOneTypeOfOneFlowNewestFirstWithinAnInclusiveRange(AgentStore store) {
            store.inTransaction(uow -> uow.flowEvents().appendAll(List.of(
                    NewFlowEvent.of("bf-1", "by-flow", "flow.failed").at(BASE),
                    NewFlowEvent.of("bf-2", "by-flow", "flow.failed").at(BASE.plusSeconds(1)),
                    NewFlowEvent.of("bf-3", "by-flow", "flow.completed").at(BASE.plusSeconds(2)),
                    NewFlowEvent.of("bf-4", "by-flow", "flow.failed").at(BASE.plusSeconds(3)),
                    NewFlowEvent.of("bf-5", "other-flow", "flow.failed").at(BASE.plusSeconds(2)))));

            List<FlowEvent> all = store.fromTransaction(uow -> uow.flowEvents().readByFlow("by-flow", "flow.failed", null, null, 10));
            List<FlowEvent> ranged = store.fromTransaction(uow -> uow.flowEvents().readByFlow("by-flow", "flow.failed",
                    BASE.plusSeconds(1), BASE.plusSeconds(3), 10));
            List<FlowEvent> limited = store.fromTransaction(uow -> uow.flowEvents().readByFlow("by-flow", "flow.failed",
                    null, null, 1));

            assertThat(all).extracting(FlowEvent::runId).containsExactly("bf-4", "bf-2", "bf-1");
            assertThat(ranged).extracting(FlowEvent::runId).containsExactly("bf-4", "bf-2");
            assertThat(limited).extracting(FlowEvent::runId).containsExactly("bf-4");
        }
    }

    @Nested
    class DeleteARun {

        @Test
        void deleteRunDeletesAllEventsOfThatRunOnlyAndCountsThem(AgentStore store) {
            store.inTransaction(uow -> uow.flowEvents().appendAll(List.of(
                    NewFlowEvent.of("run-delete", "etl", "a").at(BASE),
                    NewFlowEvent.of("run-delete", "etl", "b").at(BASE),
                    NewFlowEvent.of("run-delete", "etl", "c").at(BASE),
                    NewFlowEvent.of("run-keep", "etl", "a").at(BASE))));

            int deleted = store.fromTransaction(uow -> uow.flowEvents().deleteRun("run-delete"));
            int again = store.fromTransaction(uow -> uow.flowEvents().deleteRun("run-delete"));

            assertThat(deleted).isEqualTo(3);
            assertThat(again).isZero();
            assertThat(read(store, "run-delete", FlowEventQuery.defaults())).isEmpty();
            assertThat(read(store, "run-keep", FlowEventQuery.defaults())).hasSize(1);
        }
    }

    private static List<FlowEvent> read(AgentStore store, String runId, FlowEventQuery query) {
        return store.fromTransaction(uow -> uow.flowEvents().read(runId, query));
    }

    private static <T> List<T> reversed(List<T> list) {
        List<T> copy = new ArrayList<>(list);
        Collections.reverse(copy);
        return copy;
    }
}
