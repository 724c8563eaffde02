package dev.agentstore.domain.definition;

/**
 * The life cycle of a definition (Mastra's {@code draft}, {@code published}, {@code archived}).
 */
public enum DefinitionStatus {
    /** Created, no version published yet (or its publication was withdrawn). */
    DRAFT,
    /** A version is published: {@link Definition#publishedVersion()} is set. */
    PUBLISHED,
    /** Kept for history; still readable and can be published again. */
    ARCHIVED
}
