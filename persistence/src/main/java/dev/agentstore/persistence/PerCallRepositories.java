package dev.agentstore.persistence;

import dev.agentstore.persistence.blob.BlobRepository;
import dev.agentstore.persistence.configuration.ConfigurationRepository;
import dev.agentstore.persistence.dataset.DatasetRepository;
import dev.agentstore.persistence.definition.DefinitionRepository;
import dev.agentstore.persistence.experiment.ExperimentRepository;
import dev.agentstore.persistence.flow.CheckpointRepository;
import dev.agentstore.persistence.flow.FlowEventRepository;
import dev.agentstore.persistence.flow.FlowRepository;
import dev.agentstore.persistence.flow.FlowRunRepository;
import dev.agentstore.persistence.flow.FlowStepRepository;
import dev.agentstore.persistence.knowledge.ChunkRepository;
import dev.agentstore.persistence.knowledge.KnowledgeRepository;
import dev.agentstore.persistence.kv.KvRepository;
import dev.agentstore.persistence.memory.MemoryRepository;
import dev.agentstore.persistence.observability.LlmUsageRepository;
import dev.agentstore.persistence.observability.ScoreRepository;
import dev.agentstore.persistence.observability.SpanRepository;
import dev.agentstore.persistence.partition.PartitionRepository;
import dev.agentstore.persistence.record.RecordRepository;
import dev.agentstore.persistence.scheduler.SchedulerJobRepository;
import dev.agentstore.persistence.template.TemplateRepository;
import dev.agentstore.persistence.trigger.TriggerRepository;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;

/**
 * The per-call repositories of an {@link AgentStore}: every method of a repository handed out here runs as its own
 * unit of work (a {@link dev.agentstore.persistence.support.SingleStatement} method in autocommit mode), as a
 * container runs an injected repository called outside a transaction; see {@link AgentStore}'s class comment. Each
 * repository is made once per store and is thread-safe.
 */
abstract class PerCallRepositories {

    private final ConcurrentMap<Class<?>, Object> repositories = new ConcurrentHashMap<>();

    PerCallRepositories() {
    }

    /** @return the flow registry and its atomic stats, each call its own unit of work (see the class comment) */
    public FlowRepository flows() {
        return perCallRepository(FlowRepository.class, UnitOfWork::flows);
    }

    /** @return flow runs, each call its own unit of work (see the class comment) */
    public FlowRunRepository flowRuns() {
        return perCallRepository(FlowRunRepository.class, UnitOfWork::flowRuns);
    }

    /** @return a run's steps as rows, each call its own unit of work (see the class comment) */
    public FlowStepRepository flowSteps() {
        return perCallRepository(FlowStepRepository.class, UnitOfWork::flowSteps);
    }

    /** @return runs' checkpoints, each call its own unit of work (see the class comment) */
    public CheckpointRepository checkpoints() {
        return perCallRepository(CheckpointRepository.class, UnitOfWork::checkpoints);
    }

    /** @return the append-only flow event log, each call its own unit of work (see the class comment) */
    public FlowEventRepository flowEvents() {
        return perCallRepository(FlowEventRepository.class, UnitOfWork::flowEvents);
    }

    /** @return triggers and their fire log, each call its own unit of work (see the class comment) */
    public TriggerRepository triggers() {
        return perCallRepository(TriggerRepository.class, UnitOfWork::triggers);
    }

    /** @return scheduler jobs, each call its own unit of work (see the class comment) */
    public SchedulerJobRepository schedulerJobs() {
        return perCallRepository(SchedulerJobRepository.class, UnitOfWork::schedulerJobs);
    }

    /** @return the key-value store with TTL, each call its own unit of work (see the class comment) */
    public KvRepository kv() {
        return perCallRepository(KvRepository.class, UnitOfWork::kv);
    }

    /** @return conversational memory, each call its own unit of work (see the class comment) */
    public MemoryRepository memories() {
        return perCallRepository(MemoryRepository.class, UnitOfWork::memories);
    }

    /** @return datasets with versioned items, each call its own unit of work (see the class comment) */
    public DatasetRepository datasets() {
        return perCallRepository(DatasetRepository.class, UnitOfWork::datasets);
    }

    /** @return experiments over dataset versions, each call its own unit of work (see the class comment) */
    public ExperimentRepository experiments() {
        return perCallRepository(ExperimentRepository.class, UnitOfWork::experiments);
    }

    /** @return prompt templates with revisions, each call its own unit of work (see the class comment) */
    public TemplateRepository templates() {
        return perCallRepository(TemplateRepository.class, UnitOfWork::templates);
    }

    /**
     * @return configuration snapshots through {@link AgentStore#configurationCache()}, each call its own unit of work
     *         (see the class comment)
     */
    public ConfigurationRepository configurations() {
        return perCallRepository(ConfigurationRepository.class, UnitOfWork::configurations);
    }

    /** @return generic JSONB records, each call its own unit of work (see the class comment) */
    public RecordRepository records() {
        return perCallRepository(RecordRepository.class, UnitOfWork::records);
    }

    /** @return knowledge-base definitions, each call its own unit of work (see the class comment) */
    public KnowledgeRepository knowledge() {
        return perCallRepository(KnowledgeRepository.class, UnitOfWork::knowledge);
    }

    /** @return knowledge-base chunks and vector search, each call its own unit of work (see the class comment) */
    public ChunkRepository chunks() {
        return perCallRepository(ChunkRepository.class, UnitOfWork::chunks);
    }

    /** @return partition maintenance and retention, each call its own unit of work (see the class comment) */
    public PartitionRepository partitions() {
        return perCallRepository(PartitionRepository.class, UnitOfWork::partitions);
    }

    /** @return versioned definitions, each call its own unit of work (see the class comment) */
    public DefinitionRepository definitions() {
        return perCallRepository(DefinitionRepository.class, UnitOfWork::definitions);
    }

    /** @return evaluation scores, each call its own unit of work (see the class comment) */
    public ScoreRepository scores() {
        return perCallRepository(ScoreRepository.class, UnitOfWork::scores);
    }

    /** @return LLM token usage, each call its own unit of work (see the class comment) */
    public LlmUsageRepository llmUsage() {
        return perCallRepository(LlmUsageRepository.class, UnitOfWork::llmUsage);
    }

    /**
     * @return content-addressed binary storage, each call its own unit of work (see the class comment); read content
     *         with {@link BlobRepository#get(String, java.io.OutputStream)} here, since a stream from
     *         {@code openStream} ends with its call
     */
    public BlobRepository blobs() {
        return perCallRepository(BlobRepository.class, UnitOfWork::blobs);
    }

    /** @return AI traces and spans, each call its own unit of work (see the class comment) */
    public SpanRepository spans() {
        return perCallRepository(SpanRepository.class, UnitOfWork::spans);
    }

    private <R> R perCallRepository(Class<R> type, Function<UnitOfWork, R> accessor) {
        return type.cast(repositories.computeIfAbsent(type,
                t -> PerCallRepository.create(type, accessor, (AgentStore) this)));
    }
}
