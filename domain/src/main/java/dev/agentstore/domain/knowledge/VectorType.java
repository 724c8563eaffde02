package dev.agentstore.domain.knowledge;

/**
 * The pgvector type a knowledge base's index and searches use. Embeddings are always stored at full precision (an
 * untyped {@code vector} column); the type is what the per-base index expression and the query cast to.
 *
 * <ul>
 *   <li>{@link #VECTOR}: 4-byte floats; HNSW and IVFFlat index up to {@value #MAX_VECTOR_INDEX_DIMENSION}
 *       dimensions.</li>
 *   <li>{@link #HALFVEC}: 2-byte floats (half precision, values within ±{@value #HALF_MAX}); HNSW and IVFFlat index up
 *       to {@value #MAX_HALFVEC_INDEX_DIMENSION} dimensions, which covers 3,072-dimension embedding models that
 *       {@code vector} indexes cannot hold.</li>
 * </ul>
 */
public enum VectorType {

    /** Single precision, indexable up to 2,000 dimensions. */
    VECTOR,
    /** Half precision, indexable up to 4,000 dimensions. */
    HALFVEC;

    /** Largest dimension pgvector indexes for {@code vector}: 2,000. */
    public static final int MAX_VECTOR_INDEX_DIMENSION = 2_000;
    /** Largest dimension pgvector indexes for {@code halfvec}: 4,000. */
    public static final int MAX_HALFVEC_INDEX_DIMENSION = 4_000;
    /** Largest magnitude a half-precision float holds: 65,504. */
    public static final float HALF_MAX = 65_504f;

    /** @return the largest dimension an HNSW or IVFFlat index of this type can hold */
    public int maxIndexedDimension() {
        return this == VECTOR ? MAX_VECTOR_INDEX_DIMENSION : MAX_HALFVEC_INDEX_DIMENSION;
    }

    /**
     * The type chosen when a caller gives none: {@code vector} up to 2,000 dimensions, {@code halfvec} above (up to
     * 4,000 it can be indexed; a base created without index can get one later without changing its type).
     *
     * @param dimension the base's dimension
     * @return the default type
     */
    public static VectorType defaultFor(int dimension) {
        return dimension > MAX_VECTOR_INDEX_DIMENSION ? HALFVEC : VECTOR;
    }
}
