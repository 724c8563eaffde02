package dev.agentstore.domain.knowledge;

import dev.agentstore.domain.InvalidInputException;

/**
 * How a knowledge base measures the distance between two embeddings, with pgvector's operator and the score a
 * search reports. Higher scores are always better, and every score is a linear function of pgvector's distance, so a
 * minimum score is exactly a maximum distance ({@link #maxDistance(double)}) that SQL can apply to the index's
 * ordering value.
 *
 * <ul>
 *   <li>{@link #COSINE}: operator {@code <=>}, distance {@code 1 − cos(a, b)} in [0, 2];
 *       <b>score = 1 − distance</b> = cosine similarity in [−1, 1] (orthogonal vectors score 0).</li>
 *   <li>{@link #L2}: operator {@code <->}, Euclidean distance (not squared) in [0, ∞);
 *       <b>score = −distance</b> (0 for identical vectors, more negative when farther apart).</li>
 *   <li>{@link #INNER_PRODUCT}: operator {@code <#>}, distance {@code −(a · b)} (pgvector negates the inner product
 *       so that smaller is nearer); <b>score = −distance</b> = the inner product {@code a · b}. For unit vectors it
 *       equals the cosine score.</li>
 * </ul>
 */
public enum Distance {

    /** Cosine distance ({@code <=>}); score = 1 − distance (cosine similarity). */
    COSINE,
    /** Euclidean distance ({@code <->}); score = −distance. */
    L2,
    /** Negative inner product ({@code <#>}); score = −distance (the inner product). */
    INNER_PRODUCT;

    /**
     * @param distance the distance pgvector computed with this metric's operator
     * @return the score: {@code 1 − distance} for cosine, {@code −distance} for L2 and inner product
     */
    public double score(double distance) {
        return this == COSINE ? 1.0 - distance : -distance;
    }

    /**
     * The distance bound equivalent to a minimum score: a row has {@code score ≥ minScore} exactly when its distance
     * is {@code ≤} this bound.
     *
     * @param minScore the smallest accepted score, a finite number
     * @return {@code 1 − minScore} for cosine, {@code −minScore} for L2 and inner product
     * @throws InvalidInputException when {@code minScore} is NaN or infinite
     */
    public double maxDistance(double minScore) {
        if (!Double.isFinite(minScore)) {
            throw new InvalidInputException("minScore must be a finite number, was " + minScore);
        }
        return this == COSINE ? 1.0 - minScore : -minScore;
    }
}
