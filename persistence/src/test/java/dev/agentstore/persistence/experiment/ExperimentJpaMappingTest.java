package dev.agentstore.persistence.experiment;

import dev.agentstore.domain.experiment.Experiment;
import dev.agentstore.domain.experiment.ExperimentResult;
import dev.agentstore.domain.experiment.ResultValues;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static dev.agentstore.persistence.ReadOnlyJpa.assertBulkDeleteRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertBulkUpdateRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertPersistRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertRemoveRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertSameRows;
import static dev.agentstore.persistence.ReadOnlyJpa.changeAndFlush;
import static dev.agentstore.persistence.ReadOnlyJpa.criteria;
import static dev.agentstore.persistence.ReadOnlyJpa.jpql;
import static dev.agentstore.persistence.ReadOnlyJpa.setField;
import static dev.agentstore.persistence.experiment.ExperimentRepositoryTest.AGENT;
import static dev.agentstore.persistence.experiment.ExperimentRepositoryTest.TRACE;
import static dev.agentstore.persistence.experiment.ExperimentRepositoryTest.dataset;
import static dev.agentstore.persistence.experiment.ExperimentRepositoryTest.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Experiment} and {@link ExperimentResult} are true JPA mappings that users can query, and read-only to JPA:
 * the repository is the only writer.
 */
@ExtendWith(AgentStoreExtension.class)
class ExperimentJpaMappingTest {

    private static final String ID = "jpa-exp";

    private static final List<Function<Experiment, ?>> FIELDS = List.of(Experiment::id, Experiment::name,
            Experiment::datasetId, Experiment::datasetVersion, Experiment::target, Experiment::status,
            Experiment::metadata, Experiment::error, Experiment::createdAt, Experiment::startedAt,
            Experiment::completedAt, Experiment::updatedAt, Experiment::version);

    private static final List<Function<ExperimentResult, ?>> RESULT_FIELDS = List.of(ExperimentResult::id,
            ExperimentResult::experimentId, ExperimentResult::itemId, ExperimentResult::output,
            ExperimentResult::latencyMs, ExperimentResult::error, ExperimentResult::traceId, ExperimentResult::scores,
            ExperimentResult::createdAt, ExperimentResult::updatedAt);

    @BeforeEach
    void experiment(AgentStore store) {
        store.experiments().delete(ID);
        store.experiments().create(ID, "jpa", dataset(store, 2), 1, AGENT, json("{\"k\":1}"));
        store.experiments().start(ID);
        store.experiments().upsertResult(ID, "i0", ResultValues.succeeded(json("{\"a\":1}"), 12L, TRACE,
                Map.of("accuracy", 0.5)));
        store.experiments().upsertResult(ID, "i1", ResultValues.failed("boom", null, null));
    }

    @Nested
    class Queries {

        @Test
        void jpqlReadsTheExperimentTheRepositoryReads(AgentStore store) {
            List<Experiment> rows = jpql(store, Experiment.class, "SELECT e FROM Experiment e WHERE e.id = :id",
                    Map.of("id", ID));

            assertSameRows(rows, List.of(store.experiments().get(ID).orElseThrow()), FIELDS);
        }

        @Test
        void jpqlAndCriteriaReadTheResultsTheRepositoryReads(AgentStore store) {
            List<ExperimentResult> viaJpql = jpql(store, ExperimentResult.class, "SELECT r FROM ExperimentResult r"
                    + " WHERE r.experimentId = :id ORDER BY r.itemId", Map.of("id", ID));
            List<ExperimentResult> viaCriteria = criteria(store, ExperimentResult.class, (cb, query, r) -> query
                    .where(cb.equal(r.get("experimentId"), ID), cb.isNotNull(r.get("error"))));

            List<ExperimentResult> expected = store.experiments().results(ID, null, 10);
            assertSameRows(viaJpql, expected, RESULT_FIELDS);
            assertSameRows(viaCriteria, expected.subList(1, 2), RESULT_FIELDS);
        }
    }

    @Nested
    class ReadOnly {

        @Test
        void removeAndPersistAreRefused(AgentStore store) {
            Experiment copy = store.experiments().get(ID).orElseThrow();
            assertRemoveRefused(store, Experiment.class, ID);
            assertThat(store.experiments().get(ID)).isPresent();

            store.experiments().delete(ID);
            assertPersistRefused(store, copy);
            assertThat(store.experiments().get(ID)).isEmpty();
        }

        @Test
        void aChangedEntityIsNeverWritten(AgentStore store) {
            changeAndFlush(store, Experiment.class, ID, e -> setField(e, "error", "changed"));
            long resultId = store.experiments().result(ID, "i0").orElseThrow().id();
            changeAndFlush(store, ExperimentResult.class, resultId, r -> setField(r, "latencyMs", 1L));

            assertThat(store.experiments().get(ID).orElseThrow().error()).isNull();
            assertThat(store.experiments().result(ID, "i0").orElseThrow().latencyMs()).isEqualTo(12L);
        }

        @Test
        void bulkUpdatesAndDeletesAreRefused(AgentStore store) {
            assertBulkUpdateRefused(store, Experiment.class, "UPDATE Experiment e SET e.name = 'x'");
            assertBulkDeleteRefused(store, ExperimentResult.class, "DELETE FROM ExperimentResult r");

            assertThat(store.experiments().get(ID).orElseThrow().name()).isEqualTo("jpa");
            assertThat(store.experiments().results(ID, null, 10)).hasSize(2);
        }
    }
}
