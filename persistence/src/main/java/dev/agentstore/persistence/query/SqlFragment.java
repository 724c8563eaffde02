package dev.agentstore.persistence.query;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A piece of SQL and the values of its placeholders, in placeholder order. Values are {@code String},
 * {@code BigDecimal}, {@code Boolean}, {@code OffsetDateTime} (UTC) or {@code LocalDate}; JSON values for
 * {@code @>} are JSON text, cast to {@code jsonb} in the SQL. Bind them with {@link #bind(jakarta.persistence.Query,
 * int)} (JPA native query, {@link ParameterStyle#ORDINAL}), {@link #bind(PreparedStatement, int)} (JDBC,
 * {@link ParameterStyle#JDBC}) or {@link #namedParameters(int)} (Jdbi, {@link ParameterStyle#NAMED}).
 *
 * @param sql        the SQL text, with placeholders in the chosen {@link ParameterStyle}
 * @param parameters the values to bind; unmodifiable
 */
public record SqlFragment(String sql, List<Object> parameters) {

    /** The name of {@link ParameterStyle#NAMED} placeholders before their number: {@code :filter1}, {@code :filter2}… */
    public static final String NAMED_PREFIX = "filter";

    /**
     * @param sql        the SQL text
     * @param parameters the values; copied
     */
    public SqlFragment {
        parameters = List.copyOf(parameters);
    }

    /**
     * Binds the parameters to a JPA (native) query as ordinal parameters {@code firstIndex}, {@code firstIndex + 1}...
     *
     * @param query      the query, created from SQL containing {@link #sql()} rendered with
     *                   {@link ParameterStyle#ORDINAL} and the same {@code firstIndex}
     * @param firstIndex the first placeholder's number
     * @param <Q>        the query type
     * @return {@code query}
     */
    public <Q extends jakarta.persistence.Query> Q bind(Q query, int firstIndex) {
        for (int i = 0; i < parameters.size(); i++) {
            query.setParameter(firstIndex + i, parameters.get(i));
        }
        return query;
    }

    /**
     * Binds the parameters to a JDBC statement with {@code setObject}, at positions {@code firstIndex},
     * {@code firstIndex + 1}...
     *
     * @param statement  the statement, prepared from SQL containing {@link #sql()} rendered with
     *                   {@link ParameterStyle#JDBC}
     * @param firstIndex the position of the fragment's first {@code ?} in the statement
     * @return {@code statement}
     * @throws SQLException when the driver refuses a value
     */
    public PreparedStatement bind(PreparedStatement statement, int firstIndex) throws SQLException {
        for (int i = 0; i < parameters.size(); i++) {
            statement.setObject(firstIndex + i, parameters.get(i));
        }
        return statement;
    }

    /**
     * The parameters by name, for SQL containing {@link #sql()} rendered with {@link ParameterStyle#NAMED}:
     * {@code p<firstIndex>}, {@code p<firstIndex + 1>}... (with Jdbi: {@code statement.bindMap(fragment
     * .namedParameters(1))}).
     *
     * @param firstIndex the first placeholder's number, as given to the renderer
     * @return the values by placeholder name, in placeholder order; a new modifiable map
     */
    public Map<String, Object> namedParameters(int firstIndex) {
        Map<String, Object> named = new LinkedHashMap<>();
        for (int i = 0; i < parameters.size(); i++) {
            named.put(NAMED_PREFIX + (firstIndex + i), parameters.get(i));
        }
        return named;
    }
}
