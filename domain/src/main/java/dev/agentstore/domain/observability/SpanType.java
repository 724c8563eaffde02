package dev.agentstore.domain.observability;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.util.Locale;

/**
 * What a span records: Mastra's span types ({@code SpanType} of {@code @mastra/core} 1.71), stored by their enum name
 * ({@code AGENT_RUN}) in the column {@code spans.span_type}. {@link #value()} is Mastra's lower-case wire name
 * ({@code "agent_run"}).
 */
public enum SpanType {
    /** An agent's run, usually a trace's root. */
    AGENT_RUN,
    /** A scorer's run. */
    SCORER_RUN,
    /** A classifier's evaluation. */
    CLASSIFIER_EVALUATION,
    /** One step of a scorer. */
    SCORER_STEP,
    /** Anything else. */
    GENERIC,
    /** A whole model generation (may span several steps). */
    MODEL_GENERATION,
    /** One step of a model generation. */
    MODEL_STEP,
    /** One inference call to a model provider. */
    MODEL_INFERENCE,
    /** A streamed chunk of a model's output. */
    MODEL_CHUNK,
    /** A call of a tool of an MCP server. */
    MCP_TOOL_CALL,
    /** A request served by an MCP server. */
    MCP_SERVER_REQUEST,
    /** An input or output processor's run. */
    PROCESSOR_RUN,
    /** A tool call. */
    TOOL_CALL,
    /** A tool call executed by the client. */
    CLIENT_TOOL_CALL,
    /** A tool call executed by the model provider. */
    PROVIDER_TOOL_CALL,
    /** A workflow's run. */
    WORKFLOW_RUN,
    /** One step of a workflow. */
    WORKFLOW_STEP,
    /** A conditional branch of a workflow. */
    WORKFLOW_CONDITIONAL,
    /** The evaluation of one condition. */
    WORKFLOW_CONDITIONAL_EVAL,
    /** Parallel branches of a workflow. */
    WORKFLOW_PARALLEL,
    /** A loop of a workflow. */
    WORKFLOW_LOOP,
    /** A sleep of a workflow. */
    WORKFLOW_SLEEP,
    /** A workflow waiting for an event. */
    WORKFLOW_WAIT_EVENT,
    /** A memory read or write. */
    MEMORY_OPERATION,
    /** A workspace action. */
    WORKSPACE_ACTION,
    /** A RAG ingestion. */
    RAG_INGESTION,
    /** An embedding computed for RAG. */
    RAG_EMBEDDING,
    /** A vector store operation. */
    RAG_VECTOR_OPERATION,
    /** Another RAG action. */
    RAG_ACTION,
    /** A graph action. */
    GRAPH_ACTION,
    /** A data mapping. */
    MAPPING,
    /** A skill's resolution. */
    SKILL_RESOLUTION,
    /** A skill's action. */
    SKILL_ACTION,
    /** A signal sent to an agent. */
    AGENT_SIGNAL;

    /** @return Mastra's wire name, the enum name in lower case ({@code "agent_run"}) */
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @param value a wire name ({@code "agent_run"}) or an enum name ({@code "AGENT_RUN"})
     * @return the type
     * @throws InvalidInputException when {@code value} is {@code null} or names no type
     */
    public static SpanType fromValue(String value) {
        if (value != null) {
            for (SpanType type : values()) {
                if (type.name().equalsIgnoreCase(value)) {
                    return type;
                }
            }
        }
        throw new InvalidInputException("spanType: unknown span type " + Check.describe(value));
    }
}
