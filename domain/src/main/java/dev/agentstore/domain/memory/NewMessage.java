package dev.agentstore.domain.memory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.time.Instant;
import java.util.UUID;

/**
 * A message to save to a thread ({@code saveMessages}) or to remember ({@code remember}).
 *
 * @param id         the message's id, 1–255 characters, unique over all threads; saving an existing id updates that
 *                   message (upsert)
 * @param role       who wrote it
 * @param content    any JSON value but JSON {@code null}, kept verbatim (text parts, tool calls and results, media
 *                   references)
 * @param resourceId the resource it belongs to, or {@code null} for its thread's resource
 * @param createdAt  when it was written, or {@code null} for the clock's time when it is saved
 */
public record NewMessage(String id, MessageRole role, JsonNode content, String resourceId, Instant createdAt) {

    /**
     * Validates and copies the content.
     *
     * @throws InvalidInputException when a component is invalid (blank or oversized id, no role, null content, NUL
     *                               characters, a createdAt outside PostgreSQL's timestamptz range)
     */
    public NewMessage {
        MemoryText.id("id", id);
        Check.notNull("role", role);
        content = MemoryText.value("content", content);
        MemoryText.optionalId("resourceId", resourceId);
        Check.instant("createdAt", createdAt);
    }

    /**
     * @param id      the message's id
     * @param role    who wrote it
     * @param content its content
     * @return the message, with its thread's resource and the save time
     * @throws InvalidInputException when a parameter is invalid
     */
    public static NewMessage of(String id, MessageRole role, JsonNode content) {
        return new NewMessage(id, role, content, null, null);
    }

    /**
     * @param role    who wrote it
     * @param content its content
     * @return the message, with a random UUID as id
     * @throws InvalidInputException when a parameter is invalid
     */
    public static NewMessage of(MessageRole role, JsonNode content) {
        return of(UUID.randomUUID().toString(), role, content);
    }

    /**
     * @param time when the message was written
     * @return a copy with this creation time
     */
    public NewMessage createdAt(Instant time) {
        return new NewMessage(id, role, content, resourceId, Check.notNull("createdAt", time));
    }

    /**
     * @param resource the resource the message belongs to
     * @return a copy with this resource id
     */
    public NewMessage resourceId(String resource) {
        return new NewMessage(id, role, content, Check.notNull("resourceId", resource), createdAt);
    }
}
