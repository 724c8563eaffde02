package dev.agentstore.persistence;

import dev.agentstore.persistence.blob.BlobRepository;
import dev.agentstore.persistence.flow.FlowEventRepository;
import dev.agentstore.persistence.flow.FlowRepository;
import dev.agentstore.persistence.flow.FlowRunRepository;
import dev.agentstore.persistence.flow.FlowStepRepository;
import dev.agentstore.persistence.configuration.ConfigurationCache;
import dev.agentstore.persistence.configuration.ConfigurationRepository;
import dev.agentstore.persistence.knowledge.ChunkRepository;
import dev.agentstore.persistence.knowledge.KnowledgeRepository;
import dev.agentstore.persistence.kv.KvRepository;
import dev.agentstore.persistence.memory.MemoryRepository;
import dev.agentstore.persistence.partition.PartitionRepository;
import dev.agentstore.persistence.record.RecordRepository;
import dev.agentstore.persistence.scheduler.SchedulerJobRepository;
import dev.agentstore.persistence.observability.SpanRepository;
import dev.agentstore.persistence.template.TemplateRepository;
import dev.agentstore.persistence.dataset.DatasetRepository;
import dev.agentstore.persistence.experiment.ExperimentRepository;
import dev.agentstore.persistence.definition.DefinitionRepository;
import dev.agentstore.persistence.observability.LlmUsageRepository;
import dev.agentstore.persistence.observability.ScoreRepository;
import dev.agentstore.persistence.trigger.TriggerRepository;
import jakarta.persistence.EntityManager;

import java.time.Clock;

/**
 * The repositories of one standalone transaction, all sharing its {@link EntityManager}. Handed to the work passed
 * to {@link AgentStore#inTransaction}, {@link AgentStore#fromTransaction} and
 * {@link AgentStore#fromTransactionWithRetry}; valid only until that work returns.
 */
public final class UnitOfWork {

    private final EntityManager entityManager;
    private final Clock clock;
    private final ConfigurationCache configurationCache;
    private FlowRepository flows;
    private FlowRunRepository flowRuns;
    private FlowStepRepository flowSteps;
    private FlowEventRepository flowEvents;
    private TriggerRepository triggers;
    private SchedulerJobRepository schedulerJobs;
    private KvRepository kv;
    private MemoryRepository memories;
    private TemplateRepository templates;
    private SpanRepository spans;
    private ConfigurationRepository configurations;
    private RecordRepository records;
    private KnowledgeRepository knowledge;
    private ChunkRepository chunks;
    private PartitionRepository partitions;
    private DatasetRepository datasets;
    private ExperimentRepository experiments;
    private DefinitionRepository definitions;
    private ScoreRepository scores;
    private LlmUsageRepository llmUsage;
    private BlobRepository blobs;

    UnitOfWork(EntityManager entityManager, Clock clock, ConfigurationCache configurationCache) {
        this.entityManager = entityManager;
        this.clock = clock;
        this.configurationCache = configurationCache;
    }

    /** @return the transaction's entity manager, for a caller's own JPQL or native queries */
    public EntityManager entityManager() {
        return entityManager;
    }

    /** @return the flow registry and its atomic stats */
    public FlowRepository flows() {
        return flows == null ? flows = new FlowRepository(entityManager, clock) : flows;
    }

    /** @return flow runs: start, list, transitions, merge-patch updates */
    public FlowRunRepository flowRuns() {
        return flowRuns == null ? flowRuns = new FlowRunRepository(entityManager, clock) : flowRuns;
    }

    /** @return a run's steps as rows: upsert, read, tree, progress, completion by the steps' rule */
    public FlowStepRepository flowSteps() {
        return flowSteps == null ? flowSteps = new FlowStepRepository(entityManager, clock) : flowSteps;
    }

    /** @return the append-only flow event log */
    public FlowEventRepository flowEvents() {
        return flowEvents == null ? flowEvents = new FlowEventRepository(entityManager, clock) : flowEvents;
    }

    /** @return triggers and their fire log */
    public TriggerRepository triggers() {
        return triggers == null ? triggers = new TriggerRepository(entityManager, clock) : triggers;
    }

    /** @return scheduler jobs: cron schedules, leases, claims */
    public SchedulerJobRepository schedulerJobs() {
        return schedulerJobs == null ? schedulerJobs = new SchedulerJobRepository(entityManager, clock) : schedulerJobs;
    }

    /** @return the key-value store with TTL */
    public KvRepository kv() {
        return kv == null ? kv = new KvRepository(entityManager, clock) : kv;
    }

    /** @return conversational memory: threads, messages, resource working memory, variables */
    public MemoryRepository memories() {
        return memories == null ? memories = new MemoryRepository(entityManager, clock) : memories;
    }

    /** @return prompt templates with revisions */
    public TemplateRepository templates() {
        return templates == null ? templates = new TemplateRepository(entityManager, clock) : templates;
    }

    /** @return configuration snapshots, loaded through the store's {@link ConfigurationCache} */
    public ConfigurationRepository configurations() {
        return configurations == null
                ? configurations = new ConfigurationRepository(entityManager, clock, configurationCache)
                : configurations;
    }

    /** @return generic JSONB records and their query */
    public RecordRepository records() {
        return records == null ? records = new RecordRepository(entityManager, clock) : records;
    }

    /** @return pgvector knowledge bases and chunks */
    public KnowledgeRepository knowledge() {
        return knowledge == null ? knowledge = new KnowledgeRepository(entityManager, clock) : knowledge;
    }

    /** @return chunks of knowledge bases: batched upserts, deletes, vector search with filters and MMR */
    public ChunkRepository chunks() {
        return chunks == null ? chunks = new ChunkRepository(entityManager, clock) : chunks;
    }

    /** @return partition maintenance and retention of the time-partitioned tables */
    public PartitionRepository partitions() {
        return partitions == null ? partitions = new PartitionRepository(entityManager, clock) : partitions;
    }

    /** @return datasets with versioned items, JSON Lines export and import */
    public DatasetRepository datasets() {
        return datasets == null ? datasets = new DatasetRepository(entityManager, clock) : datasets;
    }

    /** @return experiments over dataset versions: status, per-item results, review summary, prune */
    public ExperimentRepository experiments() {
        return experiments == null ? experiments = new ExperimentRepository(entityManager, clock) : experiments;
    }

    /** @return versioned definitions: agents, prompt blocks, scorers, MCP clients and servers, workspaces, skills */
    public DefinitionRepository definitions() {
        return definitions == null ? definitions = new DefinitionRepository(entityManager, clock) : definitions;
    }

    /** @return evaluation scores: save, read, listings by scorer, run, entity and span, statistics, prune */
    public ScoreRepository scores() {
        return scores == null ? scores = new ScoreRepository(entityManager, clock) : scores;
    }

    /** @return LLM token usage: record, listings by run and span, totals per day, flow, model and currency, prune */
    public LlmUsageRepository llmUsage() {
        return llmUsage == null ? llmUsage = new LlmUsageRepository(entityManager, clock) : llmUsage;
    }

    /**
     * @return content-addressed binary storage; a stream from {@link BlobRepository#openStream} must be read before
     *         this unit of work ends
     */
    public BlobRepository blobs() {
        return blobs == null ? blobs = new BlobRepository(entityManager, clock) : blobs;
    }

    /** @return AI traces and spans: batched ingest, trace reads, trace listings, retention */
    public SpanRepository spans() {
        return spans == null ? spans = new SpanRepository(entityManager, clock) : spans;
    }
}
