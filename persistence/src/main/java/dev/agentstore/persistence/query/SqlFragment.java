package dev.agentstore.persistence.query;

import java.util.List;

/**
 * A piece of SQL and the values of its placeholders, in placeholder order. Values are {@code String},
 * {@code BigDecimal}, {@code Boolean}, {@code OffsetDateTime} (UTC) or {@code LocalDate}; JSON values for
 * {@code @>} are JSON text, cast to {@code jsonb} in the SQL. Bind them with JPA's
 * {@code query.setParameter(firstIndex + i, parameters.get(i))} or JDBC's {@code setObject}.
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
}
