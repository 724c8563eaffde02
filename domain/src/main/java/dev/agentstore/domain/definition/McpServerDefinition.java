package dev.agentstore.domain.definition;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * An MCP server, one version's content of kind {@link DefinitionKind#MCP_SERVER}, after Mastra's
 * {@code StorageMCPServerSnapshotType}. Read and written through {@code TypedDefinitions}; the stored JSON has the
 * components' names as keys and leaves {@code null} components out. The kind's JSON Schema
 * ({@code mcp-server.schema.json}) is the rule: what it rejects is never written.
 *
 * @param name the server's name (required)
 * @param version the server's own version string (required)
 * @param description a description, or {@code null}
 * @param instructions instructions for clients, or {@code null}
 * @param repository the source repository: {@code url}, {@code type}, {@code directory}, or {@code null}
 * @param releaseDate the release date, or {@code null}
 * @param isLatest whether it is the latest release, or {@code null}
 * @param packageCanonical the canonical package name, or {@code null}
 * @param tools exposed tools by name, or {@code null}
 * @param agents exposed agents by name, or {@code null}
 * @param workflows exposed workflows by name, or {@code null}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record McpServerDefinition(
        String name,
        String version,
        String description,
        String instructions,
        JsonNode repository,
        String releaseDate,
        Boolean isLatest,
        String packageCanonical,
        JsonNode tools,
        JsonNode agents,
        JsonNode workflows) {

    /** The kind whose content this record is. */
    public static final DefinitionKind KIND = DefinitionKind.MCP_SERVER;

    /**
     * Content with only the required components (name and version); the others {@code null}.
     *
     * @param name the name
     * @param version the version
     * @return the content
     */
    public static McpServerDefinition of(String name, String version) {
        return new McpServerDefinition(name, version, null, null, null, null, null, null, null, null, null);
    }
}
