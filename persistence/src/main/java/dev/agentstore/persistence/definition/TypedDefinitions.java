package dev.agentstore.persistence.definition;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.definition.AgentDefinition;
import dev.agentstore.domain.definition.Definition;
import dev.agentstore.domain.definition.DefinitionKind;
import dev.agentstore.domain.definition.DefinitionVersion;
import dev.agentstore.domain.definition.McpClientDefinition;
import dev.agentstore.domain.definition.McpServerDefinition;
import dev.agentstore.domain.definition.PromptBlockDefinition;
import dev.agentstore.domain.definition.ScorerDefinition;
import dev.agentstore.domain.definition.SkillDefinition;
import dev.agentstore.domain.definition.WorkspaceDefinition;
import dev.agentstore.domain.json.Json;

import java.util.Map;
import java.util.Optional;

/**
 * One kind's definitions with typed content: {@link AgentDefinition}, {@link PromptBlockDefinition},
 * {@link ScorerDefinition}, {@link McpClientDefinition}, {@link McpServerDefinition}, {@link WorkspaceDefinition} or
 * {@link SkillDefinition}, converted with Jackson and checked against the kind's JSON Schema by the repository
 * before anything is written. Every call goes to the repository it was made with, in that repository's transaction
 * (a unit of work's, a container's, or one per call for {@code store.definitions()}):
 *
 * <pre>{@code
 * TypedDefinitions<AgentDefinition> agents = TypedDefinitions.of(store.definitions(), AgentDefinition.class);
 * agents.create("support", AgentDefinition.of("Support", TextNode.valueOf("Be brief."), model), null, "ana");
 * Optional<AgentDefinition> live = agents.published("support");
 * }</pre>
 *
 * <p>Thread-safe when its repository is (per-call and container repositories are).
 *
 * @param <T> the content type
 */
public final class TypedDefinitions<T> {

    private static final Map<Class<?>, DefinitionKind> KINDS = Map.of(
            AgentDefinition.class, AgentDefinition.KIND,
            PromptBlockDefinition.class, PromptBlockDefinition.KIND,
            ScorerDefinition.class, ScorerDefinition.KIND,
            McpClientDefinition.class, McpClientDefinition.KIND,
            McpServerDefinition.class, McpServerDefinition.KIND,
            WorkspaceDefinition.class, WorkspaceDefinition.KIND,
            SkillDefinition.class, SkillDefinition.KIND);

    private final DefinitionRepository repository;
    private final DefinitionKind kind;
    private final Class<T> type;

    private TypedDefinitions(DefinitionRepository repository, DefinitionKind kind, Class<T> type) {
        this.repository = repository;
        this.kind = kind;
        this.type = type;
    }

    /**
     * @param repository the repository to call
     * @param type       one of the content records of {@code dev.agentstore.domain.definition}
     * @param <T>        the content type
     * @return the typed view of {@code type}'s kind
     * @throws InvalidInputException when {@code type} is not a definition content record
     */
    public static <T> TypedDefinitions<T> of(DefinitionRepository repository, Class<T> type) {
        DefinitionKind kind = KINDS.get(Check.notNull("type", type));
        if (kind == null) {
            throw new InvalidInputException("type must be a definition content record, was " + type.getName());
        }
        return new TypedDefinitions<>(Check.notNull("repository", repository), kind, type);
    }

    /** @return the kind */
    public DefinitionKind kind() {
        return kind;
    }

    /**
     * As {@link DefinitionRepository#create}.
     *
     * @param id       the id
     * @param content  version 1's content
     * @param metadata a JSON object, or {@code null}
     * @param author   the author, or {@code null}
     * @return the definition
     * @throws InvalidInputException when the content violates the schema (the message names the JSON path)
     */
    public Definition create(String id, T content, JsonNode metadata, String author) {
        return repository.create(kind, id, toJson(content), metadata, author, null);
    }

    /**
     * As {@link DefinitionRepository#createVersion}.
     *
     * @param id            the definition's id
     * @param content       the content
     * @param changeMessage a change message, or {@code null}
     * @param author        the author, or {@code null}
     * @return the version
     * @throws InvalidInputException when the content violates the schema
     */
    public DefinitionVersion createVersion(String id, T content, String changeMessage, String author) {
        return repository.createVersion(kind, id, toJson(content), changeMessage, author);
    }

    /**
     * @param id the definition's id
     * @return the published version's content, or empty when none is published
     */
    public Optional<T> published(String id) {
        return repository.getPublishedVersion(kind, id).map(this::content);
    }

    /**
     * @param id the definition's id
     * @return the latest version's content, or empty
     */
    public Optional<T> latest(String id) {
        return repository.getLatestVersion(kind, id).map(this::content);
    }

    /**
     * @param id     the definition's id
     * @param number the version's number
     * @return that version's content, or empty
     */
    public Optional<T> version(String id, int number) {
        return repository.getVersionByNumber(kind, id, number).map(this::content);
    }

    /**
     * @param version a version of this kind
     * @return its content as {@code T}
     * @throws InvalidInputException when the version is of another kind or its content cannot be mapped
     */
    public T content(DefinitionVersion version) {
        if (version.kind() != kind) {
            throw new InvalidInputException("version must be of kind " + kind.storedName() + ", was "
                    + version.kind().storedName());
        }
        try {
            return Json.MAPPER.treeToValue(version.content(), type);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new InvalidInputException(version + " cannot be mapped to " + type.getSimpleName(), e);
        }
    }

    private JsonNode toJson(T content) {
        return Json.of("content", Check.notNull("content", content));
    }
}
