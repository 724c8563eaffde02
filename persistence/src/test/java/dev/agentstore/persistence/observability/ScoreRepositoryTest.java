package dev.agentstore.persistence.observability;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.observability.NewScore;
import dev.agentstore.domain.observability.Score;
import dev.agentstore.domain.observability.ScoreSource;
import dev.agentstore.domain.observability.ScoreStatistics;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

@ExtendWith(AgentStoreExtension.class)
class ScoreRepositoryTest {

    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String SPAN = "00f067aa0ba902b7";
    private static final JsonNode META = Json.parse("metadata", "{\"model\":\"gpt-4o\",\"n\":1.5,\"nil\":null}");

    /** A scorer id no other test uses: tests share the class's schema. */
    private static String scorer() {
        return "scorer-" + UUID.randomUUID();
    }

    private static NewScore full(String scorerId) {
        return NewScore.builder(scorerId, 0.75)
                .source(ScoreSource.TEST)
                .reason("mostly relevant")
                .entity("AGENT", "support-agent")
                .runId("run-" + scorerId)
                .span(TRACE, SPAN)
                .resourceId("user-1")
                .threadId("thread-1")
                .scorer(Json.parse("scorer", "{\"name\":\"relevance\",\"type\":\"llm\"}"))
                .input(Json.parse("input", "[{\"role\":\"user\",\"content\":\"hi\"}]"))
                .output(Json.parse("output", "\"hello\""))
                .metadata(META)
                .preprocessStepResult(Json.parse("p", "{\"claims\":[\"a\",\"b\"]}"))
                .analyzeStepResult(Json.parse("a", "{\"verdicts\":[1,0]}"))
                .prompts(Json.parse("prompts", "{\"analyze\":\"Judge {{x}}\"}"))
                .additionalContext(Json.parse("c", "{\"k\":\"v\"}"))
                .requestContext(Json.parse("r", "{\"tenant\":\"t1\"}"))
                .build();
    }

    @Nested
    class Save {

        @Test
        void everyValueReadsBackAsSaved(AgentStore store, MutableClock clock) {
            clock.set(Instant.parse("2026-03-01T10:00:00.123456789Z"));
            NewScore values = full(scorer());

            Score saved = store.scores().save(values);
            Score read = store.scores().get(saved.id()).orElseThrow();

            assertThat(saved.createdAt()).isEqualTo(Instant.parse("2026-03-01T10:00:00.123456Z"));
            assertThat(read.createdAt()).isEqualTo(saved.createdAt());
            assertThat(read.values()).isEqualTo(values);
            assertThat(saved.values()).isEqualTo(values);
            assertThat(read.metadata()).isEqualTo(META);
            assertThat(read).isEqualTo(saved);
        }

        @Test
        void onlyTheScorerValueAndSourceAreRequired(AgentStore store) {
            Score saved = store.scores().save(NewScore.builder(scorer(), -3.5e10).build());

            Score read = store.scores().get(saved.id()).orElseThrow();
            assertThat(read.value()).isEqualTo(-3.5e10);
            assertThat(read.source()).isEqualTo(ScoreSource.LIVE);
            assertThat(read.reason()).isNull();
            assertThat(read.input()).isNull();
            assertThat(read.entityId()).isNull();
            assertThat(read.traceId()).isNull();
        }

        @Test
        void eachScoreGetsItsOwnId(AgentStore store) {
            String s = scorer();
            Score a = store.scores().save(NewScore.builder(s, 1).build());
            Score b = store.scores().save(NewScore.builder(s, 1).build());

            assertThat(a.id()).isNotEqualTo(b.id());
        }

