package dev.agentstore.domain.memory;

/**
 * One message returned by a semantic recall: a match, or a neighbour of one (context from {@code messageRange}).
 *
 * @param message  the message as stored
 * @param match    whether it is one of the {@code topK} nearest messages
 * @param distance its cosine distance to the query (pgvector's {@code <=>}, 0 to 2, lower is nearer) when it is a
 *                 match; {@code NaN} for a neighbour
 */
public record RecalledMessage(MemoryMessage message, boolean match, double distance) {
}
