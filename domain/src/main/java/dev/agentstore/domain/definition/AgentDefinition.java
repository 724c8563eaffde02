package dev.agentstore.domain.definition;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * An agent's configuration, one version's content of kind {@link DefinitionKind#AGENT}, after Mastra's
 * {@code StorageAgentSnapshotType}. Read and written through {@code TypedDefinitions}; the stored JSON has the
 * components' names as keys and leaves {@code null} components out. The kind's JSON Schema
 * ({@code agent.schema.json}) is the rule: what it rejects is never written.
 *
 * @param name the agent's name (required)
 * @param description a description, or {@code null}
 * @param instructions the instructions: a string or an array of instruction blocks (required)
 * @param model the model: an object with {@code provider} and {@code name} (required)
 * @param tools tools by name, or {@code null}
 * @param defaultOptions default generation options, or {@code null}
 * @param workflows workflows by name, or {@code null}
 * @param agents sub-agents by name, or {@code null}
 * @param integrationTools integration tools, or {@code null}
 * @param toolProviders tool providers, or {@code null}
 * @param inputProcessors the input processor graph, or {@code null}
 * @param outputProcessors the output processor graph, or {@code null}
 * @param memory the memory configuration, or {@code null}
 * @param scorers scorers by name, or {@code null}
 * @param mcpClients MCP clients' tools, or {@code null}
 * @param workspace a workspace reference, or {@code null}
 * @param browser a browser reference, or {@code null}
 * @param skills skills by name, or {@code null}
 * @param skillsFormat {@code xml}, {@code json} or {@code markdown}, or {@code null}
 * @param durable durable execution settings, or {@code null}
 * @param requestContextSchema a JSON Schema of the request context, or {@code null}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AgentDefinition(
        String name,
        String description,
        JsonNode instructions,
        JsonNode model,
        JsonNode tools,
        JsonNode defaultOptions,
        JsonNode workflows,
        JsonNode agents,
        JsonNode integrationTools,
        JsonNode toolProviders,
        JsonNode inputProcessors,
        JsonNode outputProcessors,
        JsonNode memory,
        JsonNode scorers,
        JsonNode mcpClients,
        JsonNode workspace,
        JsonNode browser,
        JsonNode skills,
        String skillsFormat,
        JsonNode durable,
        JsonNode requestContextSchema) {

    /** The kind whose content this record is. */
    public static final DefinitionKind KIND = DefinitionKind.AGENT;

    /**
     * Content with only the required components (name, instructions and model); the others {@code null}.
     *
     * @param name the name
     * @param instructions the instructions
     * @param model the model
     * @return the content
     */
    public static AgentDefinition of(String name, JsonNode instructions, JsonNode model) {
        return new AgentDefinition(name, null, instructions, model, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null, null);
    }
}
