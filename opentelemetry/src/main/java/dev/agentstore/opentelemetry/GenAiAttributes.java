package dev.agentstore.opentelemetry;

/**
 * The OpenTelemetry GenAI semantic-convention attribute names ({@code gen_ai.*}, semantic conventions 1.37, still
 * "development" status, which is why they are written out here instead of taken from the incubating semconv
 * artifact) that the mapping reads. Every other attribute is kept as it came, in the span's attributes.
 */
public final class GenAiAttributes {

    /**
     * {@code gen_ai.operation.name}: {@code chat}, {@code text_completion}, {@code generate_content},
     * {@code embeddings}, {@code execute_tool}, {@code invoke_agent}, {@code create_agent}; it decides the span type.
     */
    public static final String OPERATION_NAME = "gen_ai.operation.name";
    /** {@code gen_ai.agent.id}: the agent's id, the span's entity id on agent spans. */
    public static final String AGENT_ID = "gen_ai.agent.id";
    /** {@code gen_ai.agent.name}: the agent's name, the span's entity name on agent spans. */
    public static final String AGENT_NAME = "gen_ai.agent.name";
    /** {@code gen_ai.tool.name}: the tool's name, the span's entity id and name on tool spans. */
    public static final String TOOL_NAME = "gen_ai.tool.name";
    /** {@code gen_ai.request.model}: the model asked for, the span's entity on model spans without an agent. */
    public static final String REQUEST_MODEL = "gen_ai.request.model";
    /** {@code gen_ai.conversation.id}: the conversation, stored as the span's thread id. */
    public static final String CONVERSATION_ID = "gen_ai.conversation.id";
    /** {@code gen_ai.input.messages}: the model's input messages (JSON text), stored as the span's input. */
    public static final String INPUT_MESSAGES = "gen_ai.input.messages";
    /** {@code gen_ai.output.messages}: the model's output messages (JSON text), stored as the span's output. */
    public static final String OUTPUT_MESSAGES = "gen_ai.output.messages";
    /** {@code gen_ai.tool.call.arguments}: a tool call's arguments (JSON text), stored as the span's input. */
    public static final String TOOL_CALL_ARGUMENTS = "gen_ai.tool.call.arguments";
    /** {@code gen_ai.tool.call.result}: a tool call's result (JSON text), stored as the span's output. */
    public static final String TOOL_CALL_RESULT = "gen_ai.tool.call.result";
    /** {@code gen_ai.usage.input_tokens}: kept in the attributes. */
    public static final String USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens";
    /** {@code gen_ai.usage.output_tokens}: kept in the attributes. */
    public static final String USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens";
    /** {@code mcp.method.name}: set on Model Context Protocol calls; a tool span with it is an MCP call. */
    public static final String MCP_METHOD_NAME = "mcp.method.name";
    /** {@code user.id}: the user, stored as the span's user id. */
    public static final String USER_ID = "user.id";
    /** {@code error.type}: the error's class, part of the span's error on failed spans. */
    public static final String ERROR_TYPE = "error.type";

    private GenAiAttributes() {
    }
}
