package dev.agentstore.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.blob.Blob;
import dev.agentstore.domain.dataset.DatasetItem;
import dev.agentstore.domain.dataset.DatasetVersion;
import dev.agentstore.domain.dataset.ItemChange;
import dev.agentstore.domain.definition.Definition;
import dev.agentstore.domain.definition.DefinitionKind;
import dev.agentstore.domain.definition.DefinitionStatus;
import dev.agentstore.domain.experiment.Experiment;
import dev.agentstore.domain.experiment.ExperimentStatus;
import dev.agentstore.domain.experiment.ExperimentSummary;
import dev.agentstore.domain.experiment.ExperimentTarget;
import dev.agentstore.domain.experiment.ResultValues;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.observability.LlmUsageTotals;
import dev.agentstore.domain.observability.NewLlmUsage;
import dev.agentstore.domain.observability.NewScore;
import dev.agentstore.domain.observability.Score;
import dev.agentstore.domain.observability.ScoreStatistics;
import dev.agentstore.domain.observability.NewSpan;
import dev.agentstore.domain.observability.Span;
import dev.agentstore.domain.observability.SpanType;
import dev.agentstore.domain.observability.Trace;
import dev.agentstore.domain.observability.TraceQuery;
import dev.agentstore.domain.partition.Partition;
import dev.agentstore.domain.partition.PartitionWidth;
import dev.agentstore.domain.partition.PartitionedTable;
import dev.agentstore.persistence.blob.BlobRepository;
import dev.agentstore.persistence.dataset.DatasetRepository;
import dev.agentstore.persistence.definition.DefinitionRepository;
import dev.agentstore.persistence.experiment.ExperimentRepository;
import dev.agentstore.persistence.observability.LlmUsageRepository;
import dev.agentstore.persistence.observability.ScoreRepository;
import dev.agentstore.persistence.observability.SpanRepository;
import dev.agentstore.persistence.partition.PartitionRepository;
import dev.agentstore.persistence.support.PageRequest;
import jakarta.inject.Inject;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The release 0.5 repositories (datasets, experiments, definitions with JSON Schema validation and JSON Patch diffs,
 * blobs, scores, LLM usage) injected as CDI beans inside WildFly, in container JTA transactions, against the real
 * PostgreSQL. Deployed as the example WAR plus the test classes, so the WAR's {@code WEB-INF/lib} (zjsonpatch,
 * networknt json-schema-validator) and its {@code persistence.xml} (every entity class listed, validated at start)
 * are what is tested; distinct keys per test.
 */
@ExtendWith(ArquillianExtension.class)
class ContainerEvaluationTest {

    @Deployment
    static WebArchive deployment() {
        return Deployments.withTests("evaluation-it.war", ContainerEvaluationTest.class);
    }

    @Inject
    DatasetRepository datasets;

    @Inject
    ExperimentRepository experiments;

    @Inject
    DefinitionRepository definitions;

    @Inject
    BlobRepository blobs;

    @Inject
    ScoreRepository scores;

    @Inject
    LlmUsageRepository llmUsage;

    @Inject
    PartitionRepository partitions;

    @Inject
    SpanRepository spans;

    @Inject
    TxHelper tx;

    // ------------------------------------------------------------------ datasets and experiments

