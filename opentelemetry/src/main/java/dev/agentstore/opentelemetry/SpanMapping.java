package dev.agentstore.opentelemetry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.observability.NewSpan;
import dev.agentstore.domain.observability.SpanEntity;
import dev.agentstore.domain.observability.SpanStatus;
import dev.agentstore.domain.observability.SpanType;

import java.time.Instant;

/**
 * The one mapping from an OpenTelemetry span ({@link OtlpSpan}) to an agentstore span ({@link NewSpan}), used by the
 * exporter and by the OTLP/JSON import alike. Stateless, thread-safe. The rules (also in {@code docs/observability.md}):
 * <ul>
 *   <li>type: {@link AgentStoreAttributes#SPAN_TYPE} if set, else from {@link GenAiAttributes#OPERATION_NAME}:
 *       {@code invoke_agent}/{@code create_agent} → {@code AGENT_RUN}; {@code chat}/{@code text_completion}/
 *       {@code generate_content} → {@code MODEL_GENERATION}; {@code embeddings} → {@code RAG_EMBEDDING};
 *       {@code execute_tool} → {@code TOOL_CALL} ({@code MCP_TOOL_CALL} with {@code mcp.method.name}); a server span
 *       with {@code mcp.method.name} → {@code MCP_SERVER_REQUEST}; anything else → {@code GENERIC};</li>
 *   <li>entity: {@code agentstore.entity.*} if set, else a tool span's tool ({@code "tool"}, {@code gen_ai.tool.name}),
 *       else the agent ({@code "agent"}, {@code gen_ai.agent.id} or name, {@code gen_ai.agent.name});</li>
 *   <li>links: {@code agentstore.run.id}, {@code agentstore.thread.id} (else {@code gen_ai.conversation.id}),
 *       {@code agentstore.resource.id}, {@code agentstore.user.id} (else {@code user.id});</li>
 *   <li>input/output: {@code gen_ai.input.messages}/{@code gen_ai.output.messages}, or
 *       {@code gen_ai.tool.call.arguments}/{@code gen_ai.tool.call.result}, parsed when they are JSON text;</li>
 *   <li>status as OpenTelemetry's; on {@code ERROR} the error is {@code {"message", "type"}} from the status
 *       description, {@code error.type} and the last {@code exception} event;</li>
 *   <li>attributes: the span's attributes by their OpenTelemetry names, without the {@code agentstore.*} ones and the
 *       four moved to input/output; metadata: {@code kind}, {@code traceState}, {@code resource} (its attributes),
 *       {@code scope}, {@code events}, {@code links}, each only when present.</li>
 * </ul>
 */
final class SpanMapping {

    private SpanMapping() {
    }

    /**
     * @param span an OpenTelemetry span
     * @return the agentstore span
     * @throws dev.agentstore.domain.InvalidInputException when a value breaks a rule of {@link NewSpan} (the message
     *                                                     names the field)
     */
    static NewSpan toNewSpan(OtlpSpan span) {
        ObjectNode attributes = span.attributes().deepCopy();
        SpanType type = type(span, attributes);
        SpanEntity entity = entity(type, attributes);
        String runId = take(attributes, AgentStoreAttributes.RUN_ID);
        String threadId = first(take(attributes, AgentStoreAttributes.THREAD_ID),
                text(attributes, GenAiAttributes.CONVERSATION_ID));
        String resourceId = take(attributes, AgentStoreAttributes.RESOURCE_ID);
        String userId = first(take(attributes, AgentStoreAttributes.USER_ID), text(attributes, GenAiAttributes.USER_ID));
        JsonNode input = content(attributes, GenAiAttributes.INPUT_MESSAGES, GenAiAttributes.TOOL_CALL_ARGUMENTS);
        JsonNode output = content(attributes, GenAiAttributes.OUTPUT_MESSAGES, GenAiAttributes.TOOL_CALL_RESULT);
        SpanStatus status = SpanStatus.valueOf(span.statusCode());
        return NewSpan.builder(span.traceId(), span.spanId(), span.name(), type, instant(span.startNanos()))
                .parentSpanId(span.parentSpanId())
                .entity(entity)
                .runId(runId)
                .threadId(threadId)
                .resourceId(resourceId)
                .userId(userId)
                .endedAt(span.endNanos() == null ? null : instant(span.endNanos()))
                .status(status)
                .error(status == SpanStatus.ERROR ? error(span, attributes) : null)
                .input(input)
                .output(output)
                .attributes(attributes)
                .metadata(metadata(span))
                .build();
    }

