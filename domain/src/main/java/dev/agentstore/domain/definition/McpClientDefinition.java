package dev.agentstore.domain.definition;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * An MCP client, one version's content of kind {@link DefinitionKind#MCP_CLIENT}, after Mastra's
 * {@code StorageMCPClientSnapshotType}. Read and written through {@code TypedDefinitions}; the stored JSON has the
 * components' names as keys and leaves {@code null} components out. The kind's JSON Schema
 * ({@code mcp-client.schema.json}) is the rule: what it rejects is never written.
 *
 * @param name the client's name (required)
 * @param description a description, or {@code null}
 * @param servers the MCP servers by name, each with a {@code type} of {@code stdio} or {@code http} (required)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record McpClientDefinition(
        String name,
        String description,
        JsonNode servers) {

    /** The kind whose content this record is. */
    public static final DefinitionKind KIND = DefinitionKind.MCP_CLIENT;

    /**
     * Content with only the required components (name and servers); the others {@code null}.
     *
     * @param name the name
     * @param servers the servers
     * @return the content
     */
    public static McpClientDefinition of(String name, JsonNode servers) {
        return new McpClientDefinition(name, null, servers);
    }
}
