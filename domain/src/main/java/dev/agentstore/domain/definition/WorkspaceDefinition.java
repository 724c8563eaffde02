package dev.agentstore.domain.definition;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * A workspace, one version's content of kind {@link DefinitionKind#WORKSPACE}, after Mastra's
 * {@code StorageWorkspaceSnapshotType}. Read and written through {@code TypedDefinitions}; the stored JSON has the
 * components' names as keys and leaves {@code null} components out. The kind's JSON Schema
 * ({@code workspace.schema.json}) is the rule: what it rejects is never written.
 *
 * @param name the workspace's name (required)
 * @param description a description, or {@code null}
 * @param filesystem the file system configuration, or {@code null}
 * @param sandbox the sandbox configuration, or {@code null}
 * @param mounts file systems by mount point, or {@code null}
 * @param search the search configuration, or {@code null}
 * @param skills skill ids, or {@code null}
 * @param tools the tools configuration, or {@code null}
 * @param autoSync whether files sync automatically, or {@code null}
 * @param operationTimeout an operation timeout in milliseconds, or {@code null}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WorkspaceDefinition(
        String name,
        String description,
        JsonNode filesystem,
        JsonNode sandbox,
        JsonNode mounts,
        JsonNode search,
        List<String> skills,
        JsonNode tools,
        Boolean autoSync,
        Long operationTimeout) {

    /** The kind whose content this record is. */
    public static final DefinitionKind KIND = DefinitionKind.WORKSPACE;

    /**
     * Content with only the required components (name); the others {@code null}.
     *
     * @param name the name
     * @return the content
     */
    public static WorkspaceDefinition of(String name) {
        return new WorkspaceDefinition(name, null, null, null, null, null, null, null, null, null);
    }
}
