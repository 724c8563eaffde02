package dev.agentstore.persistence.observability;

import dev.agentstore.domain.observability.LlmUsage;
import dev.agentstore.domain.observability.NewLlmUsage;
import dev.agentstore.domain.observability.NewScore;
import dev.agentstore.domain.observability.Score;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.Race;
import dev.agentstore.persistence.support.PageRequest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code scores} and {@code llm_usage} are range-partitioned by {@code created_at} with a default partition, and the
 * repositories work whichever partition holds a row; concurrent writers each get their own row.
 */
@ExtendWith(AgentStoreExtension.class)
class ObservabilityPartitionsTest {

    private static Object single(AgentStore store, String sql) {
        return store.fromTransaction(uow -> uow.entityManager().createNativeQuery(sql).getSingleResult());
    }

    @Nested
    class Layout {

        @Test
        void bothTablesArePartitionedByRangeOfCreatedAtWithADefaultPartition(AgentStore store) {
            for (String table : List.of("scores", "llm_usage")) {
                assertThat(single(store, "SELECT pg_get_partkeydef(CAST('" + table + "' AS regclass))"))
                        .isEqualTo("RANGE (created_at)");
                assertThat(single(store, "SELECT CAST(c.relname AS text) FROM pg_inherits i"
                        + " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = CAST('" + table + "' AS regclass)"
                        + " AND pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'")).isEqualTo(table + "_default");
            }
        }

        @Test
        void rowsInATimePartitionAreReadListedAndPrunedLikeRowsInTheDefaultOne(AgentStore store, MutableClock clock) {
            store.inTransaction(uow -> {
                uow.entityManager().createNativeQuery("CREATE TABLE scores_2030_01 PARTITION OF scores"
                        + " FOR VALUES FROM ('2030-01-01 00:00:00+00') TO ('2030-02-01 00:00:00+00')").executeUpdate();
                uow.entityManager().createNativeQuery("CREATE TABLE llm_usage_2030_01 PARTITION OF llm_usage"
                        + " FOR VALUES FROM ('2030-01-01 00:00:00+00') TO ('2030-02-01 00:00:00+00')").executeUpdate();
            });
            String scorer = "partitioned-" + UUID.randomUUID();
            clock.set(Instant.parse("2030-01-15T00:00:00Z"));
            Score inMonth = store.scores().save(NewScore.builder(scorer, 1).runId(scorer).build());
            clock.set(Instant.parse("2030-03-01T00:00:00Z"));
            Score inDefault = store.scores().save(NewScore.builder(scorer, 2).runId(scorer).build());
            LlmUsage usage = store.llmUsage().record(NewLlmUsage.builder("p", "m", 1, 1).run("f", scorer, null)
                    .createdAt(Instant.parse("2030-01-20T00:00:00Z")).build());

            assertThat(single(store, "SELECT CAST(tableoid::regclass AS text) FROM scores WHERE id = '" + inMonth.id() + "'"))
                    .asString().endsWith("scores_2030_01");
            assertThat(single(store, "SELECT CAST(tableoid::regclass AS text) FROM scores WHERE id = '" + inDefault.id() + "'"))
                    .asString().endsWith("scores_default");
            assertThat(single(store, "SELECT CAST(tableoid::regclass AS text) FROM llm_usage WHERE id = '" + usage.id() + "'"))
                    .asString().endsWith("llm_usage_2030_01");
            assertThat(store.scores().get(inMonth.id())).contains(inMonth);
            assertThat(store.scores().listByRun(scorer, PageRequest.first()).items()).containsExactly(inDefault, inMonth);
            assertThat(store.llmUsage().listByRun("f", scorer, PageRequest.first()).items()).containsExactly(usage);

            assertThat(store.scores().prune(Instant.parse("2030-02-01T00:00:00Z")))
                    .isGreaterThanOrEqualTo(1);
            assertThat(store.scores().get(inMonth.id())).isEmpty();
            assertThat(store.scores().get(inDefault.id())).isPresent();
        }
    }

    @Nested
    class ConcurrentWriters {

        @Test
        void scoresAndUsageSavedAtOnceFromManyThreadsAreAllKept(AgentStore store) throws Exception {
            String scorer = "concurrent-" + UUID.randomUUID();
            List<UUID> ids = Race.run(8, i -> () -> {
                for (int n = 0; n < 24; n++) {
                    store.scores().save(NewScore.builder(scorer, i).build());
                }
                return store.llmUsage().recordAll(List.of(NewLlmUsage.builder("p", "m", i, 1).run("race", scorer, null)
                        .build())).get(0).id();
            });

            assertThat(store.scores().listByScorer(scorer, null, PageRequest.first()).total()).isEqualTo(8 * 24);
            assertThat(store.scores().statistics(scorer, null, null, null, null)).singleElement()
                    .satisfies(s -> assertThat(s.mean()).isEqualTo(3.5));
            assertThat(ids).doesNotHaveDuplicates();
            assertThat(store.llmUsage().listByRun("race", scorer, PageRequest.first()).items())
                    .extracting(LlmUsage::id).containsExactlyInAnyOrderElementsOf(ids);
        }
    }
}
