package dev.agentstore.persistence.flow;

import dev.agentstore.domain.flow.CheckpointPolicy;
import dev.agentstore.domain.flow.CheckpointRetention;
import dev.agentstore.domain.flow.FlowCheckpoint;
import dev.agentstore.domain.flow.FlowCheckpointPolicy;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Comparator;
import java.util.List;

import static dev.agentstore.persistence.ReadOnlyJpa.assertBulkDeleteRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertRemoveRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertSameRows;
import static dev.agentstore.persistence.ReadOnlyJpa.criteria;
import static dev.agentstore.persistence.ReadOnlyJpa.jpql;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link FlowCheckpoint} and {@link FlowCheckpointPolicy} are true JPA mappings that users can query, and read-only to
 * JPA: {@link CheckpointRepository} is the only writer.
 */
@ExtendWith(AgentStoreExtension.class)
class FlowCheckpointJpaMappingTest {

    @BeforeEach
    void checkpoints(AgentStore store) {
        store.flowRuns().delete("jpa-cp", "r1");
        store.flows().register("jpa-cp", null, 1);
        store.checkpoints().configure("jpa-cp", CheckpointPolicy.keepLast(5));
        store.flowRuns().mergeSnapshot("jpa-cp", "r1", Json.parse("test", "{\"a\":1}"));
        store.flowRuns().setStepResult("jpa-cp", "r1", "s1", Json.parse("test", "{\"out\":[1,2.50]}"));
        store.checkpoints().put("jpa-cp", "r1", Json.parse("test", "{\"b\":null}"), "s2", List.of("s3", "s4"),
                Json.parse("test", "{\"writes\":{\"s2\":1}}"));
    }

    private static List<FlowCheckpoint> viaRepository(AgentStore store) {
        return store.checkpoints().history("jpa-cp", "r1", null, 100).stream()
                .sorted(Comparator.comparing(FlowCheckpoint::id)).toList();
    }

    @Nested
    class Queries {

        @Test
        void jpqlReadsTheCheckpointsTheRepositoryReads(AgentStore store) {
            List<FlowCheckpoint> jpql = jpql(store, FlowCheckpoint.class,
                    "SELECT c FROM FlowCheckpoint c WHERE c.flowName = 'jpa-cp' ORDER BY c.id");

            assertSameRows(jpql, viaRepository(store));
            assertThat(jpql).hasSize(3);
            assertThat(jpql.get(1).state()).isEqualTo(Json.parse("test", "{\"a\":1,\"context\":{\"s1\":{\"out\":[1,2.50]}}}"));
            assertThat(jpql.get(2).nextSteps()).isEqualTo(Json.parse("test", "[\"s3\",\"s4\"]"));
        }

        @Test
        void criteriaReadsTheCheckpointsTheRepositoryReads(AgentStore store) {
            List<FlowCheckpoint> criteria = criteria(store, FlowCheckpoint.class, (cb, query, c) ->
                    query.where(cb.equal(c.get("flowName"), "jpa-cp")).orderBy(cb.asc(c.get("id"))));

            assertSameRows(criteria, viaRepository(store));
        }

        @Test
        void jpqlReadsThePolicy(AgentStore store) {
            List<FlowCheckpointPolicy> jpql = jpql(store, FlowCheckpointPolicy.class,
                    "SELECT p FROM FlowCheckpointPolicy p WHERE p.flowName = 'jpa-cp'");

            assertThat(jpql).singleElement().satisfies(p -> {
                assertThat(p.policy()).isEqualTo(store.checkpoints().policy("jpa-cp").orElseThrow());
                assertThat(p.policy().retention()).isEqualTo(CheckpointRetention.KEEP_LAST);
            });
        }
    }

    @Nested
    class ReadOnly {

        @Test
        void removingACheckpointIsRefusedAndNothingIsDeleted(AgentStore store) {
            FlowCheckpoint first = viaRepository(store).get(0);

            assertRemoveRefused(store, FlowCheckpoint.class, first.id());

            assertThat(store.checkpoints().get(first.checkpointId())).isPresent();
        }

        @Test
        void aBulkDeleteIsRefused(AgentStore store) {
            assertBulkDeleteRefused(store, FlowCheckpoint.class, "DELETE FROM FlowCheckpoint c");
            assertBulkDeleteRefused(store, FlowCheckpointPolicy.class, "DELETE FROM FlowCheckpointPolicy p");

            assertThat(viaRepository(store)).hasSize(3);
            assertThat(store.checkpoints().policy("jpa-cp")).isPresent();
        }
    }
}
