package dev.agentstore.persistence.support;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A repository statement run as plain JDBC on the unit of work's connection ({@code Session.doReturningWork}), for
 * hot paths where Hibernate's native-query machinery (result-set mapping resolved from the JDBC metadata on every
 * execution, entities in the persistence context) costs more client CPU than the statement: event reads, message
 * saves and listings, flow stat increments. Its SQL numbers the parameters {@code ?1}, {@code ?2}, ... as the
 * repositories' JPA native queries do, and may use one several times: the SQL is rewritten once, when the statement
 * is created (hold fixed statements in constants), to JDBC's {@code ?}, and values are bound by number.
 */
public final class NumberedStatement {

    private static final Pattern PARAMETER = Pattern.compile("\\?(\\d+)");

    private final String jdbcSql;
    /** The parameter number of each JDBC {@code ?}, in order of appearance. */
    private final int[] numbers;

    /**
     * @param sql SQL with parameters {@code ?1}, {@code ?2}, ... (no other question marks)
     */
    public NumberedStatement(String sql) {
        List<Integer> order = new ArrayList<>();
        Matcher m = PARAMETER.matcher(sql);
        while (m.find()) {
            order.add(Integer.parseInt(m.group(1)));
        }
        this.jdbcSql = m.replaceAll("?");
        this.numbers = order.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Prepares the statement with {@code values[0]} as {@code ?1}, {@code values[1]} as {@code ?2}, ...; an
     * {@link Instant} is bound as a UTC {@code timestamptz}, a {@code String[]} as a {@code text[]}, {@code null} as an
     * untyped null (the SQL casts it), anything else with {@link PreparedStatement#setObject(int, Object)}.
     *
     * @param connection the transaction's connection
     * @param values     the parameter values by number
     * @return the prepared statement; the caller closes it
     * @throws SQLException when the driver refuses the statement or a value
     */
    public PreparedStatement prepare(Connection connection, Object... values) throws SQLException {
        PreparedStatement ps = connection.prepareStatement(jdbcSql);
        try {
            for (int i = 0; i < numbers.length; i++) {
                Object value = values[numbers[i] - 1];
                if (value instanceof String[] strings) {
                    ps.setArray(i + 1, connection.createArrayOf("text", strings));
                } else {
                    ps.setObject(i + 1, value instanceof Instant t ? t.atOffset(ZoneOffset.UTC) : value);
                }
            }
            return ps;
        } catch (SQLException | RuntimeException e) {
            ps.close();
            throw e;
        }
    }
}