    @Test
    void aDatasetVersionedInOneTransactionRunsAnExperimentWhoseResultsAreSummarised() {
        DatasetVersion v2 = tx.inTransaction(() -> {
            datasets.create("it-ds", "QA", "questions", json("{\"team\":\"it\"}"));
            datasets.apply("it-ds", List.of(
                    ItemChange.add("q1", json("{\"q\":\"capital of France\"}"), json("\"Paris\""), null),
                    ItemChange.add("q2", json("{\"q\":\"2+2\"}"), json("4"), null)));
            return datasets.apply("it-ds", List.of(
                    ItemChange.update("q2", json("{\"q\":\"2+3\"}"), json("5"), null)));
        });
        assertThat(v2.version()).isEqualTo(2);
        assertThat(datasets.get("it-ds").orElseThrow().name()).isEqualTo("QA");
        assertThat(datasets.items("it-ds", 1, null, 10)).extracting(i -> i.input().get("q").asText())
                .containsExactly("capital of France", "2+2");
        assertThat(datasets.items("it-ds", 2, null, 10)).extracting(i -> i.input().get("q").asText())
                .containsExactly("capital of France", "2+3");
        assertThat(datasets.history("it-ds", "q2")).extracting(DatasetItem::validFrom).containsExactlyInAnyOrder(1, 2);

        Experiment created = tx.inTransaction(() -> {
            Experiment e = experiments.create("it-exp", "baseline", "it-ds", 2,
                    new ExperimentTarget("agent", "it-agent", 1), null);
            experiments.start(e.id());
            experiments.upsertResult(e.id(), "q1",
                    ResultValues.succeeded(json("\"Paris\""), 120L, null, Map.of("accuracy", 1.0)));
            experiments.upsertResult(e.id(), "q2", ResultValues.failed("timeout", 30_000L, null));
            return experiments.complete(e.id());
        });
        assertThat(created.status()).isEqualTo(ExperimentStatus.COMPLETED);
        assertThat(experiments.result("it-exp", "q1").orElseThrow().output()).isEqualTo(json("\"Paris\""));
        ExperimentSummary summary = experiments.summary("it-exp");
        assertThat(summary.items()).isEqualTo(2);
        assertThat(summary.succeeded()).isEqualTo(1);
        assertThat(summary.failed()).isEqualTo(1);
        assertThat(summary.scores().get("accuracy").mean()).isEqualTo(1.0);
    }

    // ------------------------------------------------------------------ definitions (JSON Schema, JSON Patch)

    @Test
    void definitionsAreValidatedVersionedPublishedAndDiffedWithTheWarsLibraries() {
        Definition published = tx.inTransaction(() -> {
            definitions.create(DefinitionKind.AGENT, "it-agent", json("{\"name\":\"A\",\"instructions\":\"x\","
                    + "\"description\":\"old\",\"model\":{\"provider\":\"openai\",\"name\":\"gpt-4o\"}}"),
                    json("{\"team\":\"it\"}"), "it", "first");
            definitions.createVersion(DefinitionKind.AGENT, "it-agent", json("{\"name\":\"A\",\"instructions\":\"y\","
                    + "\"model\":{\"provider\":\"openai\",\"name\":\"gpt-4o\"}}"), "second", "it");
            return definitions.publish(DefinitionKind.AGENT, "it-agent", 2);
        });
        assertThat(published.status()).isEqualTo(DefinitionStatus.PUBLISHED);
        assertThat(published.publishedVersion()).isEqualTo(2);
        assertThat(definitions.getPublishedVersion(DefinitionKind.AGENT, "it-agent").orElseThrow().content()
                .get("instructions").asText()).isEqualTo("y");

        // zjsonpatch, loaded from the WAR
        assertThat(definitions.diff(DefinitionKind.AGENT, "it-agent", 1, 2)).containsExactlyInAnyOrder(
                json("{\"op\":\"remove\",\"path\":\"/description\",\"value\":\"old\"}"),
                json("{\"op\":\"replace\",\"path\":\"/instructions\",\"value\":\"y\"}"));
        // the networknt validator with the schemas from the persistence jar: a violation names its path
        assertThatThrownBy(() -> definitions.createVersion(DefinitionKind.AGENT, "it-agent",
                json("{\"name\":\"A\",\"instructions\":\"x\",\"model\":{\"provider\":\"openai\",\"name\":7}}"),
                null, null)).isInstanceOf(InvalidInputException.class).hasMessageContaining("model");
        assertThat(definitions.countVersions(DefinitionKind.AGENT, "it-agent")).isEqualTo(2);
    }

    // ------------------------------------------------------------------ blobs through streams

