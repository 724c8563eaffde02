package dev.agentstore.persistence.query;

/** How {@link QueryRenderer} writes placeholders. */
public enum ParameterStyle {
    /** JPA/Hibernate native-query ordinal parameters: {@code ?1}, {@code ?2}... numbered from a given first index. */
    ORDINAL,
    /** Plain JDBC placeholders: {@code ?} (the first index only counts). */
    JDBC,
    /**
     * Jdbi named parameters: {@code :p1}, {@code :p2}... numbered from a given first index, bound with
     * {@link SqlFragment#namedParameters(int)}; the statement's own parameters must not be named {@code p} followed
     * by digits.
     */
    NAMED
}
