package dev.agentstore.domain.definition;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * A scorer, one version's content of kind {@link DefinitionKind#SCORER}, after Mastra's
 * {@code StorageScorerDefinitionSnapshotType}. Read and written through {@code TypedDefinitions}; the stored JSON
 * has the components' names as keys and leaves {@code null} components out. The kind's JSON Schema
 * ({@code scorer.schema.json}) is the rule: what it rejects is never written.
 *
 * @param name the scorer's name (required)
 * @param description a description, or {@code null}
 * @param type the scorer type, for example {@code llm-judge} or {@code faithfulness} (required)
 * @param model the judge model: {@code provider} and {@code name}, or {@code null}
 * @param instructions the judge's instructions, or {@code null}
 * @param scoreRange {@code min} and {@code max}, or {@code null}
 * @param presetConfig the preset scorer's settings, or {@code null}
 * @param defaultSampling the default sampling, or {@code null}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ScorerDefinition(
        String name,
        String description,
        String type,
        JsonNode model,
        String instructions,
        JsonNode scoreRange,
        JsonNode presetConfig,
        JsonNode defaultSampling) {

    /** The kind whose content this record is. */
    public static final DefinitionKind KIND = DefinitionKind.SCORER;

    /**
     * Content with only the required components (name and type); the others {@code null}.
     *
     * @param name the name
     * @param type the type
     * @return the content
     */
    public static ScorerDefinition of(String name, String type) {
        return new ScorerDefinition(name, null, type, null, null, null, null, null);
    }
}
