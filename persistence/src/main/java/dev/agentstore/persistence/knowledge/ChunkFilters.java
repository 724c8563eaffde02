package dev.agentstore.persistence.knowledge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.query.Filter;
import dev.agentstore.persistence.query.ParameterStyle;
import dev.agentstore.persistence.query.QueryRenderer;
import dev.agentstore.persistence.query.SqlFragment;
import org.jdbi.v3.core.statement.SqlStatement;

import java.math.BigDecimal;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Filters on chunks ({@link ChunkRepository#FIELDS}) as SQL with named parameters: the shared filter language's
 * rendering ({@link QueryRenderer}), plus the containment conditions that let the GIN indexes on {@code payload} and
 * {@code meta} serve equalities. Stateless and thread-safe.
 */
final class ChunkFilters {

    /** The prefix of the filter's parameter names: {@code :filter1}, {@code :filter2}, … */
    static final String PREFIX = SqlFragment.NAMED_PREFIX;

    private static final QueryRenderer RENDERER = new QueryRenderer(ChunkRepository.FIELDS);

    private ChunkFilters() {
    }

    /**
     * A filter as a boolean SQL expression on the columns of {@code chunks}, and the values of its named parameters.
     *
     * @param sql        the expression
     * @param parameters name (without the colon) → value, in the order they occur; unmodifiable
     */
    record Rendered(String sql, Map<String, Object> parameters) {

        /**
         * Binds every parameter of the filter to {@code statement}.
         *
         * @param statement a statement whose text contains {@link #sql()}
         * @param <S>       the statement type
         * @return {@code statement}
         */
        <S extends SqlStatement<S>> S bind(S statement) {
            parameters.forEach(statement::bind);
            return statement;
        }
    }

    /**
     * The filter as SQL, and for every equality on a {@code payload.} or {@code meta.} path that it requires (alone or
     * in an AND) a containment condition that the equality implies, {@code payload @> CAST(:filterN AS jsonb)}
     * ({@code {"doc":7}} for {@code Filter.eq("payload.doc", 7)}): the GIN indexes on {@code payload} and
     * {@code meta} serve containment, not the equality's typed expression. Implied conditions change which rows are
     * read, never which match: numbers and booleans always; text only when no JSON value but a string has it as
     * its text ({@code ->>} of the number 5 is {@code "5"}, so {@code eq("payload.k", "5")} gets no containment).
     *
     * @param filter the filter
     * @return the expression with parameters {@code :filter1}, {@code :filter2}, …
     * @throws InvalidInputException when the filter is invalid for {@link ChunkRepository#FIELDS}
     */
    static Rendered render(Filter filter) {
        SqlFragment f = RENDERER.where(filter, ParameterStyle.NAMED, 1);
        Map<String, Object> parameters = f.namedParameters(1);
        StringBuilder sql = new StringBuilder(f.sql());
        addContainment(filter, sql, parameters);
        return new Rendered(sql.toString(), Collections.unmodifiableMap(parameters));
    }

    /**
     * Refuses a missing or empty filter where one is required, so that a forgotten filter never changes every chunk.
     *
     * @param filter      the filter
     * @param method      the method that needs it, for the message
     * @param alternative the method that acts on every chunk, for the message
     * @return {@code filter}
     * @throws InvalidInputException when {@code filter} is {@code null} or the empty {@code Filter.all()}
     */
    static Filter requireCondition(Filter filter, String method, String alternative) {
        if (filter == null || filter instanceof Filter.And and && and.filters().isEmpty()) {
            throw new InvalidInputException("filter must not be " + (filter == null ? "null" : "empty (Filter.all())")
                    + ": " + method + " needs a condition; call " + alternative + " to act on every chunk of a"
                    + " knowledge base");
        }
        return filter;
    }

    private static void addContainment(Filter filter, StringBuilder sql, Map<String, Object> parameters) {
        if (filter instanceof Filter.And and) {
            for (Filter f : and.filters()) {
                addContainment(f, sql, parameters);
            }
        } else if (filter instanceof Filter.Compare c && c.op() == Filter.Op.EQ && !c.path().isRoot()
                && ChunkRepository.FIELDS.resolve(c.path()).isJson() && onlyItselfHasItsText(c.value())) {
            JsonNode wrapped = Json.of("value of " + c.path(), c.value());
            List<String> keys = c.path().keys();
            for (int i = keys.size() - 1; i >= 0; i--) {
                ObjectNode o = Json.object();
                o.set(keys.get(i), wrapped);
                wrapped = o;
            }
            String name = PREFIX + (parameters.size() + 1);
            sql.append(" AND ").append(ChunkRepository.FIELDS.resolve(c.path()).column())
                    .append(" @> CAST(:").append(name).append(" AS jsonb)");
            parameters.put(name, Json.print(wrapped));
        }
    }

    /**
     * @return whether a JSON value equal to {@code value} is the only one an equality filter with it matches: numbers
     *         and booleans; text that is not the text of a number, boolean, object or array
     */
    private static boolean onlyItselfHasItsText(Object value) {
        if (value instanceof BigDecimal || value instanceof Boolean) {
            return true;
        }
        return value instanceof String s && !s.equals("true") && !s.equals("false")
                && (s.isEmpty() || "-0123456789{[".indexOf(s.charAt(0)) < 0);
    }
}
