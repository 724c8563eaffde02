package dev.agentstore.domain.memory;

/** Where a {@link SemanticRecall} looks for matching messages (Mastra's {@code scope}). */
public enum RecallScope {
    /** The messages of one thread. */
    THREAD,
    /** The messages of one resource, in every thread (the messages' {@code resourceId}). */
    RESOURCE
}
