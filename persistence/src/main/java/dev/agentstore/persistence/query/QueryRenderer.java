package dev.agentstore.persistence.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;

import java.util.ArrayList;
import java.util.List;

/**
 * Renders {@link Filter}s, {@link Sort}s and projections into PostgreSQL SQL for one table, described by a
 * {@link FieldMap}. Thread-safe and stateless apart from the map.
 *
 * <h2>What it produces</h2>
 * <ul>
 *   <li>Every value is a bound parameter ({@code ?n}, {@code ?} or {@code :pn}, see {@link ParameterStyle}),
 *       wrapped in {@code CAST(? AS type)} so its type never depends on the driver's inference.</li>
 *   <li>Paths are validated ({@link FieldPath#PATTERN}) and rendered as string literals of JSONB operators, one
 *       key each: {@code r.data -> 'user' ->> 'age'}. A key cannot contain a quote or anything but
 *       {@code [A-Za-z0-9_]}, so the literal cannot end early; the chain form is also what expression indexes such
 *       as {@code ((data ->> 'status'))} are written with, so those indexes apply. The SQL contains no {@code ?}
 *       operator, no {@code ::} and no braces, so it is safe for JDBC, Jdbi and Hibernate's native-query parser.</li>
 *   <li>A JSONB field compared with a number reads as
 *       {@code CASE WHEN jsonb_typeof(f) = 'number' THEN CAST(f ->> .. AS numeric) END}: only JSON numbers take part,
 *       and a row holding {@code "abc"} there does not match instead of failing the query. Booleans likewise; a
 *       timestamp or date compares ISO-8601 strings ({@code YYYY-MM-DD}, optionally followed by {@code T} or a space
 *       and a time) cast to {@code timestamptz}/{@code date}; other strings do not match. A string that passes that
 *       check but is still not a valid date or time (such as {@code 2023-02-30} or {@code 2024-01-01T25:00}) makes
 *       PostgreSQL fail the query (SQL state 22008/22007; repositories report it as invalid input). Date-only strings
 *       compared as timestamps are midnight in the session time zone. Text compares the value's text ({@code ->>}),
 *       whatever its JSON type, except for the text operators ({@code LIKE}, {@code NOT LIKE}, {@code ~}), which
 *       add {@code jsonb_typeof(f) = 'string' AND ...}: they never match a number, boolean, object or array.</li>
 *   <li>{@link Filter.IsNull} renders as {@code f ->> 'k' IS [NOT] NULL} (JSON {@code null} or absent), or
 *       {@code jsonb_typeof(f) = 'null'} for JSON {@code null} only.</li>
 *   <li>{@link Filter.Contains} renders as {@code column @> CAST(? AS jsonb)} on the root column with the path's
 *       keys wrapped around the value, so a GIN index on the column ({@code jsonb_ops} or {@code jsonb_path_ops})
 *       serves it.</li>
 *   <li>{@link Filter.Not} renders as {@code NOT COALESCE((...), false)}: SQL's three-valued logic would otherwise
 *       drop rows where the operand's field is absent.</li>
 * </ul>
 *
 * <p>Example: with roots {@code data → r.data}, {@code and(gt("data.age", 9), not(exists("data.deleted")))}
 * renders (ordinal style, first index 1) as
 * <pre>{@code
 * (((CASE WHEN jsonb_typeof(r.data -> 'age') = 'number' THEN CAST(r.data ->> 'age' AS numeric) END) > CAST(?1 AS numeric))
 *  AND NOT COALESCE((r.data -> 'deleted' IS NOT NULL), false))
 * }</pre>
 * (on one line).
 * with parameters {@code [9]}.
 */
public final class QueryRenderer {

    /** Most leaf conditions in one filter: 1,000. */
    public static final int MAX_CONDITIONS = 1_000;

    /** Deepest nesting of AND/OR/NOT: 32 levels. */
    public static final int MAX_DEPTH = 32;

    /** A calendar date at the start, followed by the end, {@code T} or a space (no braces: see the class doc). */
    private static final String DATE_PREFIX =
            "'^[0-9][0-9][0-9][0-9]-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([T ]|$)'";

    private final FieldMap fields;

    /**
     * @param fields the roots paths may start with
     * @throws InvalidInputException when {@code fields} is {@code null}
     */
    public QueryRenderer(FieldMap fields) {
        this.fields = Check.notNull("fields", fields);
    }