    private static SpanType type(OtlpSpan span, ObjectNode attributes) {
        String explicit = take(attributes, AgentStoreAttributes.SPAN_TYPE);
        if (explicit != null) {
            return SpanType.fromValue(explicit);
        }
        boolean mcp = attributes.has(GenAiAttributes.MCP_METHOD_NAME);
        String operation = text(attributes, GenAiAttributes.OPERATION_NAME);
        if (operation == null) {
            return mcp && "SERVER".equals(span.kind()) ? SpanType.MCP_SERVER_REQUEST : SpanType.GENERIC;
        }
        return switch (operation) {
            case "invoke_agent", "create_agent" -> SpanType.AGENT_RUN;
            case "chat", "text_completion", "generate_content" -> SpanType.MODEL_GENERATION;
            case "embeddings" -> SpanType.RAG_EMBEDDING;
            case "execute_tool" -> mcp ? SpanType.MCP_TOOL_CALL : SpanType.TOOL_CALL;
            default -> SpanType.GENERIC;
        };
    }

    private static SpanEntity entity(SpanType type, ObjectNode attributes) {
        String entityType = take(attributes, AgentStoreAttributes.ENTITY_TYPE);
        String id = take(attributes, AgentStoreAttributes.ENTITY_ID);
        String name = take(attributes, AgentStoreAttributes.ENTITY_NAME);
        String tool = text(attributes, GenAiAttributes.TOOL_NAME);
        String agentId = text(attributes, GenAiAttributes.AGENT_ID);
        String agent = text(attributes, GenAiAttributes.AGENT_NAME);
        boolean toolSpan = (type == SpanType.TOOL_CALL || type == SpanType.MCP_TOOL_CALL) && tool != null;
        if (entityType == null && id == null && name == null) {
            if (toolSpan) {
                return SpanEntity.of("tool", tool, tool);
            }
            return agentId == null && agent == null ? SpanEntity.NONE
                    : SpanEntity.of("agent", first(agentId, agent), agent);
        }
        return SpanEntity.of(entityType, id, name);
    }

    private static JsonNode error(OtlpSpan span, ObjectNode attributes) {
        ObjectNode error = Json.object();
        String message = span.statusMessage();
        String type = text(attributes, GenAiAttributes.ERROR_TYPE);
        for (JsonNode event : span.events()) {
            if ("exception".equals(event.path("name").asText())) {
                JsonNode a = event.path("attributes");
                message = first(message, a.path("exception.message").isTextual() ? a.get("exception.message").asText() : null);
                type = first(type, a.path("exception.type").isTextual() ? a.get("exception.type").asText() : null);
            }
        }
        if (message != null) {
            error.put("message", message);
        }
        if (type != null) {
            error.put("type", type);
        }
        return error;
    }

    private static ObjectNode metadata(OtlpSpan span) {
        ObjectNode metadata = Json.object();
        if (span.kind() != null) {
            metadata.put("kind", span.kind());
        }
        if (span.traceState() != null) {
            metadata.put("traceState", span.traceState());
        }
        if (!span.resource().isEmpty()) {
            metadata.set("resource", span.resource());
        }
        if (!span.scope().isEmpty()) {
            metadata.set("scope", span.scope());
        }
        if (!span.events().isEmpty()) {
            metadata.set("events", span.events());
        }
        if (!span.links().isEmpty()) {
            metadata.set("links", span.links());
        }
        return metadata;
    }

    /** Moves the first present of two content attributes out of the attributes; the other stays an attribute. */
    private static JsonNode content(ObjectNode attributes, String preferred, String other) {
        return json(attributes.remove(attributes.hasNonNull(preferred) ? preferred : other));
    }

    /** A GenAI content attribute: JSON text parsed (the conventions record messages as JSON), anything else as is. */
    private static JsonNode json(JsonNode value) {
        if (value == null || value.isNull()) {
            return null;
        }
        if (value.isTextual()) {
            String text = value.asText().strip();
            if (text.startsWith("{") || text.startsWith("[")) {
                try {
                    return Json.MAPPER.readTree(text);
                } catch (JsonProcessingException e) {
                    return value; // not JSON after all: kept as text
                }
            }
        }
        return value;
    }

    private static Instant instant(long epochNanos) {
        return Instant.ofEpochSecond(0, epochNanos);
    }

    /** Removes an attribute and returns it as text ({@code null} when absent, blank or not a scalar). */
    private static String take(ObjectNode attributes, String name) {
        String value = text(attributes, name);
        attributes.remove(name);
        return value;
    }

    private static String text(ObjectNode attributes, String name) {
        JsonNode v = attributes.get(name);
        return v == null || !v.isValueNode() || v.isNull() || v.asText().isBlank() ? null : v.asText();
    }

    private static <T> T first(T a, T b) {
        return a != null ? a : b;
    }
}
