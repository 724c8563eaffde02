package dev.agentstore.persistence;

import dev.agentstore.persistence.blob.BlobRepository;
import dev.agentstore.persistence.flow.FlowEventRepository;
import dev.agentstore.persistence.flow.FlowRepository;
import dev.agentstore.persistence.flow.FlowRunRepository;
import dev.agentstore.persistence.flow.FlowStepRepository;
import dev.agentstore.persistence.flow.CheckpointRepository;
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
import dev.agentstore.persistence.support.AbstractRepository;
import jakarta.persistence.EntityManager;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The repositories of one standalone transaction, all sharing its {@link EntityManager}. Handed to the work passed
 * to {@link AgentStore#inTransaction}, {@link AgentStore#fromTransaction} and
 * {@link AgentStore#fromTransactionWithRetry}; valid only until that work returns.
 */
public final class UnitOfWork {

    private final EntityManager entityManager;
    private final Clock clock;
    private final ConfigurationCache configurationCache;
    private final Map<Class<?>, AbstractRepository> repositories = new HashMap<>();

    UnitOfWork(EntityManager entityManager, Clock clock, ConfigurationCache configurationCache) {
        this.entityManager = entityManager;
        this.clock = clock;
        this.configurationCache = configurationCache;
    }

    /** The repository of {@code type} of this unit of work: made and bound to its entity manager on first use. */
    private <R extends AbstractRepository> R repository(Class<R> type, Supplier<R> factory) {
        return type.cast(repositories.computeIfAbsent(type,
                t -> AbstractRepository.bind(factory.get(), entityManager, clock)));
    }

    /** @return the transaction's entity manager, for a caller's own JPQL or native queries */
    public EntityManager entityManager() {
        return entityManager;
    }

    /** @return the flow registry and its atomic stats */
    public FlowRepository flows() {
        return repository(FlowRepository.class, FlowRepository::new);
    }

    /** @return flow runs: start, list, transitions, merge-patch updates */
    public FlowRunRepository flowRuns() {
        return repository(FlowRunRepository.class, FlowRunRepository::new);
    }

    /** @return a run's steps as rows: upsert, read, tree, progress, completion by the steps' rule */
    public FlowStepRepository flowSteps() {
        return repository(FlowStepRepository.class, FlowStepRepository::new);
    }

    /** @return runs' checkpoints: history, load, fork, resume, release, per-flow policy and prune */
    public CheckpointRepository checkpoints() {
        return repository(CheckpointRepository.class, CheckpointRepository::new);
    }

    /** @return the append-only flow event log */
    public FlowEventRepository flowEvents() {
        return repository(FlowEventRepository.class, FlowEventRepository::new);
    }

    /** @return triggers and their fire log */
    public TriggerRepository triggers() {
        return repository(TriggerRepository.class, TriggerRepository::new);
    }

    /** @return scheduler jobs: cron schedules, leases, claims */
    public SchedulerJobRepository schedulerJobs() {
        return repository(SchedulerJobRepository.class, SchedulerJobRepository::new);
    }

    /** @return the key-value store with TTL */
    public KvRepository kv() {
        return repository(KvRepository.class, KvRepository::new);
    }

    /** @return conversational memory: threads, messages, resource working memory, variables */
    public MemoryRepository memories() {
        return repository(MemoryRepository.class, MemoryRepository::new);
    }

    /** @return prompt templates with revisions */
    public TemplateRepository templates() {
        return repository(TemplateRepository.class, () -> new TemplateRepository(entityManager, clock));
    }

    /** @return configuration snapshots, loaded through the store's {@link ConfigurationCache} */
    public ConfigurationRepository configurations() {
        return repository(ConfigurationRepository.class,
                () -> new ConfigurationRepository(entityManager, clock, configurationCache));
    }

    /** @return generic JSONB records and their query */
    public RecordRepository records() {
        return repository(RecordRepository.class, RecordRepository::new);
    }

    /** @return pgvector knowledge bases and chunks */
    public KnowledgeRepository knowledge() {
        return repository(KnowledgeRepository.class, KnowledgeRepository::new);
    }

    /** @return chunks of knowledge bases: batched upserts, deletes, vector search with filters and MMR */
    public ChunkRepository chunks() {
        return repository(ChunkRepository.class, ChunkRepository::new);
    }

    /** @return partition maintenance and retention of the time-partitioned tables */
    public PartitionRepository partitions() {
        return repository(PartitionRepository.class, PartitionRepository::new);
    }

    /** @return datasets with versioned items, JSON Lines export and import */
    public DatasetRepository datasets() {
        return repository(DatasetRepository.class, DatasetRepository::new);
    }

    /** @return experiments over dataset versions: status, per-item results, review summary, prune */
    public ExperimentRepository experiments() {
        return repository(ExperimentRepository.class, ExperimentRepository::new);
    }

    /** @return versioned definitions: agents, prompt blocks, scorers, MCP clients and servers, workspaces, skills */
    public DefinitionRepository definitions() {
        return repository(DefinitionRepository.class, DefinitionRepository::new);
    }

    /** @return evaluation scores: save, read, listings by scorer, run, entity and span, statistics, prune */
    public ScoreRepository scores() {
        return repository(ScoreRepository.class, ScoreRepository::new);
    }

    /** @return LLM token usage: record, listings by run and span, totals per day, flow, model and currency, prune */
    public LlmUsageRepository llmUsage() {
        return repository(LlmUsageRepository.class, LlmUsageRepository::new);
    }

    /**
     * @return content-addressed binary storage; a stream from {@link BlobRepository#openStream} must be read before
     *         this unit of work ends
     */
    public BlobRepository blobs() {
        return repository(BlobRepository.class, BlobRepository::new);
    }

    /** @return AI traces and spans: batched ingest, trace reads, trace listings, retention */
    public SpanRepository spans() {
        return repository(SpanRepository.class, SpanRepository::new);
    }
}
