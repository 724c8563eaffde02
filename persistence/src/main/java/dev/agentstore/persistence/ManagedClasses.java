package dev.agentstore.persistence;

import dev.agentstore.domain.blob.Blob;
import dev.agentstore.domain.blob.BlobChunk;
import dev.agentstore.domain.blob.BlobContent;
import dev.agentstore.domain.configuration.ConfigurationSnapshot;
import dev.agentstore.domain.dataset.Dataset;
import dev.agentstore.domain.dataset.DatasetItem;
import dev.agentstore.domain.dataset.DatasetVersion;
import dev.agentstore.domain.definition.Definition;
import dev.agentstore.domain.definition.DefinitionVersion;
import dev.agentstore.domain.experiment.Experiment;
import dev.agentstore.domain.experiment.ExperimentResult;
import dev.agentstore.domain.flow.Flow;
import dev.agentstore.domain.flow.FlowEvent;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.flow.FlowStep;
import dev.agentstore.domain.knowledge.Chunk;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.domain.kv.KvEntry;
import dev.agentstore.domain.memory.Memory;
import dev.agentstore.domain.memory.MemoryMessage;
import dev.agentstore.domain.memory.MemoryResource;
import dev.agentstore.domain.memory.MemoryVariables;
import dev.agentstore.domain.observability.LlmUsage;
import dev.agentstore.domain.observability.Score;
import dev.agentstore.domain.observability.Span;
import dev.agentstore.domain.record.Record;
import dev.agentstore.domain.scheduler.SchedulerJob;
import dev.agentstore.domain.template.Template;
import dev.agentstore.domain.trigger.Trigger;
import dev.agentstore.domain.trigger.TriggerEvent;

import java.util.List;

/**
 * The managed classes (JPA entities) of the agentstore persistence unit: what {@link AgentStore} hands Hibernate,
 * what a container's {@code persistence.xml} must list, and the tables {@link ReadOnlyStatementInspector} guards.
 * Stateless.
 */
final class ManagedClasses {

    /** Every entity class, unmodifiable. */
    static final List<Class<?>> ALL = List.of(
            Flow.class, FlowRun.class, FlowStep.class, FlowEvent.class, Trigger.class, TriggerEvent.class,
            SchedulerJob.class, KvEntry.class, Template.class, ConfigurationSnapshot.class, Record.class,
            Memory.class, MemoryMessage.class, MemoryResource.class, MemoryVariables.class, KnowledgeBase.class,
            Chunk.class, Dataset.class, DatasetVersion.class, DatasetItem.class, Experiment.class,
            ExperimentResult.class, Definition.class, DefinitionVersion.class, Score.class, LlmUsage.class,
            Blob.class, BlobContent.class, BlobChunk.class, Span.class);

    private ManagedClasses() {
    }
}
