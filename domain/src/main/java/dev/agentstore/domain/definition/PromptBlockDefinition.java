package dev.agentstore.domain.definition;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * A prompt block, one version's content of kind {@link DefinitionKind#PROMPT_BLOCK}, after Mastra's
 * {@code StoragePromptBlockSnapshotType}. Read and written through {@code TypedDefinitions}; the stored JSON has the
 * components' names as keys and leaves {@code null} components out. The kind's JSON Schema
 * ({@code prompt-block.schema.json}) is the rule: what it rejects is never written.
 *
 * @param name the block's name (required)
 * @param description a description, or {@code null}
 * @param content the prompt text (required)
 * @param rules a rule group deciding when the block applies, or {@code null}
 * @param requestContextSchema a JSON Schema of the request context, or {@code null}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PromptBlockDefinition(
        String name,
        String description,
        String content,
        JsonNode rules,
        JsonNode requestContextSchema) {

    /** The kind whose content this record is. */
    public static final DefinitionKind KIND = DefinitionKind.PROMPT_BLOCK;

    /**
     * Content with only the required components (name and content); the others {@code null}.
     *
     * @param name the name
     * @param content the content
     * @return the content
     */
    public static PromptBlockDefinition of(String name, String content) {
        return new PromptBlockDefinition(name, null, content, null, null);
    }
}
