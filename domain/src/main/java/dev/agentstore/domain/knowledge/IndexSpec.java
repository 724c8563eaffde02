package dev.agentstore.domain.knowledge;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

/**
 * The index a knowledge base has: HNSW with {@code m} and {@code ef_construction}, IVFFlat with {@code lists}, or
 * none. Parameters that do not belong to the type are {@code null}. Use the factories:
 *
 * <pre>{@code
 * IndexSpec.hnsw()            // m = 16, ef_construction = 64 (pgvector's defaults)
 * IndexSpec.hnsw(32, 128)
 * IndexSpec.ivfflat(100)
 * IndexSpec.none()
 * }</pre>
 *
 * @param type           the index type
 * @param m              HNSW: maximum connections per layer, {@value #MIN_M}–{@value #MAX_M}; otherwise {@code null}
 * @param efConstruction HNSW: candidate list size while building, {@value #MIN_EF_CONSTRUCTION}–{@value #MAX_EF_CONSTRUCTION}
 *                       and at least {@code 2 × m}; otherwise {@code null}
 * @param lists          IVFFlat: number of inverted lists, 1–{@value #MAX_LISTS}; otherwise {@code null}
 */
public record IndexSpec(IndexType type, Integer m, Integer efConstruction, Integer lists) {

    /** Smallest HNSW {@code m} (pgvector): 2. */
    public static final int MIN_M = 2;
    /** Largest HNSW {@code m} (pgvector): 100. */
    public static final int MAX_M = 100;
    /** Smallest HNSW {@code ef_construction} (pgvector): 4. */
    public static final int MIN_EF_CONSTRUCTION = 4;
    /** Largest HNSW {@code ef_construction} (pgvector): 1,000. */
    public static final int MAX_EF_CONSTRUCTION = 1_000;
    /** Largest IVFFlat {@code lists} (pgvector): 32,768. */
    public static final int MAX_LISTS = 32_768;

    /**
     * Validates the parameters of the type.
     *
     * @param type           the index type
     * @param m              HNSW's {@code m}, else {@code null}
     * @param efConstruction HNSW's {@code ef_construction}, else {@code null}
     * @param lists          IVFFlat's {@code lists}, else {@code null}
     * @throws InvalidInputException when {@code type} is {@code null}, a parameter of the type is missing or out of
     *                               range, or a parameter of another type is given
     */
    public IndexSpec {
        Check.notNull("index type", type);
        switch (type) {
            case HNSW -> {
                Check.range("m", Check.notNull("m", m), MIN_M, MAX_M);
                Check.range("efConstruction", Check.notNull("efConstruction", efConstruction),
                        MIN_EF_CONSTRUCTION, MAX_EF_CONSTRUCTION);
                if (efConstruction < 2 * m) {
                    throw new InvalidInputException("efConstruction must be at least 2 × m = " + 2 * m + ", was "
                            + efConstruction);
                }
                requireAbsent("lists", lists, type);
            }
            case IVFFLAT -> {
                Check.range("lists", Check.notNull("lists", lists), 1, MAX_LISTS);
                requireAbsent("m", m, type);
                requireAbsent("efConstruction", efConstruction, type);
            }
            case NONE -> {
                requireAbsent("m", m, type);
                requireAbsent("efConstruction", efConstruction, type);
                requireAbsent("lists", lists, type);
            }
        }
    }

    /** @return HNSW with pgvector's defaults, {@code m = 16} and {@code ef_construction = 64} */
    public static IndexSpec hnsw() {
        return hnsw(16, 64);
    }

    /**
     * @param m              maximum connections per layer, 2–100
     * @param efConstruction candidate list size while building, 4–1,000 and at least {@code 2 × m}
     * @return an HNSW index spec
     * @throws InvalidInputException when a parameter is out of range
     */
    public static IndexSpec hnsw(int m, int efConstruction) {
        return new IndexSpec(IndexType.HNSW, m, efConstruction, null);
    }

    /**
     * @param lists number of inverted lists, 1–32,768 (pgvector suggests rows / 1,000 up to 1M rows)
     * @return an IVFFlat index spec
     * @throws InvalidInputException when {@code lists} is out of range
     */
    public static IndexSpec ivfflat(int lists) {
        return new IndexSpec(IndexType.IVFFLAT, null, null, lists);
    }

    /** @return no index: searches scan the base exactly */
    public static IndexSpec none() {
        return new IndexSpec(IndexType.NONE, null, null, null);
    }

    /** @return whether this is an HNSW or IVFFlat index */
    public boolean indexed() {
        return type != IndexType.NONE;
    }

    private static void requireAbsent(String parameter, Integer value, IndexType type) {
        if (value != null) {
            throw new InvalidInputException(parameter + " does not apply to a " + type + " index, was " + value);
        }
    }
}