    /**
     * Renders a filter as a boolean SQL expression, for a {@code WHERE} clause.
     *
     * @param filter     the filter
     * @param style      how to write placeholders
     * @param firstIndex the number of the first placeholder (for {@link ParameterStyle#ORDINAL} and
     *                   {@link ParameterStyle#NAMED}, so the fragment can follow the statement's own parameters); 1 or
     *                   more
     * @return the expression (in parentheses when composite; {@code TRUE} for an empty AND) and its parameters
     * @throws InvalidInputException when a path's root is unknown, a plain column gets keys or a value of another
     *                               kind, {@code contains} or a text operator is used on a column that does not
     *                               support it, a comparison targets a whole JSONB root, or the filter is larger than
     *                               {@value #MAX_CONDITIONS} conditions or deeper than {@value #MAX_DEPTH}
     */
    public SqlFragment where(Filter filter, ParameterStyle style, int firstIndex) {
        Check.notNull("filter", filter);
        Check.notNull("style", style);
        Check.range("firstIndex", firstIndex, 1, 60_000);
        Params params = new Params(style, firstIndex);
        String sql = render(filter, params, 0);
        return new SqlFragment(sql, params.values);
    }

    /**
     * Renders sort keys as an {@code ORDER BY} list (without the keywords), each {@code NULLS LAST}.
     *
     * @param sort the keys, most significant first
     * @return for example {@code CAST(...) DESC NULLS LAST, r.data -> 'name' ASC NULLS LAST}; empty for no keys
     * @throws InvalidInputException when a path's root is unknown, or a sort type is forced on a plain column
     */
    public String orderBy(List<Sort> sort) {
        Check.noNulls("sort", sort);
        List<String> parts = new ArrayList<>();
        for (Sort s : sort) {
            FieldMap.Root root = fields.resolve(s.path());
            String expr;
            if (!root.isJson()) {
                expr = root.column();
            } else if (s.path().isRoot()) {
                expr = root.column();
            } else if (s.as() == null) {
                expr = json(root, s.path());
            } else {
                expr = typed(root, s.path(), s.as());
            }
            parts.add(expr + (s.direction() == Sort.Direction.DESC ? " DESC" : " ASC") + " NULLS LAST");
        }
        return String.join(", ", parts);
    }

    /**
     * Renders a field as a {@code jsonb} expression, for projections: the JSON value at the path ({@code NULL} when
     * absent), or a plain column as {@code to_jsonb(column)}.
     *
     * @param path the field
     * @return the expression
     * @throws InvalidInputException when the root is unknown or a plain column has keys
     */
    public String jsonValue(FieldPath path) {
        FieldMap.Root root = fields.resolve(Check.notNull("path", path));
        return root.isJson() ? json(root, path) : "to_jsonb(" + root.column() + ")";
    }

    private String render(Filter filter, Params params, int depth) {
        if (depth > MAX_DEPTH) {
            throw new InvalidInputException("filter must be nested at most " + MAX_DEPTH + " levels deep");
        }
        if (filter instanceof Filter.And and) {
            return join(and.filters(), " AND ", "TRUE", params, depth);
        }
        if (filter instanceof Filter.Or or) {
            return join(or.filters(), " OR ", "FALSE", params, depth);
        }
        if (filter instanceof Filter.Not not) {
            return "NOT COALESCE(" + render(not.filter(), params, depth + 1) + ", false)";
        }
        params.countCondition();
        if (filter instanceof Filter.Exists e) {
            FieldMap.Root root = fields.resolve(e.path());
            String expr = root.isJson() ? json(root, e.path()) : root.column();
            return "(" + expr + (e.negated() ? " IS NULL)" : " IS NOT NULL)");
        }
        if (filter instanceof Filter.Contains c) {
            FieldMap.Root root = fields.resolve(c.path());
            if (!root.isJson()) {
                throw new InvalidInputException("contains on '" + c.path() + "': " + root.name()
                        + " is not a JSONB field");
            }
            JsonNode wrapped = c.value();
            List<String> keys = c.path().keys();
            for (int i = keys.size() - 1; i >= 0; i--) {
                ObjectNode o = Json.object();
                o.set(keys.get(i), wrapped);
                wrapped = o;
            }
            return "(" + root.column() + " @> CAST(" + params.add(Json.print(wrapped)) + " AS jsonb))";
        }
        if (filter instanceof Filter.IsNull n) {
            return isNull(n);
        }
        if (filter instanceof Filter.Compare c) {
            String expr = operand(c.path(), c.kind());
            String comparison = expr + " " + c.op().sql() + " " + params.cast(c.value(), c.kind());
            FieldMap.Root root = fields.resolve(c.path());
            return c.op().textOnly() && root.isJson()
                    ? "(jsonb_typeof(" + json(root, c.path()) + ") = 'string' AND " + comparison + ")"
                    : "(" + comparison + ")";
        }
        if (filter instanceof Filter.In in) {
            String expr = operand(in.path(), in.kind());
            if (in.values().isEmpty()) {
                return in.negated() ? "(" + expr + " IS NOT NULL)" : "FALSE";
            }
            List<String> placeholders = new ArrayList<>();
            for (Object v : in.values()) {
                placeholders.add(params.cast(v, in.kind()));
            }
            return "(" + expr + (in.negated() ? " NOT IN (" : " IN (") + String.join(", ", placeholders) + "))";
        }
        Filter.Between b = (Filter.Between) filter;
        String expr = operand(b.path(), b.kind());
        return "(" + expr + " BETWEEN " + params.cast(b.low(), b.kind()) + " AND "
                + params.cast(b.high(), b.kind()) + ")";
    }

