package dev.agentstore.persistence.query;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/**
 * A piece of SQL and the values of its placeholders, in placeholder order. Values are {@code String},
 * {@code BigDecimal}, {@code Boolean}, {@code OffsetDateTime} (UTC) or {@code LocalDate}; JSON values for
 * {@code @>} are JSON text, cast to {@code jsonb} in the SQL. Bind them with {@link #bind(jakarta.persistence.Query,
 * int)} (JPA native query, {@link ParameterStyle#ORDINAL}) or {@link #bind(PreparedStatement, int)} (JDBC,
 * {@link ParameterStyle#JDBC}).
 *
 * @param sql        the SQL text, with placeholders in the chosen {@link ParameterStyle}
 * @param parameters the values to bind; unmodifiable
 */
public record SqlFragment(String sql, List<Object> parameters) {

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
}
