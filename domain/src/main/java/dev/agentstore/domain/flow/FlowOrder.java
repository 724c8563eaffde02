package dev.agentstore.domain.flow;

/** The order of a listing of flows; each breaks ties by name. */
public enum FlowOrder {
    /** Most recently run first, never-run flows last (the default). */
    LAST_RUN,
    /** Most recently registered first. */
    REGISTERED_NEWEST_FIRST,
    /** First registered first. */
    REGISTERED_OLDEST_FIRST,
    /** By name, in code-point order. */
    NAME
}
