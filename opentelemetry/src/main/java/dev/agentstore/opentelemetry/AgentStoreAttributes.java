package dev.agentstore.opentelemetry;

/**
 * Attributes an application sets on its OpenTelemetry spans to link them to agentstore's own rows, or to say what
 * the GenAI conventions cannot. They are read (and removed from the stored attributes) by the exporter and by
 * {@code agentstore traces import} alike; each wins over what the mapping would derive.
 */
public final class AgentStoreAttributes {

    /** {@code agentstore.run.id}: the agentstore run (flow run) the span belongs to. */
    public static final String RUN_ID = "agentstore.run.id";
    /** {@code agentstore.thread.id}: the memory thread; without it {@code gen_ai.conversation.id} is used. */
    public static final String THREAD_ID = "agentstore.thread.id";
    /** {@code agentstore.resource.id}: the resource (the owner of the thread's memory). */
    public static final String RESOURCE_ID = "agentstore.resource.id";
    /** {@code agentstore.user.id}: the user; without it {@code user.id} is used. */
    public static final String USER_ID = "agentstore.user.id";
    /** {@code agentstore.span.type}: the span type by name, overriding the one derived from the operation. */
    public static final String SPAN_TYPE = "agentstore.span.type";
    /** {@code agentstore.entity.type}: the entity type by name, overriding the derived one. */
    public static final String ENTITY_TYPE = "agentstore.entity.type";
    /** {@code agentstore.entity.id}: the entity id, overriding the derived one. */
    public static final String ENTITY_ID = "agentstore.entity.id";
    /** {@code agentstore.entity.name}: the entity name, overriding the derived one. */
    public static final String ENTITY_NAME = "agentstore.entity.name";

    private AgentStoreAttributes() {
    }
}
