package dev.agentstore.persistence.observability;

import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.observability.NewSpan;
import dev.agentstore.domain.observability.Span;
import dev.agentstore.domain.observability.SpanEntity;
import dev.agentstore.domain.observability.SpanStatus;
import dev.agentstore.domain.observability.SpanType;
import dev.agentstore.domain.observability.TraceIds;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
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
 * {@link Span} is a true JPA mapping that users can query (ids as {@code UUID} and {@code long}), and read-only to
 * JPA: the repository is the only writer.
 */
@ExtendWith(AgentStoreExtension.class)
class SpanJpaMappingTest {

    private static final Instant T0 = Instant.parse("2026-04-01T08:00:00.000001Z");

    /** Every attribute the accessors expose, JSON included (a deep comparison). */
    private static final List<Function<Span, ?>> FIELDS = List.of(Span::traceId, Span::spanId, Span::parentSpanId,
            Span::name, Span::type, Span::entity, Span::runId, Span::threadId, Span::resourceId, Span::userId,
            Span::startedAt, Span::endedAt, Span::status, Span::error, Span::input, Span::output, Span::attributes,
            Span::metadata, Span::createdAt, Span::updatedAt);

    private String traceId;
    private String rootId;

    @BeforeEach
    void trace(AgentStore store) {
        traceId = SpanRepositoryTest.traceId();
        rootId = SpanRepositoryTest.spanId();
        store.spans().createAll(List.of(
                NewSpan.builder(traceId, rootId, "agent.run", SpanType.AGENT_RUN, T0)
                        .entity(SpanEntity.of("agent", "a", "jpa-agent")).runId("run-jpa").userId("u")
                        .endedAt(T0.plusSeconds(1)).status(SpanStatus.OK)
                        .input(Json.parse("i", "{\"text\":\"hi\"}")).output(Json.parse("o", "[1,2.50]"))
                        .attributes(Json.parse("a", "{\"gen_ai.request.model\":\"m\"}"))
                        .metadata(Json.parse("m", "{\"k\":\"v\"}")).build(),
                NewSpan.builder(traceId, SpanRepositoryTest.spanId(), "model", SpanType.MODEL_GENERATION,
                        T0.plusMillis(5)).parentSpanId(rootId).error(Json.parse("e", "{\"m\":\"x\"}"))
                        .status(SpanStatus.ERROR).build()));
    }

    private List<Span> viaRepository(AgentStore store) {
        return store.spans().getTrace(traceId).orElseThrow().spans();
    }

    private Span.Key rootKey() {
        return new Span.Key(TraceIds.traceUuid(traceId), TraceIds.spanLong(rootId));
    }

    @Nested
    class Queries {

        @Test
        void jpqlReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<Span> jpql = jpql(store, Span.class,
                    "SELECT s FROM Span s WHERE s.traceId = :traceId ORDER BY s.startedAt",
                    Map.of("traceId", TraceIds.traceUuid(traceId)));

            assertThat(jpql).hasSize(2);
            assertSameRows(jpql, viaRepository(store), FIELDS);
        }

        @Test
        void criteriaReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<Span> criteria = criteria(store, Span.class, (cb, query, s) -> query
                    .where(cb.equal(s.get("traceId"), TraceIds.traceUuid(traceId)))
                    .orderBy(cb.asc(s.get("startedAt"))));

            assertSameRows(criteria, viaRepository(store), FIELDS);
        }

        @Test
        void rootsByEntityAndTypeAsJpaUsersWriteThem(AgentStore store) {
            List<Span> roots = jpql(store, Span.class, "SELECT s FROM Span s WHERE s.parentSpanId IS NULL"
                    + " AND s.entityName = 'jpa-agent' AND s.type = :type AND s.traceId = :traceId",
                    Map.of("type", SpanType.AGENT_RUN, "traceId", TraceIds.traceUuid(traceId)));

            assertSameRows(roots, List.of(store.spans().getRootSpan(traceId).orElseThrow()), FIELDS);
        }

        @Test
        void findByKey(AgentStore store) {
            Span found = store.fromTransaction(uow -> uow.entityManager().find(Span.class, rootKey()));

            assertSameRows(List.of(found), List.of(store.spans().getSpan(traceId, rootId).orElseThrow()), FIELDS);
        }
    }

    @Nested
    class ReadOnly {

        @Test
        void removeIsRefusedAndNothingIsDeleted(AgentStore store) {
            assertRemoveRefused(store, Span.class, rootKey());

            assertThat(store.spans().getSpan(traceId, rootId)).isPresent();
        }

        @Test
        void persistIsRefused(AgentStore store) {
            Span copy = store.spans().getSpan(traceId, rootId).orElseThrow();
            store.spans().deleteTraces(List.of(traceId));

            assertPersistRefused(store, copy);
            assertThat(store.spans().getTrace(traceId)).isEmpty();
        }

        @Test
        void aChangedEntityIsNeverWritten(AgentStore store) {
            changeAndFlush(store, Span.class, rootKey(), span -> setField(span, "name", "changed"));

            assertThat(store.spans().getSpan(traceId, rootId).orElseThrow().name()).isEqualTo("agent.run");
        }

        @Test
        void aBulkUpdateIsRefused(AgentStore store) {
            assertBulkUpdateRefused(store, Span.class, "UPDATE Span s SET s.name = 'changed'");

            assertThat(store.spans().getSpan(traceId, rootId).orElseThrow().name()).isEqualTo("agent.run");
        }

        @Test
        void aBulkDeleteIsRefused(AgentStore store) {
            assertBulkDeleteRefused(store, Span.class, "DELETE FROM Span s");

            assertThat(viaRepository(store)).hasSize(2);
        }
    }
}
