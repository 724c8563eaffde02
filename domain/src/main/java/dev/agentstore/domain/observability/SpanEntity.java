package dev.agentstore.domain.observability;

import dev.agentstore.domain.Check;

/**
 * What a span ran for, as Mastra records it: the entity's type ({@code "agent"}, {@code "workflow_run"},
 * {@code "tool"}, ...), id and name. Each part is optional (up to 255 characters, not blank).
 *
 * @param type the entity's type, or {@code null}
 * @param id   the entity's id, or {@code null}
 * @param name the entity's name, or {@code null}
 */
public record SpanEntity(String type, String id, String name) {

    /** No entity. */
    public static final SpanEntity NONE = new SpanEntity(null, null, null);

    /**
     * @throws dev.agentstore.domain.InvalidInputException when a part is blank or longer than 255 characters
     */
    public SpanEntity {
        Check.optionalName("entity.type", type);
        Check.optionalName("entity.id", id);
        Check.optionalName("entity.name", name);
    }

    /**
     * @param type the entity's type, or {@code null}
     * @param id   the entity's id, or {@code null}
     * @param name the entity's name, or {@code null}
     * @return the entity
     */
    public static SpanEntity of(String type, String id, String name) {
        return new SpanEntity(type, id, name);
    }
}
