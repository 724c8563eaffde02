package dev.agentstore.domain.knowledge;

/** The approximate-nearest-neighbour index of a knowledge base (pgvector), or none (exact search). */
public enum IndexType {

    /** Hierarchical navigable small world graph: parameters {@code m} and {@code ef_construction}; searches take {@code ef_search}. */
    HNSW,
    /** Inverted file with flat lists: parameter {@code lists}; searches take {@code probes}. */
    IVFFLAT,
    /** No index: every search is an exact scan of the base. */
    NONE
}
