package dev.agentstore.domain.definition;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * A skill, one version's content of kind {@link DefinitionKind#SKILL}, after Mastra's
 * {@code StorageSkillSnapshotType}. Read and written through {@code TypedDefinitions}; the stored JSON has the
 * components' names as keys and leaves {@code null} components out. The kind's JSON Schema
 * ({@code skill.schema.json}) is the rule: what it rejects is never written.
 *
 * @param name the skill's name (required)
 * @param description a description (required)
 * @param instructions the instructions (required)
 * @param license a licence, or {@code null}
 * @param compatibility compatibility notes, any JSON, or {@code null}
 * @param source where the content comes from, or {@code null}
 * @param references reference paths, or {@code null}
 * @param scripts script paths, or {@code null}
 * @param assets asset paths, or {@code null}
 * @param metadata free-form metadata, an object, or {@code null}
 * @param files the file nodes, or {@code null}
 * @param tree the version tree, or {@code null}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SkillDefinition(
        String name,
        String description,
        String instructions,
        String license,
        JsonNode compatibility,
        JsonNode source,
        List<String> references,
        List<String> scripts,
        List<String> assets,
        JsonNode metadata,
        JsonNode files,
        JsonNode tree) {

    /** The kind whose content this record is. */
    public static final DefinitionKind KIND = DefinitionKind.SKILL;

    /**
     * Content with only the required components (name, description and instructions); the others {@code null}.
     *
     * @param name the name
     * @param description the description
     * @param instructions the instructions
     * @return the content
     */
    public static SkillDefinition of(String name, String description, String instructions) {
        return new SkillDefinition(name, description, instructions, null, null, null, null, null, null, null, null,
                null);
    }
}
