package dev.agentstore.persistence.query;

/** How {@link QueryRenderer} writes placeholders. */
public enum ParameterStyle {
    /** JPA/Hibernate native-query ordinal parameters: {@code ?1}, {@code ?2}... numbered from a given first index. */
    ORDINAL,
    /** Plain JDBC placeholders: {@code ?} (the first index only counts). */
    JDBC
}