        @Test
        void aSaveInsideAUnitOfWorkIsRolledBackWithIt(AgentStore store) {
            String s = scorer();
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                uow.scores().save(NewScore.builder(s, 1).build());
                throw new IllegalStateException("abort");
            })).isInstanceOf(IllegalStateException.class);

            assertThat(store.scores().listByScorer(s, null, PageRequest.first()).total()).isZero();
        }
    }

    @Nested
    class Get {

        @Test
        void anUnknownIdIsEmpty(AgentStore store) {
            assertThat(store.scores().get(UUID.randomUUID())).isEmpty();
        }

        @Test
        void aNullIdIsRefused(AgentStore store) {
            assertThatThrownBy(() -> store.scores().get(null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("id");
        }
    }

    @Nested
    class Listings {

        @Test
        void byScorerNewestFirstInPagesWithTheTotal(AgentStore store, MutableClock clock) {
            String s = scorer();
            clock.set(Instant.parse("2026-03-02T00:00:00Z"));
            List<Score> saved = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                clock.advance(Duration.ofSeconds(1));
                saved.add(store.scores().save(NewScore.builder(s, i).build()));
            }

            Page<Score> first = store.scores().listByScorer(s, null, PageRequest.of(0, 2));
            Page<Score> last = store.scores().listByScorer(s, null, PageRequest.of(2, 2));
            Page<Score> beyond = store.scores().listByScorer(s, null, PageRequest.of(3, 2));

            assertThat(first.items()).extracting(Score::value).containsExactly(4.0, 3.0);
            assertThat(first.total()).isEqualTo(5);
            assertThat(first.hasMore()).isTrue();
            assertThat(last.items()).extracting(Score::id).containsExactly(saved.get(0).id());
            assertThat(last.hasMore()).isFalse();
            assertThat(beyond.items()).isEmpty();
            assertThat(beyond.total()).isEqualTo(5);
        }

        @Test
        void byScorerFiltersBySource(AgentStore store) {
            String s = scorer();
            store.scores().save(NewScore.builder(s, 1).source(ScoreSource.LIVE).build());
            store.scores().save(NewScore.builder(s, 2).source(ScoreSource.TEST).build());

            assertThat(store.scores().listByScorer(s, ScoreSource.TEST, PageRequest.first()).items())
                    .extracting(Score::value).containsExactly(2.0);
            assertThat(store.scores().listByScorer(s, null, PageRequest.first()).total()).isEqualTo(2);
        }

        @Test
        void byRunEntityAndSpanReturnOnlyTheirScores(AgentStore store) {
            String s = scorer();
            String trace = UUID.randomUUID().toString().replace("-", "");
            Score scored = store.scores().save(NewScore.builder(s, 1).runId("run-" + s).entity("AGENT", s)
                    .span(trace, SPAN).build());
            store.scores().save(NewScore.builder(s, 2).runId("other-" + s).entity("WORKFLOW", s)
                    .span(trace, "1111111111111111").build());
            store.scores().save(NewScore.builder(s, 3).build());

            assertThat(store.scores().listByRun("run-" + s, PageRequest.first()).items()).containsExactly(scored);
            assertThat(store.scores().listByEntity("AGENT", s, PageRequest.first()).items()).containsExactly(scored);
            assertThat(store.scores().listBySpan(trace, SPAN, PageRequest.first()).items()).containsExactly(scored);
            assertThat(store.scores().listByRun("none-" + s, PageRequest.first()).items()).isEmpty();
        }

        @Test
        void listedScoresCarryEveryValue(AgentStore store) {
            String s = scorer();
            NewScore values = full(s);
            store.scores().save(values);

            assertThat(store.scores().listByRun("run-" + s, PageRequest.first()).items().get(0).values())
                    .isEqualTo(values);
        }

        @Test
        void badArgumentsAreRefused(AgentStore store) {
            assertThatThrownBy(() -> store.scores().listByScorer(" ", null, PageRequest.first()))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("scorerId");
            assertThatThrownBy(() -> store.scores().listByScorer("s", null, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("page");
            assertThatThrownBy(() -> store.scores().listByEntity("AGENT", null, PageRequest.first()))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("entityId");
            assertThatThrownBy(() -> store.scores().listBySpan(TRACE.toUpperCase(), SPAN, PageRequest.first()))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("traceId");
            assertThatThrownBy(() -> store.scores().listBySpan(TRACE, "00f067aa", PageRequest.first()))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("spanId");
            assertThatThrownBy(() -> store.scores().listBySpan(TRACE, null, PageRequest.first()))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("spanId");
        }
    }

    @Nested
    class Validation {

        @Test
        void aScoreMustBeAFiniteNumber() {
            for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
                assertThatThrownBy(() -> NewScore.builder("s", bad).build())
                        .isInstanceOf(InvalidInputException.class).hasMessageContaining("value");
            }
        }

        @Test
        void idsAndNamesAreChecked() {
            assertThatThrownBy(() -> NewScore.builder("", 1).build()).hasMessageContaining("scorerId");
            assertThatThrownBy(() -> NewScore.builder("s", 1).source(null).build()).hasMessageContaining("source");
            assertThatThrownBy(() -> NewScore.builder("s", 1).entity("AGENT", null).build())
                    .hasMessageContaining("entityType");
            assertThatThrownBy(() -> NewScore.builder("s", 1).span(null, SPAN).build())
                    .hasMessageContaining("spanId");
            assertThatThrownBy(() -> NewScore.builder("s", 1).span("0".repeat(32), null).build())
                    .hasMessageContaining("traceId").hasMessageContaining("zeros");
            assertThatThrownBy(() -> NewScore.builder("s", 1).span(TRACE, "0".repeat(16)).build())
                    .hasMessageContaining("spanId");
            assertThatThrownBy(() -> NewScore.builder("s", 1).span(TRACE + "0", null).build())
                    .hasMessageContaining("traceId");
            assertThatThrownBy(() -> NewScore.builder("s", 1).runId("x".repeat(256)).build())
                    .hasMessageContaining("runId");
            assertThatThrownBy(() -> NewScore.builder("s", 1).reason("a\u0000b").build())
                    .hasMessageContaining("reason");
        }

        @Test
        void objectFieldsMustBeJsonObjects() {
            assertThatThrownBy(() -> NewScore.builder("s", 1).metadata(Json.parse("m", "[1]")).build())
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("metadata");
            assertThatThrownBy(() -> NewScore.builder("s", 1).analyzeStepResult(Json.parse("a", "1")).build())
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("analyzeStepResult");
        }

        @Test
        void jsonBreakingTheStoresLimitsWritesNothing(AgentStore store) {
            String s = scorer();
            JsonNode nul = Json.parse("input", "{\"a\":\"x\\u0000y\"}");

            assertThatThrownBy(() -> store.scores().save(NewScore.builder(s, 1).input(nul).build()))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("input");
            assertThat(store.scores().listByScorer(s, null, PageRequest.first()).total()).isZero();
        }

        @Test
        void aNullScoreIsRefused(AgentStore store) {
            assertThatThrownBy(() -> store.scores().save(null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("score");
        }
    }

    @Nested
    class Statistics {

        @Test
        void countMeanAndPercentilesPerHourMatchJava(AgentStore store, MutableClock clock) {
            String s = scorer();
            Instant start = Instant.parse("2026-04-01T00:00:00Z");
            Random random = new Random(15);
            Map<Instant, List<Double>> byHour = new TreeMap<>();
            for (int i = 0; i < 120; i++) {
                Instant at = start.plusSeconds(random.nextInt(3 * 3600));
                double value = Math.round(random.nextDouble() * 1000) / 1000.0;
                clock.set(at);
                store.scores().save(NewScore.builder(s, value).build());
                byHour.computeIfAbsent(at.truncatedTo(java.time.temporal.ChronoUnit.HOURS), h -> new ArrayList<>())
                        .add(value);
            }

            List<ScoreStatistics> stats = store.scores().statistics(s, null, start, start.plus(Duration.ofDays(1)),
                    Duration.ofHours(1));

            assertThat(stats).extracting(ScoreStatistics::bucketStart).containsExactlyElementsOf(byHour.keySet());
            for (ScoreStatistics st : stats) {
                double[] values = byHour.get(st.bucketStart()).stream().mapToDouble(Double::doubleValue).sorted()
                        .toArray();
                assertThat(st.scorerId()).isEqualTo(s);
                assertThat(st.count()).isEqualTo(values.length);
                assertThat(st.mean()).isCloseTo(Arrays.stream(values).average().orElseThrow(), within(1e-9));
                assertThat(st.min()).isEqualTo(values[0]);
                assertThat(st.max()).isEqualTo(values[values.length - 1]);
                assertThat(st.p50()).isCloseTo(percentileCont(values, 0.5), within(1e-9));
                assertThat(st.p90()).isCloseTo(percentileCont(values, 0.9), within(1e-9));
                assertThat(st.p99()).isCloseTo(percentileCont(values, 0.99), within(1e-9));
            }
        }

        @Test
        void withoutABucketOneRowPerScorerOverTheRange(AgentStore store, MutableClock clock) {
            String a = scorer();
            String b = scorer();
            clock.set(Instant.parse("2026-04-02T00:00:00Z"));
            for (double v : new double[] {1, 2, 3, 10}) {
                store.scores().save(NewScore.builder(a, v).build());
            }
            store.scores().save(NewScore.builder(b, 5).source(ScoreSource.TEST).build());
            store.scores().save(NewScore.builder(b, 7).source(ScoreSource.LIVE).build());

            ScoreStatistics onlyA = store.scores().statistics(a, null, null, null, null).get(0);
            List<ScoreStatistics> testOfB = store.scores().statistics(b, ScoreSource.TEST, null, null, null);

            assertThat(onlyA.bucketStart()).isNull();
            assertThat(onlyA.count()).isEqualTo(4);
            assertThat(onlyA.mean()).isEqualTo(4.0);
            assertThat(onlyA.p50()).isEqualTo(2.5);
            assertThat(onlyA.p90()).isCloseTo(percentileCont(new double[] {1, 2, 3, 10}, 0.9), within(1e-9));
            assertThat(testOfB).singleElement().satisfies(st -> {
                assertThat(st.count()).isEqualTo(1);
                assertThat(st.mean()).isEqualTo(5.0);
            });
            assertThat(store.scores().statistics(null, null, null, null, null))
                    .extracting(ScoreStatistics::scorerId).contains(a, b).isSorted();
        }

        @Test
        void theRangeIsHalfOpen(AgentStore store, MutableClock clock) {
            String s = scorer();
            Instant t = Instant.parse("2026-04-03T00:00:00Z");
            clock.set(t);
            store.scores().save(NewScore.builder(s, 1).build());
            clock.set(t.plusSeconds(60));
            store.scores().save(NewScore.builder(s, 2).build());

            assertThat(store.scores().statistics(s, null, t, t.plusSeconds(60), null))
                    .singleElement().extracting(ScoreStatistics::count).isEqualTo(1L);
            assertThat(store.scores().statistics(s, null, t.plusSeconds(1), t.plusSeconds(61), null))
                    .singleElement().extracting(ScoreStatistics::mean).isEqualTo(2.0);
            assertThat(store.scores().statistics(s, null, t.minusSeconds(60), t, null)).isEmpty();
        }

        @Test
        void badArgumentsAreRefused(AgentStore store) {
            Instant t = Instant.parse("2026-04-03T00:00:00Z");
            assertThatThrownBy(() -> store.scores().statistics(null, null, t, t, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("from");
            assertThatThrownBy(() -> store.scores().statistics(null, null, null, null, Duration.ofMillis(1500)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("bucket");
            assertThatThrownBy(() -> store.scores().statistics(null, null, null, null, Duration.ZERO))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("bucket");
            assertThatThrownBy(() -> store.scores().statistics(null, null, Instant.MIN, null, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("from");
        }
    }

    @Nested
    class Prune {

        @Test
        void deletesScoresOlderThanTheCutoffAndReturnsTheCount(AgentStore store, MutableClock clock) {
            String s = scorer();
            Instant t = Instant.parse("2001-01-01T00:00:00Z");
            List<Score> saved = new ArrayList<>();
            for (int day = 0; day < 5; day++) {
                clock.set(t.plus(Duration.ofDays(day)));
                saved.add(store.scores().save(NewScore.builder(s, day).build()));
            }

            Instant cutoff = t.plus(Duration.ofDays(3));
            long older = store.scores().statistics(null, null, null, cutoff, null).stream()
                    .mapToLong(ScoreStatistics::count).sum();

            long pruned = store.scores().prune(cutoff);

            assertThat(older).isGreaterThanOrEqualTo(3); // other tests of the class may have saved older scores
            assertThat(pruned).isEqualTo(older);
            assertThat(store.scores().statistics(null, null, null, cutoff, null)).isEmpty();
            assertThat(store.scores().listByScorer(s, null, PageRequest.first()).items())
                    .extracting(Score::id).containsExactly(saved.get(4).id(), saved.get(3).id());
            assertThat(store.scores().prune(t.plus(Duration.ofDays(3)))).isZero();
        }

        @Test
        void aNullCutoffIsRefused(AgentStore store) {
            assertThatThrownBy(() -> store.scores().prune(null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("olderThan");
        }
    }

    /** PostgreSQL's {@code percentile_cont}: linear interpolation at position {@code p * (n - 1)}. */
    static double percentileCont(double[] sorted, double p) {
        double position = p * (sorted.length - 1);
        int lower = (int) Math.floor(position);
        int upper = (int) Math.ceil(position);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }

}
