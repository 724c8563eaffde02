package dev.agentstore.persistence.observability;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.observability.NewSpan;
import dev.agentstore.domain.observability.SpanType;
import dev.agentstore.domain.observability.SpanUpdate;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.Race;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Concurrent writers of the same spans, each in its own transaction on its own thread. */
@ExtendWith(AgentStoreExtension.class)
class SpanConcurrencyTest {

    private static final Instant T0 = Instant.parse("2026-05-01T00:00:00Z");

    @Nested
    class Merges {

        @Test
        void concurrentAttributeMergesIntoOneSpanAreAllKept(AgentStore store) throws Exception {
            String t = SpanRepositoryTest.traceId();
            String s = SpanRepositoryTest.spanId();
            store.spans().create(NewSpan.builder(t, s, "agent.run", SpanType.AGENT_RUN, T0).build());
            int writers = 8;
            int each = 10;

            Race.run(writers, w -> () -> {
                for (int i = 0; i < each; i++) {
                    JsonNode attribute = Json.object().put("w" + w + "." + i, i);
                    store.spans().update(SpanUpdate.of(t, s).withAttributes(attribute));
                }
                return null;
            });

            JsonNode attributes = store.spans().getSpan(t, s).orElseThrow().attributes();
            assertThat(attributes.size()).isEqualTo(writers * each);
        }

        @Test
        void concurrentBatchesUpdatingOverlappingSpansLoseNoMerge(AgentStore store) throws Exception {
            String t = SpanRepositoryTest.traceId();
            List<NewSpan> spans = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                spans.add(NewSpan.builder(t, SpanRepositoryTest.spanId(), "s" + i, SpanType.GENERIC,
                        T0.plusMillis(i)).build());
            }
            store.spans().createAll(spans);
            int writers = 4;

            Race.run(writers, w -> () -> {
                List<SpanUpdate> updates = new ArrayList<>();
                // every writer updates every span, in its own order: row locks taken in different orders may
                // deadlock, which PostgreSQL breaks; the retry runs the whole batch again
                for (int i = 0; i < spans.size(); i++) {
                    NewSpan span = spans.get((i + w * 5) % spans.size());
                    updates.add(SpanUpdate.of(t, span.spanId()).withMetadata(Json.object().put("w" + w, true)));
                }
                store.fromTransactionWithRetry(Race.PATIENT, uow -> uow.spans().updateAll(updates));
                return null;
            });

            assertThat(store.spans().getTrace(t).orElseThrow().spans())
                    .allSatisfy(span -> assertThat(span.metadata().size()).isEqualTo(writers));
        }
    }
}
