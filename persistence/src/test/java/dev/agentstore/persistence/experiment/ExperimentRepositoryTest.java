package dev.agentstore.persistence.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.dataset.ItemChange;
import dev.agentstore.domain.experiment.Experiment;
import dev.agentstore.domain.experiment.ExperimentResult;
import dev.agentstore.domain.experiment.ExperimentStatus;
import dev.agentstore.domain.experiment.ExperimentSummary;
import dev.agentstore.domain.experiment.ExperimentSummary.ScoreStatistics;
import dev.agentstore.domain.experiment.ExperimentTarget;
import dev.agentstore.domain.experiment.ResultValues;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.observability.Score;
import dev.agentstore.domain.observability.ScoreSource;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.Race;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

@ExtendWith(AgentStoreExtension.class)
class ExperimentRepositoryTest {

    static final ExperimentTarget AGENT = new ExperimentTarget("agent", "support-agent", 3);
    static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

    static JsonNode json(String text) {
        return Json.parse("json", text);
    }

    /** A dataset with items i0..i(n-1) at version 1; returns its id. */
    static String dataset(AgentStore store, int items) {
        String id = "ds-" + UUID.randomUUID();
        store.datasets().create(id, "questions", null, null);
        List<ItemChange> adds = new ArrayList<>();
        IntStream.range(0, items).forEach(i -> adds.add(ItemChange.add("i" + i, json("{\"n\":" + i + "}"), null,
                null)));
        store.datasets().apply(id, adds);
        return id;
    }

    @Nested
    class Create {

        @Test
        void aCreatedExperimentIsPendingAndReadsBack(AgentStore store, MutableClock clock) {
            String ds = dataset(store, 2);

            Experiment created = store.experiments().create("exp-create", "baseline", ds, 1, AGENT,
                    json("{\"branch\":\"main\"}"));

            Experiment read = store.experiments().get("exp-create").orElseThrow();
            assertThat(read.status()).isEqualTo(ExperimentStatus.PENDING);
            assertThat(read.target()).isEqualTo(AGENT);
            assertThat(read.datasetId()).isEqualTo(ds);
            assertThat(read.datasetVersion()).isEqualTo(1);
            assertThat(read.name()).isEqualTo("baseline");
            assertThat(read.metadata()).isEqualTo(json("{\"branch\":\"main\"}"));
            assertThat(read.createdAt()).isEqualTo(clock.instant()).isEqualTo(created.createdAt());
            assertThat(read.startedAt()).isNull();
            assertThat(read.version()).isZero();
        }

        @Test
        void aNullIdGetsARandomOne(AgentStore store) {
            Experiment e = store.experiments().create(null, null, dataset(store, 1), 1, AGENT, null);

            assertThat(UUID.fromString(e.id())).isNotNull();
            assertThat(store.experiments().get(e.id())).isPresent();
        }

        @Test
        void aMissingDatasetOrVersionIsNotFoundAndADuplicateIdIsRefused(AgentStore store) {
            String ds = dataset(store, 1);
            store.experiments().create("exp-dup", null, ds, 1, AGENT, null);

            assertThatThrownBy(() -> store.experiments().create("exp-x", null, ds, 2, AGENT, null))
                    .isInstanceOf(NotFoundException.class).hasMessageContaining("version 2");
            assertThatThrownBy(() -> store.experiments().create("exp-x", null, "ds-none", 1, AGENT, null))
                    .isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> store.experiments().create("exp-dup", null, ds, 1, AGENT, null))
                    .isInstanceOf(DuplicateException.class);
            assertThat(store.experiments().get("exp-x")).isEmpty();
        }

