package dev.agentstore.persistence.flow;

import com.fasterxml.jackson.databind.node.NullNode;
import dev.agentstore.domain.flow.FlowEvent;
import dev.agentstore.domain.flow.FlowEventQuery;
import dev.agentstore.domain.flow.NewFlowEvent;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.List;

import static dev.agentstore.persistence.ReadOnlyJpa.assertBulkDeleteRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertBulkUpdateRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertPersistRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertRemoveRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertSameRows;
import static dev.agentstore.persistence.ReadOnlyJpa.changeAndFlush;
import static dev.agentstore.persistence.ReadOnlyJpa.criteria;
import static dev.agentstore.persistence.ReadOnlyJpa.jpql;
import static dev.agentstore.persistence.ReadOnlyJpa.setField;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link FlowEvent} is a true JPA mapping that users can query, and read-only to JPA: the repository is the only
 * writer.
 */
@ExtendWith(AgentStoreExtension.class)
class FlowEventJpaMappingTest {

    private static final Instant BASE = Instant.parse("2031-05-06T07:08:09.123Z");

    private static final String[] TYPES = {"flow.started", "step.completed", "step.completed", "flow.completed"};

    private static final String PAYLOAD = "{\"n\":1,\"price\":1.10,\"nested\":[true,\"x\",null]}";

    @BeforeEach
    void events(AgentStore store) {
        store.flowEvents().deleteRun("jpa-run");
        store.flowEvents().appendAll(List.of(
                NewFlowEvent.of("jpa-run", "jpa-flow", "flow.started").at(BASE)
                        .data(Json.parse("d", PAYLOAD)),
                NewFlowEvent.of("jpa-run", "jpa-flow", "step.completed").at(BASE.plusMillis(1))
                        .step("extract", "extract-0").attempt(2).data(NullNode.instance),
                NewFlowEvent.of("jpa-run", "jpa-flow", "step.completed").at(BASE.plusMillis(2))
                        .step("load", "load-0").attempt(0).data(Json.parse("d", "[\"a\",2]")),
                NewFlowEvent.of("jpa-run", "jpa-flow", "flow.completed").at(BASE.plusMillis(3))));
    }

    private static List<FlowEvent> viaRepository(AgentStore store) {
        return store.flowEvents().read("jpa-run", FlowEventQuery.defaults());
    }

    private static FlowEvent first(AgentStore store) {
        return viaRepository(store).get(0);
    }

    @Nested
    class Queries {

        @Test
        void jpqlReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<FlowEvent> jpql = jpql(store, FlowEvent.class,
                    "SELECT e FROM FlowEvent e WHERE e.runId = 'jpa-run' ORDER BY e.ts, e.id");

            assertThat(jpql).hasSize(4);
            assertSameRows(jpql, viaRepository(store));
            assertThat(jpql.get(0).data()).isEqualTo(Json.parse("d", PAYLOAD));
            assertThat(jpql.get(1).data()).isEqualTo(NullNode.instance);
            assertThat(jpql.get(3).data()).isNull();
            assertThat(jpql.get(1).attempt()).isEqualTo(2);
        }

        @Test
        void criteriaReadsTheRowsTheRepositoryReadsByFlowAndType(AgentStore store) {
            List<FlowEvent> criteria = criteria(store, FlowEvent.class, (cb, query, e) -> query
                    .where(cb.equal(e.get("flowName"), "jpa-flow"), cb.equal(e.get("type"), "step.completed"))
                    .orderBy(cb.desc(e.get("ts")), cb.desc(e.get("id"))));

            assertThat(criteria).hasSize(2);
            assertSameRows(criteria, store.flowEvents().readByFlow("jpa-flow", "step.completed", null, null, 10));
        }

        @Test
        void criteriaReadsTheRowsTheRepositoryReadsByRun(AgentStore store) {
            List<FlowEvent> criteria = criteria(store, FlowEvent.class, (cb, query, e) -> query
                    .where(cb.equal(e.get("runId"), "jpa-run")).orderBy(cb.asc(e.get("ts")), cb.asc(e.get("id"))));

            assertSameRows(criteria, viaRepository(store));
        }
    }

    @Nested
    class ReadOnly {

        @Test
        void removeIsRefusedAndNothingIsDeleted(AgentStore store) {
            assertRemoveRefused(store, FlowEvent.class, first(store).id());

            assertThat(viaRepository(store)).hasSize(4);
        }

        @Test
        void persistIsRefused(AgentStore store) {
            FlowEvent copy = first(store);
            store.flowEvents().deleteRun("jpa-run");

            assertPersistRefused(store, copy);
            assertThat(viaRepository(store)).isEmpty();
        }

        @Test
        void aChangedEntityIsNeverWritten(AgentStore store) {
            changeAndFlush(store, FlowEvent.class, first(store).id(), event -> setField(event, "type", "changed"));

            assertThat(first(store).type()).isEqualTo("flow.started");
        }

        @Test
        void aBulkUpdateIsRefused(AgentStore store) {
            assertBulkUpdateRefused(store, FlowEvent.class, "UPDATE FlowEvent e SET e.type = 'changed'");

            assertThat(viaRepository(store)).extracting(FlowEvent::type).containsExactly(TYPES);
        }

        @Test
        void aBulkDeleteIsRefused(AgentStore store) {
            assertBulkDeleteRefused(store, FlowEvent.class, "DELETE FROM FlowEvent e WHERE e.runId = 'jpa-run'");

            assertThat(viaRepository(store)).extracting(FlowEvent::type).containsExactly(TYPES);
        }
    }
}
