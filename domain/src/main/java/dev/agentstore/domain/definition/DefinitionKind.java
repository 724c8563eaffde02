package dev.agentstore.domain.definition;

import dev.agentstore.domain.InvalidInputException;

import java.util.Arrays;

/**
 * The kinds of versioned definitions, after Mastra's storage domains of the same names, plus agentstore's prompt
 * templates and configurations (revision logs: every define appends the next version). Each kind has a stored name
 * (the {@code kind} column, for example {@code agent}) and a JSON Schema (resource
 * {@code dev/agentstore/definition/<stored name>.schema.json}) that every version's content must satisfy.
 */
public enum DefinitionKind {
    /** An agent: name, instructions, model, tools... (Mastra {@code agents}). */
    AGENT("agent"),
    /** A reusable block of prompt text with rules (Mastra {@code promptBlocks}). */
    PROMPT_BLOCK("prompt-block"),
    /** A scorer: its type, model, instructions and score range (Mastra {@code scorerDefinitions}). */
    SCORER("scorer"),
    /** An MCP client: the MCP servers it connects to (Mastra {@code mcpClients}). */
    MCP_CLIENT("mcp-client"),
    /** An MCP server: what it exposes (Mastra {@code mcpServers}). */
    MCP_SERVER("mcp-server"),
    /** A workspace: file system, sandbox, search (Mastra {@code workspaces}). */
    WORKSPACE("workspace"),
    /** A skill: instructions, references, scripts, assets (Mastra {@code skills}). */
    SKILL("skill"),
    /**
     * A prompt template: its text, description, variables and meta; each revision a version (the public API is
     * {@code TemplateRepository} and {@code dev.agentstore.domain.template.Template}).
     */
    TEMPLATE("template"),
    /**
     * A named configuration: each snapshot a version whose content is the snapshot (the public API is
     * {@code ConfigurationRepository} and {@code dev.agentstore.domain.configuration.ConfigurationSnapshot}).
     */
    CONFIGURATION("configuration");

    private final String storedName;

    DefinitionKind(String storedName) {
        this.storedName = storedName;
    }

    /** @return the value of the {@code kind} column, lower case with hyphens ({@code prompt-block}) */
    public String storedName() {
        return storedName;
    }

    /** @return the class-path resource of the kind's JSON Schema */
    public String schemaResource() {
        return "dev/agentstore/definition/" + storedName + ".schema.json";
    }

    /**
     * @param storedName a value of the {@code kind} column
     * @return the kind
     * @throws InvalidInputException when no kind has that stored name
     */
    public static DefinitionKind fromStoredName(String storedName) {
        return Arrays.stream(values()).filter(k -> k.storedName.equals(storedName)).findFirst()
                .orElseThrow(() -> new InvalidInputException("kind must be one of "
                        + Arrays.stream(values()).map(DefinitionKind::storedName).toList()));
    }
}
