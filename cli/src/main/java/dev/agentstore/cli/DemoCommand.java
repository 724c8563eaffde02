package dev.agentstore.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.cli.ingest.BookIndex;
import dev.agentstore.cli.ingest.Chunk;
import dev.agentstore.cli.ingest.Corpus;
import dev.agentstore.cli.ingest.Ingester;
import dev.agentstore.cli.embed.MiniLmEmbedder;
import dev.agentstore.domain.flow.CheckpointPolicy;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.domain.flow.NewFlowEvent;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.knowledge.ChunkMatch;
import dev.agentstore.domain.knowledge.Embedder;
import dev.agentstore.domain.memory.MessageRole;
import dev.agentstore.domain.memory.NewMessage;
import dev.agentstore.domain.observability.NewLlmUsage;
import dev.agentstore.domain.observability.NewScore;
import dev.agentstore.domain.observability.SpanType;
import dev.agentstore.domain.observability.ScoreSource;
import dev.agentstore.domain.trigger.TriggerType;
import dev.agentstore.migrations.MigrationException;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreConfig;
import dev.agentstore.persistence.knowledge.SearchMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code agentstore demo}: the knowledge-agent main job on the PostgreSQL 15 manual. Migrates; ingests the manual
 * (later runs reuse stored chunks); registers flow {@code knowledge-qa}, a trigger and a nightly re-index job; then for a
 * sample of the manual's index terms runs a flow (retrieve → rerank → answer) whose events, step results (with a
 * checkpoint per step), cached answer, trace (one span per step), the query embedding's token usage and two evaluation
 * scores ({@value #SCORE_HIT}, {@value #SCORE_RECALL}) are stored; and prints, for each search mode (vector,
 * full-text, hybrid) on the same questions, hit@1, hit@10 and MRR@10 against the index's page labels and the search
 * latency, then recall@10 of the HNSW index against exact search and rows per table. The answers use hybrid search.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the knowledge-agent demo on the PostgreSQL manual and print a quality and latency report.")
public final class DemoCommand implements Callable<Integer> {

    static final String FLOW = "knowledge-qa";
    static final String TRIGGER = "knowledge-qa-questions";
    static final String REINDEX_JOB = "knowledge-qa-nightly-reindex";
    static final String PROMPT_ID = "knowledge-qa-prompt";
    static final String MEMORY_RESOURCE = "demo-user";
    /** Scorer of each run: 1 when one of the first ten pages hybrid search retrieved is one the index links the term to. */
    static final String SCORE_HIT = "retrieval-hit@10";
    /** Scorer of each run: recall@10 of the HNSW search against the exact ten nearest chunks. */
    static final String SCORE_RECALL = "retrieval-recall@10";
    /** Chunks fetched per question and mode, collapsed to the best chunk per page. */
    static final int CANDIDATES = 50;
    static final String DEFAULT_CORPUS = "/usr/share/doc/postgresql-doc-15/html";
    static final String PROMPT_TEMPLATE = """
            You answer questions about PostgreSQL 15 from the manual.
            Question: {{question}}
            Passages:
            {{passages}}
            Answer in two sentences and cite the pages.""";

    private final CliContext ctx;

    @Mixin
    ConnectionOptions db;

    @Option(names = "--corpus", paramLabel = "DIR", description = "The manual's HTML directory (default: $AGENTSTORE_CORPUS_DIR or " + DEFAULT_CORPUS + ").")
    Path corpus;

    @Option(names = "--questions", defaultValue = "200", description = "How many index terms to ask (default ${DEFAULT-VALUE}).")
    int questions;

    @Option(names = "--pages", description = "Ingest only the first N pages (a reduced demo for CI); questions come from terms that link to them.")
    Integer pages;

    @Option(names = "--kb", defaultValue = "pg15_manual", description = "Knowledge base name (default ${DEFAULT-VALUE}).")
    String kb;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the question sample (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--answer-ttl", defaultValue = "PT24H", description = "TTL of cached answers in the KV store, ISO-8601 (default ${DEFAULT-VALUE}).")
    Duration answerTtl;

    @Option(names = "--no-progress", negatable = false, description = "Do not draw the progress bar.")
    boolean noProgress;

    DemoCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() throws IOException {
        PrintStream out = ctx.out();
        if (questions < 1) {
            throw new CliException(ExitCodes.USAGE, "--questions must be at least 1", null, null);
        }
        Path dir = corpus != null ? corpus
                : Path.of(ctx.env().getOrDefault("AGENTSTORE_CORPUS_DIR", DEFAULT_CORPUS));
        Path bookIndex = dir.resolve("bookindex.html");
        if (!Files.isReadable(bookIndex)) {
            throw new CliException(ExitCodes.CORPUS, "no readable bookindex.html in " + dir,
                    "run scripts/setup-corpus.sh (installs Debian's postgresql-doc-15), or pass --corpus DIR", null);
        }
        AgentStoreConfig config = db.toConfig(ctx.env(), false);
        out.println("agentstore demo on " + Database.describe(config) + ", schema " + config.schema());

        // 1. migrate
        Database.preflight(config, true);
        try {
            int applied = Database.migrations(config).up().size();
            out.println("1. migrations: " + (applied == 0 ? "schema up to date" : applied + " change set(s) applied"));
        } catch (MigrationException e) {
            throw new CliException(ExitCodes.SCHEMA, e.getMessage(), "`agentstore migrate status` shows the schema's state", e);
        }

        try (AgentStore store = Database.open(config, true)) {
            Embedder embedder = ctx.embedder().get();

            // 2. ingest
            Corpus all = Corpus.of(List.of(dir), List.of("bookindex.html"));
            Corpus docs = pages == null ? all : Corpus.of(all.files().stream().limit(pages).map(f -> f.path()).toList(), List.of());
            out.println("2. ingest " + docs.files().size() + " page(s) from " + dir + " with " + embedder);
            Ingester.Report report = Knowledge.ingest(store, embedder, kb, docs, 64, !noProgress, ctx.err());
            out.print("   ");
            Knowledge.printReport(new PrintStream(new IndentingStream(out), true), kb, report);

            // 3. flow, trigger, nightly re-index job
            store.inTransaction(uow -> {
                uow.flows().register(FLOW, "Knowledge Q&A over the PostgreSQL manual", 1);
                uow.checkpoints().configure(FLOW, CheckpointPolicy.keepAll());
                uow.triggers().register(TRIGGER, TriggerType.EVENT,
                        Json.parse("subscriptions", "{\"flows\":{\"" + FLOW + "\":{\"enabled\":true}}}"));
                if (uow.schedulerJobs().get(REINDEX_JOB).isEmpty()) {
                    uow.schedulerJobs().schedule(REINDEX_JOB, "Nightly re-index of " + kb, "0 3 * * *", null,
                            Json.of("config", Map.of("command", "ingest", "kb", kb, "corpus", dir.toString())), 3);
                }
                // the prompt as a stored template (a new revision only when its text changed) and the flow's settings
                if (uow.templates().latest(PROMPT_ID).map(t -> !t.content().equals(PROMPT_TEMPLATE)).orElse(true)) {
                    uow.templates().define(PROMPT_ID, PROMPT_TEMPLATE, "Prompt of the knowledge-qa flow",
                            Json.of("variables", Map.of("question", "the user's question", "passages", "retrieved passages")),
                            Json.of("meta", Map.of("flow", FLOW)));
                }
                uow.configurations().define(FLOW, Json.of("content", Map.of("kb", kb, "k", 10, "rerankPages", 3,
                        "efSearch", Knowledge.EF_SEARCH, "embedder", embedder.toString(), "answerTtl", answerTtl.toString())));
            });
            out.println("3. registered flow " + FLOW + ", trigger " + TRIGGER + ", job " + REINDEX_JOB
                    + " (cron 0 3 * * *), prompt template " + PROMPT_ID + " and configuration " + FLOW);

            // 4. questions
            Set<String> corpusPages = docs.files().stream().map(Corpus.SourceFile::id).collect(Collectors.toSet());
            List<BookIndex.Entry> labelled = new ArrayList<>();
            for (BookIndex.Entry e : BookIndex.parse(bookIndex)) {
                Set<String> inCorpus = new LinkedHashSet<>(e.pages());
                inCorpus.retainAll(corpusPages);
                if (!inCorpus.isEmpty()) {
                    labelled.add(new BookIndex.Entry(e.term(), inCorpus));
                }
            }
            if (labelled.isEmpty()) {
                throw new CliException(ExitCodes.CORPUS, "no index term of " + bookIndex + " links to an ingested page",
                        "ingest more pages (--pages) or use the full manual", null);
            }
            Collections.shuffle(labelled, new Random(seed));
            List<BookIndex.Entry> sample = labelled.subList(0, Math.min(questions, labelled.size()));
            out.println("4. asking " + sample.size() + " of " + labelled.size() + " labelled index terms (seed " + seed + ")");

            Metrics m = new Metrics();
            String batchId = "demo-" + Instant.now().toEpochMilli();
            int n = 0;
            for (BookIndex.Entry q : sample) {
                ask(store, embedder, q, batchId + "-" + (++n), m);
            }

            // 5. report
            out.println();
            out.println("Report (" + sample.size() + " questions, knowledge base " + kb + ", "
                    + Knowledge.count(store, kb) + " chunks)");
            out.println("  mode      hit@1   hit@10  MRR@10  search p50   p99     (k=" + CANDIDATES
                    + " chunks, best chunk per page, first 10 pages)");
            for (SearchMode mode : SearchMode.values()) {
                ModeMetrics mm = m.modes.get(mode);
                out.printf(Locale.ROOT, "  %-8s  %.3f   %.3f   %.3f   %6.2f ms  %6.2f ms%s%n", mode.name().toLowerCase(Locale.ROOT),
                        mm.hit1 / (double) sample.size(), mm.hit10 / (double) sample.size(), mm.rr10 / sample.size(),
                        pct(mm.ms, 50), pct(mm.ms, 99), mode == SearchMode.HYBRID ? "   (answers use this)" : "");
            }
            out.printf(Locale.ROOT, "  recall@10  %.3f   (HNSW's first 10 chunks vs the exact 10 nearest, same queries)%n", m.recallSum / sample.size());
            out.printf(Locale.ROOT, "  exact vector scan (k=10): p50 %.2f ms; query embedding: p50 %.2f ms%n",
                    pct(m.exactMs, 50), pct(m.embedMs, 50));
            out.printf(Locale.ROOT, "  flow runs completed: %d; events appended: %d; memory threads: %d (3 messages each);"
                    + " answers cached in KV (TTL %s): %d; spans: %d (one trace per run);"
                    + " LLM usage rows: %d (the query embeddings)%n", m.runs, m.events, m.runs, answerTtl, m.cached,
                    m.spans, m.runs);
            out.println("  checkpoints: 3 per run (one per step); see one run's with `agentstore runs history "
                    + batchId + "-" + n + "`");
            out.println();
            StatsCommand.print(out, store.statistics().tables());
            StatsCommand.printScores(out, store.scores().statistics(null, ScoreSource.TEST, null, null, null));
            StatsCommand.printUsage(out, store.llmUsage().totals(null, null));
            return ExitCodes.OK;
        }
    }

    private void ask(AgentStore store, Embedder embedder, BookIndex.Entry q, String runId, Metrics m) {
        Instant runStart = Instant.now();
        long t = System.nanoTime();
        MiniLmEmbedder.Embedded query = embedder instanceof MiniLmEmbedder mini ? mini.embedCounted(q.term())
                : new MiniLmEmbedder.Embedded(embedder.embed(q.term()), 0); // another embedder reports no tokens
        float[] vector = query.vector();
        m.embedMs.add((System.nanoTime() - t) / 1e6);
        Instant embedded = Instant.now();
        Map<SearchMode, List<ChunkMatch>> byMode = new LinkedHashMap<>();
        for (SearchMode mode : SearchMode.values()) {
            t = System.nanoTime();
            List<ChunkMatch> found = store.chunks().search(kb, q.term(), vector,
                    Knowledge.searchOptions(CANDIDATES, Map.of()).withMode(mode));
            m.modes.get(mode).ms.add((System.nanoTime() - t) / 1e6);
            byMode.put(mode, found);
        }
        Instant searched = Instant.now();
        List<ChunkMatch> candidates = byMode.get(SearchMode.VECTOR);
        t = System.nanoTime();
        List<ChunkMatch> exact = store.chunks().search(kb, vector,
                Knowledge.searchOptions(10, Map.of()).withExactSearch());
        m.exactMs.add((System.nanoTime() - t) / 1e6);

        // recall@10 of the index: its first ten chunks against the exact ten nearest
        Set<String> exactKeys = exact.stream().map(ChunkMatch::id).collect(Collectors.toSet());
        double recall = exact.isEmpty() ? 1.0 : candidates.stream().limit(10).filter(h -> exactKeys.contains(h.id())).count()
                / (double) exact.size();
        m.recallSum += recall;

        // retrieve: the best chunk of each page, ten pages (several chunks of one page count once); per mode, the
        // rank of the first page the index links the term to counts for hit@1, hit@10 and MRR@10
        List<ChunkMatch> hits = List.of();
        for (Map.Entry<SearchMode, List<ChunkMatch>> e : byMode.entrySet()) {
            List<ChunkMatch> pages = firstPages(e.getValue(), 10);
            ModeMetrics mm = m.modes.get(e.getKey());
            for (int i = 0; i < pages.size(); i++) {
                if (q.pages().contains(pages.get(i).documentId())) {
                    mm.hit1 += i == 0 ? 1 : 0;
                    mm.hit10++;
                    mm.rr10 += 1.0 / (i + 1);
                    break;
                }
            }
            hits = pages; // the last mode, hybrid, gives the answer
        }
        List<ChunkMatch> answerPages = hits;
        boolean hit10 = answerPages.stream().anyMatch(h -> q.pages().contains(h.documentId()));

        // rerank: the three best pages' passages go into the prompt
        List<ChunkMatch> passages = hits.stream().limit(3).toList();
        String passageText = passages.stream()
                .map(h -> "[" + h.documentId() + "] " + SearchCommand.snippet(h.content(), 400))
                .collect(Collectors.joining("\n"));
        String answer = passages.isEmpty() ? "No passage found." : firstSentence(passages.get(0)) + " (see "
                + passages.stream().map(ChunkMatch::documentId).collect(Collectors.joining(", ")) + ")";

        JsonNode retrieved = Json.MAPPER.valueToTree(Map.of("hits", hits.stream().map(h -> Map.of(
                "document", h.documentId(), "ordinal", h.ordinal(), "score", h.score())).toList()));
        JsonNode reranked = Json.MAPPER.valueToTree(Map.of("passages", passages.stream().map(ChunkMatch::id).toList()));
        store.inTransaction(uow -> {
            String prompt = uow.templates().latest(PROMPT_ID).orElseThrow()
                    .render(Map.of("question", q.term(), "passages", passageText));
            JsonNode answered = Json.MAPPER.valueToTree(Map.of("answer", answer, "prompt", prompt));
            uow.triggers().fire(TRIGGER, Json.MAPPER.valueToTree(Map.of("question", q.term(), "runId", runId)));
            uow.triggers().recordFlowsStarted(TRIGGER, 1);
            uow.flowRuns().start(FLOW, runId, Instant.now(), 3, "demo");
            List<NewFlowEvent> events = new ArrayList<>();
            events.add(NewFlowEvent.of(runId, FLOW, "flow.started").data(Json.MAPPER.valueToTree(Map.of("question", q.term()))));
            for (var step : List.of(Map.entry("retrieve", retrieved), Map.entry("rerank", reranked), Map.entry("answer", answered))) {
                events.add(NewFlowEvent.of(runId, FLOW, "step.started").step(step.getKey(), step.getKey() + "-1").attempt(1));
                events.add(NewFlowEvent.of(runId, FLOW, "step.completed").step(step.getKey(), step.getKey() + "-1").attempt(1)
                        .data(step.getValue()));
            }
            events.add(NewFlowEvent.of(runId, FLOW, "flow.completed"));
            uow.flowEvents().appendAll(events);
            m.events += events.size();
            // one step result at a time: the flow records a checkpoint per step (`agentstore runs history RUN`)
            uow.flowRuns().setStepResult(FLOW, runId, "retrieve", retrieved);
            uow.flowRuns().setStepResult(FLOW, runId, "rerank", reranked);
            uow.flowRuns().setStepResult(FLOW, runId, "answer", answered);
            for (int i = 0; i < 3; i++) {
                uow.flowRuns().completeStep(FLOW, runId);
            }
            uow.flowRuns().transition(FLOW, runId, FlowRunStatus.COMPLETED);
            // the conversation: question, retrieved passages (as a tool result) and answer in a memory thread
            String thread = "knowledge-qa:" + runId;
            uow.memories().saveThread(thread, MEMORY_RESOURCE, q.term(), Json.MAPPER.valueToTree(Map.of("flow", FLOW, "runId", runId)));
            uow.memories().saveMessages(thread, List.of(
                    NewMessage.of(thread + ":q", MessageRole.USER, Json.MAPPER.valueToTree(Map.of("type", "text", "text", q.term()))),
                    NewMessage.of(thread + ":passages", MessageRole.TOOL, Json.MAPPER.valueToTree(Map.of("type", "tool-result",
                            "toolName", "retrieve", "result", passages.stream().map(h -> Map.of("document", h.documentId(),
                                    "heading", String.valueOf(Knowledge.heading(h)), "score", h.score(), "text", h.content())).toList()))),
                    NewMessage.of(thread + ":a", MessageRole.ASSISTANT, Json.MAPPER.valueToTree(Map.of("type", "text", "text", answer)))));
            // the run's evaluation: two scores of the flow (test scoring against the index's labelled pages)
            JsonNode question = Json.MAPPER.valueToTree(Map.of("question", q.term(), "expectedPages", q.pages()));
            uow.scores().save(NewScore.builder(SCORE_HIT, hit10 ? 1 : 0).source(ScoreSource.TEST)
                    .entity("WORKFLOW", FLOW).runId(runId).input(question).build());
            uow.scores().save(NewScore.builder(SCORE_RECALL, recall).source(ScoreSource.TEST)
                    .entity("WORKFLOW", FLOW).runId(runId).input(question).build());
            // the run's trace (one span per step, as an OpenTelemetry exporter would write them) and the embedding
            // model's usage: a local model, so tokens but no cost
            RunTrace trace = RunTrace.of(runId, FLOW, runStart);
            trace.child(SpanType.RAG_EMBEDDING, "embed", runStart, embedded, Json.MAPPER.valueToTree(
                    Map.of("text", q.term())), null, Json.MAPPER.valueToTree(Map.of("gen_ai.request.model",
                    embedder.toString(), "gen_ai.usage.input_tokens", query.inputTokens())));
            trace.child(SpanType.RAG_VECTOR_OPERATION, "retrieve", embedded, searched, null, retrieved, null);
            trace.child(SpanType.WORKFLOW_STEP, "rerank", searched, searched, null, reranked, null);
            trace.child(SpanType.WORKFLOW_STEP, "answer", searched, Instant.now(), null, answered, null);
            uow.spans().createAll(trace.spans(Instant.now()));
            uow.llmUsage().record(NewLlmUsage.builder("local", embedder.toString(),
                            query.inputTokens(), 0)
                    .run(FLOW, runId, "retrieve").span(trace.traceId(), trace.spanId("embed")).build());
            m.spans += 5;
            uow.kv().set("knowledge-qa:answer:" + Chunk.sha256(q.term()).substring(0, 16),
                    Json.MAPPER.valueToTree(Map.of("question", q.term(), "answer", answer,
                            "sources", passages.stream().map(ChunkMatch::documentId).toList())), answerTtl);
        });
        m.runs++;
        m.cached++;
    }

    /** @return the best chunk of each page, in order, at most {@code n} pages */
    static List<ChunkMatch> firstPages(List<ChunkMatch> chunks, int n) {
        Map<String, ChunkMatch> perPage = new LinkedHashMap<>();
        chunks.forEach(h -> perPage.putIfAbsent(h.documentId(), h));
        return perPage.values().stream().limit(n).toList();
    }

    private static String firstSentence(ChunkMatch h) {
        String body = SearchCommand.snippet(h.content(), 1000);
        int dot = body.indexOf(". ");
        return dot > 0 && dot < 300 ? body.substring(0, dot + 1) : SearchCommand.snippet(h.content(), 300);
    }

    static double pct(List<Double> values, int p) {
        if (values.isEmpty()) {
            return 0;
        }
        List<Double> s = new ArrayList<>(values);
        Collections.sort(s);
        int i = (int) Math.ceil(p / 100.0 * s.size()) - 1;
        return s.get(Math.max(0, Math.min(s.size() - 1, i)));
    }

    private static final class ModeMetrics {
        int hit1;
        int hit10;
        double rr10;
        final List<Double> ms = new ArrayList<>();
    }

    private static final class Metrics {
        final Map<SearchMode, ModeMetrics> modes = new LinkedHashMap<>();
        double recallSum;

        Metrics() {
            for (SearchMode mode : SearchMode.values()) {
                modes.put(mode, new ModeMetrics());
            }
        }

        int runs;
        int events;
        int cached;
        int spans;
        final List<Double> exactMs = new ArrayList<>();
        final List<Double> embedMs = new ArrayList<>();
    }

    /** Indents continuation lines of the ingest report under the step number. */
    private static final class IndentingStream extends java.io.OutputStream {
        private final PrintStream target;

        IndentingStream(PrintStream target) {
            this.target = target;
        }

        private boolean lineStart;

        @Override
        public void write(int b) {
            if (lineStart && b != '\n') {
                target.print("   ");
            }
            target.write(b);
            lineStart = b == '\n';
        }
    }
}
