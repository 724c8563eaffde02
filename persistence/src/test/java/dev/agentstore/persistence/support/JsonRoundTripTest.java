package dev.agentstore.persistence.support;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/** JSON values keep their exact numbers through entities (Hibernate's mapper) and native SQL alike. */
@ExtendWith(AgentStoreExtension.class)
class JsonRoundTripTest {

    private static final String PRECISE = """
            {"small":0.12345678901234567890123,"big":12345678901234567890.5,"huge":123456789012345678901234567890,
             "scaled":1.50,"int":7}""";

    @Test
    void highPrecisionNumbersSurviveAnEntityUpdateUnchanged(AgentStore store) {
        store.inTransaction(uow -> uow.flowRuns().start("precise", "run-1"));
        FlowRun updated = store.fromTransaction(uow -> uow.flowRuns().update("precise", "run-1",
                Json.parse("patch", "{\"numbers\":" + PRECISE + "}")));
        // an entity write of another field rewrites the whole row: the numbers must come back exactly
        store.inTransaction(uow -> uow.flowRuns().update("precise", "run-1", Json.parse("patch", "{\"other\":1}")));
        FlowRun read = store.fromTransaction(uow -> uow.flowRuns().get("precise", "run-1").orElseThrow());

        assertThat(read.metadata().get("numbers")).isEqualTo(Json.parse("expected", PRECISE));
        assertThat(Json.print(read.metadata().get("numbers").get("small"))).isEqualTo("0.12345678901234567890123");
        assertThat(Json.print(read.metadata().get("numbers").get("big"))).isEqualTo("12345678901234567890.5");
        assertThat(read.version()).isEqualTo(updated.version() + 1);
        String stored = store.fromTransaction(uow -> (String) uow.entityManager().createNativeQuery(
                "SELECT CAST(metadata -> 'numbers' ->> 'small' AS text) FROM flow_runs WHERE run_id = 'run-1'")
                .getSingleResult());
        assertThat(stored).isEqualTo("0.12345678901234567890123");
    }

    @Test
    void highPrecisionNumbersSurviveTheKeyValueStore(AgentStore store) {
        store.inTransaction(uow -> uow.kv().set("precise", Json.parse("value", PRECISE)));
        JsonNode read = store.fromTransaction(uow -> uow.kv().get("precise").orElseThrow());
        assertThat(read).isEqualTo(Json.parse("expected", PRECISE));
    }

    @Test
    void loadingAndCommittingWithoutChangesWritesNothing(AgentStore store) {
        store.inTransaction(uow -> uow.flowRuns().start("precise", "run-2"));
        FlowRun before = store.fromTransaction(uow -> uow.flowRuns().update("precise", "run-2",
                Json.parse("patch", "{\"numbers\":" + PRECISE + "}")));
        store.inTransaction(uow -> uow.entityManager()
                .createQuery("SELECT r FROM FlowRun r WHERE r.runId = 'run-2'", FlowRun.class).getSingleResult());
        FlowRun after = store.fromTransaction(uow -> uow.flowRuns().get("precise", "run-2").orElseThrow());
        assertThat(after.version()).isEqualTo(before.version());
    }
}
