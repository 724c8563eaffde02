package dev.agentstore.domain.observability;

/** Where a score comes from: scoring of live traffic, or a test (an evaluation run, a dataset experiment). */
public enum ScoreSource {
    /** Scored while the agent or workflow served real requests. */
    LIVE,
    /** Scored in a test or an evaluation run. */
    TEST
}
