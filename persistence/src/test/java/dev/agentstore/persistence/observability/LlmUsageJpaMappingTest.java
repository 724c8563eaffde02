package dev.agentstore.persistence.observability;

import dev.agentstore.domain.observability.LlmUsage;
import dev.agentstore.domain.observability.NewLlmUsage;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.support.PageRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
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
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link LlmUsage} is a true JPA mapping of the partitioned {@code llm_usage} table that users can query, and
 * read-only to JPA: the repository is the only writer.
 */
@ExtendWith(AgentStoreExtension.class)
class LlmUsageJpaMappingTest {

    private static final List<Function<LlmUsage, ?>> FIELDS = List.of(LlmUsage::id, LlmUsage::createdAt,
            LlmUsage::flowName, LlmUsage::runId, LlmUsage::stepId, LlmUsage::traceId, LlmUsage::spanId,
            LlmUsage::agentId, LlmUsage::provider, LlmUsage::model, LlmUsage::inputTokens, LlmUsage::outputTokens,
            LlmUsage::totalTokens, LlmUsage::reasoningTokens, LlmUsage::cachedInputTokens,
            LlmUsage::cost, LlmUsage::currency);

    private List<LlmUsage> recorded;

    @BeforeEach
    void usage(AgentStore store) {
        store.llmUsage().prune(dev.agentstore.domain.Check.MAX_TIMESTAMP);
        recorded = store.llmUsage().recordAll(List.of(
                NewLlmUsage.builder("openai", "gpt-4o", 100, 20).reasoningTokens(5L).cachedInputTokens(50L)
                        .cost(new BigDecimal("0.0042"), "USD").run("jpa-flow", "r1", "s1")
                        .span("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7").agentId("a1").build(),
                NewLlmUsage.builder("anthropic", "claude", 7, 3).run("jpa-flow", "r1", null).build()));
    }

    @Nested
    class Queries {

        @Test
        void jpqlReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<LlmUsage> jpql = jpql(store, LlmUsage.class,
                    "SELECT u FROM LlmUsage u WHERE u.flowName = :flow AND u.runId = :run"
                            + " ORDER BY u.createdAt DESC, u.id DESC", Map.of("flow", "jpa-flow", "run", "r1"));

            assertThat(jpql).hasSize(2);
            assertSameRows(jpql, store.llmUsage().listByRun("jpa-flow", "r1", PageRequest.first()).items(), FIELDS);
        }

        @Test
        void criteriaReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<LlmUsage> criteria = criteria(store, LlmUsage.class, (cb, query, u) -> query
                    .where(cb.equal(u.get("currency"), "USD")));

            assertSameRows(criteria, List.of(recorded.get(0)), FIELDS);
            assertThat(criteria.get(0).cost()).isEqualTo(new BigDecimal("0.0042"));
        }
    }

    @Nested
    class ReadOnly {

        @Test
        void removeIsRefusedAndNothingIsDeleted(AgentStore store) {
            assertRemoveRefused(store, LlmUsage.class, recorded.get(1).id());

            assertThat(store.llmUsage().listByRun("jpa-flow", "r1", PageRequest.first()).total()).isEqualTo(2);
        }

        @Test
        void persistIsRefused(AgentStore store) {
            store.llmUsage().prune(dev.agentstore.domain.Check.MAX_TIMESTAMP);

            assertPersistRefused(store, recorded.get(1));
            assertThat(store.llmUsage().listByRun("jpa-flow", "r1", PageRequest.first()).total()).isZero();
        }

        @Test
        void aChangedEntityIsNeverWritten(AgentStore store) {
            changeAndFlush(store, LlmUsage.class, recorded.get(1).id(), u -> setField(u, "model", "changed"));

            assertThat(store.llmUsage().listByRun("jpa-flow", "r1", PageRequest.first()).items())
                    .extracting(LlmUsage::model).containsExactlyInAnyOrder("gpt-4o", "claude");
        }

        @Test
        void bulkWritesAreRefused(AgentStore store) {
            assertBulkUpdateRefused(store, LlmUsage.class, "UPDATE LlmUsage u SET u.model = 'x'");
            assertBulkDeleteRefused(store, LlmUsage.class, "DELETE FROM LlmUsage u");

            assertThat(store.llmUsage().listByRun("jpa-flow", "r1", PageRequest.first()).total()).isEqualTo(2);
        }
    }
}
