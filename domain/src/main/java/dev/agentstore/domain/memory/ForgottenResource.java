package dev.agentstore.domain.memory;

/**
 * What {@code forgetResource} removed.
 *
 * @param resourceId    the resource
 * @param threads       how many of its threads were deleted
 * @param messages      how many messages were deleted: those of its threads and its messages in other threads
 * @param workingMemory whether its working memory existed and was deleted
 */
public record ForgottenResource(String resourceId, long threads, long messages, boolean workingMemory) {
}