        @Test
        void invalidValuesAreRejected(AgentStore store) {
            String ds = dataset(store, 1);

            assertThatThrownBy(() -> new ExperimentTarget("Agent!", "a", 1))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("target kind");
            assertThatThrownBy(() -> new ExperimentTarget("agent", "a", 0))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("target version");
            assertThatThrownBy(() -> store.experiments().create("e", null, ds, 0, AGENT, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("datasetVersion");
            assertThatThrownBy(() -> store.experiments().create("e", null, ds, 1, null, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("target");
            assertThatThrownBy(() -> store.experiments().create("e", null, ds, 1, AGENT, json("[]")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("metadata");
            assertThat(store.experiments().get("e")).isEmpty();
        }
    }

    @Nested
    class Status {

        @Test
        void anExperimentMovesPendingRunningCompletedWithItsTimes(AgentStore store, MutableClock clock) {
            Experiment e = store.experiments().create(null, null, dataset(store, 1), 1, AGENT, null);
            clock.advance(Duration.ofSeconds(5));
            Instant started = clock.instant();

            Experiment running = store.experiments().start(e.id());
            clock.advance(Duration.ofSeconds(5));
            Experiment completed = store.experiments().complete(e.id());

            assertThat(running.status()).isEqualTo(ExperimentStatus.RUNNING);
            assertThat(running.startedAt()).isEqualTo(started);
            assertThat(completed.status()).isEqualTo(ExperimentStatus.COMPLETED);
            assertThat(completed.completedAt()).isEqualTo(clock.instant());
            assertThat(completed.version()).isEqualTo(2);
            assertThat(store.experiments().get(e.id()).orElseThrow().status()).isEqualTo(ExperimentStatus.COMPLETED);
        }

        @Test
        void aPendingOrRunningExperimentCanFailWithTheRunsError(AgentStore store) {
            String ds = dataset(store, 1);
            Experiment pending = store.experiments().create(null, null, ds, 1, AGENT, null);
            Experiment running = store.experiments().create(null, null, ds, 1, AGENT, null);
            store.experiments().start(running.id());

            assertThat(store.experiments().fail(pending.id(), "no model").error()).isEqualTo("no model");
            assertThat(store.experiments().fail(running.id(), "quota").status()).isEqualTo(ExperimentStatus.FAILED);
            assertThat(store.experiments().get(running.id()).orElseThrow().completedAt()).isNotNull();
        }

        @Test
        void aMoveFromTheWrongStatusIsRefusedNamingTheStatusFound(AgentStore store) {
            Experiment e = store.experiments().create(null, null, dataset(store, 1), 1, AGENT, null);

            assertThatThrownBy(() -> store.experiments().complete(e.id()))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("cannot move from PENDING to COMPLETED");
            store.experiments().start(e.id());
            store.experiments().complete(e.id());
            assertThatThrownBy(() -> store.experiments().fail(e.id(), "late"))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("from COMPLETED");
            assertThatThrownBy(() -> store.experiments().start("exp-none")).isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> store.experiments().fail(e.id(), " ")).isInstanceOf(InvalidInputException.class);
        }

        @Test
        void ofConcurrentStartsExactlyOneWins(AgentStore store) throws Exception {
            Experiment e = store.experiments().create(null, null, dataset(store, 1), 1, AGENT, null);

            List<Boolean> won = Race.run(8, t -> () -> {
                try {
                    store.experiments().start(e.id());
                    return true;
                } catch (InvalidInputException lost) {
                    return false;
                }
            });

            assertThat(won).containsOnlyOnce(true);
            assertThat(store.experiments().get(e.id()).orElseThrow().version()).isEqualTo(1);
        }
    }

    @Nested
    class Results {

        @Test
        void anUpsertedResultReadsBackAndASecondUpsertReplacesIt(AgentStore store, MutableClock clock) {
            Experiment e = store.experiments().create(null, null, dataset(store, 2), 1, AGENT, null);
            Instant first = clock.instant();
            store.experiments().upsertResult(e.id(), "i0", ResultValues.failed("timeout", 30_000L, null));
            clock.advance(Duration.ofSeconds(1));

            ExperimentResult again = store.experiments().upsertResult(e.id(), "i0",
                    ResultValues.succeeded(json("{\"answer\":\"Paris\"}"), 120L, TRACE, Map.of("accuracy", 1.0)));

            ExperimentResult read = store.experiments().result(e.id(), "i0").orElseThrow();
            assertThat(read.id()).isEqualTo(again.id());
            assertThat(read.output()).isEqualTo(json("{\"answer\":\"Paris\"}"));
            assertThat(read.latencyMs()).isEqualTo(120L);
            assertThat(read.error()).isNull();
            assertThat(read.succeeded()).isTrue();
            assertThat(read.traceId()).isEqualTo(TRACE);
            assertThat(read.scores()).isEqualTo(json("{\"accuracy\":1.0}"));
            assertThat(read.createdAt()).isEqualTo(first);
            assertThat(read.updatedAt()).isEqualTo(clock.instant());
            assertThat(store.experiments().results(e.id(), null, 10)).hasSize(1);
        }

        @Test
        void concurrentUpsertsOfOneItemLeaveOneRow(AgentStore store) throws Exception {
            Experiment e = store.experiments().create(null, null, dataset(store, 1), 1, AGENT, null);

            Race.run(8, t -> () -> store.experiments().upsertResult(e.id(), "i0",
                    ResultValues.succeeded(json(String.valueOf(t)), (long) t, null, null)));

            List<ExperimentResult> results = store.experiments().results(e.id(), null, 10);
            assertThat(results).hasSize(1);
            assertThat(results.get(0).latencyMs()).isEqualTo(results.get(0).output().asLong());
        }

        @Test
        void anItemOutsideTheExperimentsDatasetVersionIsNotFound(AgentStore store) {
            String ds = dataset(store, 1);
            Experiment e = store.experiments().create(null, null, ds, 1, AGENT, null);
            store.datasets().addItem(ds, ItemChange.add("later", json("1"), null, null));

            assertThatThrownBy(() -> store.experiments().upsertResult(e.id(), "later",
                    ResultValues.succeeded(null, null, null, null))).isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> store.experiments().upsertResult("exp-none", "i0",
                    ResultValues.succeeded(null, null, null, null))).isInstanceOf(NotFoundException.class);
            assertThat(store.experiments().results(e.id(), null, 10)).isEmpty();
        }

        @Test
        void resultsPageByItemId(AgentStore store) {
            Experiment e = store.experiments().create(null, null, dataset(store, 5), 1, AGENT, null);
            for (int i = 0; i < 5; i++) {
                store.experiments().upsertResult(e.id(), "i" + i, ResultValues.succeeded(null, 1L, null, null));
            }

            List<ExperimentResult> first = store.experiments().results(e.id(), null, 3);
            List<ExperimentResult> rest = store.experiments().results(e.id(), first.get(2).itemId(), 3);

            assertThat(first).extracting(ExperimentResult::itemId).containsExactly("i0", "i1", "i2");
            assertThat(rest).extracting(ExperimentResult::itemId).containsExactly("i3", "i4");
        }

        @Test
        void invalidResultValuesAreRejected() {
            assertThatThrownBy(() -> ResultValues.succeeded(null, -1L, null, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("latencyMs");
            assertThatThrownBy(() -> ResultValues.succeeded(null, null, "ABC", null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("traceId");
            assertThatThrownBy(() -> ResultValues.succeeded(null, null, "0".repeat(32), null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("traceId");
            assertThatThrownBy(() -> new ResultValues(null, null, null, null, json("{\"s\":\"high\"}")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("finite number");
            assertThatThrownBy(() -> new ResultValues(null, null, null, null, json("[1]")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("scores");
            assertThatThrownBy(() -> ResultValues.failed("", null, null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("error");
        }
    }

    @Nested
    class Summary {

        @Test
        void theSummaryCountsOutcomesAndComputesLatencyPercentilesAndScoreStatistics(AgentStore store) {
            Experiment e = store.experiments().create(null, null, dataset(store, 12), 1, AGENT, null);
            for (int i = 0; i < 10; i++) {
                store.experiments().upsertResult(e.id(), "i" + i, i < 8
                        ? ResultValues.succeeded(json("1"), (i + 1) * 10L, null,
                        i < 4 ? Map.of("accuracy", i / 4.0, "tone", 1.0) : Map.of("accuracy", 1.0))
                        : ResultValues.failed("boom", (i + 1) * 10L, null));
            }

            ExperimentSummary s = store.experiments().summary(e.id());

            assertThat(s.items()).isEqualTo(12);
            assertThat(s.results()).isEqualTo(10);
            assertThat(s.succeeded()).isEqualTo(8);
            assertThat(s.failed()).isEqualTo(2);
            assertThat(s.pending()).isEqualTo(2);
            assertThat(s.latencyP50Ms()).isCloseTo(55.0, within(1e-9));
            assertThat(s.latencyP90Ms()).isCloseTo(91.0, within(1e-9));
            assertThat(s.scores()).containsOnlyKeys("accuracy", "tone");
            ScoreStatistics accuracy = s.scores().get("accuracy");
            assertThat(accuracy.count()).isEqualTo(8);
            assertThat(accuracy.mean()).isCloseTo((0 + 0.25 + 0.5 + 0.75 + 4) / 8, within(1e-9));
            assertThat(accuracy.min()).isZero();
            assertThat(accuracy.max()).isEqualTo(1.0);
            assertThat(s.scores().get("tone")).isEqualTo(new ScoreStatistics(4, 1.0, 1.0, 1.0));
        }

        @Test
        void anExperimentWithoutResultsHasNoLatencyNorScores(AgentStore store) {
            Experiment e = store.experiments().create(null, null, dataset(store, 3), 1, AGENT, null);

            ExperimentSummary s = store.experiments().summary(e.id());

            assertThat(s.pending()).isEqualTo(3);
            assertThat(s.results()).isZero();
            assertThat(s.latencyP50Ms()).isNull();
            assertThat(s.latencyP90Ms()).isNull();
            assertThat(s.scores()).isEmpty();
            assertThatThrownBy(() -> store.experiments().summary("exp-none")).isInstanceOf(NotFoundException.class);
        }
    }

    @Nested
    class ListDeletePrune {

        @Test
        void experimentsOfADatasetArePagedNewestFirst(AgentStore store, MutableClock clock) {
            String ds = dataset(store, 1);
            for (int i = 0; i < 5; i++) {
                store.experiments().create("list-" + i, null, ds, 1, AGENT, null);
                clock.advance(Duration.ofSeconds(1));
            }
            store.experiments().create(null, null, dataset(store, 1), 1, AGENT, null);

            Page<Experiment> first = store.experiments().listByDataset(ds, PageRequest.of(0, 2));
            Page<Experiment> last = store.experiments().listByDataset(ds, PageRequest.of(2, 2));

            assertThat(first.items()).extracting(Experiment::id).containsExactly("list-4", "list-3");
            assertThat(first.total()).isEqualTo(5);
            assertThat(first.hasMore()).isTrue();
            assertThat(last.items()).extracting(Experiment::id).containsExactly("list-0");
            assertThat(last.hasMore()).isFalse();
        }

        @Test
        void deleteRemovesTheExperimentAndItsResults(AgentStore store) {
            Experiment e = store.experiments().create(null, null, dataset(store, 1), 1, AGENT, null);
            store.experiments().upsertResult(e.id(), "i0", ResultValues.succeeded(null, null, null, null));

            assertThat(store.experiments().delete(e.id())).isTrue();
            assertThat(store.experiments().delete(e.id())).isFalse();
            assertThat(store.experiments().result(e.id(), "i0")).isEmpty();
        }

        @Test
        void deletingTheDatasetDeletesItsExperiments(AgentStore store) {
            String ds = dataset(store, 1);
            Experiment e = store.experiments().create(null, null, ds, 1, AGENT, null);

            store.datasets().delete(ds);

            assertThat(store.experiments().get(e.id())).isEmpty();
        }

        @Test
        void pruneDeletesOnlyExperimentsThatEndedBeforeTheCutOff(AgentStore store, MutableClock clock) {
            String ds = dataset(store, 1);
            Experiment old = store.experiments().create(null, null, ds, 1, AGENT, null);
            store.experiments().start(old.id());
            store.experiments().complete(old.id());
            store.experiments().upsertResult(old.id(), "i0", ResultValues.succeeded(null, null, null, null));
            Experiment oldFailed = store.experiments().create(null, null, ds, 1, AGENT, null);
            store.experiments().fail(oldFailed.id(), "x");
            Experiment stillRunning = store.experiments().create(null, null, ds, 1, AGENT, null);
            store.experiments().start(stillRunning.id());
            clock.advance(Duration.ofDays(30));
            Instant cutOff = clock.instant();
            Experiment recent = store.experiments().create(null, null, ds, 1, AGENT, null);
            store.experiments().fail(recent.id(), "y");

            assertThat(store.experiments().prune(cutOff)).isEqualTo(2);
            assertThat(store.experiments().get(old.id())).isEmpty();
            assertThat(store.experiments().result(old.id(), "i0")).isEmpty();
            assertThat(store.experiments().get(oldFailed.id())).isEmpty();
            assertThat(store.experiments().get(stillRunning.id())).isPresent();
            assertThat(store.experiments().get(recent.id())).isPresent();
            assertThatThrownBy(() -> store.experiments().prune(null)).isInstanceOf(InvalidInputException.class);
        }
    }

    /** The link between results' scores and the observability {@code scores} table. */
    @Nested
    class ScoresTable {

        List<Score> scoresOf(AgentStore store, String experimentId) {
            return store.scores().listByEntity("EXPERIMENT", experimentId, PageRequest.of(0, 100)).items();
        }

        @Test
        void aResultsScoresAreSavedAsTestScoresOfTheExperiment(AgentStore store, MutableClock clock) {
            Experiment e = store.experiments().create(null, null, dataset(store, 2), 1, AGENT, null);

            store.experiments().upsertResult(e.id(), "i0",
                    ResultValues.succeeded(json("1"), 5L, TRACE, Map.of("accuracy", 0.5, "tone", 1.0)));
            store.experiments().upsertResult(e.id(), "i1", ResultValues.succeeded(json("2"), 5L, null, null));

            List<Score> scores = scoresOf(store, e.id());
            assertThat(scores).extracting(Score::scorerId).containsExactlyInAnyOrder("accuracy", "tone");
            Score accuracy = scores.stream().filter(s -> s.scorerId().equals("accuracy")).findFirst().orElseThrow();
            assertThat(accuracy.value()).isEqualTo(0.5);
            assertThat(accuracy.source()).isEqualTo(ScoreSource.TEST);
            assertThat(accuracy.entityType()).isEqualTo("EXPERIMENT");
            assertThat(accuracy.entityId()).isEqualTo(e.id());
            assertThat(accuracy.runId()).isEqualTo(e.id());
            assertThat(accuracy.traceId()).isEqualTo(TRACE);
            assertThat(accuracy.spanId()).isNull();
            assertThat(accuracy.metadata()).isEqualTo(json("{\"itemId\":\"i0\"}"));
            assertThat(accuracy.createdAt()).isEqualTo(clock.instant());
            assertThat(store.scores().get(accuracy.id())).contains(accuracy);
            assertThat(store.scores().listByRun(e.id(), PageRequest.of(0, 100)).items())
                    .containsExactlyInAnyOrderElementsOf(scores);
        }

        @Test
        void reUpsertingAResultReplacesItsItemsScoresOnly(AgentStore store) {
            Experiment e = store.experiments().create(null, null, dataset(store, 2), 1, AGENT, null);
            store.experiments().upsertResult(e.id(), "i0",
                    ResultValues.succeeded(null, null, null, Map.of("accuracy", 0.5, "tone", 1.0)));
            store.experiments().upsertResult(e.id(), "i1",
                    ResultValues.succeeded(null, null, null, Map.of("accuracy", 0.25)));

            store.experiments().upsertResult(e.id(), "i0",
                    ResultValues.succeeded(null, null, TRACE, Map.of("accuracy", 0.75)));

            assertThat(scoresOf(store, e.id()))
                    .extracting(s -> s.metadata().get("itemId").asText() + ":" + s.scorerId() + "=" + s.value())
                    .containsExactlyInAnyOrder("i0:accuracy=0.75", "i1:accuracy=0.25");

            store.experiments().upsertResult(e.id(), "i0", ResultValues.failed("boom", null, null));

            assertThat(scoresOf(store, e.id())).extracting(s -> s.metadata().get("itemId").asText())
                    .containsExactly("i1");
        }

        @Test
        void concurrentUpsertsOfOneItemLeaveOneScoreRowPerScorer(AgentStore store) throws Exception {
            Experiment e = store.experiments().create(null, null, dataset(store, 1), 1, AGENT, null);

            Race.run(8, t -> () -> store.experiments().upsertResult(e.id(), "i0",
                    ResultValues.succeeded(null, null, null, Map.of("accuracy", (double) t, "tone", 1.0))));

            List<Score> scores = scoresOf(store, e.id());
            assertThat(scores).extracting(Score::scorerId).containsExactlyInAnyOrder("accuracy", "tone");
            ExperimentResult result = store.experiments().result(e.id(), "i0").orElseThrow();
            assertThat(scores.stream().filter(s -> s.scorerId().equals("accuracy")).findFirst().orElseThrow()
                    .value()).isEqualTo(result.scores().get("accuracy").asDouble());
        }

        @Test
        void theSummaryAgreesWithTheScoresRows(AgentStore store) {
            Experiment e = store.experiments().create(null, null, dataset(store, 6), 1, AGENT, null);
            for (int i = 0; i < 6; i++) {
                store.experiments().upsertResult(e.id(), "i" + i, ResultValues.succeeded(null, null, null,
                        i % 2 == 0 ? Map.of("accuracy", i / 7.0, "tone", 0.1 * i) : Map.of("accuracy", 0.3)));
            }
            store.experiments().upsertResult(e.id(), "i2",
                    ResultValues.succeeded(null, null, null, Map.of("accuracy", 0.9)));

            Map<String, ScoreStatistics> fromRows = scoresOf(store, e.id()).stream().collect(Collectors.groupingBy(
                    Score::scorerId, Collectors.collectingAndThen(Collectors.summarizingDouble(Score::value),
                            d -> new ScoreStatistics(d.getCount(), d.getAverage(), d.getMin(), d.getMax()))));
            Map<String, ScoreStatistics> summary = store.experiments().summary(e.id()).scores();

            assertThat(summary).containsOnlyKeys(fromRows.keySet());
            fromRows.forEach((scorer, expected) -> {
                ScoreStatistics actual = summary.get(scorer);
                assertThat(actual.count()).isEqualTo(expected.count());
                assertThat(actual.mean()).isCloseTo(expected.mean(), within(1e-9));
                assertThat(actual.min()).isEqualTo(expected.min());
                assertThat(actual.max()).isEqualTo(expected.max());
            });
            assertThat(summary.get("accuracy").count()).isEqualTo(6);
            assertThat(summary.get("tone").count()).isEqualTo(2);
        }

        @Test
        void aRolledBackUpsertLeavesNeitherResultNorScores(AgentStore store) {
            String ds = dataset(store, 1);
            Experiment e = store.experiments().create(null, null, ds, 1, AGENT, null);

            assertThatThrownBy(() -> store.inTransaction(uow -> {
                uow.experiments().upsertResult(e.id(), "i0",
                        ResultValues.succeeded(null, null, TRACE, Map.of("accuracy", 1.0)));
                throw new IllegalStateException("the caller fails after the upsert");
            })).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> store.experiments().upsertResult(e.id(), "missing",
                    ResultValues.succeeded(null, null, null, Map.of("accuracy", 1.0))))
                    .isInstanceOf(NotFoundException.class);

            assertThat(store.experiments().result(e.id(), "i0")).isEmpty();
            assertThat(scoresOf(store, e.id())).isEmpty();
            assertThat(store.scores().listBySpan(TRACE, "00f067aa0ba902b7", PageRequest.of(0, 10)).items())
                    .isEmpty();
        }

        @Test
        void deletingOrPruningAnExperimentDeletesItsScoresOnly(AgentStore store, MutableClock clock) {
            String ds = dataset(store, 1);
            Experiment deleted = store.experiments().create(null, null, ds, 1, AGENT, null);
            Experiment pruned = store.experiments().create(null, null, ds, 1, AGENT, null);
            Experiment kept = store.experiments().create(null, null, ds, 1, AGENT, null);
            for (Experiment e : List.of(deleted, pruned, kept)) {
                store.experiments().upsertResult(e.id(), "i0",
                        ResultValues.succeeded(null, null, null, Map.of("accuracy", 1.0)));
            }
            store.experiments().fail(pruned.id(), "x");
            clock.advance(Duration.ofDays(1));

            assertThat(store.experiments().delete(deleted.id())).isTrue();
            assertThat(store.experiments().prune(clock.instant())).isEqualTo(1);

            assertThat(scoresOf(store, deleted.id())).isEmpty();
            assertThat(store.scores().listByRun(deleted.id(), PageRequest.of(0, 10)).total()).isZero();
            assertThat(scoresOf(store, pruned.id())).isEmpty();
            assertThat(scoresOf(store, kept.id())).hasSize(1);
        }

        @Test
        void deletingTheDatasetDeletesItsExperimentsScores(AgentStore store) {
            String ds = dataset(store, 1);
            Experiment e = store.experiments().create(null, null, ds, 1, AGENT, null);
            store.experiments().upsertResult(e.id(), "i0",
                    ResultValues.succeeded(null, null, null, Map.of("accuracy", 1.0)));
            Experiment other = store.experiments().create(null, null, dataset(store, 1), 1, AGENT, null);
            store.experiments().upsertResult(other.id(), "i0",
                    ResultValues.succeeded(null, null, null, Map.of("accuracy", 1.0)));

            assertThat(store.datasets().delete(ds)).isTrue();

            assertThat(scoresOf(store, e.id())).isEmpty();
            assertThat(scoresOf(store, other.id())).hasSize(1);
            assertThat(store.datasets().delete(ds)).isFalse();
        }
    }
}