    @Test
    void aMultiChunkBlobIsStreamedInAndOutInContainerTransactions() {
        byte[] content = new byte[(int) (2.5 * 1024 * 1024)];
        new Random(16).nextBytes(content);

        Blob stored = tx.inTransaction(() -> blobs.put("it/blob.bin", new ByteArrayInputStream(content),
                "application/octet-stream", json("{\"it\":true}")));
        assertThat(stored.size()).isEqualTo(content.length);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(blobs.get("it/blob.bin", out)).map(Blob::hash).contains(stored.hash());
        assertThat(out.toByteArray()).isEqualTo(content);

        byte[] read = tx.inTransaction(() -> {
            try (InputStream in = blobs.openStream("it/blob.bin").orElseThrow()) {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        assertThat(read).isEqualTo(content);
        assertThat(blobs.delete("it/blob.bin")).isTrue();
        assertThat(blobs.has("it/blob.bin")).isFalse();
    }

    // ------------------------------------------------------------------ scores and LLM usage

    @Test
    void scoresAreListedAndAggregatedAndLlmUsageIsTotalled() {
        Instant from = Instant.now().minusSeconds(60);
        tx.inTransaction(() -> {
            for (double v : new double[]{0.25, 0.5, 1.0}) {
                scores.save(NewScore.builder("it-scorer", v).runId("it-run").build());
            }
            llmUsage.record(NewLlmUsage.builder("openai", "gpt-4o", 100, 20).run("it-flow", "it-run", null)
                    .cost(new BigDecimal("0.10"), "USD").build());
            return llmUsage.record(NewLlmUsage.builder("openai", "gpt-4o", 50, 10).run("it-flow", "it-run", null)
                    .cost(new BigDecimal("0.05"), "USD").build());
        });
        Instant to = Instant.now().plusSeconds(60);

        assertThat(scores.listByRun("it-run", PageRequest.first()).items()).extracting(Score::value)
                .containsExactlyInAnyOrder(0.25, 0.5, 1.0);
        List<ScoreStatistics> stats = scores.statistics("it-scorer", null, from, to, null);
        assertThat(stats).singleElement().satisfies(s -> {
            assertThat(s.count()).isEqualTo(3);
            assertThat(s.min()).isEqualTo(0.25);
            assertThat(s.max()).isEqualTo(1.0);
            assertThat(s.p50()).isEqualTo(0.5);
        });

        List<LlmUsageTotals> daily = llmUsage.dailyTotals(from, to, "it-flow");
        assertThat(daily.stream().mapToLong(LlmUsageTotals::calls).sum()).isEqualTo(2);
        assertThat(daily.stream().mapToLong(LlmUsageTotals::totalTokens).sum()).isEqualTo(180);
        assertThat(daily.stream().map(LlmUsageTotals::cost).reduce(BigDecimal.ZERO, BigDecimal::add))
                .isEqualByComparingTo("0.15");
        assertThat(llmUsage.listByRun("it-flow", "it-run", PageRequest.first()).items()).hasSize(2);
    }

    // ------------------------------------------------------------------ spans (COPY on WildFly's pooled connection)

    @Test
    void aTraceWrittenWithCopyInAContainerTransactionIsReadAsATreeAndListed() {
        String trace = traceId(1);
        Instant t0 = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        long written = tx.inTransaction(() -> spans.createAll(tree(trace, "it-span-run", t0)));
        assertThat(written).isEqualTo(3);

        Trace read = spans.getTrace(trace).orElseThrow();
        assertThat(read.spans()).hasSize(3);
        assertThat(read.root().name()).isEqualTo("agent");
        assertThat(read.children(read.root().spanId())).extracting(Span::name).containsExactlyInAnyOrder("llm", "tool");
        assertThat(spans.listTraces(TraceQuery.builder().runId("it-span-run").build()).roots())
                .extracting(Span::traceId).containsExactly(trace);
    }

    private static List<NewSpan> tree(String trace, String runId, Instant t0) {
        String root = "00000000000000a1";
        return List.of(
                NewSpan.builder(trace, root, "agent", SpanType.AGENT_RUN, t0).runId(runId)
                        .endedAt(t0.plusMillis(30)).build(),
                NewSpan.builder(trace, "00000000000000b2", "llm", SpanType.AGENT_RUN, t0.plusMillis(1))
                        .parentSpanId(root).runId(runId).endedAt(t0.plusMillis(20)).build(),
                NewSpan.builder(trace, "00000000000000c3", "tool", SpanType.AGENT_RUN, t0.plusMillis(21))
                        .parentSpanId(root).runId(runId).endedAt(t0.plusMillis(29)).build());
    }

    /** @return a trace id unique to this run and {@code n} */
    private static String traceId(int n) {
        return String.format("%016x%016x", System.nanoTime(), n + 1L);
    }

    // ------------------------------------------------------------------ partition maintenance

    @Test
    void partitionsCreatedAheadInARolledBackTransactionAreGoneAndCommittedOnesServeNewRows() {
        List<Partition> before = partitions.partitions(PartitionedTable.LLM_USAGE);
        assertThatThrownBy(() -> tx.inTransaction(() -> {
            partitions.createAhead(PartitionedTable.LLM_USAGE, PartitionWidth.DAILY, 2);
            throw new IllegalStateException("boom");
        })).isInstanceOf(IllegalStateException.class);
        assertThat(partitions.partitions(PartitionedTable.LLM_USAGE)).as("the DDL was rolled back")
                .containsExactlyElementsOf(before);

        tx.inTransaction(() -> partitions.createAhead(PartitionedTable.LLM_USAGE, PartitionWidth.DAILY, 2));
        llmUsage.record(NewLlmUsage.builder("p", "m", 1, 1).run("it-partitioned", "r", null).build());
        // today's partition, or tomorrow's (also created) should midnight UTC pass meanwhile: never the DEFAULT one
        long inCreated = partitions.partitions(PartitionedTable.LLM_USAGE).stream().filter(p -> !p.isDefault())
                .mapToLong(p -> tx.count("SELECT count(*) FROM " + p.name() + " WHERE flow_name = ?1",
                        "it-partitioned")).sum();
        assertThat(inCreated).isEqualTo(1);
    }

    // ------------------------------------------------------------------ the caller's transaction

    @Test
    void aRuntimeExceptionInTheCallersTransactionLeavesNoRowsOfTheEvaluationDomain() {
        String rolledBackTrace = traceId(2);
        assertThatThrownBy(() -> tx.inTransaction(() -> {
            datasets.create("it-rb-ds", "rollback", null, null);
            datasets.addItem("it-rb-ds", ItemChange.add("i1", json("{\"q\":1}"), null, null));
            experiments.create("it-rb-exp", null, "it-rb-ds", 1, new ExperimentTarget("agent", "a", 1), null);
            experiments.upsertResult("it-rb-exp", "i1", ResultValues.failed("x", null, null));
            definitions.create(DefinitionKind.AGENT, "it-rb-agent", json("{\"name\":\"A\",\"instructions\":\"x\","
                    + "\"model\":{\"provider\":\"openai\",\"name\":\"gpt-4o\"}}"), null, null, null);
            blobs.put("it/rollback.txt", new ByteArrayInputStream("rolled back".getBytes()), "text/plain", null);
            scores.save(NewScore.builder("it-rb-scorer", 1).build());
            llmUsage.record(NewLlmUsage.builder("p", "m", 1, 1).run("it-rb-flow", "r", null).build());
            spans.createAll(tree(rolledBackTrace, "it-rb-run", Instant.now()));
            throw new IllegalStateException("boom");
        })).isInstanceOf(IllegalStateException.class).hasMessage("boom");

        assertThat(tx.count("SELECT count(*) FROM datasets WHERE id = ?1", "it-rb-ds")).isZero();
        assertThat(tx.count("SELECT count(*) FROM dataset_versions WHERE dataset_id = ?1", "it-rb-ds")).isZero();
        assertThat(tx.count("SELECT count(*) FROM dataset_items WHERE dataset_id = ?1", "it-rb-ds")).isZero();
        assertThat(tx.count("SELECT count(*) FROM experiments WHERE id = ?1", "it-rb-exp")).isZero();
        assertThat(tx.count("SELECT count(*) FROM experiment_results WHERE experiment_id = ?1", "it-rb-exp")).isZero();
        assertThat(tx.count("SELECT count(*) FROM definitions WHERE id = ?1", "it-rb-agent")).isZero();
        assertThat(tx.count("SELECT count(*) FROM definition_versions WHERE definition_id = ?1", "it-rb-agent"))
                .isZero();
        assertThat(tx.count("SELECT count(*) FROM blobs WHERE key = ?1", "it/rollback.txt")).isZero();
        assertThat(tx.count("SELECT count(*) FROM scores WHERE scorer_id = ?1", "it-rb-scorer")).isZero();
        assertThat(tx.count("SELECT count(*) FROM llm_usage WHERE flow_name = ?1", "it-rb-flow")).isZero();
        assertThat(tx.count("SELECT count(*) FROM spans WHERE trace_id = CAST(?1 AS uuid)", rolledBackTrace))
                .as("COPY rolled back").isZero();
        assertThat(spans.getTrace(rolledBackTrace)).isEmpty();
        assertThat(datasets.get("it-rb-ds")).isEmpty();
        assertThat(blobs.has("it/rollback.txt")).isFalse();
    }

    private static JsonNode json(String text) {
        return Json.parse("json", text);
    }
}