    /**
     * A null test: on a JSONB path below the root, {@code ->>} is SQL {@code NULL} exactly for JSON {@code null} and
     * an absent key (the expression an index on {@code (data ->> 'k')} serves).
     */
    private String isNull(Filter.IsNull n) {
        FieldMap.Root root = fields.resolve(n.path());
        String test;
        if (!root.isJson()) {
            test = root.column() + " IS NULL";
        } else if (!n.orMissing()) {
            test = "jsonb_typeof(" + json(root, n.path()) + ") = 'null'";
        } else if (n.path().isRoot()) {
            test = "COALESCE(jsonb_typeof(" + root.column() + "), 'null') = 'null'";
        } else {
            return "(" + text(root, n.path()) + (n.negated() ? " IS NOT NULL)" : " IS NULL)");
        }
        return n.negated() ? "NOT COALESCE((" + test + "), false)" : "(" + test + ")";
    }

    private String join(List<Filter> filters, String operator, String empty, Params params, int depth) {
        if (filters.isEmpty()) {
            return empty;
        }
        List<String> parts = new ArrayList<>(filters.size());
        for (Filter f : filters) {
            parts.add(render(f, params, depth + 1));
        }
        return parts.size() == 1 ? parts.get(0) : "(" + String.join(operator, parts) + ")";
    }

    /** The left-hand side of a comparison of {@code kind}. */
    private String operand(FieldPath path, ValueKind kind) {
        FieldMap.Root root = fields.resolve(path);
        if (!root.isJson()) {
            if (root.kind() != kind) {
                throw new InvalidInputException("field '" + path + "' is a " + root.kind() + " column; it cannot be"
                        + " compared with a " + kind + " value");
            }
            return root.column();
        }
        if (path.isRoot()) {
            throw new InvalidInputException("field '" + path + "' is a whole JSON document; compare a path below it"
                    + " (" + path + ".key), or use contains/exists");
        }
        return typed(root, path, kind);
    }

    /** The field read as {@code kind}; {@code NULL} when its JSON type does not fit. */
    private static String typed(FieldMap.Root root, FieldPath path, ValueKind kind) {
        String json = json(root, path);
        String text = text(root, path);
        switch (kind) {
            case TEXT:
                return text;
            case NUMBER:
                return "(CASE WHEN jsonb_typeof(" + json + ") = 'number' THEN CAST(" + text + " AS numeric) END)";
            case BOOLEAN:
                return "(CASE WHEN jsonb_typeof(" + json + ") = 'boolean' THEN CAST(" + text + " AS boolean) END)";
            default:
                return "(CASE WHEN jsonb_typeof(" + json + ") = 'string' AND " + text + " ~ " + DATE_PREFIX
                        + " THEN CAST(" + text + " AS " + kind.sqlType() + ") END)";
        }
    }

    /** {@code col -> 'a' -> 'b'}: the JSON value at the path, SQL NULL when absent. */
    private static String json(FieldMap.Root root, FieldPath path) {
        StringBuilder sb = new StringBuilder(root.column());
        for (String key : path.keys()) {
            sb.append(" -> '").append(key).append('\'');
        }
        return sb.toString();
    }

    /** {@code col -> 'a' ->> 'b'}: the text of the value at the path (path has at least one key). */
    private static String text(FieldMap.Root root, FieldPath path) {
        StringBuilder sb = new StringBuilder(root.column());
        List<String> keys = path.keys();
        for (int i = 0; i < keys.size(); i++) {
            sb.append(i == keys.size() - 1 ? " ->> '" : " -> '").append(keys.get(i)).append('\'');
        }
        return sb.toString();
    }

    /** Collects parameters and writes placeholders. */
    private static final class Params {
        private final ParameterStyle style;
        private final int first;
        private final List<Object> values = new ArrayList<>();
        private int conditions;

        Params(ParameterStyle style, int first) {
            this.style = style;
            this.first = first;
        }

        String add(Object value) {
            values.add(value);
            int index = first + values.size() - 1;
            return switch (style) {
                case JDBC -> "?";
                case ORDINAL -> "?" + index;
                case NAMED -> ":" + SqlFragment.NAMED_PREFIX + index;
            };
        }

        String cast(Object value, ValueKind kind) {
            return "CAST(" + add(value) + " AS " + kind.sqlType() + ")";
        }

        void countCondition() {
            if (++conditions > MAX_CONDITIONS) {
                throw new InvalidInputException("filter must have at most " + MAX_CONDITIONS + " conditions");
            }
        }
    }
}
