package dev.agentstore.persistence.query;

/** How {@link QueryRenderer} writes placeholders. */
public enum ParameterStyle {
    /**
     * JPA/Hibernate native-query ordinal parameters: {@code ?1}, {@code ?2}... numbered from a given first index, for
     * an application's own native queries (agentstore's repositories use {@link #NAMED}).
     */
    ORDINAL,
    /** Plain JDBC placeholders: {@code ?} (the first index only counts), for an application's own JDBC. */
    JDBC,
    /**
     * Jdbi named parameters, the repositories' style: {@code :filter1}, {@code :filter2}... numbered from a given
     * first index, bound with {@link SqlFragment#namedParameters(int)}; the statement's own parameters must not be
     * named {@code filter} followed by digits.
     */
    NAMED
}
