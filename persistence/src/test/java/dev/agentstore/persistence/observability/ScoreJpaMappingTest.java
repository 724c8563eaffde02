package dev.agentstore.persistence.observability;

import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.observability.NewScore;
import dev.agentstore.domain.observability.Score;
import dev.agentstore.domain.observability.ScoreSource;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.support.PageRequest;
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
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Score} is a true JPA mapping of the partitioned {@code scores} table that users can query, and read-only to
 * JPA: the repository is the only writer.
 */
@ExtendWith(AgentStoreExtension.class)
class ScoreJpaMappingTest {

    /** Every mapped attribute, JSON included (compared with {@code JsonNode.equals}, a deep comparison). */
    private static final List<Function<Score, ?>> FIELDS = List.of(Score::id, Score::createdAt, Score::scorerId,
            Score::value, Score::reason, Score::source, Score::entityType, Score::entityId, Score::runId,
            Score::traceId, Score::spanId, Score::resourceId, Score::threadId, Score::scorer, Score::input,
            Score::output, Score::metadata, Score::preprocessStepResult, Score::analyzeStepResult, Score::prompts,
            Score::additionalContext, Score::requestContext);

    private List<Score> saved;

    @BeforeEach
    void scores(AgentStore store) {
        store.scores().prune(dev.agentstore.domain.Check.MAX_TIMESTAMP);
        saved = List.of(
                store.scores().save(NewScore.builder("jpa-relevance", 0.5).source(ScoreSource.TEST)
                        .reason("half").entity("AGENT", "a1").runId("r1")
                        .span("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7").resourceId("u1")
                        .threadId("t1").scorer(Json.parse("s", "{\"name\":\"relevance\"}"))
                        .input(Json.parse("i", "[1,\"x\",null]")).output(Json.parse("o", "\"out\""))
                        .metadata(Json.parse("m", "{\"k\":1.50}")).preprocessStepResult(Json.parse("p", "{\"a\":1}"))
                        .analyzeStepResult(Json.parse("a", "{\"b\":[true]}")).prompts(Json.parse("q", "{\"x\":\"y\"}"))
                        .additionalContext(Json.parse("c", "{}")).requestContext(Json.parse("r", "{\"t\":\"1\"}"))
                        .build()),
                store.scores().save(NewScore.builder("jpa-relevance", 1).build()),
                store.scores().save(NewScore.builder("jpa-toxicity", 0).build()));
    }

    @Nested
    class Queries {

        @Test
        void jpqlReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<Score> jpql = jpql(store, Score.class,
                    "SELECT s FROM Score s WHERE s.scorerId = :scorer ORDER BY s.createdAt DESC, s.id DESC",
                    Map.of("scorer", "jpa-relevance"));

            assertSameRows(jpql, store.scores().listByScorer("jpa-relevance", null, PageRequest.first()).items(),
                    FIELDS);
            assertThat(jpql).hasSize(2);
        }

        @Test
        void criteriaReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<Score> criteria = criteria(store, Score.class, (cb, query, s) -> query
                    .where(cb.equal(s.get("source"), ScoreSource.TEST)));

            assertSameRows(criteria, List.of(store.scores().get(saved.get(0).id()).orElseThrow()), FIELDS);
            assertThat(criteria.get(0).metadata()).isEqualTo(Json.parse("m", "{\"k\":1.50}"));
        }
    }

    @Nested
    class ReadOnly {

        @Test
        void removeIsRefusedAndNothingIsDeleted(AgentStore store) {
            assertRemoveRefused(store, Score.class, saved.get(2).id());

            assertThat(store.scores().get(saved.get(2).id())).isPresent();
        }

        @Test
        void persistIsRefused(AgentStore store) {
            Score copy = saved.get(2);
            store.scores().prune(dev.agentstore.domain.Check.MAX_TIMESTAMP);

            assertPersistRefused(store, copy);
            assertThat(store.scores().get(copy.id())).isEmpty();
        }

        @Test
        void aChangedEntityIsNeverWritten(AgentStore store) {
            changeAndFlush(store, Score.class, saved.get(1).id(), s -> setField(s, "value", 9.0));

            assertThat(store.scores().get(saved.get(1).id()).orElseThrow().value()).isEqualTo(1.0);
        }

        @Test
        void bulkWritesAreRefused(AgentStore store) {
            assertBulkUpdateRefused(store, Score.class, "UPDATE Score s SET s.value = 2");
            assertBulkDeleteRefused(store, Score.class, "DELETE FROM Score s");

            assertThat(store.scores().listByScorer("jpa-relevance", null, PageRequest.first()).total()).isEqualTo(2);
        }
    }
}
