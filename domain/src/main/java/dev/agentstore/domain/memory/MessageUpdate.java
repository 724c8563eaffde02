package dev.agentstore.domain.memory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

/**
 * A change to one stored message ({@code updateMessages}): any of a new role, a content patch and a move
 * to another thread. Build it with {@link #of(String)} and the {@code with...} methods.
 *
 * @param id           the message's id
 * @param role         the new role, or {@code null} to keep it
 * @param contentPatch merged into the content as JSON Merge Patch (RFC 7386: objects merge, {@code null} deletes a
 *                     key, anything else replaces), or {@code null} to keep it
 * @param memoryId     the thread to move the message to (it is appended there, after that thread's last message), or
 *                     {@code null} to keep it in its thread
 */
public record MessageUpdate(String id, MessageRole role, JsonNode contentPatch, String memoryId) {

    /**
     * Validates and copies the patch.
     *
     * @throws InvalidInputException when the id or thread id is invalid, the patch is JSON null or contains NUL
     */
    public MessageUpdate {
        MemoryText.id("id", id);
        contentPatch = contentPatch == null ? null : MemoryText.value("contentPatch", contentPatch);
        MemoryText.optionalId("memoryId", memoryId);
    }

    /**
     * @param id the message's id
     * @return an update that changes nothing yet
     * @throws InvalidInputException when the id is invalid
     */
    public static MessageUpdate of(String id) {
        return new MessageUpdate(id, null, null, null);
    }

    /**
     * @param newRole the new role
     * @return a copy that sets the role
     */
    public MessageUpdate withRole(MessageRole newRole) {
        return new MessageUpdate(id, Check.notNull("role", newRole), contentPatch, memoryId);
    }

    /**
     * @param patch a JSON Merge Patch for the content
     * @return a copy that merges {@code patch} into the content
     */
    public MessageUpdate withContentPatch(JsonNode patch) {
        return new MessageUpdate(id, role, Check.notNull("contentPatch", patch), memoryId);
    }

    /**
     * @param targetMemoryId the thread to move the message to
     * @return a copy that moves the message
     */
    public MessageUpdate movedTo(String targetMemoryId) {
        return new MessageUpdate(id, role, contentPatch, Check.notNull("memoryId", targetMemoryId));
    }
}
