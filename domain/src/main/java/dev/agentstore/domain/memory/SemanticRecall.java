package dev.agentstore.domain.memory;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

/**
 * What a semantic recall asks for (Mastra's {@code semanticRecall}): the {@code topK} embedded messages of a scope
 * nearest to a query embedding, each with {@code before} messages before it and {@code after} messages after it in
 * its thread. Immutable and validated on construction.
 *
 * <pre>{@code
 * SemanticRecall.thread("t-1").topK(3).messageRange(2, 1)
 * }</pre>
 *
 * @param scope   a thread or a resource
 * @param scopeId the thread's or the resource's id, 1–255 characters
 * @param topK    how many matching messages, 1 to {@value #MAX_TOP_K}
 * @param before  how many messages before each match in its thread, 0 to {@value #MAX_RANGE}
 * @param after   how many messages after each match in its thread, 0 to {@value #MAX_RANGE}
 */
public record SemanticRecall(RecallScope scope, String scopeId, int topK, int before, int after) {

    /** Largest {@code topK}: 100. */
    public static final int MAX_TOP_K = 100;

    /** Largest {@code before} and {@code after}: 100. */
    public static final int MAX_RANGE = 100;

    /** @throws InvalidInputException naming the first invalid component */
    public SemanticRecall {
        Check.notNull("scope", scope);
        MemoryText.id(scope == RecallScope.THREAD ? "memoryId" : "resourceId", scopeId);
        Check.range("topK", topK, 1, MAX_TOP_K);
        Check.range("messageRange.before", before, 0, MAX_RANGE);
        Check.range("messageRange.after", after, 0, MAX_RANGE);
    }

    /**
     * @param memoryId the thread's id
     * @return a recall in that thread with Mastra's defaults: top 4, one message before and after each
     * @throws InvalidInputException when the id is invalid
     */
    public static SemanticRecall thread(String memoryId) {
        return new SemanticRecall(RecallScope.THREAD, memoryId, 4, 1, 1);
    }

    /**
     * @param resourceId the resource's id
     * @return a recall over every thread of that resource with Mastra's defaults: top 4, one message before and after
     * @throws InvalidInputException when the id is invalid
     */
    public static SemanticRecall resource(String resourceId) {
        return new SemanticRecall(RecallScope.RESOURCE, resourceId, 4, 1, 1);
    }

    /**
     * @param k how many matching messages
     * @return a copy with this {@code topK}
     * @throws InvalidInputException when {@code k} is out of range
     */
    public SemanticRecall topK(int k) {
        return new SemanticRecall(scope, scopeId, k, before, after);
    }

    /**
     * @param messagesBefore how many messages before each match
     * @param messagesAfter  how many messages after each match
     * @return a copy with this range
     * @throws InvalidInputException when a count is out of range
     */
    public SemanticRecall messageRange(int messagesBefore, int messagesAfter) {
        return new SemanticRecall(scope, scopeId, topK, messagesBefore, messagesAfter);
    }
}
