package dev.agentstore.domain.flow;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FlowEventTest {

    private static final Instant TS = Instant.parse("2026-11-21T12:00:00.123Z");

    @Test
    void anAppendedEventKeepsItsPayloadAgainstChangesByTheCallerBeforeAndAfter() {
        ObjectNode payload = Json.object().put("n", 1);
        NewFlowEvent event = NewFlowEvent.of("run-1", "etl", "step.completed").data(payload).at(TS);
        payload.put("n", 2);

        FlowEvent appended = FlowEvent.appended(7, event);
        ((ObjectNode) appended.data()).put("n", 3);

        assertThat(appended.data()).isEqualTo(Json.object().put("n", 1));
        assertThat(event.data()).isEqualTo(Json.object().put("n", 1));
    }

    @Test
    void aStoredRowIsTheEventItDescribesAndEqualsTheAppendedOne() {
        NewFlowEvent event = NewFlowEvent.of("run-1", "etl", "step.completed").step("load", "run-1:load")
                .attempt(2).data(Json.object().put("rows", 10)).at(TS);

        FlowEvent stored = FlowEvent.stored(7, "run-1", "etl", TS, "step.completed", "load", "run-1:load", 2,
                Json.object().put("rows", 10));

        assertThat(stored).isEqualTo(FlowEvent.appended(7, event));
        assertThat(stored.stepName()).isEqualTo("load");
        assertThat(stored.attempt()).isEqualTo(2);
        assertThat(stored.data()).isEqualTo(Json.object().put("rows", 10));
    }

    @Test
    void aStoredRowNeedsAPositiveIdAndItsRequiredColumns() {
        assertThatThrownBy(() -> FlowEvent.stored(0, "run-1", "etl", TS, "t", null, null, null, null))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("id must be positive");
        assertThatThrownBy(() -> FlowEvent.stored(1, "run-1", "etl", null, "t", null, null, null, null))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("ts");
    }
}
